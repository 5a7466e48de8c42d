// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isAuthError } from '../src'
import { createFakeApi, deferred, json, setupAuth } from './utils'

beforeEach(() => {
  // A whole second, so JWT iat/exp (whole seconds) line up with the clock exactly.
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
})
afterEach(() => {
  vi.useRealTimers()
})

async function signedIn(options: Parameters<typeof setupAuth>[0] = {}) {
  const api = createFakeApi()
  const ctx = setupAuth({ restore: false, ...options })
  await ctx.store.login({ username: 'alice', password: 'secret' })
  return { api, ...ctx }
}

describe('Authorization header', () => {
  it('goes to the page origin and baseURL, never to another origin', async () => {
    const { api, $fetch, store } = await signedIn({ baseURL: '/api' })
    await $fetch('/items')
    await $fetch('https://cdn.example/thing.json')
    await $fetch('/items', { baseURL: 'https://evil.example' })
    const [items, cdn, evil] = api.requests.slice(-3)
    expect(items!.url).toBe('http://app.test/api/items')
    expect(items!.authorization).toBe(`Bearer ${store.accessToken}`)
    expect(cdn!.authorization).toBeNull()
    expect(evil!.origin).toBe('https://evil.example')
    expect(evil!.authorization).toBeNull()
  })

  it('goes only to allowedOrigins when they are set', async () => {
    const { api, $fetch } = await signedIn({ allowedOrigins: ['https://api.example'] })
    await $fetch('https://api.example/me')
    // The page origin is not allowed here, so the request goes without a token and the API refuses it.
    await expect($fetch('/local')).rejects.toMatchObject({ status: 401 })
    expect(api.requests.at(-2)!.authorization).toMatch(/^Bearer /)
    expect(api.requests.at(-1)!.authorization).toBeNull()
  })

  it("survives a caller's own onRequest hook, even one that deletes it", async () => {
    const { api, $fetch } = await signedIn()
    const onRequest = vi.fn(({ options }: { options: { headers: Headers } }) => {
      options.headers.delete('Authorization')
      options.headers.set('x-mine', '1')
    })
    await $fetch('/items', { onRequest })
    expect(onRequest).toHaveBeenCalledOnce()
    const last = api.requests.at(-1)!
    expect(last.authorization).toMatch(/^Bearer /)
    expect(last.headers.get('x-mine')).toBe('1')
  })

  it("is not sent when a caller's hook moves the request to another origin", async () => {
    const { api, $fetch } = await signedIn()
    await $fetch('/items', {
      onRequest(ctx) {
        ctx.request = 'https://evil.example/steal'
      },
    })
    expect(api.requests.at(-1)!.origin).toBe('https://evil.example')
    expect(api.requests.at(-1)!.authorization).toBeNull()
  })
})

