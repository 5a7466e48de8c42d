// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia'
import { createApp, effectScope } from 'vue'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AuthError, createAuth, isAuthError, useAuth, useAuthFetch, useTokenExpiry } from '../src'
import {
  credentials,
  deferred,
  json,
  jwt,
  nearlyDeadRefreshes,
  setupAuth,
  useFakeServer,
} from './utils'

beforeEach(() => {
  // A whole second, so JWT iat/exp (whole seconds) line up with the clock exactly.
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
})
afterEach(() => {
  vi.useRealTimers()
})

/** Body mode as an app configures it: the refresh token read from and sent in the JSON body. */
const bodyTokens = {
  refresh: {
    read: (body: any) => body.refresh_token,
    send: (token: string) => ({ refresh_token: token }),
  },
}

/** Body mode, signed in with a login answer that carried no refresh token. */
async function bodyModeWithoutRefreshToken() {
  const fake = useFakeServer({ refresh: 'body' })
  const iat = Math.floor(Date.now() / 1000)
  fake.fetch.mockImplementationOnce(async () =>
    json(200, { access_token: jwt({ sub: 'alice', iat, exp: iat + 60 }) }),
  )
  const ctx = setupAuth({ tokens: bodyTokens })
  await ctx.store.login(credentials)
  return { ...fake, ...ctx }
}

async function signedIn(options: Parameters<typeof setupAuth>[0] = {}, ttl = 60) {
  const server = useFakeServer({ ttl })
  const ctx = setupAuth({ restore: false, ...options })
  await ctx.store.login(credentials)
  return { ...server, ...ctx }
}

describe('refresh rejected', () => {
  it.each([400, 401, 403])(
    'ends the session on %i and calls onSessionExpired once for many waiting requests',
    async (status) => {
      const onSessionExpired = vi.fn()
      const { server, store, $fetch } = await signedIn({ onSessionExpired })
      server.expireAccessTokens()
      server.fail('refresh', { status, body: { error: 'invalid_grant' } })
      const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => $fetch(`/r/${i}`)))
      expect(results.every((r) => r.status === 'rejected')).toBe(true)
      for (const r of results) {
        expect(isAuthError((r as PromiseRejectedResult).reason, 'session_expired')).toBe(true)
      }
      expect(server.stats.refreshes).toBe(1)
      expect(onSessionExpired).toHaveBeenCalledOnce()
      expect(onSessionExpired.mock.calls[0]![0]).toBeInstanceOf(AuthError)
      expect(store.status).toBe('unauthenticated')
      expect(store.accessToken).toBeNull()
      expect(store.error?.code).toBe('session_expired')
    },
  )

  it('does not call onSessionExpired when a start-up restore finds no session', async () => {
    const { server } = useFakeServer() // no refresh cookie: the server refuses the refresh
    const onSessionExpired = vi.fn()
    const { auth, store } = setupAuth({ onSessionExpired })
    expect(store.status).toBe('restoring')
    await auth.ready
    expect(store.status).toBe('unauthenticated')
    expect(store.error).toBeNull()
    expect(onSessionExpired).not.toHaveBeenCalled()
    expect(server.stats).toMatchObject({ refreshes: 1, refreshRejected: 1 })
  })

  it('restores a session at start-up with one refresh shared by early requests', async () => {
    const { server, earlierSession } = useFakeServer()
    await earlierSession()
    const { auth, store, $fetch } = setupAuth()
    const early = $fetch('/items')
    await auth.ready
    expect(store.status).toBe('authenticated')
    await expect(early).resolves.toEqual({ ok: true, path: '/items' })
    expect(server.stats.refreshes).toBe(1)
    // It waited for the restored token instead of going without one.
    expect(server.stats.unauthorized).toBe(0)
  })

  it('fails an early request with unauthorized (401) when the restore finds no session', async () => {
    useFakeServer()
    const { auth, $fetch } = setupAuth()
    const early = $fetch('/items').catch((e) => e)
    await auth.ready
    const error = await early
    expect(isAuthError(error, 'unauthorized')).toBe(true)
    expect(error.status).toBe(401)
  })
})

describe('requests and the refresh they wait for', () => {
  it('still replays once a request that waited for the refresh of a token known to be expired', async () => {
    const { server, fetch, store, $fetch } = await signedIn({ refreshLeeway: 0 })
    vi.setSystemTime(store.expiresAt! + 1_000) // known to be expired here: the request waits
    const realFetch = fetch.getMockImplementation()!
    let first = true
    fetch.mockImplementation(async (input, init) => {
      if (first && String(input).endsWith('/items')) {
        first = false // the server revoked that fresh token at once (a key rotation)
        return json(401, { error: 'invalid_token' })
      }
      return realFetch(input, init)
    })
    await expect($fetch('/items')).resolves.toEqual({ ok: true, path: '/items' })
    expect(server.stats.refreshes).toBe(2)
  })
})

describe('transient refresh failures', () => {
  it.each([
    ['503', { status: 503 }, 'server'],
    ['500', { status: 500, body: { error: 'boom' } }, 'server'],
    ['429', { status: 429, body: { error: 'slow down' } }, 'server'],
    ['a dropped connection', { drop: true }, 'network'],
  ] as const)('keeps the session on %s and recovers with backoff', async (_, fault, code) => {
    const onSessionExpired = vi.fn()
    const { server, store, $fetch } = await signedIn({ onSessionExpired })
    server.expireAccessTokens()
    server.fail('refresh', { ...fault, times: 2 })
    const first = await $fetch('/a').catch((e) => e)
    expect(isAuthError(first, code)).toBe(true)
    expect(store.error).toBe(first)
    expect(store.status).toBe('authenticated')
    expect(store.isAuthenticated).toBe(true)

    // The next attempt waits for the backoff (1 s scaled by 0.5–1) instead of hammering.
    const second = $fetch('/b').catch((e) => e)
    await vi.advanceTimersByTimeAsync(400)
    expect(server.stats.refreshes).toBe(1)
    await vi.advanceTimersByTimeAsync(700)
    expect(server.stats.refreshes).toBe(2)
    expect(isAuthError(await second, code)).toBe(true)

    // Then 2 s × jitter; after that the server is back.
    const third = $fetch('/c')
    await vi.advanceTimersByTimeAsync(2100)
    await expect(third).resolves.toEqual({ ok: true, path: '/c' })
    expect(server.stats.refreshes).toBe(3)
    expect(store.status).toBe('authenticated')
    expect(store.error).toBeNull()
    expect(onSessionExpired).not.toHaveBeenCalled()
  })

  it('honours Retry-After', async () => {
    const { server, $fetch } = await signedIn()
    server.expireAccessTokens()
    server.fail('refresh', { status: 503, retryAfter: 10 })
    await $fetch('/a').catch(() => {})
    const retry = $fetch('/b')
    await vi.advanceTimersByTimeAsync(9_900)
    expect(server.stats.refreshes).toBe(1)
    await vi.advanceTimersByTimeAsync(200)
    await expect(retry).resolves.toBeTruthy()
    expect(server.stats.refreshes).toBe(2)
  })

  it('waits out a Retry-After of exactly 30 s, the longest a request waits', async () => {
    const { server, $fetch } = await signedIn()
    server.expireAccessTokens()
    server.fail('refresh', { status: 503, retryAfter: 30 })
    await $fetch('/a').catch(() => {})
    const retry = $fetch('/b')
    await vi.advanceTimersByTimeAsync(30_000)
    await expect(retry).resolves.toEqual({ ok: true, path: '/b' })
    expect(server.stats.refreshes).toBe(2)
  })

  it('fails a request at once instead of hanging on a long Retry-After, and the timer honours it', async () => {
    const { server, store, $fetch } = await signedIn()
    server.expireAccessTokens()
    server.fail('refresh', { status: 503, retryAfter: 120 })
    await $fetch('/a').catch(() => {})
    const error = await $fetch('/b').catch((e) => e)
    expect(isAuthError(error, 'server')).toBe(true)
    expect(server.stats.refreshes).toBe(1)
    await vi.advanceTimersByTimeAsync(119_000)
    expect(server.stats.refreshes).toBe(1)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(server.stats.refreshes).toBe(2)
    expect(store.error).toBeNull()
  })

  it('retries by itself on the timer after a failed proactive refresh', async () => {
    const { server, store } = await signedIn({ refreshLeeway: 30 })
    server.fail('refresh', { status: 503 })
    await vi.advanceTimersByTimeAsync(30_000)
    expect(server.stats.refreshes).toBe(1)
    expect(store.error?.code).toBe('server')
    await vi.advanceTimersByTimeAsync(1_000)
    expect(server.stats.refreshes).toBe(2)
    expect(store.error).toBeNull()
  })

  it('backs off exponentially with jitter, capped at 30 s', async () => {
    const { server, fetch, $fetch } = await signedIn({ refreshLeeway: 0 })
    const at: number[] = []
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementation((input, init) => {
      if (String(input).endsWith('/auth/refresh')) at.push(Date.now())
      return realFetch(input, init)
    })
    server.expireAccessTokens()
    server.fail('refresh', { status: 503, times: 12 })
    // One failed request; from then on the timer keeps retrying the rejected token by itself.
    await $fetch('/a').catch(() => {})
    await vi.advanceTimersByTimeAsync(5 * 60_000)
    const gaps = at.slice(1).map((t, i) => t - at[i]!)
    expect(gaps.length).toBeGreaterThan(8)
    expect(gaps[0]).toBeGreaterThanOrEqual(500)
    expect(gaps[0]).toBeLessThanOrEqual(1000)
    expect(gaps[3]).toBeGreaterThanOrEqual(4000)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30_000)
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(15_000)
  })

  it('sets no timer while offline, so nothing spins until the browser is back online', async () => {
    const { server, store } = await signedIn({ refreshLeeway: 30 })
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    await vi.advanceTimersByTimeAsync(30_000) // the proactive refresh is due, and cannot go
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(server.stats.refreshes).toBe(0)
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(true)
    window.dispatchEvent(new Event('online'))
    await vi.advanceTimersByTimeAsync(0)
    expect(server.stats.refreshes).toBe(1)
    expect(store.error).toBeNull()
    expect(vi.getTimerCount()).toBe(1) // the next proactive refresh
  })

  it('sends nothing while offline and refreshes when the browser is back online', async () => {
    const { server, store, $fetch } = await signedIn({ refreshLeeway: 30 })
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    await vi.advanceTimersByTimeAsync(30_000)
    expect(server.stats.refreshes).toBe(0)
    expect(store.error?.code).toBe('network')
    await vi.advanceTimersByTimeAsync(60_000)
    const offline = await $fetch('/a').catch((e) => e)
    expect(isAuthError(offline, 'network')).toBe(true)
    expect(server.stats.refreshes).toBe(0)
    expect(store.isAuthenticated).toBe(true)

    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(true)
    window.dispatchEvent(new Event('online'))
    await vi.advanceTimersByTimeAsync(1_000)
    expect(server.stats.refreshes).toBe(1)
    expect(store.status).toBe('authenticated')
    expect(store.error).toBeNull()
  })
})

