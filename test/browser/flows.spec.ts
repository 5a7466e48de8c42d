// The playground in real Chromium: sign-in, reload, 401 → refresh → replay, logout and the back
// button, route meta, and where the tokens (do not) end up. The tests share one tab, in order.
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { demoUsers } from '../../playground/server/users.js'
import {
  readBrowserStorage,
  renders,
  resetRenders,
  screenshot,
  signIn,
  waitForPage,
  type Browser,
  type Playground,
  type TokenCollector,
  usePlayground,
} from './harness'

const [alice, admin] = demoUsers as [(typeof demoUsers)[number], (typeof demoUsers)[number]]

let playground: Playground
let browser: Browser
let page: Page
let errors: string[]
let collected: TokenCollector

const env = usePlayground({ accessTtl: 30 })
beforeAll(() => {
  ;({ playground, browser, page, errors, collected } = env)
})

const path = () => {
  const { pathname, search, hash } = new URL(page.url())
  return pathname + search + hash
}
const text = (testId: string) => page.getByTestId(testId).innerText()
const status = () => page.getByTestId('status').getAttribute('data-status')
// The session events of the brief, newest first (cross-tab and socket events are left out).
const SESSION_EVENTS = [
  'login',
  'logout',
  'unauthorized',
  'refresh:start',
  'refresh:success',
  'refresh:failure',
  'replay',
  'session:expired',
]
const eventTypes = async () =>
  (
    await page
      .locator('[data-testid="event"]')
      .evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.type ?? ''))
  ).filter((type) => SESSION_EVENTS.includes(type))

