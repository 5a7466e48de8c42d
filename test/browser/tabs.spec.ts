// Several tabs of one browser profile share one HttpOnly refresh cookie. With rotation and reuse
// detection on the server, two tabs refreshing at once would log the user out everywhere; these
// tests run real tabs in Chromium against the demo server to show that it does not happen.
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

async function openTabs(browser: Browser, url: string, count: number, query = '') {
  const first = await browser.newPage()
  await first.goto(`${url}/login${query}`)
  await signIn(first, alice)
  await waitForPage(first, 'dashboard')
  const tabs = [first]
  for (let i = 1; i < count; i++) {
    const tab = await browser.newPage()
    // A later tab restores from the cookie, or from a live tab over the channel.
    await tab.goto(`${url}/${query}`)
    await waitForPage(tab, 'dashboard')
    tabs.push(tab)
  }
  return tabs
}

const soakResult = (tab: Page) => tab.getByTestId('soak-result')

describe('four tabs, 2 s tokens, rotation with reuse detection', () => {
  let playground: Playground
  let browser: Browser
  beforeAll(async () => {
    playground = await startPlayground({ accessTtl: 2 })
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await playground?.close()
  })

  it('keeps every tab signed in through 30 s of requests, with no reuse detected', async () => {
    const tabs = await openTabs(browser, playground.url, 4)
    const errors = tabs.map(pageErrors)
    const { demo } = playground
    demo.resetStats()
    const started = Date.now()
    await Promise.all(tabs.map((tab) => tab.getByTestId('soak').click()))
    for (const tab of tabs) {
      await soakResult(tab).and(tab.locator('[data-done="true"]')).waitFor({ timeout: 60_000 })
    }
    const seconds = (Date.now() - started) / 1000
    const results = await Promise.all(
      tabs.map(async (tab) => ({
        ok: Number(await soakResult(tab).getAttribute('data-ok')),
        failed: Number(await soakResult(tab).getAttribute('data-failed')),
      })),
    )
    for (const result of results) {
      expect(result.failed).toBe(0)
      expect(result.ok).toBeGreaterThan(0)
    }
    expect(demo.stats.reuseDetections).toBe(0)
    expect(demo.stats.refreshRejected).toBe(0)
    expect(demo.stats.refreshes).toBeGreaterThan(0)
    // With 2 s tokens a tab may be refreshing at the instant we look (stop 18's CI caught one), so
    // wait for it to be signed in again: a tab that was logged out stays on the login page and fails.
    for (const tab of tabs) {
      await tab
        .locator('[data-testid="status"][data-status="authenticated"]')
        .waitFor({ timeout: 10_000 })
      expect(new URL(tab.url()).pathname).toBe('/')
    }
    expect(errors.flat()).toEqual([])
    const requests = results.reduce((sum, r) => sum + r.ok, 0)
    console.info(
      `[tabs] ${seconds.toFixed(1)} s soak, 4 tabs: ${requests} requests, ${demo.stats.refreshes} refreshes ` +
        `(${((demo.stats.refreshes / seconds) * 60).toFixed(0)}/min, ${(demo.stats.refreshes / (seconds / 2)).toFixed(2)} per 2 s token lifetime), ` +
        `${demo.stats.api401} API 401s, ${demo.stats.reuseDetections} reuse detections, ${demo.stats.refreshRejected} rejected refreshes`,
    )
  }, 120_000)

  it('takes every tab to the login page when one tab logs out', async () => {
    const tabs = browser.context.pages().slice(0, 4)
    expect(tabs).toHaveLength(4)
    // Each tab notes, on the shared system clock, when its login page appears.
    for (const tab of tabs) {
      await tab.evaluate(() => {
        new MutationObserver((_, observer) => {
          if (!document.querySelector('[data-page="login"]')) return
          observer.disconnect()
          ;(window as { loginAt?: number }).loginAt = Date.now()
        }).observe(document, { childList: true, subtree: true })
      })
    }
    const clickedAt = await tabs[0]!.evaluate(() => {
      document.querySelector<HTMLButtonElement>('[data-testid="logout"]')!.click()
      return Date.now()
    })
    for (const tab of tabs) await waitForPage(tab, 'login')
    const delays = await Promise.all(
      tabs.map(
        async (tab) =>
          (await tab.evaluate(() => (window as { loginAt?: number }).loginAt!)) - clickedAt,
      ),
    )
    for (const tab of tabs) {
      expect(new URL(tab.url()).pathname).toBe('/login')
      expect(await tab.getByTestId('status').getAttribute('data-status')).toBe('unauthenticated')
    }
    console.info(`[tabs] logout reached the tabs after ${delays.join(', ')} ms`)
  })
})

describe('a tab frozen while it holds the refresh lock', () => {
  let playground: Playground
  let browser: Browser
  beforeAll(async () => {
    playground = await startPlayground({ accessTtl: 30 })
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await playground?.close()
  })

  it('delays the other tabs by no more than the lock timeout, then they go on', async () => {
    const lockTimeout = 3000
    const [frozen, other] = await openTabs(
      browser,
      playground.url,
      2,
      `?lockTimeout=${lockTimeout}`,
    )
    const { demo } = playground
    demo.resetStats()
    // Tab one starts a refresh that the server answers after 1 s, and is frozen meanwhile.
    demo.faults.refresh.push({ delayMs: 1000 })
    await frozen!.getByTestId('refresh-now').click()
    await expect.poll(() => demo.stats.refreshes).toBe(1)
    // Freeze the tab's JavaScript as a hung or frozen tab would be: its lock stays held.
    const cdp = await browser.cdp(frozen!)
    await cdp.send('Debugger.enable')
    await cdp.send('Debugger.pause')
    try {
      const started = Date.now()
      await other!.getByTestId('refresh-now').click()
      const result = other!.getByTestId('result')
      await result.and(other!.locator('[data-kind="ok"]')).waitFor({ timeout: lockTimeout * 4 })
      const delay = Date.now() - started
      expect(await result.textContent()).toContain('New access token')
      expect(demo.stats.refreshes).toBe(2)
      expect(demo.stats.reuseDetections).toBe(0)
      console.info(
        `[tabs] frozen lock holder delayed the other tab by ${delay} ms (lock timeout ${lockTimeout} ms)`,
      )
    } finally {
      await cdp.send('Debugger.resume')
      await cdp.send('Debugger.disable')
    }
    // The thawed tab carries on signed in too.
    await expect
      .poll(async () => frozen!.getByTestId('status').getAttribute('data-status'))
      .toBe('authenticated')
    expect(demo.stats.reuseDetections).toBe(0)
  }, 60_000)
})
