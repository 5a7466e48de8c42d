// The other doors in Chromium (issue 12): openapi-fetch over useFetchWithAuth(), typed from the demo
// server's OpenAPI document, and axios with withAuth across origins with credentials. The playground
// runs on one origin; a second demo server, sharing its sessions and signing key, is a second API
// origin that allows it with CORS; a third origin is not allowed and must never see the token.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createDemoServer } from '../../playground/server/app.js'
import {
  launchBrowser,
  pageErrors,
  signIn,
  startPlayground,
  waitForPage,
  type Browser,
  type Playground,
} from './harness'

const secret = randomBytes(32)
let playground: Playground
let browser: Browser
const others: { url: string; demo: ReturnType<typeof createDemoServer>; close(): Promise<void> }[] =
  []

beforeAll(async () => {
  playground = await startPlayground({ accessTtl: 30, secret })
  for (let i = 0; i < 2; i++) {
    const demo = createDemoServer({
      accessTtl: 30,
      secret,
      store: playground.demo.store,
      corsOrigins: [playground.url],
    })
    others.push({ demo, ...(await demo.listen()) })
  }
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  for (const other of others) await other.close()
  await playground?.close()
})

it('answers openapi-fetch and cross-origin axios through the same session, and never sends the token elsewhere', async () => {
  const [api, elsewhere] = others
  const page = await browser.newPage()
  const errors = pageErrors(page)
  await page.goto(`${playground.url}/login`)
  await signIn(page, { username: 'alice', password: 'alice-password' })
  await waitForPage(page, 'dashboard')
  await page.goto(`${playground.url}/?api=${api!.url}&elsewhere=${elsewhere!.url}`)
  await waitForPage(page, 'dashboard')
  const { demo } = playground
  demo.resetStats()
  // Both doors meet a 401 first: each shares a refresh and replays.
  demo.faults.api.push({ status: 401 })
  api!.demo.faults.api.push({ status: 401 })
  await page.getByTestId('doors-run').click()
  await page.locator('[data-testid="doors-results"][data-done="true"]').waitFor()

  const result = async (name: string) =>
    JSON.parse((await page.getByTestId(`doors-${name}`).textContent()) ?? 'null')
  // openapi-fetch, typed from playground/server/openapi.json: the user of the token's claims.
  expect(await result('openapi')).toMatchObject({ id: 'alice', name: 'Alice', roles: ['user'] })
  // axios to the second origin: the token accepted there, and its cookie sent back (withCredentials).
  expect(await result('axios')).toEqual({ user: 'alice', cookies: ['demo_visit'] })
  // The origin that is not allowed saw no Authorization header.
  expect(await result('elsewhere')).toEqual({ sent: false })
  expect(elsewhere!.demo.stats.apiRequests).toBe(0)
  // Two 401s, at most two refreshes (each door's, or one shared), no reuse.
  expect(demo.stats.refreshes).toBeGreaterThanOrEqual(1)
  expect(demo.stats.refreshes).toBeLessThanOrEqual(2)
  expect(demo.stats.reuseDetections).toBe(0)
  // The second origin answered the 401 (the injected fault), then the replay and two more calls.
  expect(api!.demo.faults.api).toHaveLength(0)
  expect(api!.demo.stats.apiRequests).toBe(4)
  expect(errors).toEqual([])
}, 60_000)
