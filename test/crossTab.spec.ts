// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createFakeApi, deferred, json, setupAuth } from './utils'

/** In-memory BroadcastChannel: delivers to the other instances of the same name, asynchronously. */
class FakeChannel {
  static open = new Set<FakeChannel>()
  onmessage: ((event: { data: unknown }) => void) | null = null
  constructor(readonly name: string) {
    FakeChannel.open.add(this)
  }
  postMessage(data: unknown) {
    for (const other of FakeChannel.open) {
      if (other !== this && other.name === this.name) {
        const copy = structuredClone(data)
        queueMicrotask(() => other.onmessage?.({ data: copy }))
      }
    }
  }
  close() {
    FakeChannel.open.delete(this)
  }
}

/** A LockManager with exclusive locks, `signal` and `steal`, as the Web Locks API specifies. */
function createFakeLocks() {
  type Waiter = { grant: () => void }
  const queues = new Map<string, Waiter[]>()
  const holders = new Map<string, { reject: (e: unknown) => void }>()
  function release(name: string) {
    holders.delete(name)
    queues.get(name)?.shift()?.grant()
  }
  return {
    held: (name: string) => holders.has(name),
    request(
      name: string,
      options: { signal?: AbortSignal; steal?: boolean },
      callback: () => Promise<unknown>,
    ) {
      return new Promise((resolve, reject) => {
        const run = () => {
          const holder = { reject }
          holders.set(name, holder)
          callback().then(
            (value) => {
              if (holders.get(name) === holder) release(name)
              resolve(value)
            },
            (error) => {
              if (holders.get(name) === holder) release(name)
              reject(error)
            },
          )
        }
        if (options.steal) {
          holders.get(name)?.reject(new DOMException('stolen', 'AbortError'))
          holders.delete(name)
          return run()
        }
        if (!holders.has(name)) return run()
        const waiter = { grant: run }
        const queue = queues.get(name) ?? []
        queue.push(waiter)
        queues.set(name, queue)
        options.signal?.addEventListener('abort', () => {
          const i = queue.indexOf(waiter)
          if (i >= 0) queue.splice(i, 1)
          reject(new DOMException('aborted', 'AbortError'))
        })
      })
    },
  }
}

let locks: ReturnType<typeof createFakeLocks>
beforeEach(() => {
  // A whole second, so JWT iat/exp (whole seconds) line up with the clock exactly.
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
  vi.stubGlobal('BroadcastChannel', FakeChannel)
  locks = createFakeLocks()
  Object.defineProperty(navigator, 'locks', { value: locks, configurable: true })
})
afterEach(() => {
  vi.useRealTimers()
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
    expect(locks.held('vue-refresh-auth:/:refresh')).toBe(true)
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
      onSessionExpired: () => heldDuringCallback.push(locks.held('vue-refresh-auth:/:refresh')),
    })
    const two = tab({
      onSessionExpired: () => heldDuringCallback.push(locks.held('vue-refresh-auth:/:refresh')),
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
    // Tab one signs in again and its answer is slow: it holds the lock meanwhile.
    const slowLogin = deferred<Response>()
    const realFetch = api.fetch.getMockImplementation()!
    api.fetch.mockImplementationOnce(() => slowLogin.promise)
    const login = one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    // Tab two's token has expired: its request waits for a refresh, which waits for the lock.
    vi.setSystemTime(Date.now() + 120_000)
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
