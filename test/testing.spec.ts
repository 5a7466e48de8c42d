// @vitest-environment happy-dom
// The testing kit (vue-refresh-auth/testing) as an app's tests use it: createTestingAuth({ createSpy: vi.fn }) in place
// of createAuth(), and createFakeAuthServer() as the backend of a real session.
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, defineComponent, effectScope, h } from 'vue'
import { createMemoryHistory, createRouter, RouterView } from 'vue-router'
import { isAuthError, useAuth, useAuthFetch, useFetchWithAuth, useTokenExpiry } from '../src'
import { createFakeAuthServer, createTestingAuth } from '../src/testing'
import { setupServer } from 'msw/node'
import { decodeJwt } from 'jose'
import { setupAuth } from './utils'

const Profile = defineComponent(() => {
  const auth = useAuth()
  return () =>
    h('p', auth.isAuthenticated ? `${String(auth.user?.name)} (${auth.roles.join(', ')})` : 'guest')
})

describe('createTestingAuth', () => {
  it('starts in initialState, with claims and roles from a matching token', () => {
    const auth = createTestingAuth({
      createSpy: vi.fn,
      initialState: { user: { name: 'Ada' }, claims: { sub: 'ada', roles: ['admin', 'user'] } },
    })
    const wrapper = mount(Profile, { global: { plugins: [createPinia(), auth] } })
    expect(wrapper.text()).toBe('Ada (admin, user)')
    expect(auth.store.status).toBe('authenticated')
    expect(auth.store.claims).toMatchObject({ sub: 'ada', roles: ['admin', 'user'] })
    expect(auth.store.hasRole('admin')).toBe(true)
    expect(auth.store.accessToken?.split('.')).toHaveLength(3)
  })

  it('puts roles given alone into the claims, and honours expiresAt', () => {
    const expiresAt = Date.now() + 5 * 60_000
    const auth = createTestingAuth({
      createSpy: vi.fn,
      initialState: { roles: ['editor'], expiresAt },
    })
    createApp({ render: () => null })
      .use(createPinia())
      .use(auth)
    expect(auth.store.roles).toEqual(['editor'])
    expect(auth.store.claims?.roles).toEqual(['editor'])
    expect(auth.store.expiresAt).toBe(expiresAt)
  })

  it('stubs the actions with spies by default, which send nothing', async () => {
    const fetch = vi.fn()
    vi.stubGlobal('fetch', fetch)
    const auth = createTestingAuth({ createSpy: vi.fn })
    mount(Profile, { global: { plugins: [createPinia(), auth] } })
    await auth.store.login({ username: 'ada', password: 'x' })
    await auth.store.logout()
    expect(auth.store.login).toHaveBeenCalledWith({ username: 'ada', password: 'x' })
    expect(auth.store.logout).toHaveBeenCalledOnce()
    expect(auth.store.isAuthenticated).toBe(false)
    expect(fetch).not.toHaveBeenCalled()
  })

  it('takes spies from createSpy, and runs the real actions through them with stubActions: false', async () => {
    const server = createFakeAuthServer()
    vi.stubGlobal('fetch', server.fetch)
    const createSpy = vi.fn((fn?: (...args: any[]) => any) => vi.fn(fn))
    const auth = createTestingAuth({ stubActions: false, createSpy })
    createApp({ render: () => null })
      .use(createPinia())
      .use(auth)
    await auth.store.login({ username: 'alice', password: 'alice-password' })
    expect(createSpy).toHaveBeenCalledTimes(5)
    expect(auth.store.login).toHaveBeenCalledOnce()
    expect(auth.store.isAuthenticated).toBe(true)
    expect(server.stats.logins).toBe(1)
  })

  it('restores from the fake server’s refresh cookie when the test calls restore() with stubActions: false', async () => {
    const server = createFakeAuthServer()
    vi.stubGlobal('fetch', server.fetch)
    // An earlier visit signed in: the refresh cookie is in the (one) browser's jar.
    await server.fetch('/auth/login', {
      method: 'POST',
      body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
    })
    const auth = createTestingAuth({ stubActions: false, createSpy: vi.fn })
    createApp({ render: () => null })
      .use(createPinia())
      .use(auth)
    // Nothing restores by itself.
    expect(auth.store.status).toBe('unauthenticated')
    expect(server.stats.refreshes).toBe(0)
    await auth.store.restore()
    expect(auth.store.isAuthenticated).toBe(true)
    expect(server.stats.refreshes).toBe(1)
  })

  it('retries a refresh that failed on a 5xx on the backoff timer, as the app does, with stubActions: false', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
    try {
      const server = createFakeAuthServer()
      vi.stubGlobal('fetch', server.fetch)
      const auth = createTestingAuth({ stubActions: false, createSpy: vi.fn })
      createApp({ render: () => null })
        .use(createPinia())
        .use(auth)
      await auth.store.login({ username: 'alice', password: 'alice-password' })
      server.fail('refresh', { status: 503 })
      await auth.store.refresh().catch(() => {})
      expect(auth.store.error?.code).toBe('server')
      expect(auth.store.isAuthenticated).toBe(true)
      await vi.advanceTimersByTimeAsync(30_000)
      // The failed refresh and its retry.
      expect(server.stats.refreshes).toBe(2)
      expect(auth.store.error).toBeNull()
    } finally {
      vi.useRealTimers()
    }
  })

  it('lends its token to every door, for allowed origins only', async () => {
    const fetch = vi.fn(
      async () => new Response('{}', { headers: { 'content-type': 'application/json' } }),
    )
    vi.stubGlobal('fetch', fetch)
    const auth = createTestingAuth({ createSpy: vi.fn, initialState: { user: { name: 'Ada' } } })
    const app = createApp({ render: () => null })
      .use(createPinia())
      .use(auth)
    await app.runWithContext(() => useAuthFetch())('/api/items')
    await app.runWithContext(() => useFetchWithAuth())('/api/more')
    await auth.fetchWithAuth('https://elsewhere.example/x')
    const sent = fetch.mock.calls.map(([input, init]: any[]) =>
      new Headers(init?.headers ?? (input instanceof Request ? input.headers : {})).get(
        'authorization',
      ),
    )
    expect(sent).toEqual([
      `Bearer ${auth.store.accessToken}`,
      `Bearer ${auth.store.accessToken}`,
      null,
    ])
  })

  it('runs no timer, no channel and no request of its own', async () => {
    vi.useFakeTimers()
    try {
      const fetch = vi.fn()
      vi.stubGlobal('fetch', fetch)
      const Channel = vi.fn()
      vi.stubGlobal('BroadcastChannel', Channel)
      const auth = createTestingAuth({
        createSpy: vi.fn,
        initialState: { user: { name: 'Ada' }, expiresAt: Date.now() + 2000 },
      })
      mount(Profile, { global: { plugins: [createPinia(), auth] } })
      await vi.advanceTimersByTimeAsync(60_000)
      expect(vi.getTimerCount()).toBe(0)
      expect(fetch).not.toHaveBeenCalled()
      expect(Channel).not.toHaveBeenCalled()
    } finally {
      vi.useRealTimers()
    }
  })

  it('answers a 401 with a token for the same claims, without the network, and replays once', async () => {
    const seen: (string | null)[] = []
    vi.stubGlobal('fetch', async (_input: unknown, init?: RequestInit) => {
      seen.push(new Headers(init?.headers).get('authorization'))
      return seen.length === 1
        ? new Response('{}', { status: 401 })
        : new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } })
    })
    const auth = createTestingAuth({
      createSpy: vi.fn,
      initialState: { claims: { sub: 'ada', roles: ['user'] } },
    })
    createApp({ render: () => null })
      .use(createPinia())
      .use(auth)
    const before = auth.store.accessToken
    expect(await auth.fetch('/api/items')).toEqual({ ok: true })
    expect(seen).toHaveLength(2)
    expect(seen[1]).not.toBe(`Bearer ${before}`)
    expect(auth.store.claims).toMatchObject({ sub: 'ada', roles: ['user'] })
  })

  it('drives the guards, and a session that expires on a protected page leads to the login page', async () => {
    const page = (name: string) => defineComponent({ render: () => h('p', name) })
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/', component: page('home') },
        { path: '/login', component: page('login'), meta: { guestOnly: true } },
        { path: '/admin', component: page('admin'), meta: { roles: ['admin'] } },
      ],
    })
    const onSessionExpired = vi.fn()
    const auth = createTestingAuth({
      createSpy: vi.fn,
      router,
      onSessionExpired,
      initialState: { user: { name: 'Ada' }, roles: ['admin'] },
    })
    const wrapper = mount(defineComponent({ render: () => h(RouterView) }), {
      global: { plugins: [createPinia(), router, auth] },
    })
    await router.push('/admin')
    expect(wrapper.text()).toBe('admin')
    auth.endSession()
    await flushPromises()
    expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/admin')
    expect(wrapper.text()).toBe('login')
    expect(onSessionExpired).toHaveBeenCalledOnce()
    expect(isAuthError(auth.store.error, 'session_expired')).toBe(true)
    // Signed in again (as another tab would): the login page sends the user back where they were.
    auth.setSession({ user: { name: 'Ada' }, roles: ['admin'] })
    await flushPromises()
    expect(router.currentRoute.value.path).toBe('/admin')
    // Each session expires once; with none, there is nothing to tell the app.
    auth.endSession()
    auth.endSession()
    expect(onSessionExpired).toHaveBeenCalledTimes(2)
  })

  it.each(['restoring', 'unknown'] as const)(
    'holds the first navigation while the status is %s, until setSession settles it',
    async (status) => {
      const router = createRouter({
        history: createMemoryHistory(),
        routes: [
          { path: '/', component: { render: () => h('p', 'home') }, meta: { requiresAuth: true } },
          { path: '/login', component: { render: () => h('p', 'login') } },
        ],
      })
      const auth = createTestingAuth({
        createSpy: vi.fn,
        router,
        initialState: { status },
      })
      const wrapper = mount(defineComponent({ render: () => h(RouterView) }), {
        global: { plugins: [createPinia(), router, auth] },
      })
      void router.push('/')
      await flushPromises()
      expect(wrapper.text()).toBe('')
      auth.setSession({ user: { name: 'Ada' } })
      await flushPromises()
      expect(wrapper.text()).toBe('home')
    },
  )

  it('takes roles that fit the claims in any order, and no others', () => {
    const make = (roles: string[]) => () =>
      createTestingAuth({
        createSpy: vi.fn,
        initialState: { claims: { roles: ['a', 'b'] }, roles },
      })
    expect(make(['b', 'a'])).not.toThrow()
    expect(make(['a', 'c'])).toThrowError(/do not fit its claims/)
    expect(make(['b', 'b'])).toThrowError(/do not fit its claims/)
    expect(make(['a'])).toThrowError(/do not fit its claims/)
    expect(make(['a', 'b', 'c'])).toThrowError(/do not fit its claims/)
    expect(() =>
      createTestingAuth({
        createSpy: vi.fn,
        initialState: { claims: { roles: ['b', 'a'] }, roles: ['a', 'b'] },
      }),
    ).not.toThrow()
  })

  it('explains roles that do not fit the claims', () => {
    expect(() =>
      createTestingAuth({
        createSpy: vi.fn,
        initialState: { claims: { roles: ['user'] }, roles: ['admin'] },
      }),
    ).toThrowError(/initialState\.roles \[admin\] do not fit its claims/)
    const error = (() => {
      try {
        createTestingAuth({
          createSpy: vi.fn,
          initialState: { claims: { roles: ['user'] }, roles: ['admin'] },
        })
      } catch (caught) {
        return caught
      }
    })()
    expect(isAuthError(error, 'misconfigured')).toBe(true)
  })

  it('explains a test that forgot Pinia', () => {
    const auth = createTestingAuth({ createSpy: vi.fn })
    expect(() => mount(Profile, { global: { plugins: [auth] } })).toThrowError(
      /createTestingAuth\(\) was installed before Pinia/,
    )
  })

  it('explains where spies come from when there is no vi or jest global', () => {
    expect(() => createTestingAuth()).toThrowError(/createSpy/)
    // With the test runner's globals (Vitest's globals: true, or Jest), they come from there.
    vi.stubGlobal('vi', { fn: vi.fn })
    expect(() => createTestingAuth()).not.toThrow()
  })
})

