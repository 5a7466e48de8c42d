// The browser-test harness: the built playground on a free 127.0.0.1 port (app and API on one
// origin, as behind a reverse proxy), and Debian's Chromium driven by playwright-core. Nothing here
// downloads a browser. Generic on purpose: any number of tabs share one context (one profile), and
// `cdp(page)` reaches the DevTools protocol (to freeze a tab, for instance).
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  chromium,
  type BrowserContext,
  type CDPSession,
  type Page,
  type Response,
} from 'playwright-core'
import { afterAll, beforeAll, inject } from 'vitest'
import { createDemoServer } from '../../playground/server/app.js'

export type DemoServer = ReturnType<typeof createDemoServer>

/** Debian's Chromium; `CHROMIUM_PATH` overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Where tests save screenshots (gitignored). */
export const RESULTS_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url))

/** Options of the demo server (`createDemoServer`); `accessTtl` defaults to 30 s here. */
export type PlaygroundOptions = Omit<
  NonNullable<Parameters<typeof createDemoServer>[0]>,
  'staticDir'
>

export interface Playground {
  /** e.g. `http://127.0.0.1:41234`, without a trailing slash. */
  url: string
  /** The demo server: `stats`, `resetStats()`, `faults`, `store`. */
  demo: DemoServer
  close(): Promise<void>
}

/** Serves the playground built by `./globalSetup.ts` with a fresh demo server on a free port. */
export async function startPlayground({
  accessTtl = 30,
  ...options
}: PlaygroundOptions = {}): Promise<Playground> {
  const staticDir = inject('playgroundDir')
  if (!staticDir) {
    throw new Error(
      'The playground was not built: run the browser tests through the "browser" project of vite.config.ts, whose globalSetup builds it.',
    )
  }
  const demo = createDemoServer({ accessTtl, ...options, staticDir })
  const server = await demo.listen({ host: '127.0.0.1', port: 0 })
  return { url: server.url, demo, close: server.close }
}

export interface LaunchOptions {
  /** @default { width: 1280, height: 800 } */
  viewport?: { width: number; height: number } | null
}

export interface Browser {
  /** One persistent context (one fresh profile): its tabs share cookies, storage, BroadcastChannel and Web Locks. */
  context: BrowserContext
  /** A new tab in the context (the first call reuses the blank tab Chromium starts with). */
  newPage(): Promise<Page>
  /** A DevTools protocol session attached to `page`. */
  cdp(page: Page): Promise<CDPSession>
  close(): Promise<void>
}

/** Starts Chromium with a fresh `--user-data-dir`, removed again by `close()`. */
export async function launchBrowser({
  viewport = { width: 1280, height: 800 },
}: LaunchOptions = {}): Promise<Browser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'vue-refresh-auth-chromium-'))
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  })
  let blank: Page | undefined = context.pages()[0]
  return {
    context,
    async newPage() {
      const page = blank ?? (await context.newPage())
      blank = undefined
      return page
    },
    cdp: (page) => context.newCDPSession(page),
    async close() {
      await context.close().catch(() => {})
      await rm(userDataDir, { recursive: true, force: true })
    },
  }
}

/** Uncaught errors and unhandled rejections of a page, to assert there were none. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.stack ?? error.message))
  return errors
}

declare global {
  interface Window {
    __renders?: string[]
  }
}

/**
 * Records, from before the app's first script runs, every element with `data-page` that enters the
 * DOM, in `window.__renders` (one list per document). Read it with {@link renders}.
 */
export async function recordRenders(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = (window.__renders = [])
    const visit = (node: Node) => {
      if (!(node instanceof Element)) return
      if (node.hasAttribute('data-page')) seen.push(node.getAttribute('data-page')!)
      for (const el of node.querySelectorAll('[data-page]'))
        seen.push(el.getAttribute('data-page')!)
    }
    new MutationObserver((mutations) => {
      for (const mutation of mutations) mutation.addedNodes.forEach(visit)
    }).observe(document, { childList: true, subtree: true })
  })
}

/** The pages recorded by {@link recordRenders} in the current document, in order. */
export function renders(page: Page): Promise<string[]> {
  return page.evaluate(() => [...(window.__renders ?? [])])
}

/** Empties the record of {@link recordRenders}, to look at what renders from now on. */
export function resetRenders(page: Page): Promise<void> {
  return page.evaluate(() => void window.__renders?.splice(0))
}

