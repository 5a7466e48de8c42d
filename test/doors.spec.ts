// @vitest-environment happy-dom
// One conformance suite for every door to the session (issue 12): the ofetch instance
// (useAuthFetch), fetchWithAuth and axios with withAuth. Each behaviour a user relies on is run
// against all three; where a door's own conventions differ (fetch resolves HTTP answers as a
// Response, the others reject), the test says so.
import axios, { AxiosError, type AxiosInstance } from 'axios'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { watch } from 'vue'
import { isAuthError, type AuthOptions } from '../src'
import { ejectAuth, withAuth } from '../src/axios'
import type { FakeRequest } from '../src/testing'
import { credentials, deferred, json, setupAuth, useFakeServer } from './utils'

beforeEach(() => {
  // A whole second, so JWT iat/exp (whole seconds) line up with the clock exactly.
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
})
afterEach(() => {
  vi.useRealTimers()
})

type Ctx = ReturnType<typeof setupAuth>

interface Call {
  method?: 'GET' | 'POST'
  body?: unknown
  headers?: Record<string, string>
}

/** What a door's request came to: an HTTP answer, or a rejection. */
type Outcome = { status: number; data: unknown } | { error: any }

interface DoorUnderTest {
  name: 'ofetch' | 'fetchWithAuth' | 'axios'
  /** Sends through the door; resolves with the answer or the error, never rejects. */
  send(ctx: Ctx, url: string, call?: Call): Promise<Outcome>
  /** Sends with the door's own way of asking for no Authorization header (per call / interceptor). */
  sendWithoutAuth(ctx: Ctx, url: string): Promise<Outcome>
  /** How a 401 still 401 after the replay looks from this door. */
  finalUnauthorized: 'rejects' | 'resolves'
}

const settle = async (promise: Promise<{ status: number; data: unknown }>): Promise<Outcome> =>
  promise.catch((error: unknown) => ({ error }))

const axiosOf = new WeakMap<Ctx, AxiosInstance>()
/** axios on its fetch adapter, which the fake API answers; one instance per app. */
function axiosFor(ctx: Ctx) {
  let instance = axiosOf.get(ctx)
  if (!instance) {
    instance = withAuth(axios.create({ adapter: 'fetch' }), ctx.auth)
    axiosOf.set(ctx, instance)
  }
  return instance
}

const doors: DoorUnderTest[] = [
  {
    name: 'ofetch',
    finalUnauthorized: 'rejects',
    send: (ctx, url, call = {}) =>
      settle(
        ctx.$fetch
          .raw(url, { method: call.method, body: call.body as never, headers: call.headers })
          .then((r) => ({ status: r.status, data: r._data })),
      ),
    sendWithoutAuth: (ctx, url) =>
      settle(
        ctx.$fetch
          .raw(url, {
            headers: { Authorization: '' },
            onRequest: ({ options }) => void (options.headers as Headers).delete('Authorization'),
          })
          .then((r) => ({ status: r.status, data: r._data })),
      ),
  },
  {
    name: 'fetchWithAuth',
    finalUnauthorized: 'resolves',
    send: (ctx, url, call = {}) =>
      settle(
        ctx.auth
          .fetchWithAuth(url, {
            method: call.method,
            headers: {
              ...(call.body ? { 'content-type': 'application/json' } : {}),
              ...call.headers,
            },
            body: call.body === undefined ? undefined : JSON.stringify(call.body),
          })
          .then(async (r) => ({ status: r.status, data: await r.json().catch(() => null) })),
      ),
    sendWithoutAuth: (ctx, url) =>
      settle(
        ctx.auth
          .fetchWithAuth(url, { headers: { Authorization: 'Bearer forged' } })
          .then(async (r) => ({ status: r.status, data: await r.json() })),
      ),
  },
  {
    name: 'axios',
    finalUnauthorized: 'rejects',
    send: (ctx, url, call = {}) =>
      settle(
        axiosFor(ctx)
          .request({ url, method: call.method ?? 'GET', data: call.body, headers: call.headers })
          .then((r) => ({ status: r.status, data: r.data })),
      ),
    sendWithoutAuth: (ctx, url) => {
      const instance = axiosFor(ctx)
      // Added after withAuth, so axios runs it first: it cannot remove what withAuth sets.
      const id = instance.interceptors.request.use((config) => {
        config.headers.delete('Authorization')
        return config
      })
      return settle(
        instance
          .get(url, { headers: { Authorization: null } })
          .then((r) => ({ status: r.status, data: r.data })),
      ).finally(() => instance.interceptors.request.eject(id))
    },
  },
]