describe('createTestingAuth, waiting states', () => {
  it('keeps auth.ready pending for a session seeded as restoring, until the test settles it', async () => {
    const auth = createTestingAuth({ createSpy: vi.fn, initialState: { status: 'restoring' } })
    mount(defineComponent({ render: () => h('p') }), { global: { plugins: [createPinia(), auth] } })
    let ready = false
    void auth.ready.then(() => (ready = true))
    await flushPromises()
    expect(ready).toBe(false)
    auth.setSession({ user: { name: 'Ada' } })
    await flushPromises()
    expect(ready).toBe(true)
  })
})

describe('createTestingAuth, the countdown', () => {
  it('counts a session set mid-test from that moment, at once', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
    try {
      const auth = createTestingAuth({ createSpy: vi.fn, initialState: { user: { name: 'Ada' } } })
      const app = createApp({ render: () => null })
        .use(createPinia())
        .use(auth)
      const scope = effectScope()
      const expiry = app.runWithContext(() => scope.run(() => useTokenExpiry()))!
      vi.advanceTimersByTime(500) // between two ticks of the countdown
      auth.setSession({ user: { name: 'Ada' }, expiresAt: Date.now() + 10_000 })
      expect(expiry.secondsLeft.value).toBe(10)
      scope.stop()
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('createTestingAuth, its tokens', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1, 12, 0, 0, 500) })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  function installed(options: Parameters<typeof createTestingAuth>[0]) {
    const auth = createTestingAuth({ createSpy: vi.fn, ...options })
    createApp({}).use(createPinia()).use(auth)
    return auth
  }

  it('makes a token for the state: an hour by default, sub from the user, iat and exp in seconds', () => {
    const now = Date.now()
    const auth = installed({ initialState: { user: { id: 7 } } })
    expect(auth.store.expiresAt).toBe(now + 3_600_000)
    expect(auth.store.claims).toMatchObject({
      sub: '7',
      iat: Math.floor(now / 1000),
      exp: Math.floor((now + 3_600_000) / 1000),
    })
    auth.setSession({ user: { username: 'ada', id: 7 } })
    expect(auth.store.claims).toMatchObject({ sub: 'ada' })
    auth.setSession({ roles: ['admin'] })
    expect(auth.store.claims).toMatchObject({ sub: 'test-user', roles: ['admin'] })
  })

  it('writes its tokens as JWTs a server library reads: base64url without padding', () => {
    // Claims of three lengths, so that one of them needs two padding characters in base64.
    for (const name of ['A', 'Ab', 'Abc']) {
      const auth = installed({ initialState: { user: { name }, claims: { name } } })
      const token = auth.store.accessToken!
      expect(token).toMatch(/^[\w-]+\.[\w-]+\.$/)
      expect(decodeJwt(token)).toMatchObject({ name })
    }
  })

  it('holds the token while refreshing, and sends it', async () => {
    const auth = installed({ initialState: { status: 'refreshing', user: { id: 1 } } })
    expect(auth.store.accessToken).not.toBeNull()
    const seen: (string | null)[] = []
    vi.stubGlobal('fetch', async (_input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(new Headers(init?.headers).get('authorization'))
      return new Response('{}', { headers: { 'content-type': 'application/json' } })
    })
    auth.setSession({ user: { id: 1 } })
    await auth.fetchWithAuth('/api/x')
    expect(seen).toEqual([`Bearer ${auth.store.accessToken}`])
  })

  it('answers the session’s own refresh after a 401 with a new token of the same claims and lifetime', async () => {
    const auth = installed({
      initialState: { claims: { sub: 'ada', roles: ['admin'] }, expiresAt: Date.now() + 600_000 },
    })
    const first = auth.store.accessToken
    let calls = 0
    vi.stubGlobal('fetch', async () => new Response(null, { status: ++calls === 1 ? 401 : 200 }))
    const response = await auth.fetchWithAuth('/api/x')
    expect(response.status).toBe(200)
    expect(auth.store.accessToken).not.toBe(first)
    expect(auth.store.claims).toMatchObject({ sub: 'ada', roles: ['admin'] })
    const claims = auth.store.claims as { iat: number; exp: number; jti: string }
    expect(claims.exp - claims.iat).toBe(600)
    expect(claims.iat).toBe(Math.floor(Date.now() / 1000))
    expect(claims.jti).toBe('test-1')
    expect(auth.store.expiresAt).toBeGreaterThan(Date.now() + 590_000)
    expect(auth.store.expiresAt).toBeLessThanOrEqual(Date.now() + 600_000)
  })
})