describe('logout', () => {
  it('clears the token before the server answers, even when the request fails', async () => {
    const { fetch, store } = await signedIn()
    const gate = deferred<Response>()
    fetch.mockImplementationOnce(() => gate.promise)
    const out = store.logout()
    expect(store.accessToken).toBeNull()
    expect(store.status).toBe('unauthenticated')
    gate.reject(new TypeError('fetch failed'))
    const error = await out.catch((e) => e)
    expect(isAuthError(error, 'network')).toBe(true)
    expect(store.accessToken).toBeNull()
  })

  it('cannot be undone by a refresh that was in flight', async () => {
    const { server, store, $fetch } = await signedIn()
    server.expireAccessTokens()
    server.fail('refresh', { delay: 1_000 })
    const waiting = $fetch('/a').catch((e) => e)
    await vi.advanceTimersByTimeAsync(0)
    expect(store.status).toBe('refreshing')
    const out = store.logout()
    await vi.advanceTimersByTimeAsync(1_000) // the refresh is answered: a new token, a rotated cookie
    await out
    const error = await waiting
    expect(isAuthError(error)).toBe(true)
    expect(store.status).toBe('unauthenticated')
    expect(store.accessToken).toBeNull()
    // The logout request went after the refresh landed, so it carried the newest cookie.
    const order = server.requests.map((r) => r.path).filter((p) => p.startsWith('/auth/'))
    expect(order.slice(-2)).toEqual(['/auth/refresh', '/auth/logout'])
  })

  it('sends { everywhere: true } for logout everywhere', async () => {
    const { server, store } = await signedIn()
    await store.logout({ everywhere: true })
    expect(server.requests.at(-1)!.body).toEqual({ everywhere: true })
  })
})

describe('body mode', () => {
  it('keeps the refresh token in memory and always sends the rotated one', async () => {
    const { server, issued } = useFakeServer({ refresh: 'body' })
    const { store } = setupAuth({
      tokens: { refresh: { read: (b) => b.refresh_token, send: (t) => ({ refresh_token: t }) } },
    })
    expect(store.status).toBe('unauthenticated') // nothing to restore from after a reload
    await store.login(credentials)
    await store.refresh()
    await store.refresh()
    await store.logout({ everywhere: true })
    const sent = server.requests.filter((r) => r.path !== '/auth/login').map((r) => r.body)
    const [rt1, rt2, rt3] = issued.map((set) => set.refresh)
    expect(issued).toHaveLength(3)
    expect(sent).toEqual([
      { refresh_token: rt1 },
      { refresh_token: rt2 },
      { refresh_token: rt3, everywhere: true },
    ])
    expect(server.stats).toMatchObject({ refreshes: 2, refreshRejected: 0, logouts: 1 })
  })
})

