import { UnsecuredJWT } from 'jose'
import { createPinia } from 'pinia'
import { createApp, createSSRApp, defineComponent, h, type App } from 'vue'
import { RouterView } from 'vue-router'
import { onTestFinished, vi } from 'vitest'
import { createAuth, type AuthOptions } from '../src'
import { createFakeAuthServer, type FakeAuthServerOptions, type FakeClient } from '../src/testing'

/** A promise with its resolvers, to order races by hand (Promise.withResolvers needs Node 22). */
export function deferred<T = void>() {
  let resolve!: (value: T) => void
  let reject!: (reason: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** An unsigned JWT: jwt-decode reads it, which is all the client ever does with a token. */
export function jwt(claims: Record<string, unknown>): string {
  return new UnsecuredJWT(claims).encode()
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })

/** The page's origin in the happy-dom environment (see vite.config.ts), and the fake server's. */
export const APP_ORIGIN = 'http://app.test'

/** The user the fake server knows, and what signs her in. */
export const credentials = { username: 'alice', password: 'secret' }

const urlOf = (input: RequestInfo | URL) =>
  new URL(input instanceof Request ? input.url : String(input), APP_ORIGIN)

/** The rest of the internet: any other origin answers, and its `/private` is a 401 of its own. */
const elsewhere = ({ pathname: path }: URL) =>
  path === '/private' ? json(401, { error: 'not yours' }) : json(200, { elsewhere: true, path })

/**
 * The app's backend for a test: the testing kit's `createFakeAuthServer` on `APP_ORIGIN`, with
 * alice (password `secret`, role `user`), `ttl`-second access tokens on the test's clock, and one
 * catch-all API route behind the token check (any path outside `/auth/` answers
 * `{ ok: true, path }`). The global `fetch` becomes a `vi.fn` around it, so a test can still stub
 * one answer with `fetch.mockImplementationOnce(...)`; `issued` lists the token sets it handed out.
 * Requests to other origins are on `server.requests` too, and are answered as the rest of the
 * internet. Other kit options (users, body mode, …) pass through.
 */
export function useFakeServer({
  ttl = 60,
  ...options
}: FakeAuthServerOptions & { ttl?: number } = {}) {
  const server = createFakeAuthServer({
    origin: APP_ORIGIN,
    users: [{ ...credentials, roles: ['user'] }],
    accessTtl: ttl,
    ...options,
  })
  server.route('*', /^\/(?!auth\/)/, (request) => ({
    ok: true,
    path: new URL(request.url).pathname,
  }))
  /** Every token set the server handed out (login and refresh answers), oldest first. */
  const issued: { access: string; refresh?: string }[] = []

  /** A browser's fetch with the cookie jar of `client` (the server's own by default). */
  const fetchVia =
    (client: FakeClient) =>
    async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const url = urlOf(input)
      const response = await client.fetch(input, init)
      if (url.origin !== APP_ORIGIN) return elsewhere(url)
      if (response.ok && /^\/auth\/(login|refresh)$/.test(url.pathname)) {
        const body = await response.clone().json()
        issued.push({ access: body.access_token, refresh: body.refresh_token })
      }
      return response
    }

  const fetch = vi.fn(fetchVia(server))
  vi.stubGlobal('fetch', fetch)
  return {
    server,
    fetch,
    fetchVia,
    issued,
    /**
     * Signs alice in on the server directly, as an earlier visit would have: the refresh cookie is
     * in the jar for a start-up restore. Then zeroes the stats (call it before queueing faults).
     */
    async earlierSession() {
      await server.fetch('/auth/login', { method: 'POST', body: JSON.stringify(credentials) })
      server.resetStats()
    },
  }
}

/**
 * From now on every refresh through a `useFakeServer()` fetch answers the next of `answers`, then
 * a 60 s JWT issued 50 s ago, with a Date header so it is not taken for a clock that is off: a
 * token handed out nearly dead. Returns the count of refreshes answered so far.
 */