async function signedIn(options: AuthOptions = {}) {
  const server = useFakeServer()
  const ctx = setupAuth({ restore: false, ...options })
  await ctx.store.login(credentials)
  return { ...server, ...ctx }
}

/** The Authorization header a request arrived with. */
const authorization = (request: FakeRequest | undefined) => request!.headers.get('authorization')

const ok = (outcome: Outcome) => {
  if ('error' in outcome) throw outcome.error
  return outcome
}

describe.each(doors)('$name', (door) => {
  describe('Authorization header', () => {
    it('goes to the page origin, never to another origin', async () => {
      const ctx = await signedIn()
      ok(await door.send(ctx, '/items'))
      ok(await door.send(ctx, 'https://cdn.example/thing.json'))
      const [items, cdn] = ctx.server.requests.slice(-2)
      expect(items!.url).toBe('http://app.test/items')
      expect(authorization(items)).toBe(`Bearer ${ctx.store.accessToken}`)
      expect(authorization(cdn)).toBeNull()
    })

    it('goes only to allowedOrigins when they are set', async () => {
      const ctx = await signedIn({ allowedOrigins: ['https://api.example'] })
      ok(await door.send(ctx, 'https://api.example/me'))
      expect(authorization(ctx.server.requests.at(-1))).toMatch(/^Bearer /)
      // The page origin is not allowed here: no token, and its 401 is not the session's business.
      const local = await door.send(ctx, '/local')
      expect(authorization(ctx.server.requests.at(-1))).toBeNull()
      expect(ctx.server.stats.refreshes).toBe(0)
      if ('error' in local) expect(isAuthError(local.error)).toBe(false)
      else expect(local.status).toBe(401)
    })

    it('joins the caller’s own headers, to the page origin and to any other', async () => {
      const ctx = await signedIn()
      ok(await door.send(ctx, '/items', { headers: { 'x-trace': '7' } }))
      ok(await door.send(ctx, 'https://cdn.example/thing.json', { headers: { 'x-trace': '8' } }))
      const [items, cdn] = ctx.server.requests.slice(-2)
      expect(items!.headers.get('x-trace')).toBe('7')
      expect(authorization(items)).toBe(`Bearer ${ctx.store.accessToken}`)
      expect(cdn!.headers.get('x-trace')).toBe('8')
    })

    it('cannot be switched off per call', async () => {
      const ctx = await signedIn()
      ok(await door.sendWithoutAuth(ctx, '/items'))
      expect(authorization(ctx.server.requests.at(-1))).toBe(`Bearer ${ctx.store.accessToken}`)
    })

    it('goes to the user endpoint URL only, not to its whole origin', async () => {
      const ctx = await signedIn({
        allowedOrigins: ['https://api.example'],
        endpoints: { user: 'GET /auth/me' },
      })
      ok(await door.send(ctx, '/auth/me'))
      expect(authorization(ctx.server.requests.at(-1))).toMatch(/^Bearer /)
      await door.send(ctx, 'http://app.test/some/other/path')
      expect(authorization(ctx.server.requests.at(-1))).toBeNull()
    })
  })

  describe('401 handling', () => {
    it('shares one refresh among every request that failed meanwhile, and replays each once', async () => {
      const ctx = await signedIn()
      ctx.server.expireAccessTokens()
      ctx.server.fail('refresh', { delay: 1_000 })
      const all = Promise.all(Array.from({ length: 50 }, (_, i) => door.send(ctx, `/items/${i}`)))
      await vi.advanceTimersByTimeAsync(0)
      await vi.advanceTimersByTimeAsync(1_000) // the refresh is answered
      const results = await all
      expect(results.map((r) => ok(r).status)).toEqual(Array(50).fill(200))
      expect(ctx.server.stats.refreshes).toBe(1)
      const replays = ctx.server.requests.filter(
        (r) => r.path.startsWith('/items/') && r.token === ctx.issued.at(-1)!.access,
      )
      expect(replays).toHaveLength(50)
    })

    it('replays a 401 that arrives after the refresh finished with the new token, without refreshing again', async () => {
      const ctx = await signedIn()
      const old = ctx.store.accessToken
      // This request leaves with the old token, and its 401 is held back until the refresh is done.
      const late = deferred()
      const realFetch = ctx.fetch.getMockImplementation()!
      ctx.fetch.mockImplementationOnce(async (...args) => {
        await late.promise
        return realFetch(...args)
      })
      const slow = door.send(ctx, '/slow')
      await vi.advanceTimersByTimeAsync(0)
      ctx.server.expireAccessTokens()
      expect(ok(await door.send(ctx, '/fast')).status).toBe(200) // 401 → refresh → replay
      expect(ctx.store.accessToken).not.toBe(old)
      late.resolve()
      expect(ok(await slow)).toMatchObject({ status: 200, data: { ok: true, path: '/slow' } })
      expect(ctx.server.stats.refreshes).toBe(1)
    })

    it('replays once: a replay answered 401 again is not sent a third time', async () => {
      const ctx = await signedIn()
      const realFetch = ctx.fetch.getMockImplementation()!
      ctx.fetch.mockImplementation(async (input, init) => {
        const url = input instanceof Request ? input.url : String(input)
        if (url.includes('/forbidden-zone')) {
          await realFetch(input, init) // recorded
          return json(401, { error: 'invalid_token' })
        }
        return realFetch(input, init)
      })
      const outcome = await door.send(ctx, '/forbidden-zone')
      if (door.finalUnauthorized === 'rejects') {
        const { error } = outcome as { error: any }
        expect(isAuthError(error, 'unauthorized')).toBe(true)
        expect(error.status).toBe(401)
        expect(ctx.store.error).toBe(error)
      } else {
        expect(outcome).toMatchObject({ status: 401 })
      }
      expect(ctx.server.stats.refreshes).toBe(1)
      expect(ctx.server.requests.filter((r) => r.path === '/forbidden-zone')).toHaveLength(2)
      expect(ctx.store.isAuthenticated).toBe(true)
    })

    it('rejects a 401 with unauthorized when nobody is signed in, without a refresh', async () => {
      const { server } = useFakeServer()
      const ctx = setupAuth({ restore: false })
      await ctx.store.restore()
      const outcome = await door.send(ctx, '/items')
      expect('error' in outcome && isAuthError(outcome.error, 'unauthorized')).toBe(true)
      expect(server.stats.refreshes).toBe(0)
      // And the app sees it where it sees every failure of the session.
      expect(ctx.store.error?.code).toBe('unauthorized')
    })

    it('passes other HTTP errors through as the client has them', async () => {
      const ctx = await signedIn()
      ctx.fetch.mockImplementationOnce(async () => json(404, { error: 'missing' }))
      const outcome = await door.send(ctx, '/nothing')
      if ('error' in outcome) {
        expect(isAuthError(outcome.error)).toBe(false)
        expect(outcome.error.status ?? outcome.error.response?.status).toBe(404)
      } else {
        expect(outcome).toMatchObject({ status: 404, data: { error: 'missing' } })
      }
    })

    it('passes a request that gets no answer through as the client has it, and keeps the session', async () => {
      const ctx = await signedIn()
      const failure = new TypeError('Failed to fetch')
      // Every time: ofetch retries a GET that got no answer once by itself.
      const realFetch = ctx.fetch.getMockImplementation()!
      ctx.fetch.mockImplementation(async (input, init) => {
        const url = input instanceof Request ? input.url : String(input)
        if (url.endsWith('/items')) throw failure
        return realFetch(input, init)
      })
      const outcome = await door.send(ctx, '/items')
      expect('error' in outcome).toBe(true)
      const { error } = outcome as { error: any }
      expect(isAuthError(error)).toBe(false)
      if (door.name === 'axios') expect(axios.isAxiosError(error) && !error.response).toBe(true)
      else expect(error === failure || error.cause === failure).toBe(true)
      expect(ctx.store.error).toBeNull()
      expect(ctx.store.status).toBe('authenticated')
      expect(ctx.server.stats.refreshes).toBe(0)
    })

    it('never refreshes and retries the auth endpoints themselves', async () => {
      const ctx = await signedIn()
      const outcome = await door.send(ctx, '/auth/login', {
        method: 'POST',
        body: { username: 'alice', password: 'wrong' },
      })
      expect(authorization(ctx.server.requests.at(-1))).toBeNull()
      if ('error' in outcome) expect(isAuthError(outcome.error)).toBe(false)
      else expect(outcome.status).toBe(401)
      expect(ctx.server.stats.refreshes).toBe(0)
      expect(ctx.server.stats).toMatchObject({ logins: 1, loginFailures: 1 })
    })

    it('waits for the refresh instead of sending a token it knows has expired', async () => {
      const ctx = await signedIn()
      await vi.advanceTimersByTimeAsync(61_000)
      const before = ctx.server.requests.length
      ok(await door.send(ctx, '/items'))
      const sent = ctx.server.requests.slice(before).filter((r) => r.path === '/items')
      expect(sent).toHaveLength(1)
      expect(sent[0]!.token).toBe(ctx.issued.at(-1)!.access)
    })

    it('holds a token back from the very millisecond it expires, and sends the refreshed one', async () => {
      const ctx = await signedIn({ refreshLeeway: 0 }) // so the request is what refreshes
      const first = ctx.store.accessToken
      // The fake server answers in no time, so no round trip is taken off the token's life.
      vi.setSystemTime(ctx.store.expiresAt!)
      ok(await door.send(ctx, '/items'))
      const sent = ctx.server.requests.filter((r) => r.path === '/items')
      expect(ctx.server.stats.refreshes).toBe(1)
      expect(sent.map((r) => r.token)).toEqual([ctx.store.accessToken])
      expect(ctx.store.accessToken).not.toBe(first)
    })

    it('holds back a token the server refused while the refresh runs: a request sent meanwhile waits and goes with the new one', async () => {
      const ctx = await signedIn()
      ctx.server.expireAccessTokens()
      ctx.server.fail('refresh', { delay: 1000 })
      const first = door.send(ctx, '/a')
      await vi.advanceTimersByTimeAsync(100) // its 401 is in; the refresh is on its way
      const second = door.send(ctx, '/b')
      await vi.advanceTimersByTimeAsync(1000)
      ok(await first)
      ok(await second)
      const sent = ctx.server.requests.filter((r) => r.path === '/b')
      expect(sent.map((r) => r.token)).toEqual([ctx.store.accessToken])
      expect(ctx.server.stats.refreshes).toBe(1)
    })

    it('sends a request that waited for the refresh without a token, and rejects it with unauthorized, when the app logs out on the new token', async () => {
      const ctx = await signedIn({ refreshLeeway: 0 }) // so the request is what refreshes
      // An app that signs the user out when a refreshed token says so (here: any new token). Its
      // watcher runs before the request that waited for that token goes on.
      const stop = watch(
        () => ctx.store.accessToken,
        (token) => void (token && ctx.store.logout()),
      )
      await vi.advanceTimersByTimeAsync(61_000)
      const before = ctx.server.requests.length
      const outcome = await door.send(ctx, '/items')
      stop()
      expect(ctx.server.stats.refreshes).toBe(1)
      expect('error' in outcome && isAuthError(outcome.error, 'unauthorized')).toBe(true)
      expect(ctx.store.status).toBe('unauthenticated')
      const sent = ctx.server.requests.slice(before).filter((r) => r.path === '/items')
      expect(sent.map((r) => r.token)).toEqual([null])
    })
  })

  describe('session failures', () => {
    it.each([
      ['a rejected refresh', { status: 401, body: { error: 'invalid_grant' } }, 'session_expired'],
      ['a refresh answered 503', { status: 503, body: { error: 'down' } }, 'server'],
      ['a refresh that gets no answer', { drop: true }, 'network'],
    ] as const)(
      'reject with the AuthError of %s, which store.error holds',
      async (_, fault, code) => {
        const ctx = await signedIn()
        ctx.server.expireAccessTokens()
        ctx.server.fail('refresh', fault)
        const outcome = await door.send(ctx, '/items')
        expect('error' in outcome).toBe(true)
        const { error } = outcome as { error: any }
        expect(isAuthError(error, code)).toBe(true)
        expect(ctx.store.error).toBe(error)
        if (door.name === 'axios') expect(error.cause).toBeInstanceOf(AxiosError)
      },
    )
  })

  describe('events', () => {
    it('reports the 401, the refresh and the replay through onEvent, without tokens', async () => {
      const events: { type: string }[] = []
      const ctx = await signedIn({ onEvent: (event) => events.push(event) })
      ctx.server.expireAccessTokens()
      ok(await door.send(ctx, '/items'))
      expect(events.map((e) => e.type).filter((t) => !t.startsWith('tab:'))).toEqual([
        'login',
        'unauthorized',
        'refresh:start',
        'refresh:success',
        'replay',
      ])
      expect(events.find((e) => e.type === 'unauthorized')).toMatchObject({ method: 'GET' })
      expect(JSON.stringify(events)).not.toMatch(/eyJ/)
    })
  })
})