describe('tokens', () => {
  it('refreshes proactively refreshLeeway seconds before expiry', async () => {
    // expires_in 300 with a whole-second JWT exp: expiry is placed 1 s early, at 299 s.
    const { server } = await signedIn({ refreshLeeway: 30 }, 300)
    await vi.advanceTimersByTimeAsync(268_900)
    expect(server.stats.refreshes).toBe(0)
    await vi.advanceTimersByTimeAsync(100)
    expect(server.stats.refreshes).toBe(1)
  })

  it('caps the leeway at half the lifetime of a short token', async () => {
    const { server, fetch } = useFakeServer()
    fetch.mockImplementationOnce(async () => json(200, { token: 'opaque', expires_in: 4 }))
    const { store } = setupAuth({ restore: false, refreshLeeway: 30 })
    await store.login(credentials)
    await vi.advanceTimersByTimeAsync(1_900)
    expect(server.stats.refreshes).toBe(0)
    await vi.advanceTimersByTimeAsync(100)
    expect(server.stats.refreshes).toBe(1)
  })

  it.each([
    ['visibilitychange', () => document.dispatchEvent(new Event('visibilitychange'))],
    ['focus', () => window.dispatchEvent(new Event('focus'))],
    ['online', () => window.dispatchEvent(new Event('online'))],
    ['resume', () => document.dispatchEvent(new Event('resume'))],
  ])('re-checks expiry on %s, for tabs whose timers were throttled or asleep', async (_, fire) => {
    const { server, store } = await signedIn({ refreshLeeway: 30 }, 60)
    // The device slept: the clock moved on but no timer ran.
    vi.setSystemTime(Date.now() + 55_000)
    expect(server.stats.refreshes).toBe(0)
    fire()
    await vi.advanceTimersByTimeAsync(0)
    expect(server.stats.refreshes).toBe(1)
    expect(store.expiresAt! - Date.now()).toBeGreaterThanOrEqual(58_000)
  })

  it('does not refresh on a re-check while the token is far from expiry', async () => {
    const { server } = await signedIn({ refreshLeeway: 30 }, 300)
    vi.setSystemTime(Date.now() + 60_000)
    window.dispatchEvent(new Event('focus'))
    await vi.advanceTimersByTimeAsync(0)
    expect(server.stats.refreshes).toBe(0)
  })

  it('does not refresh proactively with refreshLeeway 0', async () => {
    const { server } = await signedIn({ refreshLeeway: 0 })
    await vi.advanceTimersByTimeAsync(120_000)
    expect(server.stats.refreshes).toBe(0)
  })

  it.each([-10, -5, 5, 10])(
    'places expiry on the local clock when the client clock is %i minutes off',
    async (minutes) => {
      const { server, fetch } = useFakeServer()
      const serverNow = Date.now()
      vi.setSystemTime(serverNow + minutes * 60_000)
      const iat = Math.floor(serverNow / 1000)
      const token = jwt({ sub: 'alice', iat, exp: iat + 120 })
      fetch.mockImplementationOnce(async () =>
        json(200, { access_token: token }, { date: new Date(serverNow).toUTCString() }),
      )
      const { store } = setupAuth({ restore: false, refreshLeeway: 30 })
      await store.login(credentials)
      const left = store.expiresAt! - Date.now()
      // 120 s of validity on the server's clock, estimated conservatively (≤ 1 s early).
      expect(left).toBeGreaterThan(118_000)
      expect(left).toBeLessThanOrEqual(120_000)
      await vi.advanceTimersByTimeAsync(85_000)
      expect(server.stats.refreshes).toBe(0)
      await vi.advanceTimersByTimeAsync(6_000)
      expect(server.stats.refreshes).toBe(1)
    },
  )

  it('uses the token iat for skew when there is no Date header', async () => {
    const { fetch } = useFakeServer()
    const serverNow = Date.now()
    vi.setSystemTime(serverNow - 10 * 60_000)
    const iat = Math.floor(serverNow / 1000)
    fetch.mockImplementationOnce(async () =>
      json(200, { access_token: jwt({ iat, exp: iat + 60 }) }),
    )
    const { store } = setupAuth({ restore: false })
    await store.login(credentials)
    expect(store.expiresAt! - Date.now()).toBeGreaterThan(58_000)
    expect(store.expiresAt! - Date.now()).toBeLessThanOrEqual(60_000)
  })

  it('accepts an opaque token with expires_in', async () => {
    const { fetch } = useFakeServer()
    fetch.mockImplementationOnce(async () => json(200, { token: 'opaque-123', expires_in: '90' }))
    const { store } = setupAuth({ restore: false })
    await store.login(credentials)
    expect(store.accessToken).toBe('opaque-123')
    expect(store.claims).toBeNull()
    expect(store.expiresAt).toBe(Date.now() + 90_000)
  })

  it('accepts a JWT without exp and relies on 401-driven refresh', async () => {
    const { server, fetch } = useFakeServer()
    fetch.mockImplementationOnce(async () => json(200, { accessToken: jwt({ sub: 'x' }) }))
    const { store } = setupAuth({ restore: false })
    await store.login(credentials)
    expect(store.claims).toEqual({ sub: 'x' })
    expect(store.expiresAt).toBeNull()
    await vi.advanceTimersByTimeAsync(3_600_000)
    expect(server.stats.refreshes).toBe(0)
  })

  it.each([
    ['a body without a token', () => json(200, { ok: true })],
    ['an empty token', () => json(200, { access_token: '' })],
    [
      'a non-JSON body',
      () => new Response('<html>oops</html>', { headers: { 'content-type': 'text/html' } }),
    ],
    ['an empty body', () => new Response(null, { status: 200 })],
  ])('rejects a login response with %s as bad_response', async (_, answer) => {
    const { fetch } = useFakeServer()
    fetch.mockImplementationOnce(async () => answer())
    const { store } = setupAuth({ restore: false })
    const error = await store.login(credentials).catch((e) => e)
    expect(isAuthError(error, 'bad_response')).toBe(true)
    expect(error.message).toMatch(/access_token/)
    expect(store.isAuthenticated).toBe(false)
  })

  it('treats a refresh answered without a token as bad_response and keeps the session', async () => {
    const { server, store } = await signedIn()
    server.fail('refresh', { status: 200, body: { nope: 1 } })
    const error = await store.refresh().catch((e) => e)
    expect(isAuthError(error, 'bad_response')).toBe(true)
    expect(store.isAuthenticated).toBe(true)
  })

  it("keeps the server's message as the cause of invalid_credentials", async () => {
    useFakeServer()
    const { store } = setupAuth({ restore: false })
    const error = await store.login({ username: 'alice', password: 'nope' }).catch((e) => e)
    expect(isAuthError(error, 'invalid_credentials')).toBe(true)
    expect(error.status).toBe(401)
    expect(error.message).toContain('Wrong username or password.')
    expect(error.cause.data).toEqual({
      error: 'invalid_credentials',
      message: 'Wrong username or password.',
    })
  })
})

describe('store', () => {
  it('keeps the token out of pinia.state', async () => {
    const { store, pinia } = await signedIn()
    expect(store.accessToken).toMatch(/\./)
    expect(JSON.stringify(pinia.state.value)).not.toContain(store.accessToken!)
    expect(Object.keys(pinia.state.value.auth!)).toEqual(['status', 'user'])
  })

  it('reads roles from claims and checks them', async () => {
    const { store } = await signedIn()
    expect(store.roles).toEqual(['user'])
    expect(store.hasRole('user')).toBe(true)
    expect(store.hasRole('admin')).toBe(false)
  })

  it('copies a readable CSRF cookie into a header on refresh and logout', async () => {
    document.cookie = 'XSRF-TOKEN=abc123; path=/'
    const { server, store } = await signedIn({
      csrf: { header: 'x-xsrf-token', cookie: 'XSRF-TOKEN' },
    })
    await store.refresh()
    await store.logout()
    const [login, refresh, logout] = server.requests.filter((r) => r.path.startsWith('/auth/'))
    expect(login!.headers.get('x-xsrf-token')).toBeNull()
    expect(refresh!.headers.get('x-xsrf-token')).toBe('abc123')
    expect(logout!.headers.get('x-xsrf-token')).toBe('abc123')
  })

  it('copies a csrf value() into a header', async () => {
    const { server, store } = await signedIn({ csrf: { header: 'x-csrf', value: () => 'v1' } })
    await store.refresh()
    expect(server.requests.at(-1)!.headers.get('x-csrf')).toBe('v1')
  })
})

describe('misconfiguration', () => {
  it('throws misconfigured from app.use(auth) before Pinia', () => {
    const app = createApp({})
    const error = (() => {
      try {
        app.use(createAuth())
      } catch (e) {
        return e
      }
    })()
    expect(isAuthError(error, 'misconfigured')).toBe(true)
    expect((error as Error).message).toMatch(/app\.use\(createPinia\(\)\) first/)
  })

  it('throws misconfigured from useAuth() and useAuthFetch() before the plugin', () => {
    setActivePinia(undefined)
    expect(() => useAuth()).toThrowError(/no active Pinia/)
    setActivePinia(createPinia())
    expect(() => useAuth()).toThrowError(/app\.use\(auth\)/)
    expect(() => useAuthFetch()).toThrowError(AuthError)
  })

  it.each([
    ['a message', { message: 'Account locked' }, 'Account locked'],
    ['an error_description', { error_description: 'Bad password' }, 'Bad password'],
    ['an error', { error: 'invalid_grant' }, 'invalid_grant'],
    ['a text body', 'Go away', 'Go away'],
    ['an empty body', '', null],
    ['a number as message', { message: 42 }, null],
    ['a JSON number', 42, null],
    ['JSON true', true, null],
  ])('quotes the server’s own words, if any, from %s in the message', async (_, body, said) => {
    const { fetch } = useFakeServer()
    fetch.mockImplementationOnce(async () =>
      typeof body === 'string' ? new Response(body, { status: 401 }) : json(401, body),
    )
    const { store } = setupAuth({ restore: false })
    const error = await store.login(credentials).catch((e) => e)
    expect(isAuthError(error, 'invalid_credentials')).toBe(true)
    if (said) expect(error.message).toContain(`The server said: "${said}".`)
    else expect(error.message).not.toContain('The server said')
  })

  // What a developer reads in store.error (development builds): what happened, and what to do.
  it.each([
    [
      'login',
      'no answer',
      { drop: true },
      'network',
      /login request got no response.*Check the connection/,
    ],
    [
      'refresh',
      'no answer',
      { drop: true },
      'network',
      /refresh request got no response.*session is kept and the refresh is retried/,
    ],
    [
      'refresh',
      '503',
      { status: 503 },
      'server',
      /refresh endpoint answered 503\..*session is kept; it is retried with backoff/,
    ],
    [
      'refresh',
      '429',
      { status: 429 },
      'server',
      /answered 429\..*session is kept; it is retried with backoff/,
    ],
    ['refresh', '500', { status: 500 }, 'server', /answered 500\..*session is kept; it is retried/],
    [
      'refresh',
      '404',
      { status: 404 },
      'server',
      /refresh endpoint answered 404\..*Check that endpoints\.refresh points at the right URL and method/,
    ],
    [
      'login',
      '401',
      { status: 401 },
      'invalid_credentials',
      /login request was rejected \(401\)\..*Check the credentials and try again/,
    ],
    [
      'refresh',
      '401',
      { status: 401 },
      'session_expired',
      /refresh request was rejected \(401\)\..*The session has ended; sign in again/,
    ],
    [
      'user',
      '403',
      { status: 403 },
      'unauthorized',
      /user request was rejected \(403\)\..* Sign in again\./,
    ],
  ] as const)('says what to do when the %s request gets %s', async (what, _, fault, code, says) => {
    const { server, store } = await signedIn({ endpoints: { user: 'GET /auth/me' } })
    // A failed user load is reported by the login that makes it.
    if (what === 'refresh') {
      server.fail(what, fault)
      await store.refresh().catch(() => {})
    } else {
      await store.logout()
      server.fail(what, fault)
      await store.login(credentials).catch(() => {})
    }
    expect(store.error?.code).toBe(code)
    expect(store.error?.message).toMatch(says)
  })

  it('rejects a negative refreshLeeway with a clear message', () => {
    expect(() => createAuth({ refreshLeeway: -1 })).toThrowError(/refreshLeeway/)
  })
})

