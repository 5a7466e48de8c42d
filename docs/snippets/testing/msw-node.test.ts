// @vitest-environment node
// #region msw-node
import { setupServer } from 'msw/node'
import { createPinia } from 'pinia'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createApp } from 'vue'
import { createAuth } from 'vue-refresh-auth'
import { createFakeAuthServer } from 'vue-refresh-auth/testing'

// Outside a browser there is no page origin: the fake server and the plugin use full URLs.
const fake = createFakeAuthServer({ origin: 'http://api.test' })
fake.route('GET', '/api/me', (_request, claims) => ({ id: claims.sub }))
const msw = setupServer(...fake.handlers)

beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }))
afterAll(() => msw.close())

it('signs in and calls the API through MSW in Node', async () => {
  const auth = createAuth({
    baseURL: 'http://api.test/api',
    restore: false,
    endpoints: {
      login: 'POST http://api.test/auth/login',
      refresh: 'POST http://api.test/auth/refresh',
      logout: 'POST http://api.test/auth/logout',
    },
  })
  createApp({ render: () => null })
    .use(createPinia())
    .use(auth)
  await auth.store.login({ username: 'alice', password: 'alice-password' })
  fake.expireAccessTokens()
  expect(await auth.fetch('/me')).toEqual({ id: 'alice' })
  expect(fake.stats.refreshes).toBe(1)
})
// #endregion msw-node