describe('createFakeAuthServer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  const post = (server: { fetch: typeof fetch }, path: string, body?: unknown, headers = {}) =>
    server.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  const alice = { username: 'alice', password: 'alice-password' }

  it('rejects a request whose signal aborts, also while a fault delays its answer, as fetch does', async () => {
    const server = createFakeAuthServer()
    server.fail('login', { delay: 10_000 })
    const controller = new AbortController()
    const sent = server.fetch('/auth/login', {
      method: 'POST',
      body: JSON.stringify(alice),
      signal: controller.signal,
    })
    await vi.advanceTimersByTimeAsync(1_000)
    controller.abort()
    await expect(sent).rejects.toMatchObject({ name: 'AbortError' })
    await expect(server.fetch('/auth/me', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    })
  })

  it('revokes the session on logout, so a copy of its refresh token is refused after', async () => {
    const server = createFakeAuthServer({ refresh: 'body' })
    const { refresh_token } = await (await post(server, '/auth/login', alice)).json()
    await post(server, '/auth/logout', { refresh_token })
    const after = await post(server, '/auth/refresh', { refresh_token })
    expect(after.status).toBe(401)
    expect(server.stats.refreshRejected).toBe(1)
  })

  it('says why it refuses a bearer token: missing, invalid or expired', async () => {
    const server = createFakeAuthServer()
    server.route('GET', '/items', () => ({ items: [] }))
    const said = async (headers: Record<string, string> = {}) =>
      (await (await server.fetch('/items', { headers })).json()).message
    expect(await said()).toBe('Missing bearer token.')
    expect(await said({ authorization: 'Bearer forged' })).toBe('Invalid access token.')
    const { access_token } = await (await post(server, '/auth/login', alice)).json()
    server.expireAccessTokens()
    expect(await said({ authorization: `Bearer ${access_token}` })).toBe(
      'The access token expired.',
    )
  })

  it('refuses a refresh token from the very millisecond its refreshTtl has run out', async () => {
    const server = createFakeAuthServer({ refresh: 'body', refreshTtl: 60 })
    const { refresh_token } = await (await post(server, '/auth/login', alice)).json()
    vi.setSystemTime(Date.now() + 60_000 - 1)
    const before = await post(server, '/auth/refresh', { refresh_token })
    expect(before.status).toBe(200)
    const { refresh_token: next } = await before.json()
    vi.setSystemTime(Date.now() + 60_000)
    expect((await post(server, '/auth/refresh', { refresh_token: next })).status).toBe(401)
  })

  it('forgets the faults still queued when the stats are reset', async () => {
    const server = createFakeAuthServer()
    server.fail('login', { status: 503, times: 2 })
    expect((await post(server, '/auth/login', alice)).status).toBe(503)
    server.resetStats()
    expect((await post(server, '/auth/login', alice)).status).toBe(200)
    expect(server.stats.logins).toBe(1)
  })

  it('gives a user without roles the role user, and reads a body that is not JSON as empty', async () => {
    const server = createFakeAuthServer({ users: [{ username: 'bo', password: 'pw' }] })
    const answer = await (
      await post(server, '/auth/login', { username: 'bo', password: 'pw' })
    ).json()
    expect(answer.user).toMatchObject({ username: 'bo', roles: ['user'] })
    const garbled = await server.fetch('/auth/login', { method: 'POST', body: '{"username": "bo"' })
    expect(garbled.status).toBe(401)
    expect(server.stats.loginFailures).toBe(1)
  })

  it('answers through MSW handlers for its own origin, and only for it', async () => {
    vi.useRealTimers() // msw's interceptors and the fetch they patch run on the real clock
    const server = createFakeAuthServer({ origin: 'http://api.test' })
    const msw = setupServer(...server.handlers)
    msw.listen({
      onUnhandledRequest: (request) => {
        throw new Error(`not the fake server's: ${request.url}`)
      },
    })
    try {
      const answer = await fetch('http://api.test/auth/login', {
        method: 'POST',
        body: JSON.stringify(alice),
      })
      expect(answer.status).toBe(200)
      expect(server.stats.logins).toBe(1)
      // The origin is matched literally: its dot is not "any character".
      const stray = await fetch('http://api-test/auth/login', { method: 'POST' }).catch(() => null)
      expect(stray?.ok ?? false).toBe(false)
      expect(server.stats.logins + server.stats.loginFailures).toBe(1)
    } finally {
      msw.close()
    }
  })

  it('serves the page’s origin, with refresh tokens that last a week, by default', async () => {
    const server = createFakeAuthServer()
    expect(server.origin).toBe(location.origin)
    await post(server, '/auth/login', alice)
    vi.advanceTimersByTime(6 * 86_400_000)
    expect((await post(server, '/auth/refresh')).status).toBe(200)
    vi.advanceTimersByTime(7 * 86_400_000 + 1_000)
    expect((await post(server, '/auth/refresh')).status).toBe(401)
  })

  it('answers the auth endpoints for POST only, and clears the refresh cookie it refused', async () => {
    const server = createFakeAuthServer()
    expect((await server.fetch('/auth/login', { method: 'GET' })).status).toBe(404)
    await post(server, '/auth/login', alice)
    expect(server.cookies.has('refresh_token')).toBe(true)
    server.revoke('alice')
    const refused = await post(server, '/auth/refresh')
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ error: 'invalid_grant' })
    expect(server.cookies.has('refresh_token')).toBe(false)
  })

  it('keeps the client’s cookies alone for a refused body-mode refresh', async () => {
    const server = createFakeAuthServer({ refresh: 'body' })
    server.cookies.set('refresh_token', 'unrelated')
    expect((await post(server, '/auth/refresh', { refresh_token: 'unknown' })).status).toBe(401)
    expect(server.cookies.get('refresh_token')).toBe('unrelated')
  })

  it('answers GET /auth/me with the profile for a valid token only, counts it, and no other origin', async () => {
    const server = createFakeAuthServer({ origin: 'http://api.test' })
    const { access_token: token } = await (await post(server, '/auth/login', alice)).json()
    const me = (init: RequestInit = {}) => server.fetch('/auth/me', init)
    expect((await me()).status).toBe(401)
    expect(
      (await me({ method: 'POST', headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(404)
    const ok = await me({ headers: { authorization: `Bearer ${token}` } })
    expect(await ok.json()).toMatchObject({ username: 'alice', roles: ['user'] })
    expect(server.stats.apiRequests).toBe(2)
    const elsewhere = await server.fetch('http://other.test/auth/me')
    expect(elsewhere.status).toBe(404)
    expect(await elsewhere.json()).toEqual({ error: 'not_found', message: 'Not http://api.test.' })
  })

  it('routes by method and path, answers 404 for the rest, and fails a route by its path or as api', async () => {
    const server = createFakeAuthServer()
    server.route('GET', '/api/items', () => ['a'])
    const { access_token: token } = await (await post(server, '/auth/login', alice)).json()
    const call = (method: string) =>
      server.fetch('/api/items', { method, headers: { authorization: `Bearer ${token}` } })
    expect(await (await call('GET')).json()).toEqual(['a'])
    const none = await call('POST')
    expect(none.status).toBe(404)
    expect(await none.json()).toEqual({ error: 'not_found', message: 'No route POST /api/items.' })
    server.fail('/api/items', { status: 500 })
    expect((await call('GET')).status).toBe(500)
    server.fail('api', { status: 503 })
    expect((await call('GET')).status).toBe(503)
  })

  it('revokes per user: logout everywhere and revoke() touch no one else’s sessions or tokens', async () => {
    const bob = { username: 'bob', password: 'bob-password' }
    const server = createFakeAuthServer({ users: [{ ...alice }, { ...bob }] })
    server.route('GET', '/api/me', (_request, claims) => ({ sub: claims.sub }))
    const bobs = server.client()
    const bobToken = (await (await post(bobs, '/auth/login', bob)).json()).access_token
    const phone = server.client()
    await post(phone, '/auth/login', alice)
    const aliceToken = (await (await post(server, '/auth/login', alice)).json()).access_token
    const me = (token: string) =>
      server.fetch('/api/me', { headers: { authorization: `Bearer ${token}` } })
    await post(server, '/auth/logout', { everywhere: true })
    expect((await post(phone, '/auth/refresh')).status).toBe(401) // alice's other session
    expect((await post(bobs, '/auth/refresh')).status).toBe(200)
    const fresh = (await (await post(server, '/auth/login', alice)).json()).access_token
    server.revoke('bob')
    const refused = await me(bobToken)
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ error: 'invalid_token' })
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
    expect((await me(aliceToken)).status).toBe(401) // logged out everywhere
    expect((await me(fresh)).status).toBe(200) // revoking bob left alice alone
  })

  it('answers a fault with its body, a default error body from 400 up, and an empty one below', async () => {
    const server = createFakeAuthServer()
    server.fail('login', { status: 500, body: { error: 'mine' } })
    expect(await (await post(server, '/auth/login', alice)).json()).toEqual({ error: 'mine' })
    server.fail('login', { status: 400 })
    expect(await (await post(server, '/auth/login', alice)).json()).toEqual({
      error: 'unavailable',
      message: 'Injected fault: HTTP 400.',
    })
    server.fail('login', { status: 202 })
    expect(await (await post(server, '/auth/login', alice)).json()).toEqual({})
  })

  it('reads a JSON body that is not an object as none', async () => {
    const server = createFakeAuthServer()
    expect((await server.fetch('/auth/login', { method: 'POST', body: '"alice"' })).status).toBe(
      401,
    )
    expect((await server.fetch('/auth/login', { method: 'POST', body: 'null' })).status).toBe(401)
  })

  it('adds Retry-After to a fault only when it is given', async () => {
    const server = createFakeAuthServer()
    server.fail('login', { status: 503 })
    expect((await post(server, '/auth/login', alice)).headers.has('retry-after')).toBe(false)
    server.fail('login', { status: 503, retryAfter: 5 })
    expect((await post(server, '/auth/login', alice)).headers.get('retry-after')).toBe('5')
  })

  it('records a request body that is not JSON as its text', async () => {
    const server = createFakeAuthServer()
    await server.fetch('/auth/login', { method: 'POST', body: 'user=alice' })
    expect(server.requests.at(-1)!.body).toBe('user=alice')
  })

  it('knows alice by default, and takes a bearer token only in the exact form', async () => {
    const server = createFakeAuthServer()
    server.route('GET', '/api/me', (_request, claims) => ({ sub: claims.sub }))
    const answer = await (await post(server, '/auth/login', alice)).json()
    const token = answer.access_token
    const get = (authorization: string) => server.fetch('/api/me', { headers: { authorization } })
    expect((await get(`Bearer ${token}`)).status).toBe(200)
    expect((await get(`bearer  ${token}`)).status).toBe(200) // the scheme in any case, any blanks
    expect((await get(`Bearer ${token} extra`)).status).toBe(401)
    expect((await get(`Token Bearer ${token}`)).status).toBe(401)
  })

  it('signs users in with their roles and profile, and refuses a wrong password', async () => {
    const server = createFakeAuthServer({
      users: [{ username: 'ada', password: 'pw', roles: ['admin'], name: 'Ada' }],
    })
    expect((await post(server, '/auth/login', { username: 'ada', password: 'no' })).status).toBe(
      401,
    )
    const answer = await (
      await post(server, '/auth/login', { username: 'ada', password: 'pw' })
    ).json()
    expect(answer).toMatchObject({
      expires_in: 60,
      user: { username: 'ada', name: 'Ada', roles: ['admin'] },
    })
    expect(answer.user).not.toHaveProperty('password')
    expect(server.cookies.get('refresh_token')).toBeTruthy()
    expect(server.stats).toMatchObject({ logins: 1, loginFailures: 1 })
  })

  it('rotates refresh tokens, and revokes the session when a used one comes back', async () => {
    const server = createFakeAuthServer()
    await post(server, '/auth/login', alice)
    const first = server.cookies.get('refresh_token')!
    expect((await post(server, '/auth/refresh')).status).toBe(200)
    const second = server.cookies.get('refresh_token')!
    expect(second).not.toBe(first)
    // Someone replays the first token: reuse, and the whole session is gone.
    const thief = server.client()
    thief.cookies.set('refresh_token', first)
    expect((await post(thief, '/auth/refresh')).status).toBe(401)
    expect((await post(server, '/auth/refresh')).status).toBe(401)
    expect(server.stats).toMatchObject({ refreshes: 3, reuseDetections: 1, refreshRejected: 2 })
  })

  it('keeps one cookie jar per client', async () => {
    const server = createFakeAuthServer()
    const other = server.client()
    await post(server, '/auth/login', alice)
    expect((await post(other, '/auth/refresh')).status).toBe(401)
    expect((await post(server, '/auth/refresh')).status).toBe(200)
  })

  it('speaks body mode', async () => {
    const server = createFakeAuthServer({ refresh: 'body' })
    const { refresh_token: token } = await (await post(server, '/auth/login', alice)).json()
    expect(server.cookies.size).toBe(0)
    const rotated = await (await post(server, '/auth/refresh', { refresh_token: token })).json()
    expect(rotated.refresh_token).not.toBe(token)
    expect((await post(server, '/auth/refresh', { refresh_token: token })).status).toBe(401)
  })

  it('checks a double-submit CSRF header on refresh and logout', async () => {
    const server = createFakeAuthServer({ csrf: { header: 'x-csrf', cookie: 'csrf' } })
    await post(server, '/auth/login', alice)
    const refused = await post(server, '/auth/refresh')
    expect(refused.status).toBe(403)
    expect(await refused.json()).toEqual({ error: 'csrf', message: 'CSRF check failed.' })
    const csrf = server.cookies.get('csrf')!
    expect((await post(server, '/auth/refresh', undefined, { 'x-csrf': csrf })).status).toBe(200)
    expect((await post(server, '/auth/logout')).status).toBe(403)
    const out = await post(server, '/auth/logout', undefined, { 'x-csrf': csrf })
    expect(await out.json()).toEqual({ ok: true })
  })

  it('puts the app’s routes behind the token check, on the test’s clock', async () => {
    const server = createFakeAuthServer({ accessTtl: 10 })
    server.route('GET', '/api/items', (_request, claims) => ({ for: claims.sub }))
    const { access_token: token } = await (await post(server, '/auth/login', alice)).json()
    const get = () => server.fetch('/api/items', { headers: { authorization: `Bearer ${token}` } })
    expect(await (await get()).json()).toEqual({ for: 'alice' })
    expect((await server.fetch('/api/items')).status).toBe(401)
    await vi.advanceTimersByTimeAsync(10_000)
    expect((await get()).status).toBe(401)
    expect(server.stats).toMatchObject({ apiRequests: 3, unauthorized: 2, expiredTokenRequests: 1 })
    expect((await server.fetch('/api/nothing')).status).toBe(404)
  })

  it('logs out one session, or every session of the user', async () => {
    const server = createFakeAuthServer()
    const laptop = server.client()
    await post(server, '/auth/login', alice)
    await post(laptop, '/auth/login', alice)
    await post(server, '/auth/logout')
    expect((await post(laptop, '/auth/refresh')).status).toBe(200)
    await post(server, '/auth/login', alice)
    await post(server, '/auth/logout', { everywhere: true })
    expect((await post(laptop, '/auth/refresh')).status).toBe(401)
  })

  it('injects faults: a status with Retry-After, a dropped connection, a delay, several times', async () => {
    const server = createFakeAuthServer()
    await post(server, '/auth/login', alice)
    server.fail('refresh', { status: 503, retryAfter: 2, times: 2 })
    const unavailable = await post(server, '/auth/refresh')
    expect([unavailable.status, unavailable.headers.get('retry-after')]).toEqual([503, '2'])
    expect((await post(server, '/auth/refresh')).status).toBe(503)
    server.fail('refresh', { drop: true })
    await expect(post(server, '/auth/refresh')).rejects.toThrow(TypeError)
    server.fail('refresh', { delay: 1_000 })
    let answered = false
    const late = post(server, '/auth/refresh').then((response) => {
      answered = true
      return response
    })
    await vi.advanceTimersByTimeAsync(999)
    expect(answered).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect((await late).status).toBe(200)
  })

  it('expires every access token, or revokes a user, on demand', async () => {
    const server = createFakeAuthServer()
    server.route('GET', '/api/me', (_r, claims) => claims.sub)
    const { access_token: token } = await (await post(server, '/auth/login', alice)).json()
    const get = () => server.fetch('/api/me', { headers: { authorization: `Bearer ${token}` } })
    server.expireAccessTokens()
    expect((await get()).status).toBe(401)
    expect(server.stats.expiredTokenRequests).toBe(1)
    const renewed = await (await post(server, '/auth/refresh')).json()
    server.revoke('alice')
    const revoked = await server.fetch('/api/me', {
      headers: { authorization: `Bearer ${renewed.access_token}` },
    })
    expect(revoked.status).toBe(401)
    expect((await post(server, '/auth/refresh')).status).toBe(401)
  })

  it('is the backend of a real session, end to end', async () => {
    const server = createFakeAuthServer({ accessTtl: 60 })
    server.route('GET', '/api/items', () => ['a', 'b'])
    vi.stubGlobal('fetch', server.fetch)
    const { store, $fetch } = setupAuth({ baseURL: '/api', restore: false })
    await store.login(alice)
    server.expireAccessTokens()
    const results = await Promise.all(Array.from({ length: 50 }, () => $fetch('/items')))
    expect(results).toEqual(Array(50).fill(['a', 'b']))
    expect(server.stats.refreshes).toBe(1)
    expect(server.stats.reuseDetections).toBe(0)
  })
})
