// @vitest-environment node
// Against a running auth server: your own, or this repository's demo server (`npm run server`).
import makeFetchCookie from 'fetch-cookie'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { afterEach, expect, it, vi } from 'vitest'
import { createAuth, isAuthError } from 'vue-refresh-auth'

const server = process.env.AUTH_SERVER_URL ?? 'http://127.0.0.1:3001'
const realFetch = globalThis.fetch

afterEach(() => {
  vi.unstubAllGlobals()
})

function signedOut() {
  // Node's fetch keeps no cookies; fetch-cookie gives it a jar, as a browser has.
  vi.stubGlobal('fetch', makeFetchCookie(realFetch))
  const auth = createAuth({
    baseURL: `${server}/api`,
    // Outside a browser there is no page origin: give the endpoints as full URLs.
    endpoints: {
      login: `POST ${server}/auth/login`,
      refresh: `POST ${server}/auth/refresh`,
      logout: `POST ${server}/auth/logout`,
    },
    crossTab: false,
    devtools: false,
  })
  createApp({ render: () => null })
    .use(createPinia())
    .use(auth)
  return auth
}

it('signs in, refreshes with a rotated cookie, and signs out', async () => {
  const auth = signedOut()
  await auth.store.login({ username: 'alice', password: 'alice-password' })
  const first = auth.store.accessToken

  await auth.store.refresh()
  expect(auth.store.accessToken).not.toBe(first)
  expect(await auth.fetch('/me')).toMatchObject({ name: expect.any(String) })

  await auth.store.logout()
  // The cookie was revoked and cleared: no refresh can bring the session back.
  const error = await auth.store.refresh().catch((e: unknown) => e)
  expect(isAuthError(error)).toBe(true)
  expect(auth.store.status).toBe('unauthenticated')
})