describe('found in review', () => {
  it('drops a login whose user fetch was overtaken by a logout', async () => {
    const { fetch } = useFakeServer()
    const events: string[] = []
    const me = deferred<Response>()
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementation(async (input, init) =>
      String(input).endsWith('/auth/me') ? me.promise : realFetch(input, init),
    )
    const { store } = setupAuth({
      restore: false,
      endpoints: { user: 'GET /auth/me' },
      onEvent: (event) => events.push(event.type),
    })
    const login = store.login(credentials).catch((e) => e)
    await vi.advanceTimersByTimeAsync(0)
    await store.logout()
    me.resolve(json(200, { name: 'Alice' }))
    expect(isAuthError(await login)).toBe(true)
    expect(store.user).toBeNull()
    expect(store.status).toBe('unauthenticated')
    expect(events.filter((t) => !t.startsWith('tab:'))).toEqual(['logout'])
  })

  it('revokes a login answered after the user logged out', async () => {
    const { server, fetch } = useFakeServer()
    const answer = deferred<Response>()
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementationOnce(() => answer.promise)
    const { store } = setupAuth({ restore: false })
    const login = store.login(credentials).catch((e) => e)
    await vi.advanceTimersByTimeAsync(0)
    await store.logout() // nothing to revoke yet: no session
    answer.resolve(
      await realFetch('/auth/login', { method: 'POST', body: JSON.stringify(credentials) }),
    )
    expect(isAuthError(await login, 'unauthorized')).toBe(true)
    await vi.advanceTimersByTimeAsync(0)
    // The late login's session was logged out again on the server.
    expect(server.stats.logouts).toBe(2)
    expect(store.status).toBe('unauthenticated')
  })

  it('stops its timers and drops late answers once the app is unmounted', async () => {
    const { server, app } = await signedIn({ refreshLeeway: 30 })
    server.fail('refresh', { delay: 1_000 })
    await vi.advanceTimersByTimeAsync(30_000) // the proactive refresh is on the wire
    expect(server.stats.refreshes).toBe(1)
    app.unmount()
    await vi.advanceTimersByTimeAsync(10 * 60_000) // its answer arrives, a second later
    expect(server.stats.refreshes).toBe(1)
  })

  it('retries a start-up restore that failed on the network, with backoff', async () => {
    const { server, earlierSession } = useFakeServer()
    await earlierSession()
    server.fail('refresh', { drop: true })
    const { auth, store } = setupAuth()
    await auth.ready
    expect(store.status).toBe('unauthenticated')
    expect(store.error?.code).toBe('network')
    await vi.advanceTimersByTimeAsync(1_000)
    expect(server.stats.refreshes).toBe(2)
    expect(store.status).toBe('authenticated')
  })

  it('restores once the browser is back online after starting offline', async () => {
    const { server, earlierSession } = useFakeServer()
    await earlierSession()
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    const { auth, store } = setupAuth()
    await auth.ready
    expect(store.status).toBe('unauthenticated')
    expect(server.stats.refreshes).toBe(0)
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(true)
    window.dispatchEvent(new Event('online'))
    await vi.advanceTimersByTimeAsync(0)
    expect(server.stats.refreshes).toBe(1)
    expect(store.status).toBe('authenticated')
  })

  it('sends refresh and login requests one at a time', async () => {
    const { server, fetch, store } = await signedIn()
    let inFlight = 0
    let most = 0
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementation(async (input, init) => {
      const auth = /\/auth\/(login|refresh)$/.test(String(input))
      if (auth) most = Math.max(most, ++inFlight)
      try {
        await new Promise((resolve) => setTimeout(resolve, 100))
        return await realFetch(input, init)
      } finally {
        if (auth) inFlight--
      }
    })
    const all = Promise.allSettled([
      store.refresh(),
      store.login(credentials),
      store.login(credentials),
    ])
    await vi.advanceTimersByTimeAsync(1_000)
    await all
    expect(most).toBe(1)
    expect(server.stats.logins).toBe(3)
  })

  it('rejects a token that is already expired when it arrives, instead of refreshing in a loop', async () => {
    const { fetch } = useFakeServer()
    const now = Math.floor(Date.now() / 1000)
    fetch.mockImplementationOnce(async () =>
      json(
        200,
        { access_token: jwt({ iat: now - 120, exp: now - 60 }) },
        { date: new Date().toUTCString() },
      ),
    )
    const { store } = setupAuth({ restore: false })
    const error = await store.login(credentials).catch((e) => e)
    expect(isAuthError(error, 'bad_response')).toBe(true)
    expect(error.message).toMatch(/already expired/)
  })

  it('accepts a refresh answered late with 0.3 s of its token left: the waiting request carries it, and it is refreshed at once', async () => {
    // t0 is now, a whole second.
    const { server, fetch, $fetch, store } = await signedIn({}, 3)
    let lateToken = ''
    // The proactive refresh leaves at t0 + 1.25 s; the server issues a 3 s token at t0 + 1.3 s
    // (exp t0 + 4 s) and its answer arrives at t0 + 3.7 s, 0.3 s before that exp.
    const realFetch = fetch.getMockImplementation()!
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    fetch.mockImplementationOnce(async (input, init) => {
      await sleep(50)
      const body = await (await realFetch(input, init)).json()
      lateToken = body.access_token
      expect(lateToken).toBeTruthy()
      await sleep(2_400)
      return json(200, body, { date: new Date().toUTCString() })
    })
    await vi.advanceTimersByTimeAsync(2_500)
    expect(server.stats.refreshes).toBe(1)
    // The login token is past its estimated expiry: this request waits for the slow refresh.
    const request = $fetch('/items')
    await vi.advanceTimersByTimeAsync(1_200)
    await expect(request).resolves.toEqual({ ok: true, path: '/items' })
    const late = server.requests.find((r) => r.path === '/items')!
    expect(late.token).toBe(lateToken)
    expect(store.error).toBeNull()
    // Too little life to use again: the next refresh follows at once, and then a normal cadence.
    await vi.advanceTimersByTimeAsync(1) // the fake clock runs a 0 ms timer set mid-tick 1 ms later
    expect(server.stats.refreshes).toBe(2)
    expect(store.expiresAt! - Date.now()).toBeGreaterThan(1_500)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(server.stats.refreshes).toBe(2)
  })

  it('refuses only a token that is past its exp for sure', async () => {
    const { fetch } = useFakeServer()
    const now = Math.floor(Date.now() / 1000)
    // exp is now: on the server's clock (Date) the token died this second.
    fetch.mockImplementationOnce(async () =>
      json(
        200,
        { access_token: jwt({ iat: now - 60, exp: now }) },
        { date: new Date().toUTCString() },
      ),
    )
    const { store } = setupAuth({ restore: false })
    const error = await store.login(credentials).catch((e) => e)
    expect(isAuthError(error, 'bad_response')).toBe(true)
    expect(store.isAuthenticated).toBe(false)
  })

  it('rejects an allowedOrigins entry that is not an origin with misconfigured', () => {
    expect(() => createAuth({ allowedOrigins: ['api.example.com'] })).toThrowError(
      /allowedOrigins has "api.example.com"/,
    )
    // With the URL parser's own error as the cause, for the details.
    const error = (() => {
      try {
        createAuth({ allowedOrigins: ['api.example.com'] })
      } catch (caught) {
        return caught as AuthError
      }
    })()
    expect(error?.cause).toBeInstanceOf(TypeError)
  })

  it('reads endpoints written with stray spaces around them', async () => {
    const { server } = useFakeServer()
    const { store } = setupAuth({
      restore: false,
      endpoints: { login: ' POST /auth/login ', refresh: '/auth/refresh ' },
    })
    await store.login(credentials)
    await store.refresh()
    expect(server.stats.logins).toBe(1)
    expect(server.stats.refreshes).toBe(1)
  })

  it('refuses an access token of blanks as no access token', async () => {
    const { fetch } = useFakeServer()
    fetch.mockImplementationOnce(async () => json(200, { access_token: '   ', expires_in: 60 }))
    const { store } = setupAuth({ restore: false })
    const error = await store.login(credentials).catch((e) => e)
    expect(isAuthError(error, 'bad_response')).toBe(true)
    expect(store.isAuthenticated).toBe(false)
  })

  it('accepts any object type as login credentials', async () => {
    interface LoginForm {
      username: string
      password: string
    }
    useFakeServer()
    const { store } = setupAuth({ restore: false })
    const form: LoginForm = { username: 'alice', password: 'secret' }
    await store.login(form)
    expect(store.isAuthenticated).toBe(true)
  })
})

