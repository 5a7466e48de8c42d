// @vitest-environment happy-dom
// #region parallel
import { createPinia } from 'pinia'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { createApp } from 'vue'
import { createAuth } from 'vue-refresh-auth'
import { createFakeAuthServer } from 'vue-refresh-auth/testing'

beforeEach(() => {
  vi.useFakeTimers() // the fake server's tokens live on this clock
})
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

it('refreshes once for 50 parallel requests after the access tokens expire', async () => {
  const server = createFakeAuthServer({ accessTtl: 300 })
  server.route('GET', '/api/items', (_request, claims) => ({ for: claims.sub }))
  vi.stubGlobal('fetch', server.fetch)
  // The real plugin, as the app creates it, against the fake server.
  const auth = createAuth({ baseURL: '/api', restore: false, crossTab: false })
  createApp({ render: () => null })
    .use(createPinia())
    .use(auth)
  await auth.store.login({ username: 'alice', password: 'alice-password' })

  server.expireAccessTokens()
  const results = await Promise.all(Array.from({ length: 50 }, () => auth.fetch('/items')))

  expect(results).toEqual(Array(50).fill({ for: 'alice' }))
  expect(server.stats.refreshes).toBe(1)
  expect(server.stats.reuseDetections).toBe(0)
})
// #endregion parallel

it('refreshes ahead of expiry on the test’s clock, so no request meets an expired token', async () => {
  const server = createFakeAuthServer({ accessTtl: 60 })
  server.route('GET', '/api/items', () => [])
  vi.stubGlobal('fetch', server.fetch)
  const auth = createAuth({ baseURL: '/api', restore: false, crossTab: false })
  createApp({ render: () => null })
    .use(createPinia())
    .use(auth)
  await auth.store.login({ username: 'alice', password: 'alice-password' })
  for (let minute = 0; minute < 5; minute++) {
    await vi.advanceTimersByTimeAsync(60_000)
    await auth.fetch('/items')
  }
  expect(server.stats.expiredTokenRequests).toBe(0)
  expect(server.stats.refreshes).toBeGreaterThanOrEqual(5)
})
