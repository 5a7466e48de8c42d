// A tab left idle past the access token's lifetime: the next action still succeeds, through a silent
// refresh, with no logout. The only wall-clock wait in the browser suite: a 2 s token running out.
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { demoUsers } from '../../playground/server/users.js'
import {
  readBrowserStorage,
  renders,
  resetRenders,
  signIn,
  waitForPage,
  type Playground,
  type TokenCollector,
  usePlayground,
} from './harness'

const ACCESS_TTL = 2

let playground: Playground
let page: Page
let errors: string[]
let collected: TokenCollector

const env = usePlayground({ accessTtl: ACCESS_TTL })
beforeAll(() => {
  ;({ playground, page, errors, collected } = env)
})

const eventTypes = () =>
  page
    .locator('[data-testid="event"]')
    .evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.type))

describe('an idle tab', () => {
  it('loads data after idling past the token’s lifetime, through a silent refresh', async () => {
    // ?leeway=0 turns the proactive refresh off, so the tab really sits on an expired token.
    await page.goto(`${playground.url}/login?leeway=0`)
    await signIn(page, demoUsers[0]!)
    await waitForPage(page, 'dashboard')
    expect(await page.getByTestId('proactive').innerText()).toMatch(/^off/)
    const { refreshes, logouts, refreshRejected } = playground.demo.stats
    await resetRenders(page)

    // Idle until the countdown says the token is gone (≈ ACCESS_TTL s); nothing refreshes meanwhile.
    await page.getByTestId('token-expired').waitFor({ timeout: (ACCESS_TTL + 3) * 1000 })
    expect(playground.demo.stats.refreshes).toBe(refreshes)

    await page.getByTestId('load-data').click()
    await page.getByTestId('items').waitFor()
    expect(await page.getByTestId('result').getAttribute('data-kind')).toBe('ok')
    expect(playground.demo.stats.refreshes).toBe(refreshes + 1)
    expect(playground.demo.stats.refreshRejected).toBe(refreshRejected)
    expect(playground.demo.stats.logouts).toBe(logouts)
    expect(await page.getByTestId('status').getAttribute('data-status')).toBe('authenticated')
    expect(new URL(page.url()).pathname).toBe('/')
    expect(await renders(page)).not.toContain('login')
    const events = await eventTypes()
    expect(events).toContain('refresh:success')
    expect(events).not.toContain('logout')
    expect(events).not.toContain('session:expired')
  })

  it('refreshes ahead of expiry by itself with the default leeway', async () => {
    // Without ?leeway, a 2 s token is refreshed after half its lifetime, before anything fails.
    await page.goto(`${playground.url}/`)
    await waitForPage(page, 'dashboard')
    const { refreshes, api401 } = playground.demo.stats
    await page
      .locator('[data-type="refresh:start"]', { hasText: 'refreshing the access token' })
      .waitFor({ timeout: ACCESS_TTL * 1000 })
    await expect.poll(() => playground.demo.stats.refreshes).toBe(refreshes + 1)
    expect(playground.demo.stats.api401).toBe(api401)
    expect(await page.getByTestId('token-expired').count()).toBe(0)
  })

  it('leaves no access token in storage or readable cookies', async () => {
    await collected.settled()
    expect(collected.tokens.size).toBeGreaterThanOrEqual(3)
    const dump = JSON.stringify(await readBrowserStorage(page))
    for (const token of collected.tokens) expect(dump).not.toContain(token)
    expect(await page.evaluate(() => document.cookie)).not.toContain('refresh_token')
    expect(errors).toEqual([])
  })
})