describe('options as an app writes them', () => {
  it('reads a single-string role claim as one role', async () => {
    const { fetch } = useFakeServer()
    const iat = Math.floor(Date.now() / 1000)
    fetch.mockImplementationOnce(async () =>
      json(200, { access_token: jwt({ sub: 'ada', role: 'admin', iat, exp: iat + 60 }) }),
    )
    const { store } = setupAuth({ restore: false })
    await store.login(credentials)
    expect(store.roles).toEqual(['admin'])
  })

  it('sends each endpoint given as { url, method } to that URL with that method', async () => {
    const { fetch } = useFakeServer()
    const { store } = setupAuth({
      restore: false,
      // The method in any case; a missing one is POST.
      endpoints: { login: { url: '/auth/login' }, user: { url: '/auth/me', method: 'get' } },
    })
    await store.login(credentials)
    expect(store.user).toMatchObject({ username: 'alice', roles: ['user'] })
    const sent = fetch.mock.calls.map(([input, init]) => [
      String(input instanceof Request ? input.url : input).replace(/^https?:\/\/[^/]+/, ''),
      (init?.method ?? 'GET').toUpperCase(),
    ])
    expect(sent).toEqual([
      ['/auth/login', 'POST'],
      ['/auth/me', 'GET'],
    ])
  })

  it('takes expires_in 0 as no lifetime given, and uses the JWT exp', async () => {
    const { fetch } = useFakeServer()
    const iat = Math.floor(Date.now() / 1000)
    fetch.mockImplementationOnce(async () =>
      json(200, { access_token: jwt({ sub: 'ada', iat, exp: iat + 60 }), expires_in: 0 }),
    )
    const { store } = setupAuth({ restore: false })
    await store.login(credentials)
    expect(store.isAuthenticated).toBe(true)
    expect(store.expiresAt! - Date.now()).toBeGreaterThan(58_000)
  })

  it.each(['Infinity', '1e999'])(
    'takes an expires_in of %j, endless, as no lifetime: an opaque token then has no expiry and is not refreshed by itself',
    async (expiresIn) => {
      const { server, fetch } = useFakeServer()
      fetch.mockImplementationOnce(async () =>
        json(200, { token: 'opaque-123', expires_in: expiresIn }),
      )
      const { store } = setupAuth({ restore: false })
      await store.login(credentials)
      expect(store.expiresAt).toBeNull()
      await vi.advanceTimersByTimeAsync(3_600_000)
      expect(server.stats.refreshes).toBe(0)
      expect(store.accessToken).toBe('opaque-123')
    },
  )

  it.each([true, [], {}, 'soon', 'Infinity', '1e999'])(
    'ignores an expires_in that is no number of seconds (%j), and uses the JWT exp',
    async (expiresIn) => {
      const { fetch } = useFakeServer()
      const iat = Math.floor(Date.now() / 1000)
      fetch.mockImplementationOnce(async () =>
        json(200, { access_token: jwt({ iat, exp: iat + 60 }), expires_in: expiresIn }),
      )
      const { store } = setupAuth({ restore: false })
      await store.login(credentials)
      expect(store.expiresAt! - Date.now()).toBeGreaterThan(58_000)
      expect(store.expiresAt! - Date.now()).toBeLessThanOrEqual(60_000)
    },
  )

  it.each([
    ['a number', '123'],
    ['a string', '"admin"'],
    ['null', 'null'],
  ])('takes a JWT whose payload is %s, not an object, as an opaque token', async (_, payload) => {
    const { fetch } = useFakeServer()
    const encode = (text: string) => Buffer.from(text).toString('base64url')
    const token = `${encode('{"alg":"none"}')}.${encode(payload)}.`
    fetch.mockImplementationOnce(async () => json(200, { access_token: token, expires_in: 60 }))
    const { store } = setupAuth({ restore: false })
    await store.login(credentials)
    expect(store.accessToken).toBe(token)
    expect(store.claims).toBeNull()
    expect(store.roles).toEqual([])
    expect(store.expiresAt).toBe(Date.now() + 60_000)
  })

  it('ends a hanging refresh one second before another tab may take the lock, and retries', async () => {
    // With crossTab.lockTimeout 5 s, a refresh that never answers is aborted after 4 s: the
    // lock this tab holds is never stolen while its refresh could still rotate the cookie.
    const { server, fetch, store } = await signedIn({ crossTab: { lockTimeout: 5_000 } })
    fetch.mockImplementationOnce(
      (_input, init) =>
        new Promise((_resolve, reject) =>
          init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason)),
        ),
    )
    let settled: unknown = 'pending'
    void store.refresh().catch((error) => (settled = error))
    await vi.advanceTimersByTimeAsync(3_900)
    expect(settled).toBe('pending')
    await vi.advanceTimersByTimeAsync(200)
    // The explicit refresh reports the lost answer; the session stays and the backoff retries.
    expect(isAuthError(settled, 'network')).toBe(true)
    expect(store.isAuthenticated).toBe(true)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(server.stats.refreshes).toBe(1)
    expect(store.isAuthenticated).toBe(true)
  })
})

