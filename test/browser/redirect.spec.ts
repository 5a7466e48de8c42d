// `?redirect=` after login in real Chromium: hostile values land on home, on the playground's own
// origin; a plain same-origin path lands intact.
import type { Page } from 'playwright-core'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { demoUsers } from '../../playground/server/users.js'
import {
  readBrowserStorage,
  signIn,
  waitForPage,
  type Browser,
  type Playground,
  type TokenCollector,
  usePlayground,
} from './harness'

let playground: Playground
let browser: Browser
let page: Page
let errors: string[]
let collected: TokenCollector
const offsite: string[] = []
const dialogs: string[] = []

// Nothing may even try to reach another host.
const env = usePlayground({}, (browser) =>
  browser.context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => {
      offsite.push(route.request().url())
      return route.abort()
    },
  ),
)
beforeAll(() => {
  ;({ playground, browser, page, errors, collected } = env)
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message())
    void dialog.dismiss()
  })
})

beforeEach(async () => {
  // Signed out: no refresh cookie, and the next page load starts with an empty memory.
  await browser.context.clearCookies()
})

const alice = demoUsers[0]!

/** Values of `redirect` as they appear in the URL (percent-encoded where a browser would drop them). */
const hostile = [
  '//evil.example',
  'https://evil.example',
  '/\\evil.example',
  'javascript:alert(1)',
  '%2F%2Fevil.example',
  '/%5Cevil.example',
  '/%2F%2Fevil.example',
  '%252F%252Fevil.example',
  '/%09/evil.example',
  '/%0A/evil.example',
  '%09//evil.example',
  '/%0D%0A/evil.example',
]

describe('the redirect after login', () => {
  it.each(hostile)('lands on home for ?redirect=%s', async (value) => {
    await page.goto(`${playground.url}/login?redirect=${value}`)
    await signIn(page, alice)
    await page.waitForURL((url) => url.pathname !== '/login')
    await waitForPage(page, 'dashboard')
    expect(page.url()).toBe(`${playground.url}/`)
    expect(offsite).toEqual([])
    expect(dialogs).toEqual([])
  })

  it('lands on a plain same-origin path with its query and hash intact', async () => {
    await page.goto(`${playground.url}/dashboard?x=1#h`)
    await waitForPage(page, 'login')
    expect(new URL(page.url()).searchParams.get('redirect')).toBe('/dashboard?x=1#h')
    await signIn(page, alice)
    await page.waitForURL((url) => url.pathname !== '/login')
    await waitForPage(page, 'dashboard')
    expect(page.url()).toBe(`${playground.url}/dashboard?x=1#h`)
  })

  it('lands on an encoded same-origin path too', async () => {
    await page.goto(`${playground.url}/login?redirect=${encodeURIComponent('/admin?tab=2#top')}`)
    await signIn(page, demoUsers[1]!)
    await waitForPage(page, 'admin')
    expect(page.url()).toBe(`${playground.url}/admin?tab=2#top`)
  })

  it('leaves no access token in storage or readable cookies', async () => {
    await collected.settled()
    expect(collected.tokens.size).toBeGreaterThanOrEqual(hostile.length + 2)
    const dump = JSON.stringify(await readBrowserStorage(page))
    for (const token of collected.tokens) expect(dump).not.toContain(token)
    expect(await page.evaluate(() => document.cookie)).not.toContain('refresh_token')
    expect(errors).toEqual([])
  })
})