export interface TokenCollector {
  /** Every access token the pages of the context received from login and refresh. */
  tokens: Set<string>
  /** Waits for the responses still being read. */
  settled(): Promise<void>
}

/** Collects the access tokens of every `/auth/login` and `/auth/refresh` answer the context sees. */
export function collectAccessTokens(context: BrowserContext): TokenCollector {
  const tokens = new Set<string>()
  const pending = new Set<Promise<void>>()
  context.on('response', (response: Response) => {
    const { pathname } = new URL(response.url())
    if (!/^(\/body)?\/auth\/(login|refresh)$/.test(pathname) || !response.ok()) return
    const reading = response
      .json()
      .then((body: { access_token?: unknown }) => {
        if (typeof body.access_token === 'string') tokens.add(body.access_token)
      })
      .catch(() => {})
      .finally(() => pending.delete(reading))
    pending.add(reading)
  })
  return {
    tokens,
    async settled() {
      while (pending.size) await Promise.all(pending)
    },
  }
}

export interface BrowserStorage {
  localStorage: Record<string, string>
  sessionStorage: Record<string, string>
  /** Every IndexedDB database with every record of every object store. */
  indexedDB: { name: string; stores: Record<string, unknown[]> }[]
  cookie: string
}

/** Everything script-readable storage of the page's origin holds. */
export function readBrowserStorage(page: Page): Promise<BrowserStorage> {
  return page.evaluate(async () => {
    const entries = (storage: Storage) =>
      Object.fromEntries(
        Array.from({ length: storage.length }, (_, i) => storage.key(i)!).map((key) => [
          key,
          storage.getItem(key) ?? '',
        ]),
      )
    const request = <T>(req: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        req.onsuccess = () => resolve(req.result)
        req.onerror = () => reject(req.error)
      })
    const databases = []
    for (const { name, version } of await indexedDB.databases()) {
      if (!name) continue
      const db = await request(indexedDB.open(name, version))
      const stores: Record<string, unknown[]> = {}
      for (const store of Array.from(db.objectStoreNames)) {
        const tx = db.transaction(store, 'readonly')
        stores[store] = await request(tx.objectStore(store).getAll())
      }
      db.close()
      databases.push({ name, stores })
    }
    return {
      localStorage: entries(localStorage),
      sessionStorage: entries(sessionStorage),
      indexedDB: databases,
      cookie: document.cookie,
    }
  })
}

/** Signs in through the login form, which must be on screen. */
export async function signIn(
  page: Page,
  { username, password }: { username: string; password: string },
): Promise<void> {
  await page.locator('[data-page="login"]').waitFor()
  await page.getByTestId('username').fill(username)
  await page.getByTestId('password').fill(password)
  await page.getByTestId('submit').click()
}

/** Waits for the element with `data-page="<name>"`. */
export function waitForPage(page: Page, name: string): Promise<void> {
  return page.locator(`[data-page="${name}"]`).waitFor()
}

/** Saves a full-page screenshot under `test-results/` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true })
  const path = join(RESULTS_DIR, `${name}.png`)
  await page.screenshot({ path, fullPage: true, animations: 'disabled' })
  return path
}

export interface PlaygroundSession {
  playground: Playground
  browser: Browser
  /** The first tab, with its render log recorded from before the app boots. */
  page: Page
  /** Uncaught errors of that tab. */
  errors: string[]
  /** Every access token the context received. */
  collected: TokenCollector
}

/**
 * Starts a playground and a browser for the tests of one file and stops both after them. The
 * returned object is filled in before the first test runs.
 */
export function usePlayground(
  options: PlaygroundOptions = {},
  prepare?: (browser: Browser) => Promise<unknown>,
): PlaygroundSession {
  const session = {} as PlaygroundSession
  beforeAll(async () => {
    const [playground, browser] = await Promise.all([startPlayground(options), launchBrowser()])
    Object.assign(session, { playground, browser, collected: collectAccessTokens(browser.context) })
    await prepare?.(browser)
    session.page = await browser.newPage()
    session.errors = pageErrors(session.page)
    await recordRenders(session.page)
  })
  afterAll(async () => {
    await session.browser?.close()
    await session.playground?.close()
  })
  return session
}