describe('ofetch instance', () => {
  async function ofetchSignedIn(options: AuthOptions = {}) {
    return signedIn(options)
  }

  it("rejects with the session's own error when ofetch's retry of a request that got no answer finds the session ended", async () => {
    const ctx = await ofetchSignedIn({ refreshLeeway: 0 })
    const realFetch = ctx.fetch.getMockImplementation()!
    // The first try gets no answer, and by then the token has expired: ofetch retries the GET by
    // itself, the retry waits for a refresh, and the server refuses it.
    ctx.fetch.mockImplementationOnce(async () => {
      vi.setSystemTime(Date.now() + 61_000)
      throw new TypeError('Failed to fetch')
    })
    ctx.fetch.mockImplementation(realFetch)
    ctx.server.fail('refresh', { status: 401, body: { error: 'invalid_grant' } })
    // A caller's hook of its own (so the token is decided in our hook, on every try).
    const error = await ctx.$fetch('/items', { onRequest: () => {} }).catch((e: unknown) => e)
    expect(isAuthError(error, 'session_expired')).toBe(true)
    expect(ctx.store.error).toBe(error)
    expect(ctx.server.stats.refreshes).toBe(1)
  })

  it('has raw, native and create like an ofetch instance', async () => {
    const { server, $fetch } = await ofetchSignedIn({
      fetchOptions: { headers: { 'x-app': 'demo' } },
    })
    const response = await $fetch.raw('/items')
    expect(response.status).toBe(200)
    expect(response._data).toEqual({ ok: true, path: '/items' })
    const child = $fetch.create({ headers: { 'x-child': '1' } })
    await child('/child')
    const last = server.requests.at(-1)!
    expect(authorization(last)).toMatch(/^Bearer /)
    expect(last.headers.get('x-child')).toBe('1')
    expect(typeof $fetch.native).toBe('function')
  })

  it('runs the instance onRequest hook from fetchOptions, and a caller’s own', async () => {
    const onRequest = vi.fn()
    const { server, $fetch } = await ofetchSignedIn({ fetchOptions: { onRequest } })
    await $fetch('/items')
    expect(onRequest).toHaveBeenCalledOnce()
    const mine = vi.fn(({ options }: { options: { headers: Headers } }) => {
      options.headers.set('x-mine', '1')
    })
    await $fetch('/items', { onRequest: mine })
    expect(mine).toHaveBeenCalledOnce()
    expect(server.requests.at(-1)!.headers.get('x-mine')).toBe('1')
  })

  it('sends no token when a caller’s hook moves the request to another origin', async () => {
    const { server, $fetch } = await ofetchSignedIn()
    await $fetch('/items', {
      onRequest(ctx) {
        ctx.request = 'https://evil.example/steal'
      },
    })
    expect(new URL(server.requests.at(-1)!.url).origin).toBe('https://evil.example')
    expect(authorization(server.requests.at(-1))).toBeNull()
  })

  it('keeps the token from a baseURL given per call to another origin', async () => {
    const { server, $fetch } = await ofetchSignedIn({ baseURL: '/api' })
    await $fetch('/items', { baseURL: 'https://evil.example' })
    expect(new URL(server.requests.at(-1)!.url).origin).toBe('https://evil.example')
    expect(authorization(server.requests.at(-1))).toBeNull()
  })

  it("still refreshes and replays with a caller's onResponseError, throwing or not, and ignoreResponseError", async () => {
    const { server, $fetch } = await ofetchSignedIn()
    server.expireAccessTokens()
    const onResponseError = vi.fn()
    expect(await $fetch('/items', { onResponseError, ignoreResponseError: true })).toEqual({
      ok: true,
      path: '/items',
    })
    server.expireAccessTokens()
    const throwing = () => {
      throw new Error('mine')
    }
    expect(await $fetch('/items', { onResponseError: throwing })).toEqual({
      ok: true,
      path: '/items',
    })
    expect(server.stats.refreshes).toBe(2)
  })

  it('keeps a call’s own headers and puts its token over a caller’s authorization in any case', async () => {
    const { server, store, $fetch } = await ofetchSignedIn()
    await $fetch('/items', { headers: { 'x-trace': '7', authorization: 'Bearer forged' } })
    const sent = server.requests.at(-1)!
    expect(sent.headers.get('x-trace')).toBe('7')
    expect(sent.headers.get('authorization')).toBe(`Bearer ${store.accessToken}`)
  })

  it('judges a Request object it is given by its own URL', async () => {
    const { server, store, $fetch } = await ofetchSignedIn()
    await $fetch(new Request('http://app.test/items'))
    expect(authorization(server.requests.at(-1))).toBe(`Bearer ${store.accessToken}`)
    await $fetch(new Request('https://evil.example/steal'))
    expect(new URL(server.requests.at(-1)!.url).origin).toBe('https://evil.example')
    expect(authorization(server.requests.at(-1))).toBeNull()
  })

  it('reports the method of a request in upper case, with a hook of the caller’s or not', async () => {
    const events: { method: string }[] = []
    const { server, $fetch } = await ofetchSignedIn({
      onEvent: (event) => event.type === 'unauthorized' && events.push(event),
    })
    server.expireAccessTokens()
    await $fetch('/items', { method: 'post', onRequest: () => {} })
    server.expireAccessTokens()
    await $fetch('/items', { method: 'put' })
    expect(events.map((e) => e.method)).toEqual(['POST', 'PUT'])
  })

  it('takes the instance’s default method for a call without one', async () => {
    const events: { method: string }[] = []
    const { server, $fetch } = await ofetchSignedIn({
      fetchOptions: { method: 'POST' },
      onEvent: (event) => event.type === 'unauthorized' && events.push(event),
    })
    server.expireAccessTokens()
    await $fetch('/items')
    expect(events.map((e) => e.method)).toEqual(['POST'])
  })

  it('replays a 401 that ignoreResponseError lets through, with no hook of the caller’s', async () => {
    const { server, $fetch } = await ofetchSignedIn()
    server.expireAccessTokens()
    expect(await $fetch('/items', { ignoreResponseError: true })).toEqual({
      ok: true,
      path: '/items',
    })
    expect(server.stats.refreshes).toBe(1)
  })

  it('uses the fetch of the moment, so one installed after createAuth() (a polyfill, a stub) is used', async () => {
    const ctx = setupAuth({ restore: false })
    const { server } = useFakeServer() // installs the global fetch only now
    await ctx.store.login(credentials)
    await expect(ctx.$fetch('/items')).resolves.toEqual({ ok: true, path: '/items' })
    expect(server.requests.at(-1)!.path).toBe('/items')
  })

  it("runs a caller's onResponse for the 401 and the replay, and replays even when it throws", async () => {
    const { server, $fetch } = await ofetchSignedIn()
    server.expireAccessTokens()
    const seen: number[] = []
    const onResponse = ({ response }: { response: Response }) => {
      seen.push(response.status)
      if (response.status === 401) throw new Error('mine')
    }
    expect(await $fetch('/items', { onResponse })).toEqual({ ok: true, path: '/items' })
    expect(seen).toEqual([401, 200])
    expect(server.stats.refreshes).toBe(1)
  })
})