export function nearlyDeadRefreshes(
  fetch: ReturnType<typeof useFakeServer>['fetch'],
  answers: Record<string, unknown>[] = [],
) {
  const counter = { refreshes: 0 }
  const realFetch = fetch.getMockImplementation()!
  fetch.mockImplementation(async (input, init) => {
    if (!String(input).endsWith('/auth/refresh')) return realFetch(input, init)
    const n = counter.refreshes++
    const iat = Math.floor(Date.now() / 1000) - 50
    const body = answers[n] ?? { access_token: jwt({ sub: 'alice', iat, exp: iat + 60, n }) }
    return json(200, body, { date: new Date().toUTCString() })
  })
  return counter
}

const mounted = new Set<App>()
/**
 * Unmounts every app `setupAuth` mounted, which stops each session's timers and window listeners,
 * so tests cannot leak into others (a test may have unmounted its app already). `test/setup.ts`
 * calls it after each test: a hook registered here would run only in the first file that imports
 * this module when files share a worker (`isolate: false`, as the mutation run does).
 */
export function unmountAll() {
  for (const app of mounted) if (app._container) app.unmount()
  mounted.clear()
}

/**
 * A real Vue app with a real Pinia and the plugin installed, mounted when there is a DOM and
 * unmounted after the test. With `options.router`, the app uses the router too (before the plugin,
 * as an app does) and renders its RouterView; `element` is what it is mounted on. `unmount()` ends
 * it by hand (a model run makes hundreds in one test). `ssr: true` makes a server-side app
 * (`createSSRApp`) for `renderToString`, never mounted.
 */
export function setupAuth<TClaims = any, TUser = any>(
  options: AuthOptions<TClaims, TUser> = {},
  { ssr = false } = {},
) {
  const { router } = options
  const root = defineComponent({ render: () => (router ? h(RouterView) : h('div')) })
  const app = ssr ? createSSRApp(root) : createApp(root)
  const pinia = createPinia()
  const auth = createAuth<TClaims, TUser>(options)
  app.use(pinia)
  if (router) app.use(router)
  app.use(auth)
  const element = !ssr && typeof document !== 'undefined' ? document.createElement('div') : null
  if (element) {
    app.mount(element)
    mounted.add(app)
  }
  return {
    app,
    pinia,
    auth,
    store: auth.store,
    $fetch: auth.fetch,
    fetchWithAuth: auth.fetchWithAuth,
    element,
    unmount() {
      mounted.delete(app)
      app.unmount()
    },
  }
}

/** In-memory BroadcastChannel: delivers to the other instances of the same name, asynchronously. */
export class FakeChannel {
  static open = new Set<FakeChannel>()
  /** Ms before a message arrives; with more than 0, a lock grant can overtake it, as in Chromium. */
  static latency = 0
  /** What message handlers threw. */
  static thrown: unknown[] = []
  /** Messages for which it returns true are lost, as when a tab is frozen as they are sent. */
  static lose: ((data: unknown) => boolean) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  constructor(readonly name: string) {
    FakeChannel.open.add(this)
  }
  postMessage(data: unknown) {
    if (FakeChannel.lose?.(data)) return
    for (const other of FakeChannel.open) {
      if (other !== this && other.name === this.name) {
        const copy = structuredClone(data)
        const deliver = () => {
          // A browser reports what a handler throws as an uncaught error: kept for the test.
          try {
            other.onmessage?.({ data: copy })
          } catch (error) {
            FakeChannel.thrown.push(error)
          }
        }
        if (FakeChannel.latency) setTimeout(deliver, FakeChannel.latency)
        else queueMicrotask(deliver)
      }
    }
  }
  close() {
    FakeChannel.open.delete(this)
  }
}

/**
 * Removes a global for the rest of the test, as in a browser that lacks the API (BroadcastChannel
 * before Safari 15.4, WebSocket in Node 20): not declared at all, which `vi.stubGlobal(name,
 * undefined)` is not.
 */
export function withoutGlobal(name: string) {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, name)
  delete (globalThis as Record<string, unknown>)[name]
  onTestFinished(() => {
    if (descriptor) Object.defineProperty(globalThis, name, descriptor)
  })
}

/** Lets pending promise callbacks run (fake timers do not advance microtasks by themselves). */
export const flush = () => vi.advanceTimersByTimeAsync(0)