describe('what else an app relies on', () => {
  it('fails login() with misconfigured, sending nothing, when endpoints.login is false', async () => {
    const { fetch } = useFakeServer()
    const { store } = setupAuth({ restore: false, endpoints: { login: false } })
    const error = await store.login(credentials).catch((e) => e)
    expect(isAuthError(error, 'misconfigured')).toBe(true)
    expect(store.error).toBe(error)
    expect(fetch).not.toHaveBeenCalled()
  })

  it('says auth.store was read before app.use(auth)', () => {
    const auth = createAuth()
    expect(() => auth.store).toThrowError(
      expect.objectContaining({
        code: 'misconfigured',
        message: expect.stringMatching(/app\.use/),
      }),
    )
  })

  it('honours a Retry-After given as an HTTP date', async () => {
    const { server, fetch, $fetch } = await signedIn()
    server.expireAccessTokens()
    const until = new Date(Date.now() + 10_000).toUTCString()
    const realFetch = fetch.getMockImplementation()!
    let busy = true
    fetch.mockImplementation(async (input, init) => {
      if (!busy || !String(input).endsWith('/auth/refresh')) return realFetch(input, init)
      busy = false
      return json(503, { error: 'busy' }, { 'retry-after': until })
    })
    await $fetch('/a').catch(() => {})
    const retry = $fetch('/b')
    await vi.advanceTimersByTimeAsync(9_900)
    expect(server.stats.refreshes).toBe(0)
    await vi.advanceTimersByTimeAsync(200)
    await expect(retry).resolves.toBeTruthy()
    expect(server.stats.refreshes).toBe(1)
  })

  it('keeps store.user null when the login answer carries no user object', async () => {
    const { fetch } = useFakeServer()
    const iat = Math.floor(Date.now() / 1000)
    const token = jwt({ sub: 'alice', iat, exp: iat + 60 })
    fetch.mockImplementationOnce(async () => json(200, { access_token: token, user: 'alice' }))
    const { store } = setupAuth({ restore: false })
    await store.login(credentials)
    expect(store.user).toBeNull()
    fetch.mockImplementationOnce(async () => json(200, { access_token: token }))
    await store.login(credentials)
    expect(store.user).toBeNull()
  })

  it('revokes only the late login’s own session, and reports when that revocation fails', async () => {
    const { server, fetch } = useFakeServer()
    // Alice is signed in on another device too; that session must outlive this one.
    const phone = server.client()
    await phone.fetch('/auth/login', { method: 'POST', body: JSON.stringify(credentials) })
    const answer = deferred<Response>()
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementationOnce(() => answer.promise)
    const { store } = setupAuth({ restore: false })
    const login = store.login(credentials).catch((e) => e)
    await vi.advanceTimersByTimeAsync(0)
    await store.logout()
    server.fail('logout', { status: 500 })
    answer.resolve(
      await realFetch('/auth/login', { method: 'POST', body: JSON.stringify(credentials) }),
    )
    expect(isAuthError(await login, 'unauthorized')).toBe(true)
    await vi.advanceTimersByTimeAsync(0)
    expect(isAuthError(store.error, 'server')).toBe(true)
    const still = await phone.fetch('/auth/refresh', { method: 'POST' })
    expect(still.status).toBe(200)
  })

  it('revokes a late login in body mode with the refresh token it answered with', async () => {
    const { server, fetch, issued } = useFakeServer({ refresh: 'body' })
    const answer = deferred<Response>()
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementationOnce(() => answer.promise)
    const { store } = setupAuth({ tokens: bodyTokens })
    const login = store.login(credentials).catch((e) => e)
    await vi.advanceTimersByTimeAsync(0)
    await store.logout()
    answer.resolve(
      await realFetch('/auth/login', { method: 'POST', body: JSON.stringify(credentials) }),
    )
    expect(isAuthError(await login, 'unauthorized')).toBe(true)
    await vi.advanceTimersByTimeAsync(0)
    expect(server.stats.logouts).toBe(1)
    expect(server.requests.at(-1)!.body).toEqual({ refresh_token: issued[0]!.refresh })
  })

  it('does not try a restore on focus after a login and a logout', async () => {
    const { server } = useFakeServer()
    const { auth, store } = setupAuth()
    await auth.ready // the start-up restore: no refresh cookie, so no session
    await store.login(credentials)
    await store.logout()
    const before = server.requests.length
    window.dispatchEvent(new Event('focus'))
    await vi.advanceTimersByTimeAsync(60_000)
    expect(server.requests.slice(before)).toEqual([])
  })

  it('ends the session even when onSessionExpired throws, and rethrows that error uncaught', async () => {
    const thrown: unknown[] = []
    // The library rethrows the app's error from a microtask, as an uncaught error would be.
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => {
      Promise.resolve().then(() => {
        try {
          task()
        } catch (error) {
          thrown.push(error)
        }
      })
    })
    const bug = new Error('the app’s handler is broken')
    const { server, store, $fetch } = await signedIn({
      onSessionExpired: () => {
        throw bug
      },
    })
    server.revoke('alice')
    server.expireAccessTokens()
    const error = await $fetch('/a').catch((e) => e)
    expect(isAuthError(error, 'session_expired')).toBe(true)
    expect(store.status).toBe('unauthenticated')
    await vi.advanceTimersByTimeAsync(0)
    expect(thrown).toContain(bug)
  })
})

describe('more of the options and the countdown', () => {
  it('sends an endpoint given as a bare path with POST', async () => {
    const { server } = useFakeServer()
    const { store } = setupAuth({ restore: false, endpoints: { refresh: '/auth/refresh' } })
    await store.login(credentials)
    await store.refresh()
    expect(server.requests.at(-1)).toMatchObject({ method: 'POST', path: '/auth/refresh' })
    expect(server.stats.refreshes).toBe(1)
  })

  it('ends the session on a 401 when refresh is turned off (endpoints.refresh: false)', async () => {
    const { server, store, $fetch } = await signedIn({ endpoints: { refresh: false } })
    server.expireAccessTokens()
    const error = await $fetch('/a').catch((e) => e)
    expect(isAuthError(error, 'session_expired')).toBe(true)
    expect(error.message).toMatch(/endpoints\.refresh is false/)
    expect(store.status).toBe('unauthenticated')
    expect(server.requests.some((r) => r.path === '/auth/refresh')).toBe(false)
  })

  it('caps the leeway at half the life of a JWT with exp but no iat', async () => {
    const { server, fetch } = useFakeServer()
    const exp = Math.floor(Date.now() / 1000) + 4
    fetch.mockImplementationOnce(async () => json(200, { access_token: jwt({ sub: 'x', exp }) }))
    const { store } = setupAuth({ restore: false, refreshLeeway: 30 })
    await store.login(credentials)
    await vi.advanceTimersByTimeAsync(500)
    expect(server.stats.refreshes).toBe(0) // not at once: half of what is left is still ahead
    await vi.advanceTimersByTimeAsync(3_000)
    expect(server.stats.refreshes).toBe(1)
  })

  it.each([
    ['send', { read: (b: any) => b.refresh_token }],
    ['read', { send: (token: string) => ({ refresh_token: token }) }],
  ])('rejects a body-mode tokens.refresh without %s', (_, refresh) => {
    expect(() => createAuth({ tokens: { refresh: refresh as any } })).toThrowError(
      expect.objectContaining({ code: 'misconfigured' }),
    )
  })

  it('counts the token down once a second in its scope, at once for a new token, and not after', async () => {
    const { store, app } = await signedIn({ refreshLeeway: 0 })
    // Start the countdown 5 s before the expiry the session placed, on a whole second of it.
    await vi.advanceTimersByTimeAsync(store.expiresAt! - Date.now() - 5_000)
    const scope = effectScope()
    const expiry = app.runWithContext(() => scope.run(() => useTokenExpiry()))!
    expect(expiry.expiresAt.value).toBe(store.expiresAt)
    expect(expiry.secondsLeft.value).toBe(5)
    await vi.advanceTimersByTimeAsync(4_000)
    expect(expiry.secondsLeft.value).toBe(1)
    expect(expiry.isExpired.value).toBe(false)
    await vi.advanceTimersByTimeAsync(1_000) // the expiry instant itself
    expect(expiry.secondsLeft.value).toBe(0)
    expect(expiry.isExpired.value).toBe(true)
    // Half a second after the last tick, a new token is counted from now, not from that tick.
    await vi.advanceTimersByTimeAsync(500)
    await store.login(credentials)
    expect(expiry.secondsLeft.value).toBe(Math.ceil((store.expiresAt! - Date.now()) / 1000))
    expect(expiry.secondsLeft.value).toBeGreaterThan(55)
    expect(expiry.isExpired.value).toBe(false)
    scope.stop()
    const left = expiry.secondsLeft.value
    await vi.advanceTimersByTimeAsync(5_000)
    expect(expiry.secondsLeft.value).toBe(left)
    await store.logout()
    expect(expiry.expiresAt.value).toBeNull()
    expect(expiry.secondsLeft.value).toBeNull()
    expect(expiry.isExpired.value).toBe(false)
  })

  it('does not tick outside an effect scope', async () => {
    const { app } = await signedIn({ refreshLeeway: 0 })
    const expiry = app.runWithContext(() => useTokenExpiry())
    const left = expiry.secondsLeft.value
    await vi.advanceTimersByTimeAsync(3_000)
    expect(expiry.secondsLeft.value).toBe(left)
  })
})