describe('fetchWithAuth', () => {
  const bodies: [string, () => BodyInit][] = [
    ['a string', () => 'plain text'],
    ['URLSearchParams', () => new URLSearchParams({ a: '1', b: 'two' })],
    ['a Blob', () => new Blob(['blob body'], { type: 'text/plain' })],
    [
      'FormData',
      () => {
        const form = new FormData()
        form.set('field', 'value')
        return form
      },
    ],
  ]

  async function revokedWithEcho() {
    const ctx = await signedIn()
    const seen: string[] = []
    const realFetch = ctx.fetch.getMockImplementation()!
    ctx.fetch.mockImplementation(async (input, init) => {
      const given =
        input instanceof Request
          ? input
          : new Request(new URL(String(input), 'http://app.test'), init)
      // As a real fetch does, sending reads (and so uses up) the body of the Request it is given.
      const headers = new Headers(given.headers)
      if (input instanceof Request) new Headers(init?.headers).forEach((v, k) => headers.set(k, v))
      const request = new Request(given.url, {
        method: given.method,
        headers,
        body: given.body ? await given.arrayBuffer() : undefined,
      })
      if (new URL(request.url).pathname === '/echo') {
        // A multipart boundary is new on every send: compare the fields, not the bytes.
        const copy = request.clone()
        const multipart = copy.headers.get('content-type')?.startsWith('multipart/form-data')
        seen.push(
          multipart ? JSON.stringify([...(await copy.formData()).entries()]) : await copy.text(),
        )
      }
      // The Request made here owns the body now (a stream can be read only once).
      return realFetch(request)
    })
    ctx.server.expireAccessTokens()
    return { ...ctx, seen }
  }

  it.each(bodies)('replays %s body intact after a 401', async (_, body) => {
    const { auth, seen, server } = await revokedWithEcho()
    const response = await auth.fetchWithAuth('/echo', { method: 'POST', body: body() })
    expect(response.status).toBe(200)
    expect(seen).toHaveLength(2)
    expect(seen[1]).toBe(seen[0])
    expect(seen[0]).not.toBe('')
    expect(server.stats.refreshes).toBe(1)
  })

  it('replays a Request, body and headers intact, after a 401', async () => {
    const { auth, seen, server, issued } = await revokedWithEcho()
    const request = new Request('http://app.test/echo', {
      method: 'POST',
      body: JSON.stringify({ n: 1 }),
      headers: { 'x-mine': 'kept', 'content-type': 'application/json' },
    })
    const response = await auth.fetchWithAuth(request)
    expect(response.status).toBe(200)
    expect(seen).toEqual(['{"n":1}', '{"n":1}'])
    const replay = server.requests.at(-1)!
    expect(replay.headers.get('x-mine')).toBe('kept')
    expect(replay.token).toBe(issued.at(-1)!.access)
  })

  it('sends a ReadableStream body once, and rejects its 401 with a clear unauthorized', async () => {
    const { auth, seen, store } = await revokedWithEcho()
    const stream = new Blob(['streamed']).stream()
    const error = await auth
      .fetchWithAuth('/echo', { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
      .catch((e) => e)
    expect(isAuthError(error, 'unauthorized')).toBe(true)
    expect(error.message).toMatch(/ReadableStream/)
    expect(error.status).toBe(401)
    expect(store.error).toBe(error)
    expect(seen).toHaveLength(1)
  })

  it('sends a ReadableStream body with a valid token as any other', async () => {
    const ctx = await signedIn()
    const stream = new Blob(['streamed']).stream()
    const response = await ctx.auth.fetchWithAuth('/echo', {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(200)
  })

  it('reports a Request’s own method, and replays a 401 that has no body', async () => {
    const events: { method: string }[] = []
    const ctx = await signedIn({
      onEvent: (event) => event.type === 'unauthorized' && events.push(event),
    })
    const realFetch = ctx.fetch.getMockImplementation()!
    let first = true
    ctx.fetch.mockImplementation(async (input, init) => {
      if (first && String(input instanceof Request ? input.url : input).endsWith('/items')) {
        first = false
        return new Response(null, { status: 401 })
      }
      return realFetch(input, init)
    })
    const response = await ctx.auth.fetchWithAuth(
      new Request('http://app.test/items', { method: 'PUT' }),
    )
    expect(response.status).toBe(200)
    expect(events.map((e) => e.method)).toEqual(['PUT'])
  })

  it('is the app’s own with two apps on the page, whichever Pinia is active', async () => {
    const first = await signedIn()
    const second = setupAuth({ restore: false }) // its Pinia is the active one now
    const { useFetchWithAuth } = await import('../src')
    expect(first.app.runWithContext(() => useFetchWithAuth())).toBe(first.auth.fetchWithAuth)
    expect(second.app.runWithContext(() => useFetchWithAuth())).toBe(second.auth.fetchWithAuth)
  })

  it('is what useFetchWithAuth() returns inside the app', async () => {
    const { app, auth } = await signedIn()
    const { useFetchWithAuth } = await import('../src')
    expect(app.runWithContext(() => useFetchWithAuth())).toBe(auth.fetchWithAuth)
  })
})

describe('axios binding', () => {
  it('is harmless to install twice: one refresh, one replay', async () => {
    const ctx = await signedIn()
    const instance = axios.create({ adapter: 'fetch' })
    withAuth(withAuth(instance, ctx.auth), ctx.auth)
    ctx.server.expireAccessTokens()
    expect((await instance.get('/items')).status).toBe(200)
    expect(ctx.server.stats.refreshes).toBe(1)
    expect(ctx.server.requests.filter((r) => r.path === '/items')).toHaveLength(2)
  })

  it('runs the app’s response interceptors once for a replayed request', async () => {
    const ctx = await signedIn()
    const instance = withAuth(axios.create({ adapter: 'fetch' }), ctx.auth)
    const unwrap = vi.fn((response: { data: unknown }) => response.data)
    instance.interceptors.response.use(unwrap as never)
    ctx.server.expireAccessTokens()
    expect(await instance.get('/items')).toEqual({ ok: true, path: '/items' })
    expect(unwrap).toHaveBeenCalledOnce()
    expect(ctx.server.stats.refreshes).toBe(1)
  })

  it('replays a 401 that validateStatus lets through as an answer', async () => {
    const ctx = await signedIn()
    const instance = withAuth(
      axios.create({ adapter: 'fetch', validateStatus: () => true }),
      ctx.auth,
    )
    ctx.server.expireAccessTokens()
    const response = await instance.get('/items')
    expect(response.status).toBe(200)
    expect(ctx.server.stats.refreshes).toBe(1)
  })

  it('sends no token when an interceptor moves the request to another origin', async () => {
    const ctx = await signedIn()
    const instance = withAuth(axios.create({ adapter: 'fetch' }), ctx.auth)
    instance.interceptors.request.use((config) => ({
      ...config,
      url: 'https://evil.example/steal',
    }))
    await instance.get('/items')
    expect(new URL(ctx.server.requests.at(-1)!.url).origin).toBe('https://evil.example')
    expect(authorization(ctx.server.requests.at(-1))).toBeNull()
  })

  it('can be ejected, after which requests go as plain axios', async () => {
    const ctx = await signedIn()
    const instance = ejectAuth(withAuth(axios.create({ adapter: 'fetch' }), ctx.auth))
    const error = await instance.get('/items').catch((e) => e)
    expect(error).toBeInstanceOf(AxiosError)
    expect(authorization(ctx.server.requests.at(-1))).toBeNull()
  })

  it('rejects with misconfigured when given something other than a plugin', async () => {
    const ctx = await signedIn()
    const instance = withAuth(axios.create({ adapter: 'fetch' }), {} as never)
    const error = await instance.get('/items').catch((e) => e)
    expect(isAuthError(error, 'misconfigured')).toBe(true)
    expect(error.message).toMatch(/createAuth\(\)/)
    expect(ctx.server.requests.filter((r) => r.path === '/items')).toHaveLength(0)
  })

  it('finds the current app’s plugin when none is given', async () => {
    const ctx = await signedIn()
    const instance = withAuth(axios.create({ adapter: 'fetch' }))
    const response = await ctx.app.runWithContext(() => instance.get('/items'))
    expect(response.status).toBe(200)
    expect(authorization(ctx.server.requests.at(-1))).toBe(`Bearer ${ctx.store.accessToken}`)
  })

  it('comes off with one ejectAuth() after two withAuth()', async () => {
    const ctx = await signedIn()
    const instance = withAuth(withAuth(axios.create({ adapter: 'fetch' }), ctx.auth), ctx.auth)
    ejectAuth(instance)
    const error = await instance.get('/items').catch((e) => e)
    expect(error).toBeInstanceOf(AxiosError)
    expect(authorization(ctx.server.requests.at(-1))).toBeNull()
  })

  it('rejects with unauthorized a 401 still 401 after the replay, when validateStatus lets 401 through', async () => {
    const ctx = await signedIn()
    const realFetch = ctx.fetch.getMockImplementation()!
    ctx.fetch.mockImplementation(async (input, init) =>
      String(input instanceof Request ? input.url : input).includes('/auth/refresh')
        ? realFetch(input, init)
        : json(401, { error: 'invalid_token' }),
    )
    const instance = withAuth(
      axios.create({ adapter: 'fetch', validateStatus: () => true }),
      ctx.auth,
    )
    const error = await instance.get('/items').catch((e) => e)
    expect(isAuthError(error, 'unauthorized')).toBe(true)
    expect(ctx.store.error).toBe(error)
  })

  it('rejects with the session’s own error when validateStatus lets 401 through and the refresh is refused', async () => {
    const ctx = await signedIn()
    const instance = withAuth(
      axios.create({ adapter: 'fetch', validateStatus: () => true }),
      ctx.auth,
    )
    ctx.server.revoke('alice')
    ctx.server.expireAccessTokens()
    const error = await instance.get('/items').catch((e) => e)
    expect(isAuthError(error, 'session_expired')).toBe(true)
    // No AxiosError to carry (the 401 was an answer): the cause is the refused refresh's.
    expect(error.cause).toBeDefined()
    expect(error.cause).not.toBeInstanceOf(AxiosError)
  })

  it('wraps a 401 still 401 after the replay in unauthorized, with the AxiosError as cause', async () => {
    const ctx = await signedIn()
    const realFetch = ctx.fetch.getMockImplementation()!
    ctx.fetch.mockImplementation(async (input, init) =>
      String(input instanceof Request ? input.url : input).includes('/auth/refresh')
        ? realFetch(input, init)
        : json(401, { error: 'invalid_token' }),
    )
    const error = await axiosFor(ctx)
      .get('/items')
      .catch((e) => e)
    expect(isAuthError(error, 'unauthorized')).toBe(true)
    expect(error.cause).toBeInstanceOf(AxiosError)
  })
})