describe('the playground in Chromium', () => {
  it('signs in to the dashboard, and shows the server’s message for a wrong password', async () => {
    await page.goto(`${playground.url}/login`)
    await page.getByTestId('demo-user-alice').click()
    expect(await page.getByTestId('username').inputValue()).toBe('alice')
    expect(await page.getByTestId('password').inputValue()).toBe('alice-password')

    await page.getByTestId('password').fill('not-the-password')
    await page.getByTestId('submit').click()
    const error = page.getByTestId('login-error')
    await error.waitFor()
    expect(await error.innerText()).toBe('Wrong username or password.')
    expect(await error.getAttribute('data-code')).toBe('invalid_credentials')
    expect(playground.demo.stats.loginFailures).toBe(1)

    await page.getByTestId('demo-user-alice').click()
    await page.getByTestId('submit').click()
    await waitForPage(page, 'dashboard')
    expect(path()).toBe('/')
    expect(await text('user-name')).toBe('Alice')
    expect(await text('roles')).toBe('user')
    expect(await text('claims')).toContain('alice')
    expect(await status()).toBe('authenticated')
    expect(await eventTypes()).toContain('login')
  })

  it('restores the session on reload without ever rendering the login page', async () => {
    const refreshes = playground.demo.stats.refreshes
    await page.reload()
    await waitForPage(page, 'dashboard')
    const seen = await renders(page)
    expect(seen).toContain('dashboard')
    expect(seen).not.toContain('login')
    expect(playground.demo.stats.refreshes).toBe(refreshes + 1)
    expect(await text('user-name')).toBe('Alice')
    expect(await eventTypes()).toEqual(['refresh:success', 'refresh:start'])
  })

  it('refreshes once and replays the request when the server revoked the access token', async () => {
    await page.getByTestId('expire-token').click()
    await page.locator('[data-testid="result"][data-kind="ok"]').waitFor()
    const { refreshes, api401 } = playground.demo.stats

    await page.getByTestId('load-data').click()
    await page.getByTestId('items').waitFor()
    expect(await text('result')).toContain('Loaded 3 items')
    expect(playground.demo.stats.api401).toBe(api401 + 1)
    expect(playground.demo.stats.refreshes).toBe(refreshes + 1)
    expect((await eventTypes()).slice(0, 4)).toEqual([
      'replay',
      'refresh:success',
      'refresh:start',
      'unauthorized',
    ])
  })

  it('shares one refresh between 20 parallel requests that all got 401', async () => {
    expect(await page.getByTestId('burst-expire-first').isChecked()).toBe(true)
    const { refreshes } = playground.demo.stats
    await page.getByTestId('burst').click()
    const result = page.getByTestId('burst-result')
    await result.waitFor()
    expect(await result.getAttribute('data-ok')).toBe('20')
    expect(await result.getAttribute('data-unauthorized')).toBe('20')
    expect(await result.getAttribute('data-refreshes')).toBe('1')
    expect(playground.demo.stats.refreshes).toBe(refreshes + 1)
    expect(await status()).toBe('authenticated')
  })

  it('saves screenshots of the dashboard at desktop and phone widths', async () => {
    await screenshot(page, 'dashboard-desktop')
    await page.setViewportSize({ width: 375, height: 812 })
    // Nothing may stick out sideways at phone width.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
    await screenshot(page, 'dashboard-375')
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  it('logs out to the login page, and the back button shows no protected content', async () => {
    const { logouts } = playground.demo.stats
    await resetRenders(page)
    await page.getByTestId('logout').click()
    await waitForPage(page, 'login')
    expect(path()).toBe('/login?redirect=/')
    expect(await status()).toBe('unauthenticated')
    await expect.poll(() => playground.demo.stats.logouts).toBe(logouts + 1)

    await page.goBack()
    await page.waitForURL((url) => url.pathname === '/login')
    await waitForPage(page, 'login')
    expect(await page.locator('[data-page="dashboard"]').count()).toBe(0)
    expect(await renders(page)).not.toContain('dashboard')

    // A fresh load cannot restore it either: the refresh token was revoked and its cookie cleared.
    await page.goto(`${playground.url}/`)
    await waitForPage(page, 'login')
    expect(await renders(page)).not.toContain('dashboard')
    expect(path()).toBe('/login?redirect=/')
  })

  it('keeps signed-in users off the login page, and sends users without a role to /forbidden', async () => {
    await signIn(page, alice)
    await waitForPage(page, 'dashboard')

    // guestOnly: a signed-in user asking for /login goes home, even on a fresh load.
    await page.goto(`${playground.url}/login`)
    await waitForPage(page, 'dashboard')
    expect(path()).toBe('/')
    expect(await renders(page)).not.toContain('login')

    // roles: alice lacks admin.
    await page.getByTestId('nav-admin').click()
    await waitForPage(page, 'forbidden')
    expect(path()).toBe('/forbidden?from=/admin')
    expect(await text('forbidden-message')).toContain('/admin')
    await page.goto(`${playground.url}/admin`)
    await waitForPage(page, 'forbidden')
    expect(await renders(page)).not.toContain('admin')

    await page.getByTestId('nav-dashboard').click()
    await page.getByTestId('logout').click()
    await signIn(page, admin)
    await waitForPage(page, 'dashboard')
    await page.getByTestId('nav-admin').click()
    await waitForPage(page, 'admin')
    expect(path()).toBe('/admin')
    await page.getByTestId('me').waitFor()
    expect(JSON.parse(await text('me'))).toEqual({
      id: 'admin',
      name: 'Ada Admin',
      roles: ['user', 'admin'],
    })
  })

  it('logs out everywhere: a session of the same user elsewhere ends too', async () => {
    // Another device: its own login, its own refresh cookie.
    const login = await fetch(`${playground.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: admin.username, password: admin.password }),
    })
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const refresh = () =>
      fetch(`${playground.url}/auth/refresh`, { method: 'POST', headers: { cookie } })

    await page.getByTestId('nav-dashboard').click()
    await page.getByTestId('logout-everywhere').click()
    await waitForPage(page, 'login')
    await expect.poll(async () => (await refresh()).status).toBe(401)
    expect(await page.locator('[data-type="logout"]').first().innerText()).toContain(
      'signed out everywhere',
    )
  })

  it('keeps every access token out of storage and out of readable cookies', async () => {
    await signIn(page, alice)
    await waitForPage(page, 'dashboard')
    await page.getByTestId('load-data').click()
    await page.getByTestId('items').waitFor()

    await collected.settled()
    const tokens = [...collected.tokens]
    // 4 logins; 5 refreshes (restores on reload, /login and /admin; the replay; the burst).
    expect(tokens.length).toBeGreaterThanOrEqual(9)
    for (const tab of browser.context.pages()) {
      const dump = JSON.stringify(await readBrowserStorage(tab))
      for (const token of tokens) {
        expect(dump).not.toContain(token)
        expect(dump).not.toContain(token.split('.')[2])
      }
      expect(await tab.evaluate(() => document.cookie)).not.toContain('refresh_token')
    }
    // The refresh token is there, but out of the page's reach.
    const cookies = await browser.context.cookies(playground.url + '/auth/refresh')
    expect(cookies).toEqual([
      expect.objectContaining({
        name: 'refresh_token',
        httpOnly: true,
        sameSite: 'Strict',
        path: '/auth',
      }),
    ])
    expect(errors).toEqual([])
  })
})
