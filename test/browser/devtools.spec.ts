// The Auth inspector in the real Vue DevTools: the playground on Vite's dev server with
// vite-plugin-vue-devtools, its overlay opened with Alt+Shift+D (a same-origin iframe).
import { createServer, type ViteDevServer } from 'vite'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { launchBrowser, screenshot, signIn, waitForPage, type Browser } from './harness'

let server: ViteDevServer
let browser: Browser
let url = ''

beforeAll(async () => {
  server = await createServer({
    configFile: 'playground/vite.config.ts',
    mode: 'development',
    server: { port: 0, host: '127.0.0.1' },
    logLevel: 'warn',
  })
  await server.listen()
  url = server.resolvedUrls!.local[0]!.replace(/\/$/, '')
  browser = await launchBrowser()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

it('shows the Auth inspector with a live expiry countdown in Vue DevTools', async () => {
  const page = await browser.newPage()
  await page.goto(`${url}/login`)
  await signIn(page, { username: 'alice', password: 'alice-password' })
  await waitForPage(page, 'dashboard')

  await page.keyboard.press('Alt+Shift+D')
  const frame = page.frameLocator('iframe[src*="__devtools__"]')
  await frame.locator('a[href="/custom-inspector-tab-view/vue-refresh-auth"]').click()
  const label = frame.getByText(/Session · expires in \d+ s/)
  await label.waitFor()
  const seconds = async () => Number(/(\d+) s/.exec((await label.textContent()) ?? '')![1])
  const first = await seconds()
  // The countdown moves on by itself while the inspector is shown.
  await expect.poll(seconds).toBeLessThan(first)

  // The session node's state: status, the masked token, the refresh mode; never a whole JWT.
  await label.click()
  const panel = async () => (await frame.locator('body').textContent()) ?? ''
  await expect.poll(panel).toMatch(/status\s*:\s*authenticated/)
  const state = await panel()
  expect(state).toMatch(/token\s*:\s*eyJ[\w-]{3}…\s*\(\d+\s+chars\)/)
  expect(state).toMatch(/mode\s*:\s*cookie/)
  expect(state).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/)
  await screenshot(page, 'devtools-auth-inspector')

  // The timeline of the plugin: refresh now, and its events show up.
}, 60_000)
