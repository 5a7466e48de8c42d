// Timing across tabs in Chromium against the demo server (rotation with reuse detection; expires_in
// plus a JWT whose iat / exp are whole seconds), issue 11: one refresh per half lifetime across tabs,
// a lock hand-over that cannot refresh twice, and a slow answer's token used instead of refused.
// Outcomes and counts only; `npm run bench` measures the rates.
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  launchBrowser,
  pageErrors,
  signIn,
  startPlayground,
  waitForPage,
  type Browser,
  type Playground,
} from './harness'

const alice = { username: 'alice', password: 'alice-password' }

/** Signs in in a first tab, then opens the others on `path`, which they restore from the session. */
async function openTabs(browser: Browser, url: string, count: number, path: string) {
  const first = await browser.newPage()
  await first.goto(`${url}/login`)
  await signIn(first, alice)
  await waitForPage(first, 'dashboard')
  await first.goto(`${url}${path}`)
  await waitForPage(first, 'dashboard')
  const tabs = [first]
  for (let i = 1; i < count; i++) {
    const tab = await browser.newPage()
    await tab.goto(`${url}${path}`)
    await waitForPage(tab, 'dashboard')
    tabs.push(tab)
  }
  return tabs
}

/** Runs the dashboard's soak card (requests back to back for `?soak=` seconds) in every tab. */
async function soak(tabs: Page[]) {
  await Promise.all(tabs.map((tab) => tab.getByTestId('soak').click()))
  const results = []
  for (const tab of tabs) {
    const result = tab.getByTestId('soak-result')
    await result.and(tab.locator('[data-done="true"]')).waitFor({ timeout: 60_000 })
    results.push({
      ok: Number(await result.getAttribute('data-ok')),
      failed: Number(await result.getAttribute('data-failed')),
      errors: await tab.locator('.soak .warn li').allTextContents(),
    })
  }
  return results
}

function usePlaygroundAndBrowser(accessTtl: number) {
  const env = {} as { playground: Playground; browser: Browser }
  beforeAll(async () => {
    env.playground = await startPlayground({ accessTtl })
    env.browser = await launchBrowser()
  })
  afterAll(async () => {
    await env.browser?.close()
    await env.playground?.close()
  })
  return env
}

describe('four tabs, 2 s tokens', () => {
  const env = usePlaygroundAndBrowser(2)

  it('refresh about twice per token lifetime between them, and never send a token the server holds expired', async () => {
    const seconds = 10
    const tabs = await openTabs(env.browser, env.playground.url, 4, `/?soak=${seconds}`)
    const errors = tabs.map(pageErrors)
    const { demo } = env.playground
    demo.resetStats()
    const results = await soak(tabs)
    for (const result of results) {
      expect(result.errors).toEqual([])
      expect(result.failed).toBe(0)
      expect(result.ok).toBeGreaterThan(0)
    }
    // 10 s of 2 s tokens: 5 lifetimes, at most 2.5 refreshes each, and one for the last requests.
    expect(demo.stats.refreshes).toBeLessThanOrEqual(2.5 * (seconds / 2) + 1)
    expect(demo.stats.expiredTokenRequests).toBe(0)
    expect(demo.stats.reuseDetections).toBe(0)
    expect(errors.flat()).toEqual([])
  }, 90_000)
})

describe('four tabs in body mode, 2 s tokens', () => {
  const env = usePlaygroundAndBrowser(2)

  it('hand each rotated refresh token on, so none is ever presented twice', async () => {
    const { browser, playground } = env
    // Body mode keeps the refresh token in memory: the tabs are open before the login, which
    // reaches them over the channel, and are never reloaded.
    const query = '?refresh=body&soak=10'
    const tabs = []
    for (let i = 0; i < 4; i++) {
      const tab = await browser.newPage()
      await tab.goto(`${playground.url}/login${query}`)
      await waitForPage(tab, 'login')
      tabs.push(tab)
    }
    await signIn(tabs[0]!, alice)
    for (const tab of tabs) await waitForPage(tab, 'dashboard')
    const errors = tabs.map(pageErrors)
    const { demo } = playground
    demo.resetStats()
    const results = await soak(tabs)
    for (const result of results) {
      expect(result.errors).toEqual([])
      expect(result.failed).toBe(0)
    }
    expect(demo.stats.refreshes).toBeGreaterThan(0)
    expect(demo.stats.reuseDetections).toBe(0)
    expect(demo.stats.refreshRejected).toBe(0)
    expect(errors.flat()).toEqual([])
  }, 90_000)
})

describe('four tabs restored at once after a browser restart', () => {
  const env = usePlaygroundAndBrowser(30)

  it('make exactly one refresh call, every time', async () => {
    const { browser, playground } = env
    const { demo } = playground
    // A blank tab keeps the browser open while no tab of the app is alive.
    await browser.newPage()
    const first = await browser.context.newPage()
    await first.goto(`${playground.url}/login`)
    await signIn(first, alice)
    await waitForPage(first, 'dashboard')
    await first.close()
    const calls: number[] = []
    for (let attempt = 0; attempt < 5; attempt++) {
      demo.resetStats()
      const tabs = await Promise.all([1, 2, 3, 4].map(() => browser.context.newPage()))
      await Promise.all(tabs.map((tab) => tab.goto(`${playground.url}/`)))
      await Promise.all(tabs.map((tab) => waitForPage(tab, 'dashboard')))
      calls.push(demo.stats.refreshes)
      await Promise.all(tabs.map((tab) => tab.close()))
    }
    expect(calls).toEqual([1, 1, 1, 1, 1])
    expect(demo.stats.reuseDetections).toBe(0)
  }, 90_000)
})

describe('a refresh answered late, 3 s tokens', () => {
  const env = usePlaygroundAndBrowser(3)

  it('accepts the nearly spent token, uses it, and refreshes again at once', async () => {
    const [tab] = await openTabs(env.browser, env.playground.url, 1, '/?soak=6')
    const { demo } = env.playground
    demo.resetStats()
    // The next refresh issues its token at once and answers 1.5 s later: it arrives with about
    // 0.5–1.5 s of its 3 s left.
    demo.faults.refresh.push({ lateMs: 1500 })
    const [result] = await soak([tab!])
    expect(result!.errors).toEqual([])
    expect(result!.failed).toBe(0)
    expect(demo.stats.refreshes).toBeGreaterThanOrEqual(2)
    expect(demo.stats.refreshRejected).toBe(0)
    expect(demo.stats.expiredTokenRequests).toBe(0)
  }, 60_000)
})
