// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createFakeApi, createLockManager, deferred, json, setupAuth } from './utils'

/** In-memory BroadcastChannel: delivers to the other instances of the same name, asynchronously. */
class FakeChannel {
  static open = new Set<FakeChannel>()
  /** Ms before a message arrives; with more than 0, a lock grant can overtake it, as in Chromium. */
  static latency = 0
  onmessage: ((event: { data: unknown }) => void) | null = null
  constructor(readonly name: string) {
    FakeChannel.open.add(this)
  }
  postMessage(data: unknown) {
    for (const other of FakeChannel.open) {
      if (other !== this && other.name === this.name) {
        const copy = structuredClone(data)
        const deliver = () => other.onmessage?.({ data: copy })
        if (FakeChannel.latency) setTimeout(deliver, FakeChannel.latency)
        else queueMicrotask(deliver)
      }
    }
  }
  close() {
    FakeChannel.open.delete(this)
  }
}

let locks: ReturnType<typeof createLockManager>
beforeEach(() => {
  // A whole second, so JWT iat/exp (whole seconds) line up with the clock exactly.
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
  vi.stubGlobal('BroadcastChannel', FakeChannel)
  locks = createLockManager()
  Object.defineProperty(navigator, 'locks', { value: locks, configurable: true })
})
afterEach(() => {
  vi.useRealTimers()
  FakeChannel.latency = 0
  Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true })
})

const credentials = { username: 'alice', password: 'secret' }
const tab = (options: Parameters<typeof setupAuth>[0] = {}) =>
  setupAuth({ restore: false, ...options })

describe('cross-tab sync', () => {
  it('signs every tab in and out together', async () => {
    const api = createFakeApi()
    const onSessionExpired = vi.fn()
    const one = tab()
    const two = tab({ onSessionExpired })
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.isAuthenticated).toBe(true)
    expect(two.store.accessToken).toBe(one.store.accessToken)
    await expect(two.$fetch('/items')).resolves.toEqual({ ok: true, path: '/items' })
    await one.store.logout()
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.status).toBe('unauthenticated')
    expect(two.store.accessToken).toBeNull()
    expect(api.counts.refresh).toBe(0)
    // A logout in another tab is a logout, not an expiry.
    expect(onSessionExpired).not.toHaveBeenCalled()
  })

  it('sends one refresh when four tabs need one at the same moment', async () => {
    const api = createFakeApi()
    const tabs = [tab(), tab(), tab(), tab()]
    await tabs[0]!.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    api.revoke()
    const results = await Promise.all(tabs.map((t) => t.$fetch('/items')))
    expect(results).toHaveLength(4)
    expect(api.counts.refresh).toBe(1)
    const tokens = new Set(tabs.map((t) => t.store.accessToken))
    expect(tokens.size).toBe(1)
  })

  it('refreshes once per lifetime across tabs with proactive timers', async () => {
    const api = createFakeApi({ ttl: 60 })
    const tabs = [tab(), tab(), tab()]
    await tabs[0]!.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    // 60 s tokens refreshed 30 s before expiry: one refresh per 30 s, whatever the tab count.
    expect(api.counts.refresh).toBe(20)
    expect(tabs.every((t) => t.store.isAuthenticated)).toBe(true)
  })

  it('uses a token another tab delivered while it waited for the lock', async () => {
    const api = createFakeApi()
    const one = tab()
    const two = tab()
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    const gate = deferred<Response>()
    api.refreshAnswers.push(() => gate.promise)
    const first = one.store.refresh()
    await vi.advanceTimersByTimeAsync(0)
    const second = two.store.refresh()
    await vi.advanceTimersByTimeAsync(0)
    gate.resolve(json(200, api.tokenBody()))
    await Promise.all([first, second])
    expect(api.counts.refresh).toBe(1)
    expect(two.store.accessToken).toBe(one.store.accessToken)
  })

  it('steals the lock from a frozen tab after lockTimeout', async () => {
    const api = createFakeApi()
    const one = tab({ crossTab: { lockTimeout: 3000 } })
    const two = tab({ crossTab: { lockTimeout: 3000 } })
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    // Tab one takes the lock and never comes back (frozen mid-refresh).
    api.refreshAnswers.push(() => new Promise<Response>(() => {}))
    void one.store.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(0)
    expect(locks.isHeld('vue-refresh-auth:/:refresh')).toBe(true)
    let done = false
    const second = two.store.refresh().then(() => (done = true))
    await vi.advanceTimersByTimeAsync(2900)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(200)
    await second
    expect(done).toBe(true)
    expect(api.counts.refresh).toBe(2)
    expect(two.store.status).toBe('authenticated')
  })

  it('holds the lock only around the HTTP call, never around onSessionExpired', async () => {
    const api = createFakeApi()
    const heldDuringCallback: boolean[] = []
    const one = tab({
      onSessionExpired: () => heldDuringCallback.push(locks.isHeld('vue-refresh-auth:/:refresh')),
    })
    const two = tab({
      onSessionExpired: () => heldDuringCallback.push(locks.isHeld('vue-refresh-auth:/:refresh')),
    })
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    api.refreshAnswers.push(json(401, { error: 'invalid_grant' }))
    await one.store.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.status).toBe('unauthenticated')
    expect(heldDuringCallback).toEqual([false, false])
  })

  it('restores a new tab from a live tab without a second refresh', async () => {
    const api = createFakeApi()
    const one = tab()
    await one.store.login(credentials)
    const later = setupAuth() // restore on: it asks the channel and refreshes under the lock
    await later.auth.ready
    expect(later.store.isAuthenticated).toBe(true)
    expect(api.counts.refresh).toBeLessThanOrEqual(1)
  })

  it('is not signed back in by a token from a refresh that raced its logout', async () => {
    createFakeApi()
    const one = tab()
    const two = tab()
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    await two.store.logout()
    await vi.advanceTimersByTimeAsync(0)
    expect(one.store.status).toBe('unauthenticated')
    expect(two.store.status).toBe('unauthenticated')
  })

  it('falls back to in-tab single-flight without BroadcastChannel or Web Locks', async () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true })
    const api = createFakeApi()
    const { store, $fetch } = tab()
    await store.login(credentials)
    api.revoke()
    await Promise.all([$fetch('/a'), $fetch('/b'), store.refresh()])
    expect(api.counts.refresh).toBe(1)
  })
})

