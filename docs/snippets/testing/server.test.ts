// @vitest-environment happy-dom
import { createPinia } from 'pinia'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { createApp } from 'vue'
import { createAuth, isAuthError, type AuthOptions } from 'vue-refresh-auth'
import { createFakeAuthServer } from 'vue-refresh-auth/testing'
import { users } from './app'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

// #region start
/** The real plugin, as the app creates it, against whatever the global fetch is. */
function startApp(options: AuthOptions = {}) {
  const auth = createAuth({ baseURL: '/api', restore: false, crossTab: false, ...options })
  createApp({ render: () => null })
    .use(createPinia())
    .use(auth)
  return auth
}
// #endregion start

// #region routes
it('serves the app’s own routes behind the token check', async () => {
  const server = createFakeAuthServer({ users })
  const saved: unknown[] = []
  server.route('GET', '/api/items', (_request, claims) => [`${claims.sub}’s list`])
  server.route('POST', '/api/items', async (request, claims) => {
    if (!claims.roles.includes('admin'))
      return Response.json({ error: 'forbidden' }, { status: 403 })
    saved.push(await request.json())
    return { ok: true }
  })
  vi.stubGlobal('fetch', server.fetch)
  const auth = startApp()
  await auth.store.login({ username: 'ada', password: 'ada-password' })

  expect(await auth.fetch('/items')).toEqual(['ada’s list'])
  await auth.fetch('/items', { method: 'POST', body: { title: 'Roadmap' } })
  expect(saved).toEqual([{ title: 'Roadmap' }])

  // What the server received: the token went with both requests.
  const api = server.requests.filter((request) => request.path === '/api/items')
  expect(api.map((request) => request.token)).toEqual([
    auth.store.accessToken,
    auth.store.accessToken,
  ])
  expect(server.stats).toMatchObject({ logins: 1, apiRequests: 2, unauthorized: 0 })
})
// #endregion routes

// #region faults
it('keeps the session through a refresh the server could not answer', async () => {
  const server = createFakeAuthServer()
  server.route('GET', '/api/items', () => [])
  vi.stubGlobal('fetch', server.fetch)
  const auth = startApp()
  await auth.store.login({ username: 'alice', password: 'alice-password' })

  server.expireAccessTokens()
  server.fail('refresh', { status: 503, retryAfter: 2 })
  const error = await auth.fetch('/items').catch((e: unknown) => e)
  expect(isAuthError(error, 'server')).toBe(true)
  expect(auth.store.isAuthenticated).toBe(true) // only a server saying no ends a session

  await vi.advanceTimersByTimeAsync(2000) // Retry-After, on the test's clock
  expect(await auth.fetch('/items')).toEqual([])
  expect(server.stats.refreshes).toBe(2)
})
// #endregion faults

it('reports a dropped connection as a network error', async () => {
  const server = createFakeAuthServer()
  vi.stubGlobal('fetch', server.fetch)
  const auth = startApp()
  server.fail('login', { drop: true })
  const error = await auth.store
    .login({ username: 'alice', password: 'alice-password' })
    .catch((e: unknown) => e)
  expect(isAuthError(error, 'network')).toBe(true)
})

// #region revoke
it('signs the user out when the server revokes the session', async () => {
  const server = createFakeAuthServer()
  server.route('GET', '/api/items', () => [])
  vi.stubGlobal('fetch', server.fetch)
  const onSessionExpired = vi.fn()
  const auth = startApp({ onSessionExpired })
  await auth.store.login({ username: 'alice', password: 'alice-password' })

  server.revoke('alice') // an admin ended it, or the password changed
  const error = await auth.fetch('/items').catch((e: unknown) => e)

  expect(isAuthError(error, 'session_expired')).toBe(true)
  expect(auth.store.status).toBe('unauthenticated')
  expect(onSessionExpired).toHaveBeenCalledOnce()
  expect(server.stats).toMatchObject({ unauthorized: 1, refreshRejected: 1 })
})
// #endregion revoke

// #region reload
it('restores the session after a reload, from the cookie', async () => {
  const server = createFakeAuthServer()
  vi.stubGlobal('fetch', server.fetch) // one cookie jar: one browser
  await startApp().store.login({ username: 'alice', password: 'alice-password' })

  const reloaded = startApp({ restore: true }) // a new app in the same browser
  await reloaded.ready
  expect(reloaded.store.claims?.sub).toBe('alice')
})
// #endregion reload

// #region client
it('signs every browser out with logout({ everywhere: true })', async () => {
  const server = createFakeAuthServer()
  vi.stubGlobal('fetch', server.fetch)
  const auth = startApp()
  await auth.store.login({ username: 'alice', password: 'alice-password' })

  // A second browser, with a cookie jar of its own, signs in too.
  const phone = server.client()
  await phone.fetch('/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
  })
  expect(phone.cookies.has('refresh_token')).toBe(true)

  await auth.store.logout({ everywhere: true })
  const refresh = await phone.fetch('/auth/refresh', { method: 'POST' })
  expect(refresh.status).toBe(401)
})
// #endregion client

// #region modes
it('speaks body mode, with the refresh token in the JSON', async () => {
  const server = createFakeAuthServer({ refresh: 'body' })
  vi.stubGlobal('fetch', server.fetch)
  const auth = startApp({
    tokens: {
      refresh: { read: (body) => body.refresh_token, send: (token) => ({ refresh_token: token }) },
    },
  })
  await auth.store.login({ username: 'alice', password: 'alice-password' })
  await auth.store.refresh()
  expect(server.cookies.size).toBe(0)
  expect(server.stats.refreshes).toBe(1)
})

it('checks a double-submit CSRF header on refresh and logout', async () => {
  const csrf = { header: 'x-csrf-token', cookie: 'csrf_token' }
  const server = createFakeAuthServer({ csrf })
  vi.stubGlobal('fetch', server.fetch)
  const auth = startApp({ csrf }) // copies the cookie into the header
  await auth.store.login({ username: 'alice', password: 'alice-password' })
  await auth.store.refresh()
  expect(server.requests.at(-1)?.headers.get('x-csrf-token')).toBe(server.cookies.get('csrf_token'))
})
// #endregion modes
