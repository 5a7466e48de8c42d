// @vitest-environment happy-dom
// #region msw-dom
import { setupServer } from 'msw/node'
import { createPinia } from 'pinia'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createApp } from 'vue'
import { createAuth } from 'vue-refresh-auth'
import { createFakeAuthServer } from 'vue-refresh-auth/testing'

// In a DOM environment the fake server takes the page's origin, and relative URLs just work.
const fake = createFakeAuthServer()
fake.route('GET', '/api/me', (_request, claims) => ({ id: claims.sub }))
const msw = setupServer(...fake.handlers)

beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }))
afterAll(() => msw.close())

it('signs in and calls the API through MSW in happy-dom', async () => {
  const auth = createAuth({ baseURL: '/api', restore: false, crossTab: false })
  createApp({ render: () => null })
    .use(createPinia())
    .use(auth)
  await auth.store.login({ username: 'alice', password: 'alice-password' })
  fake.expireAccessTokens()
  expect(await auth.fetch('/me')).toEqual({ id: 'alice' })
  expect(fake.stats.refreshes).toBe(1)
})
// #endregion msw-dom