describe('found in review', () => {
  it('gives a request parked on the lock the token of a login in another tab, without a refresh', async () => {
    const api = createFakeApi()
    const one = tab({ refreshLeeway: 0 })
    const two = tab({ refreshLeeway: 0 })
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    // The tokens have expired. Tab one signs in again and its answer is slow: it holds the lock
    // meanwhile, and tab two's request waits for a refresh, which waits for the lock.
    vi.setSystemTime(Date.now() + 120_000)
    const slowLogin = deferred<Response>()
    const realFetch = api.fetch.getMockImplementation()!
    api.fetch.mockImplementationOnce(() => slowLogin.promise)
    const login = one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    const parked = two.$fetch('/items')
    await vi.advanceTimersByTimeAsync(0)
    slowLogin.resolve(
      await realFetch('/auth/login', { method: 'POST', body: JSON.stringify(credentials) }),
    )
    await login
    await expect(parked).resolves.toEqual({ ok: true, path: '/items' })
    expect(api.counts.refresh).toBe(0)
    expect(two.store.accessToken).toBe(one.store.accessToken)
  })

  it('clears the previous user when another tab signs someone else in', async () => {
    const api = createFakeApi()
    const realFetch = api.fetch.getMockImplementation()!
    api.fetch.mockImplementationOnce(async (input, init) => {
      const response = await realFetch(input, init)
      const body = await response.json()
      return json(200, { ...body, user: { name: 'Alice' } })
    })
    const one = tab()
    const two = tab()
    await one.store.login(credentials) // with a user object
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.user).toEqual({ name: 'Alice' })
    await one.store.login({ username: 'bob', password: 'secret' }) // this answer has no user
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.user).toBeNull()
  })

  it('never has two refresh requests in flight across tabs, even when one takes 32 s', async () => {
    const api = createFakeApi()
    let inFlight = 0
    let most = 0
    const realFetch = api.fetch.getMockImplementation()!
    api.fetch.mockImplementation(async (input, init) => {
      if (!String(input).endsWith('/auth/refresh')) return realFetch(input, init)
      most = Math.max(most, ++inFlight)
      try {
        // A slow server: 32 s, past the request timeout; the request is aborted then.
        await new Promise((resolve, reject) => {
          setTimeout(resolve, 32_000)
          init?.signal?.addEventListener('abort', () => reject(init.signal!.reason))
        })
        return await realFetch(input, init)
      } finally {
        inFlight--
      }
    })
    const one = tab()
    const two = tab()
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    const first = one.store.refresh().catch((e) => e)
    await vi.advanceTimersByTimeAsync(500)
    const second = two.store.refresh().catch((e) => e)
    await vi.advanceTimersByTimeAsync(120_000)
    await Promise.all([first, second])
    expect(most).toBe(1)
  })
})