/**
 * Runs the demo server in its own process, so its clock is not the one a test mocks.
 * Resolves with its URL; `stop()` ends the process.
 */
export async function startServerProcess(env: Record<string, string> = {}) {
  const { spawn } = await import('node:child_process')
  const child = spawn(process.execPath, ['playground/server/main.js'], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`demo server exited with ${code}`)))
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /https?:\/\/[\d.:[\]a-z]+/i.exec(chunk.toString())
      if (match) resolve(match[0])
    })
  })
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

type LockCallback = (lock: Lock | null) => unknown

/**
 * An in-process Web Locks `LockManager` for happy-dom, which has none: exclusive and shared modes,
 * `ifAvailable`, `steal`, `signal` and `query()`, granted asynchronously as browsers do.
 * https://w3c.github.io/web-locks/#api-lock-manager
 */
export function createLockManager() {
  interface Request {
    name: string
    mode: LockMode
    grant(): void
  }
  interface Held {
    name: string
    mode: LockMode
    steal(): void
  }
  const held: Held[] = []
  const queue: Request[] = []
  const abortError = (signal?: AbortSignal) =>
    signal?.reason ?? new DOMException('The lock request was aborted.', 'AbortError')

  // The spec's "grantable": no conflicting lock held, and nobody queued ahead on the same name.
  function grantable(name: string, mode: LockMode, ahead: Request[]) {
    const others = held.filter((lock) => lock.name === name)
    const waiting = ahead.filter((request) => request.name === name)
    return mode === 'shared'
      ? others.every((lock) => lock.mode === 'shared') && waiting.every((r) => r.mode === 'shared')
      : others.length === 0 && waiting.length === 0
  }

  function processQueue() {
    for (let i = 0; i < queue.length; i++) {
      const request = queue[i]!
      if (grantable(request.name, request.mode, queue.slice(0, i))) {
        queue.splice(i--, 1)
        request.grant()
      }
    }
  }

  function request(
    name: string,
    optionsOrCallback: LockOptions | LockCallback,
    maybeCallback?: LockCallback,
  ): Promise<unknown> {
    const options = typeof optionsOrCallback === 'function' ? {} : optionsOrCallback
    const callback = (typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback)!
    const mode = options.mode ?? 'exclusive'
    return new Promise((resolve, reject) => {
      const grant = () => {
        let stolen = false
        const lock: Held = {
          name,
          mode,
          steal() {
            stolen = true
            reject(new DOMException('The lock was stolen.', 'AbortError'))
          },
        }
        held.push(lock)
        Promise.resolve()
          .then(() => callback({ name, mode } as Lock))
          .then(
            (value) => done(() => resolve(value)),
            (error: unknown) => done(() => reject(error)),
          )
        function done(settle: () => void) {
          const at = held.indexOf(lock)
          if (at >= 0) held.splice(at, 1)
          processQueue()
          if (!stolen) settle()
        }
      }
      if (options.signal?.aborted) return reject(abortError(options.signal))
      if (options.steal) {
        for (const lock of held.filter((l) => l.name === name)) {
          held.splice(held.indexOf(lock), 1)
          lock.steal()
        }
        return grant()
      }
      // Held from the moment it is granted; the callback runs a task later, as in browsers.
      if (grantable(name, mode, queue)) return grant()
      if (options.ifAvailable) {
        Promise.resolve()
          .then(() => callback(null))
          .then(resolve, reject)
        return
      }
      const entry: Request = {
        name,
        mode,
        grant: () => {
          options.signal?.removeEventListener('abort', onAbort)
          grant()
        },
      }
      const onAbort = () => {
        const at = queue.indexOf(entry)
        if (at < 0) return
        queue.splice(at, 1)
        reject(abortError(options.signal))
        processQueue()
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      queue.push(entry)
    })
  }

  return {
    request,
    async query(): Promise<LockManagerSnapshot> {
      const info = ({ name, mode }: { name: string; mode: LockMode }) => ({ name, mode })
      return { held: held.map(info), pending: queue.map(info) }
    },
    /** Whether a lock of that name is held right now (for assertions inside sync callbacks). */
    isHeld: (name: string) => held.some((lock) => lock.name === name),
  }
}