describe('401 handling', () => {
  it("still refreshes and replays with a caller's onResponseError and ignoreResponseError", async () => {
    const { api, $fetch } = await signedIn()
    api.revoke()
    const onResponseError = vi.fn()
    const data = await $fetch('/items', { onResponseError, ignoreResponseError: true })
    expect(data).toEqual({ ok: true, path: '/items' })
    api.revoke()
    await expect($fetch('/items', { onResponseError })).resolves.toEqual({
      ok: true,
      path: '/items',
    })
    expect(onResponseError).toHaveBeenCalledOnce()
    expect(api.counts.refresh).toBe(2)
  })

  it('shares one refresh among every request that failed meanwhile, and replays each once', async () => {
    const { api, $fetch } = await signedIn()
    api.revoke()
    const gate = deferred<Response>()
    api.refreshAnswers.push(() => gate.promise)
    const all = Promise.all(Array.from({ length: 50 }, (_, i) => $fetch(`/items/${i}`)))
    await vi.advanceTimersByTimeAsync(0)
    gate.resolve(json(200, api.tokenBody()))
    const results = await all
    expect(results).toHaveLength(50)
    expect(api.counts.refresh).toBe(1)
    const replays = api.requests.filter(
      (r) => r.path.startsWith('/items/') && r.authorization === `Bearer ${api.current}`,
    )
    expect(replays).toHaveLength(50)
  })

  it('replays a 401 that arrives after the refresh finished with the new token, without refreshing again', async () => {
    const { api, $fetch, store } = await signedIn()
    const old = store.accessToken
    // This request leaves with the old token, and its 401 is held back until the refresh is done.
    const late = deferred()
    const realFetch = api.fetch.getMockImplementation()!
    api.fetch.mockImplementationOnce(async (...args) => {
      await late.promise
      return realFetch(...args)
    })
    const slow = $fetch('/slow')
    await vi.advanceTimersByTimeAsync(0)
    api.revoke()
    await expect($fetch('/fast')).resolves.toBeTruthy() // 401 → refresh → replay
    expect(store.accessToken).not.toBe(old)
    late.resolve()
    await expect(slow).resolves.toEqual({ ok: true, path: '/slow' })
    expect(api.counts.refresh).toBe(1)
  })

  it('fails a replay that gets 401 again with unauthorized, and does not loop', async () => {
    const { api, $fetch, store } = await signedIn()
    api.fetch.mockImplementation(async (input) => {
      const url = String(input)
      if (url.includes('/forbidden-zone')) {
        api.requests.push({ path: '/forbidden-zone' } as never)
        return json(401, { error: 'invalid_token' })
      }
      if (url.includes('/auth/refresh')) {
        api.counts.refresh++
        return json(200, api.tokenBody())
      }
      return json(200, {})
    })
    const error = await $fetch('/forbidden-zone').catch((e) => e)
    expect(isAuthError(error, 'unauthorized')).toBe(true)
    expect(error.status).toBe(401)
    expect(store.error).toBe(error)
    expect(api.counts.refresh).toBe(1)
    expect(api.requests.filter((r) => r.path === '/forbidden-zone')).toHaveLength(2)
    expect(store.isAuthenticated).toBe(true)
  })

  it('rejects a 401 with unauthorized when nobody is signed in, without a refresh', async () => {
    const api = createFakeApi()
    const { $fetch, store } = setupAuth({ restore: false })
    await store.restore()
    const error = await $fetch('/items').catch((e) => e)
    expect(isAuthError(error, 'unauthorized')).toBe(true)
    expect(api.counts.refresh).toBe(0)
  })

  it('passes other errors through untouched', async () => {
    const { api, $fetch } = await signedIn()
    api.fetch.mockImplementationOnce(async () => json(404, { error: 'missing' }))
    const error = await $fetch('/nothing').catch((e) => e)
    expect(error.name).toBe('FetchError')
    expect(error.status).toBe(404)
  })

  it('never refreshes and retries the login endpoint itself', async () => {
    const api = createFakeApi()
    const { store } = setupAuth({ restore: false })
    const error = await store.login({ username: 'alice', password: 'wrong' }).catch((e) => e)
    expect(isAuthError(error, 'invalid_credentials')).toBe(true)
    expect(api.counts.refresh).toBe(0)
    expect(api.counts.login).toBe(1)
  })

  it('waits for the refresh instead of sending a token it knows has expired', async () => {
    const { api, $fetch } = await signedIn()
    await vi.advanceTimersByTimeAsync(61_000)
    const before = api.requests.length
    await $fetch('/items')
    const sent = api.requests.slice(before)
    // At most the proactive refresh already ran; no API request ever carried the expired token.
    expect(sent.filter((r) => r.path === '/items')).toHaveLength(1)
    expect(sent.find((r) => r.path === '/items')!.authorization).toBe(`Bearer ${api.current}`)
  })
})

describe('instance', () => {
  it('has raw, native and create like an ofetch instance', async () => {
    const { api, $fetch } = await signedIn({ fetchOptions: { headers: { 'x-app': 'demo' } } })
    const response = await $fetch.raw('/items')
    expect(response.status).toBe(200)
    expect(response._data).toEqual({ ok: true, path: '/items' })
    const child = $fetch.create({ headers: { 'x-child': '1' } })
    await child('/child')
    const last = api.requests.at(-1)!
    expect(last.authorization).toMatch(/^Bearer /)
    expect(last.headers.get('x-child')).toBe('1')
    expect(typeof $fetch.native).toBe('function')
  })

  it('runs the instance onRequest hook from fetchOptions', async () => {
    const onRequest = vi.fn()
    const { $fetch } = await signedIn({ fetchOptions: { onRequest } })
    await $fetch('/items')
    expect(onRequest).toHaveBeenCalledOnce()
  })
})

describe('events', () => {
  it('reports login, 401, refresh and replay in order through onEvent, without tokens', async () => {
    const events: { type: string }[] = []
    const { api, $fetch, store } = await signedIn({ onEvent: (event) => events.push(event) })
    api.revoke()
    await $fetch('/items')
    await store.logout()
    expect(events.map((e) => e.type).filter((t) => !t.startsWith('tab:'))).toEqual([
      'login',
      'unauthorized',
      'refresh:start',
      'refresh:success',
      'replay',
      'logout',
    ])
    expect(events.find((e) => e.type === 'unauthorized')).toMatchObject({
      method: 'GET',
      url: '/items',
    })
    expect(JSON.stringify(events)).not.toMatch(/eyJ/)
  })
})

describe('found in review', () => {
  it("still refreshes and replays when a caller's onResponseError throws", async () => {
    const { api, $fetch } = await signedIn()
    api.revoke()
    const onResponseError = () => {
      throw new Error('mine')
    }
    // The replay's own hook call throws too only if the replay fails, which it does not.
    await expect($fetch('/items', { onResponseError })).resolves.toEqual({
      ok: true,
      path: '/items',
    })
    expect(api.counts.refresh).toBe(1)
  })

  it('sends the token to the user endpoint URL only, not to its whole origin', async () => {
    const { api, $fetch, store } = await signedIn({
      allowedOrigins: ['https://api.example'],
      endpoints: { user: 'GET /auth/me' },
    })
    await store.fetchUser()
    expect(api.requests.at(-1)!.path).toBe('/auth/me')
    expect(api.requests.at(-1)!.authorization).toMatch(/^Bearer /)
    await $fetch('http://app.test/some/other/path').catch(() => {})
    expect(api.requests.at(-1)!.authorization).toBeNull()
  })
})