describe('timing across tabs (issue 11)', () => {
  it('refreshes about twice per lifetime across four tabs with 2 s tokens', async () => {
    const api = createFakeApi({ ttl: 2 })
    const tabs = [tab(), tab(), tab(), tab()]
    await tabs[0]!.store.login(credentials)
    for (let i = 0; i < 200; i++) {
      await Promise.all(tabs.map((t) => t.$fetch('/items')))
      await vi.advanceTimersByTimeAsync(100)
    }
    // 20 s of 2 s tokens, a request every 100 ms in each tab: ≤ 2.5 refreshes per lifetime.
    expect(api.counts.refresh).toBeLessThanOrEqual(25)
    expect(api.counts.refresh).toBeGreaterThanOrEqual(10)
    expect(api.requests.filter((r) => r.path === '/items')).toHaveLength(800)
  })

  it('hands the lock over without a second refresh when the grant overtakes the token message', async () => {
    const api = createFakeApi()
    const tabs = [tab(), tab(), tab(), tab()]
    await tabs[0]!.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    FakeChannel.latency = 50
    api.revoke()
    const results = Promise.all(tabs.map((t) => t.$fetch('/items')))
    await vi.advanceTimersByTimeAsync(1_000)
    expect(await results).toHaveLength(4)
    expect(api.counts.refresh).toBe(1)
    expect(new Set(tabs.map((t) => t.store.accessToken)).size).toBe(1)
  })

  it('restores four tabs opened at once with one refresh', async () => {
    const api = createFakeApi()
    await tab().store.login(credentials)
    // The browser restarts: no tab is alive, the session is only in the refresh cookie.
    for (const channel of FakeChannel.open) channel.close()
    FakeChannel.latency = 50
    const restored = [setupAuth(), setupAuth(), setupAuth(), setupAuth()]
    await vi.advanceTimersByTimeAsync(3_000)
    await Promise.all(restored.map((t) => t.auth.ready))
    expect(restored.every((t) => t.store.isAuthenticated)).toBe(true)
    expect(api.counts.refresh).toBe(1)
  })

  it('hands the rotated refresh token over in body mode, so nobody presents a used one', async () => {
    const api = createFakeApi()
    const realFetch = api.fetch.getMockImplementation()!
    // Body mode with rotation and reuse detection: a used refresh token revokes the session.
    const used = new Set<string>()
    let live = ''
    let serial = 0
    const refreshBodies: unknown[] = []
    api.fetch.mockImplementation(async (input, init) => {
      const path = new URL(String(input), 'http://app.test').pathname
      if (path === '/auth/login' || path === '/auth/refresh') {
        if (path === '/auth/refresh') {
          api.counts.refresh++
          const { refresh } = JSON.parse(String(init?.body))
          refreshBodies.push(refresh)
          if (used.has(refresh) || refresh !== live) {
            live = ''
            return json(401, { error: 'invalid_grant', message: 'Refresh token reuse detected.' })
          }
          used.add(refresh)
        }
        live = `rt-${++serial}`
        return json(200, { ...api.tokenBody(), refresh_token: live })
      }
      return realFetch(input, init)
    })
    const bodyMode = {
      tokens: {
        refresh: {
          read: (body: { refresh_token?: string }) => body.refresh_token,
          send: (token: string) => ({ refresh: token }),
        },
      },
    }
    const tabs = [tab(bodyMode), tab(bodyMode), tab(bodyMode), tab(bodyMode)]
    await tabs[0]!.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    FakeChannel.latency = 50
    for (let round = 0; round < 3; round++) {
      api.revoke()
      const results = Promise.all(tabs.map((t) => t.$fetch('/items')))
      await vi.advanceTimersByTimeAsync(1_000)
      expect(await results).toHaveLength(4)
    }
    expect(refreshBodies).toEqual(['rt-1', 'rt-2', 'rt-3'])
    // Whichever tab refreshes next holds the newest refresh token.
    await tabs[3]!.store.refresh()
    expect(refreshBodies.at(-1)).toBe('rt-4')
    expect(tabs.every((t) => t.store.isAuthenticated)).toBe(true)
  })
})