describe('the user endpoint, logout and restore', () => {
  it('loads the user from endpoints.user at its own path, whatever the baseURL', async () => {
    const { server } = useFakeServer()
    const { store } = setupAuth({
      restore: false,
      baseURL: '/api',
      endpoints: { user: 'GET /auth/me' },
    })
    await store.login(credentials)
    expect(store.user).toMatchObject({ username: 'alice' })
    expect(server.requests.map((r) => r.path)).toEqual(['/auth/login', '/auth/me'])
    await expect(store.fetchUser()).resolves.toMatchObject({ username: 'alice' })
  })

  it('answers fetchUser() with the user it has, sending nothing, without endpoints.user', async () => {
    const { server, store } = await signedIn()
    const before = server.requests.length
    const user = store.user // the login answer's
    expect(user).toMatchObject({ username: 'alice' })
    await expect(store.fetchUser()).resolves.toBe(user)
    expect(server.requests).toHaveLength(before)
  })

  it('keeps a login whose user endpoint fails, with the failure in store.error', async () => {
    const { server } = useFakeServer()
    server.fail('user', { status: 500, times: 2 }) // ofetch retries a failed GET once
    const { store } = setupAuth({ restore: false, endpoints: { user: 'GET /auth/me' } })
    await store.login(credentials)
    expect(store.isAuthenticated).toBe(true)
    expect(isAuthError(store.error, 'server')).toBe(true)
  })

  it('loads the user after a start-up restore, and is ready once it has', async () => {
    const { server, earlierSession } = useFakeServer()
    await earlierSession()
    const { auth, store } = setupAuth({ endpoints: { user: 'GET /auth/me' } })
    // The user load is a request of its own; it must not wait for the restore it is part of.
    await auth.ready
    expect(server.requests.map((r) => r.path)).toEqual(['/auth/refresh', '/auth/me'])
    expect(store.isAuthenticated).toBe(true)
    expect(store.user).toMatchObject({ username: 'alice' })
  })

  it('logs out only this session by default', async () => {
    const { server, store } = await signedIn()
    const phone = server.client()
    await phone.fetch('/auth/login', { method: 'POST', body: JSON.stringify(credentials) })
    await store.logout()
    expect(server.requests.at(-1)).toMatchObject({ path: '/auth/logout', body: undefined })
    expect((await phone.fetch('/auth/refresh', { method: 'POST' })).status).toBe(200)
  })

  it('sends no logout request when endpoints.logout is false', async () => {
    const { server, store } = await signedIn({ endpoints: { logout: false } })
    await store.logout()
    expect(store.status).toBe('unauthenticated')
    expect(server.stats.logouts).toBe(0)
    expect(server.requests.some((r) => r.path === '/auth/logout')).toBe(false)
  })

  it('sends no logout request in body mode when it holds no refresh token', async () => {
    // A login answer without a refresh token: there is nothing for the server to revoke.
    const { server, store } = await bodyModeWithoutRefreshToken()
    await store.logout()
    expect(server.requests.some((r) => r.path === '/auth/logout')).toBe(false)
  })

  it('does not try a restore on focus after a restored session logged out', async () => {
    const { server, earlierSession } = useFakeServer()
    await earlierSession()
    const { auth, store } = setupAuth()
    await auth.ready
    expect(store.isAuthenticated).toBe(true)
    await store.logout()
    const before = server.requests.length
    window.dispatchEvent(new Event('focus'))
    await vi.advanceTimersByTimeAsync(60_000)
    expect(server.requests.slice(before)).toEqual([])
  })
})

describe('a server slower than its tokens are long', () => {
  it('refreshes at once after a token that arrived with two round trips or less to live, but does not loop on a run of them', async () => {
    const { server, fetch } = useFakeServer()
    const { store } = setupAuth({ restore: false, refreshLeeway: 30 })
    await store.login(credentials) // a 60 s token
    // From now on every refresh takes 0.5 s and answers a token of 1.5 s, counted from when the
    // request left: it arrives with 1 s to live, no more than two round trips, too little to plan
    // a refresh in.
    let refreshes = 0
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementation(async (input, init) => {
      if (!String(input).endsWith('/auth/refresh')) return realFetch(input, init)
      refreshes++
      await new Promise((resolve) => setTimeout(resolve, 500))
      return json(200, { access_token: `opaque-${refreshes}`, expires_in: 1.5 })
    })
    const refreshed = store.refresh()
    await vi.advanceTimersByTimeAsync(500)
    await refreshed
    expect(store.accessToken).toBe('opaque-1')
    // Too little life to use twice: refreshed right away, without waiting for a request.
    await vi.advanceTimersByTimeAsync(100)
    expect(refreshes).toBe(2)
    // The second nearly-dead token in a row: requests refresh as they need to, no timer loop.
    await vi.advanceTimersByTimeAsync(20_000)
    expect(refreshes).toBe(2)
    expect(server.stats.refreshes).toBe(0) // the real server saw none of these
  })

  /**
   * Signs in, then answers every refresh at once with `answers(n)` for the n-th refresh, or, past
   * the list, a 60 s JWT issued 50 s ago (a token cache in front of the issuer): 10 s to live,
   * many round trips, but less than a quarter of its life. The Date header tells a token issued
   * long ago from a client clock that is off.
   */
  async function cachedTokens(answers: Record<string, unknown>[] = []) {
    const { fetch } = useFakeServer()
    const { store } = setupAuth({ restore: false, refreshLeeway: 30 })
    await store.login(credentials) // a 60 s token
    return { store, counter: nearlyDeadRefreshes(fetch, answers) }
  }

  it('refreshes at once after a JWT handed out with less than a quarter of its life left, but does not loop on a run of them', async () => {
    const { store, counter } = await cachedTokens()
    await store.refresh()
    await vi.advanceTimersByTimeAsync(100)
    expect(counter.refreshes).toBe(2)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(counter.refreshes).toBe(2)
    expect(store.isAuthenticated).toBe(true)
  })

  it('counts a token without an expiry as none of that run: the short one after it is still refreshed at once', async () => {
    const { store, counter } = await cachedTokens([{ access_token: 'opaque-without-expiry' }])
    await store.refresh()
    expect(store.expiresAt).toBeNull()
    await store.refresh()
    expect(counter.refreshes).toBe(2)
    await vi.advanceTimersByTimeAsync(100)
    expect(counter.refreshes).toBe(3)
  })
})

describe('reading the options and the answers', () => {
  it.each(['GET /auth/me extra', 'fetch the user'])(
    'refuses the endpoint %j with misconfigured',
    (user) => {
      expect(() => createAuth({ endpoints: { user } })).toThrowError(
        expect.objectContaining({
          code: 'misconfigured',
          message: expect.stringMatching(/METHOD \/path/),
        }),
      )
    },
  )

  it('reads endpoints with any run of blanks between method and path', async () => {
    const { server } = useFakeServer()
    const { store } = setupAuth({
      restore: false,
      endpoints: {
        logout: 'patch /auth/logout',
        refresh: { url: '/auth/refresh', method: 'patch' },
        user: 'GET  /auth/me', // any run of blanks between the two
      },
    })
    await store.login(credentials)
    await store.refresh().catch(() => {})
    await store.logout().catch(() => {})
    const methods = server.requests.map((r) => `${r.method} ${r.path}`)
    expect(methods).toEqual([
      'POST /auth/login',
      'GET /auth/me',
      'PATCH /auth/refresh',
      'PATCH /auth/logout',
    ])
  })

  it('refuses a login answer whose body is null with bad_response', async () => {
    const { fetch } = useFakeServer()
    fetch.mockImplementationOnce(async () => json(200, null))
    const { store } = setupAuth({ restore: false })
    const error = await store.login(credentials).catch((e) => e)
    expect(isAuthError(error, 'bad_response')).toBe(true)
  })

  it.each([
    ['an opaque token', { token: 'opaque', expires_in: 60 }, []],
    ['claims without roles', { access_token: jwt({ sub: 'a' }) }, []],
    [
      'roles with non-strings',
      { access_token: jwt({ sub: 'a', roles: ['admin', 5, null] }) },
      ['admin'],
    ],
    ['a role that is not a string', { access_token: jwt({ sub: 'a', role: 5 }) }, []],
  ])('reads the roles of %s', async (_, answer, roles) => {
    const { fetch } = useFakeServer()
    fetch.mockImplementationOnce(async () => json(200, answer))
    const { store } = setupAuth({ restore: false })
    await store.login(credentials)
    expect(store.roles).toEqual(roles)
  })
})

describe('the start-up restore, again', () => {
  it('retries a restore the server answered 503, and not one it answered without a token', async () => {
    const { server, earlierSession } = useFakeServer()
    await earlierSession()
    server.fail('refresh', { status: 503 })
    const { auth, store } = setupAuth()
    await auth.ready
    expect(store.status).toBe('unauthenticated')
    await vi.advanceTimersByTimeAsync(1_000)
    expect(store.status).toBe('authenticated')
  })

  it('does not retry a restore whose answer carried no token', async () => {
    const { server, fetch, earlierSession } = useFakeServer()
    await earlierSession()
    fetch.mockImplementationOnce(async () => json(200, { ok: true }))
    const { auth, store } = setupAuth()
    await auth.ready
    expect(isAuthError(store.error, 'bad_response')).toBe(true)
    const before = server.requests.length
    window.dispatchEvent(new Event('focus'))
    await vi.advanceTimersByTimeAsync(60_000)
    expect(server.requests.slice(before)).toEqual([])
  })

  it('restores once, and loads the user once, when the app asks for a restore during the start-up one', async () => {
    const { server, earlierSession } = useFakeServer()
    await earlierSession()
    const { auth, store } = setupAuth({ endpoints: { user: 'GET /auth/me' } })
    void store.restore()
    await auth.ready
    await vi.advanceTimersByTimeAsync(0)
    expect(server.requests.map((r) => r.path)).toEqual(['/auth/refresh', '/auth/me'])
  })

  it('keeps a session it holds when restore() is called with restore off', async () => {
    const { store } = await signedIn()
    await store.restore()
    expect(store.status).toBe('authenticated')
  })

  it('does not spin on a token that lives longer than a timer can wait (2^31 − 1 ms)', async () => {
    const { server, fetch } = useFakeServer()
    fetch.mockImplementationOnce(async () =>
      json(200, { token: 'opaque', expires_in: 60 * 86_400 }),
    )
    const { store } = setupAuth({ restore: false, refreshLeeway: 30 })
    await store.login(credentials)
    const timers = vi.spyOn(globalThis, 'setTimeout')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(timers.mock.calls.length).toBeLessThan(5)
    expect(server.stats.refreshes).toBe(0)
  })
})

describe('refreshes that must not go', () => {
  it('ends a body-mode session that holds no refresh token without sending a refresh', async () => {
    const { server, store } = await bodyModeWithoutRefreshToken()
    const error = await store.refresh().catch((e) => e)
    expect(isAuthError(error, 'session_expired')).toBe(true)
    expect(error.message).toMatch(/no refresh token in memory/)
    expect(server.requests.some((r) => r.path === '/auth/refresh')).toBe(false)
  })

  it('does not send a refresh that waited behind a login when the user logged out meanwhile', async () => {
    const { server, fetch, store, $fetch } = await signedIn()
    server.expireAccessTokens()
    const slowLogin = deferred<Response>()
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementationOnce(() => slowLogin.promise)
    const login = store.login(credentials).catch((e) => e)
    await vi.advanceTimersByTimeAsync(0)
    const request = $fetch('/a').catch((e) => e) // its 401's refresh waits behind the login
    await vi.advanceTimersByTimeAsync(0)
    await store.logout()
    slowLogin.resolve(
      await realFetch('/auth/login', { method: 'POST', body: JSON.stringify(credentials) }),
    )
    await login
    expect(isAuthError(await request)).toBe(true)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(server.requests.filter((r) => r.path === '/auth/refresh')).toHaveLength(0)
    expect(store.status).toBe('unauthenticated')
  })
})

describe('a refresh that outlives its session', () => {
  it('drops a refresh answered after the user logged out: no sign-in again, nothing announced', async () => {
    const events: string[] = []
    const { fetch, store } = await signedIn({
      onEvent: (event) => event.type === 'tab:sent' && events.push(event.message),
    })
    const answer = deferred()
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementationOnce(async (input, init) => {
      const response = await realFetch(input, init) // the server rotated and answered
      await answer.promise // the answer is slow to arrive
      return response
    })
    const refreshed = store.refresh().catch((e) => e)
    await vi.advanceTimersByTimeAsync(0)
    await store.logout()
    events.length = 0 // the logout's own message
    answer.resolve()
    expect(isAuthError(await refreshed)).toBe(true)
    await vi.advanceTimersByTimeAsync(0)
    expect(store.status).toBe('unauthenticated')
    expect(store.accessToken).toBeNull()
    expect(events).toEqual([])
  })

  it('sends nothing after a backoff the user logged out during', async () => {
    const { server, store, $fetch } = await signedIn()
    server.expireAccessTokens()
    server.fail('refresh', { status: 503 })
    await $fetch('/a').catch(() => {})
    const waiting = $fetch('/b').catch((e) => e) // waits out the backoff
    await vi.advanceTimersByTimeAsync(0)
    await store.logout()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(isAuthError(await waiting)).toBe(true)
    expect(server.requests.filter((r) => r.path === '/auth/refresh')).toHaveLength(1)
  })

  it('does not call onSessionExpired for a refresh refused after the user logged out', async () => {
    const onSessionExpired = vi.fn()
    const { server, store } = await signedIn({ onSessionExpired })
    server.fail('refresh', { status: 401, delay: 1_000 })
    const refreshed = store.refresh().catch((e) => e)
    await vi.advanceTimersByTimeAsync(0)
    await store.logout()
    await vi.advanceTimersByTimeAsync(1_000)
    await refreshed
    expect(onSessionExpired).not.toHaveBeenCalled()
    expect(store.error).toBeNull()
  })

  it('reports how long each refresh took, to onEvent', async () => {
    const durations: [string, number][] = []
    const { server, store } = await signedIn({
      onEvent: (event) => {
        if (event.type === 'refresh:success' || event.type === 'refresh:failure')
          durations.push([event.type, event.duration])
      },
    })
    server.fail('refresh', { delay: 300 })
    const ok = store.refresh()
    await vi.advanceTimersByTimeAsync(300)
    await ok
    server.fail('refresh', { status: 500, delay: 200 })
    const failed = store.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(200)
    await failed
    expect(durations).toEqual([
      ['refresh:success', 300],
      ['refresh:failure', 200],
    ])
  })
})

describe('the store when signed out', () => {
  it('has no token, claims, roles or expiry', async () => {
    const { store } = await signedIn()
    await store.logout()
    expect(store.accessToken).toBeNull()
    expect(store.claims).toBeNull()
    expect(store.roles).toEqual([])
    expect(store.expiresAt).toBeNull()
  })
})

describe('against the kit with its options', () => {
  it('sends the double-submit CSRF header from the cookie the login set', async () => {
    const { server } = useFakeServer({ csrf: { header: 'x-csrf', cookie: 'csrf' } })
    const { store } = setupAuth({ restore: false, csrf: { header: 'x-csrf', cookie: 'csrf' } })
    await store.login(credentials)
    await store.refresh()
    expect(server.stats.refreshes).toBe(1)
    expect(server.requests.at(-1)!.headers.get('x-csrf')).toBe(server.cookies.get('csrf'))
  })

  it('fails login() with the server’s error when the kit is told to fail it', async () => {
    const { server } = useFakeServer()
    server.fail('login', { status: 500 })
    const { store } = setupAuth({ restore: false })
    const error = await store.login(credentials).catch((e) => e)
    expect(isAuthError(error, 'server')).toBe(true)
    expect(server.stats.logins).toBe(0)
  })
})
