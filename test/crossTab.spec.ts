// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  createLockManager,
  credentials,
  deferred,
  FakeChannel,
  json,
  jwt,
  setupAuth,
  useFakeServer,
  withoutGlobal,
} from './utils'

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
  FakeChannel.lose = null
  Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true })
  const thrown = FakeChannel.thrown.splice(0)
  expect(thrown, 'a channel message handler threw').toEqual([])
})

const tab = (options: Parameters<typeof setupAuth>[0] = {}) =>
  setupAuth({ restore: false, ...options })

/** A lock timeout short enough for the steal tests. */
const shortLock = { crossTab: { lockTimeout: 3000 } }

/** `count` tabs with `shortLock`, signed in: the first logged in, the others heard it. */
async function signedInTabs(count: number) {
  const fake = useFakeServer()
  const tabs = Array.from({ length: count }, () => tab(shortLock))
  await tabs[0]!.store.login(credentials)
  await vi.advanceTimersByTimeAsync(0)
  return { ...fake, tabs }
}

describe('cross-tab sync', () => {
  it('signs every tab in and out together', async () => {
    const { server } = useFakeServer()
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
    expect(server.stats.refreshes).toBe(0)
    // A logout in another tab is a logout, not an expiry.
    expect(onSessionExpired).not.toHaveBeenCalled()
  })

  it('sends one refresh when four tabs need one at the same moment', async () => {
    const { server } = useFakeServer()
    const tabs = [tab(), tab(), tab(), tab()]
    await tabs[0]!.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    server.expireAccessTokens()
    const results = await Promise.all(tabs.map((t) => t.$fetch('/items')))
    expect(results).toHaveLength(4)
    expect(server.stats.refreshes).toBe(1)
    const tokens = new Set(tabs.map((t) => t.store.accessToken))
    expect(tokens.size).toBe(1)
  })

  it('refreshes once per lifetime across tabs with proactive timers', async () => {
    const { server } = useFakeServer({ ttl: 60 })
    const tabs = [tab(), tab(), tab()]
    await tabs[0]!.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    // 60 s tokens refreshed 30 s before expiry: one refresh per 30 s, whatever the tab count.
    expect(server.stats.refreshes).toBe(20)
    expect(tabs.every((t) => t.store.isAuthenticated)).toBe(true)
  })

  it('uses a token another tab delivered while it waited for the lock', async () => {
    const { server } = useFakeServer()
    const one = tab()
    const two = tab()
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    server.fail('refresh', { delay: 1_000 })
    const first = one.store.refresh()
    await vi.advanceTimersByTimeAsync(0)
    const second = two.store.refresh()
    await vi.advanceTimersByTimeAsync(0)
    await vi.advanceTimersByTimeAsync(1_000) // tab one's refresh is answered
    await Promise.all([first, second])
    expect(server.stats.refreshes).toBe(1)
    expect(two.store.accessToken).toBe(one.store.accessToken)
  })

  it('steals the lock from a frozen tab after lockTimeout', async () => {
    const { server, fetch } = useFakeServer()
    const one = tab({ crossTab: { lockTimeout: 3000 } })
    const two = tab({ crossTab: { lockTimeout: 3000 } })
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    // Tab one takes the lock and never comes back (frozen mid-refresh): no answer, and its own
    // timeout cannot fire either, as none of a frozen tab's code runs.
    fetch.mockImplementationOnce(() => new Promise(() => {}))
    let frozen: unknown = 'pending'
    one.store.refresh().then(
      () => (frozen = 'done'),
      (error) => (frozen = error),
    )
    await vi.advanceTimersByTimeAsync(0)
    expect(locks.isHeld('vue-refresh-auth:/:refresh')).toBe(true)
    let done = false
    const second = two.store.refresh().then(() => (done = true))
    await vi.advanceTimersByTimeAsync(2900)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(200)
    await second
    expect(done).toBe(true)
    expect(server.stats.refreshes).toBe(1) // tab two's: tab one's never reached the server
    expect(two.store.status).toBe('authenticated')
    // The steal does not fail tab one's refresh: its own request's outcome is still to come.
    expect(frozen).toBe('pending')
  })

  it('lets a tab that stole the lock finish: a third tab waits for it instead of stealing in turn', async () => {
    const {
      server,
      fetch,
      tabs: [one, two, three],
    } = await signedInTabs(3)
    // Tab one takes the lock and freezes; after that the server takes 1.5 s for each refresh.
    const realFetch = fetch.getMockImplementation()!
    let inFlight = 0
    let most = 0
    fetch.mockImplementationOnce(() => new Promise(() => {}))
    fetch.mockImplementation(async (input, init) => {
      if (!String(input).endsWith('/auth/refresh')) return realFetch(input, init)
      most = Math.max(most, ++inFlight)
      await new Promise((resolve) => setTimeout(resolve, 1500))
      inFlight--
      return realFetch(input, init)
    })
    void one.store.refresh().catch(() => {}) // it ends when the tab does, with the test
    await vi.advanceTimersByTimeAsync(0)
    let twoDone = false
    const second = two.store.refresh().then(() => (twoDone = true))
    await vi.advanceTimersByTimeAsync(1000)
    let threeDone = false
    const third = three.store.refresh().then(() => (threeDone = true))
    // At 3 s tab two steals the lock from tab one; at 4 s tab three has waited as long, but on a
    // tab that has held the lock for 1 s only; tab two's answer comes at 4.5 s.
    await vi.advanceTimersByTimeAsync(3600)
    expect([twoDone, threeDone]).toEqual([true, true])
    await Promise.all([second, third])
    expect(most).toBe(1)
    expect(server.stats.refreshes).toBe(1)
    expect(three.store.accessToken).toBe(two.store.accessToken)
    expect([two.store.status, three.store.status]).toEqual(['authenticated', 'authenticated'])
  })

  it('steals from a tab that stole the lock and froze too, once it has waited lockTimeout behind it', async () => {
    const {
      server,
      fetch,
      tabs: [one, two, three],
    } = await signedInTabs(3)
    // The refreshes of tabs one and two never come back (each tab freezes holding the lock).
    fetch.mockImplementationOnce(() => new Promise(() => {}))
    fetch.mockImplementationOnce(() => new Promise(() => {}))
    void one.store.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(0)
    void two.store.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(1000)
    let threeDone = false
    const third = three.store.refresh().then(() => (threeDone = true))
    // Tab two takes the lock over at 3 s. Tab three, which waited from 1 s, sees at 4 s that the
    // lock changed hands, and waits lockTimeout behind tab two from then: until 7 s.
    await vi.advanceTimersByTimeAsync(5900)
    expect(threeDone).toBe(false)
    expect(server.stats.refreshes).toBe(0)
    await vi.advanceTimersByTimeAsync(200)
    await third
    expect(server.stats.refreshes).toBe(1)
    expect(three.store.status).toBe('authenticated')
  })

  it('keeps a refresh that another script of the origin stole the lock from: one refresh, its token used', async () => {
    const { server, fetch, issued } = useFakeServer()
    const { store } = tab()
    await store.login(credentials)
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementationOnce(async (input, init) => {
      await new Promise((resolve) => setTimeout(resolve, 1000))
      return realFetch(input, init)
    })
    const refreshed = store.refresh()
    await vi.advanceTimersByTimeAsync(100)
    // Any script of the origin may take the lock over (navigator.locks.request, { steal: true }).
    void locks.request('vue-refresh-auth:/:refresh', { steal: true }, () => Promise.resolve())
    await vi.advanceTimersByTimeAsync(1000)
    await expect(refreshed).resolves.toBeUndefined()
    expect(server.stats.refreshes).toBe(1)
    expect(store.accessToken).toBe(issued.at(-1)!.access)
    expect(store.status).toBe('authenticated')
  })

  it('steals from a frozen holder on time, even when a tab opens and takes a token meanwhile', async () => {
    const {
      server,
      fetch,
      tabs: [one, two],
    } = await signedInTabs(2)
    fetch.mockImplementationOnce(() => new Promise(() => {}))
    void one.store.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(0)
    let done = false
    const second = two.store.refresh().then(() => (done = true))
    await vi.advanceTimersByTimeAsync(1000)
    // A new tab restores from the live tabs: it now holds their token too.
    const three = tab({ ...shortLock, restore: true })
    await vi.advanceTimersByTimeAsync(100)
    expect(three.store.accessToken).toBe(two.store.accessToken)
    await vi.advanceTimersByTimeAsync(2000)
    await second
    expect(done).toBe(true)
    expect(server.stats.refreshes).toBe(1)
  })

  it('leaves no timer behind after a refresh under the lock, but the next proactive refresh', async () => {
    useFakeServer()
    const { store } = tab()
    await store.login(credentials)
    await store.refresh()
    await vi.advanceTimersByTimeAsync(5_000) // past Vue's own 3 s devtools-hook timer
    expect(vi.getTimerCount()).toBe(1)
  })

  it('leaves no Web Lock behind after refreshes that succeed or fail, but the one naming its token', async () => {
    const { server } = useFakeServer()
    const { store } = tab()
    await store.login(credentials)
    await store.refresh()
    server.fail('refresh', { status: 503, body: { error: 'down' } })
    await expect(store.refresh()).rejects.toMatchObject({ code: 'server' })
    await vi.advanceTimersByTimeAsync(0)
    const { held = [], pending = [] } = await locks.query()
    expect(pending).toEqual([])
    expect(held.map((lock) => lock.name)).toEqual([
      expect.stringMatching(/^vue-refresh-auth:\/:refresh:holds:/),
    ])
  })

  it('holds the lock only around the HTTP call, never around onSessionExpired', async () => {
    const { server } = useFakeServer()
    const heldDuringCallback: boolean[] = []
    const one = tab({
      onSessionExpired: () => heldDuringCallback.push(locks.isHeld('vue-refresh-auth:/:refresh')),
    })
    const two = tab({
      onSessionExpired: () => heldDuringCallback.push(locks.isHeld('vue-refresh-auth:/:refresh')),
    })
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    server.fail('refresh', { status: 401, body: { error: 'invalid_grant' } })
    await one.store.refresh().catch(() => {})
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.status).toBe('unauthenticated')
    expect(heldDuringCallback).toEqual([false, false])
  })

  it('restores a new tab from a live tab without a second refresh', async () => {
    const { server } = useFakeServer()
    const one = tab()
    await one.store.login(credentials)
    const later = setupAuth() // restore on: it asks the channel and refreshes under the lock
    await later.auth.ready
    expect(later.store.isAuthenticated).toBe(true)
    expect(server.stats.refreshes).toBeLessThanOrEqual(1)
  })

  it('keeps the token another tab handed over when its own restore fails afterwards', async () => {
    const { server } = useFakeServer()
    const one = tab()
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    // The new tab's restore is on its way when the live tab's token arrives; then it fails.
    // (Without Web Locks: with them, the new tab would see the live tab's token held and wait
    // for it instead of sending a refresh at all.)
    Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true })
    FakeChannel.latency = 50
    server.fail('refresh', { status: 503, delay: 200 })
    const two = setupAuth()
    await vi.advanceTimersByTimeAsync(100)
    expect(two.store.accessToken).toBe(one.store.accessToken)
    await vi.advanceTimersByTimeAsync(200)
    await two.auth.ready
    // Its refresh was sent, and answered 503.
    expect(server.requests.filter((r) => r.path === '/auth/refresh')).toHaveLength(1)
    expect(two.store.status).toBe('authenticated')
    expect(two.store.isAuthenticated).toBe(true)
  })

  it('tries no restore on focus after a session it heard of from another tab ended', async () => {
    const { server } = useFakeServer()
    // With start-up restores (no session yet: both find none).
    const one = setupAuth()
    const two = setupAuth()
    await Promise.all([one.auth.ready, two.auth.ready])
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.isAuthenticated).toBe(true)
    await one.store.logout()
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.status).toBe('unauthenticated')
    const before = server.requests.length
    window.dispatchEvent(new Event('focus'))
    await vi.advanceTimersByTimeAsync(60_000)
    expect(server.requests.slice(before)).toEqual([])
  })

  it('is not signed back in by a token from a refresh that raced its logout', async () => {
    useFakeServer()
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
    withoutGlobal('BroadcastChannel')
    Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true })
    const { server } = useFakeServer()
    const { store, $fetch } = tab()
    await store.login(credentials)
    server.expireAccessTokens()
    await Promise.all([$fetch('/a'), $fetch('/b'), store.refresh()])
    expect(server.stats.refreshes).toBe(1)
  })
})

describe('the lock and the refresh timeout', () => {
  it('waits up to the default timeout for a slow refresh under the lock: one answered after 27 s is used', async () => {
    const { server } = useFakeServer()
    const { store } = tab()
    await store.login(credentials)
    server.fail('refresh', { delay: 27_000 })
    const refreshed = store.refresh()
    await vi.advanceTimersByTimeAsync(28_000)
    await refreshed
    expect(store.error).toBeNull()
    expect(server.stats.refreshes).toBe(1)
  })
})

describe('a lock manager that refuses', () => {
  it('refreshes as without Web Locks when every lock request fails with a SecurityError', async () => {
    // As in a sandboxed iframe, whose origin is opaque.
    const refused = () => Promise.reject(new DOMException('Access denied.', 'SecurityError'))
    Object.defineProperty(navigator, 'locks', {
      value: { request: refused, query: refused },
      configurable: true,
    })
    const { server } = useFakeServer()
    const { store, $fetch } = tab()
    await store.login(credentials)
    server.expireAccessTokens()
    const results = await Promise.all([$fetch('/a'), $fetch('/b'), store.refresh()])
    expect(results.slice(0, 2)).toEqual([
      { ok: true, path: '/a' },
      { ok: true, path: '/b' },
    ])
    expect(server.stats.refreshes).toBe(1)
    expect(store.error).toBeNull()
  })
})

describe('found in review', () => {
  it('gives a request parked on the lock the token of a login in another tab, without a refresh', async () => {
    const { server, fetch } = useFakeServer()
    const one = tab({ refreshLeeway: 0 })
    const two = tab({ refreshLeeway: 0 })
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    // The tokens have expired. Tab one signs in again and its answer is slow: it holds the lock
    // meanwhile, and tab two's request waits for a refresh, which waits for the lock.
    vi.setSystemTime(Date.now() + 120_000)
    const slowLogin = deferred<Response>()
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementationOnce(() => slowLogin.promise)
    const login = one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    const parked = two.$fetch('/items')
    await vi.advanceTimersByTimeAsync(0)
    slowLogin.resolve(
      await realFetch('/auth/login', { method: 'POST', body: JSON.stringify(credentials) }),
    )
    await login
    await expect(parked).resolves.toEqual({ ok: true, path: '/items' })
    expect(server.stats.refreshes).toBe(0)
    expect(two.store.accessToken).toBe(one.store.accessToken)
  })

  it('replays a 401 parked on the lock with the token of a login in another tab, without a refresh', async () => {
    const { server, fetch } = useFakeServer()
    const one = tab({ refreshLeeway: 0 })
    const two = tab({ refreshLeeway: 0 })
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    // The server holds the tokens expired. Tab one signs in again, slowly, holding the lock; tab
    // two's request is answered 401 and waits for a refresh, which waits for the lock.
    server.expireAccessTokens()
    const slowLogin = deferred<Response>()
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementationOnce(() => slowLogin.promise)
    const login = one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    const parked = two.$fetch('/items')
    await vi.advanceTimersByTimeAsync(0)
    expect(server.stats.unauthorized).toBe(1)
    slowLogin.resolve(
      await realFetch('/auth/login', { method: 'POST', body: JSON.stringify(credentials) }),
    )
    await login
    await expect(parked).resolves.toEqual({ ok: true, path: '/items' })
    expect(server.stats.refreshes).toBe(0)
    expect(server.requests.filter((r) => r.path === '/items').at(-1)!.token).toBe(
      one.store.accessToken,
    )
  })

  it('clears the previous user when another tab signs someone else in', async () => {
    const bob = { username: 'bob', password: 'bob-password' }
    const { fetch } = useFakeServer({ users: [{ ...credentials, name: 'Alice' }, bob] })
    const one = tab()
    const two = tab()
    await one.store.login(credentials) // the answer has alice's profile as its user
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.user).toEqual({ username: 'alice', name: 'Alice', roles: ['user'] })
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementationOnce(async (input, init) => {
      const { user: _, ...body } = await (await realFetch(input, init)).json()
      return json(200, body)
    })
    await one.store.login(bob) // this answer has no user
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.user).toBeNull()
  })

  it('never has two refresh requests in flight across tabs, even when one takes 32 s', async () => {
    const { fetch } = useFakeServer()
    let inFlight = 0
    let most = 0
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementation(async (input, init) => {
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

/**
 * Tab `t`, whose token is past use, gets a request: it refreshes at once, waiting for no token held
 * elsewhere, and the request goes through.
 */
async function refreshesAtOnce(
  t: ReturnType<typeof tab>,
  server: { stats: { refreshes: number } },
) {
  const before = server.stats.refreshes
  const request = t.$fetch('/items')
  await vi.advanceTimersByTimeAsync(0)
  expect(server.stats.refreshes).toBe(before + 1)
  await expect(request).resolves.toEqual({ ok: true, path: '/items' })
}

/**
 * Tabs c, b and a sign in `first` and then `second` ms apart, hearing nothing of each other
 * meanwhile: each holds its own token, numbered above the ones held before it (1, 2, 3). Then
 * they hear each other again. No proactive refresh, so only requests refresh.
 */
async function signedInApart(first: number, second: number) {
  const [c, b, a] = [
    tab({ refreshLeeway: 0 }),
    tab({ refreshLeeway: 0 }),
    tab({ refreshLeeway: 0 }),
  ]
  FakeChannel.lose = () => true
  await c.store.login(credentials)
  vi.setSystemTime(Date.now() + first)
  await b.store.login(credentials)
  vi.setSystemTime(Date.now() + second)
  await a.store.login(credentials)
  FakeChannel.lose = null
  return { c, b, a }
}

describe('timing across tabs (issue 11)', () => {
  it('refreshes about twice per lifetime across four tabs with 2 s tokens', async () => {
    const { server, fetch, issued } = useFakeServer({ ttl: 2 })
    // Requests that carry a token other than the newest one issued: the server accepts them while
    // they live, so count them, as a server that accepts only the newest token would refuse them.
    let stale = 0
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementation((input, init) => {
      const sent = new Headers(init?.headers).get('authorization')
      if (String(input).endsWith('/items') && sent !== `Bearer ${issued.at(-1)!.access}`) stale++
      return realFetch(input, init)
    })
    const tabs = [tab(), tab(), tab(), tab()]
    await tabs[0]!.store.login(credentials)
    for (let i = 0; i < 200; i++) {
      await Promise.all(tabs.map((t) => t.$fetch('/items')))
      await vi.advanceTimersByTimeAsync(100)
    }
    // 20 s of 2 s tokens, a request every 100 ms in each tab: ≤ 2.5 refreshes per lifetime.
    expect(server.stats.refreshes).toBeLessThanOrEqual(25)
    expect(server.stats.refreshes).toBeGreaterThanOrEqual(10)
    expect(server.requests.filter((r) => r.path === '/items')).toHaveLength(800)
    expect(stale).toBe(0)
  })

  it('hands the lock over without a second refresh when the grant overtakes the token message', async () => {
    const { server } = useFakeServer()
    const tabs = [tab(), tab(), tab(), tab()]
    await tabs[0]!.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    FakeChannel.latency = 50
    server.expireAccessTokens()
    const results = Promise.all(tabs.map((t) => t.$fetch('/items')))
    await vi.advanceTimersByTimeAsync(1_000)
    expect(await results).toHaveLength(4)
    expect(server.stats.refreshes).toBe(1)
    expect(new Set(tabs.map((t) => t.store.accessToken)).size).toBe(1)
  })

  it('asks for the token another tab holds when its message is lost, instead of refreshing again', async () => {
    const { server } = useFakeServer()
    const tabs = [tab(), tab()]
    await tabs[0]!.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    FakeChannel.latency = 50
    // The first token message after the refresh never arrives; the answer to a request does.
    let lost = 0
    FakeChannel.lose = (data) => (data as { type: string }).type === 'token' && lost++ === 0
    server.expireAccessTokens()
    const results = Promise.all(tabs.map((t) => t.$fetch('/items')))
    await vi.advanceTimersByTimeAsync(1_000)
    expect(await results).toHaveLength(2)
    expect(lost).toBeGreaterThan(1)
    expect(server.stats.refreshes).toBe(1)
  })

  it('does not wait for a token another tab holds once it is past use', async () => {
    const { server } = useFakeServer({ ttl: 60 })
    const one = tab({ refreshLeeway: 0 })
    const two = tab({ refreshLeeway: 0 })
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    // Both tabs hold the same token (one lock name); tab two signs in again on its own, so tab one
    // sees a newer token held elsewhere, but the tabs lose every message from now on.
    FakeChannel.lose = () => true
    await two.store.login(credentials)
    vi.setSystemTime(Date.now() + 120_000) // every token is past use now
    await refreshesAtOnce(one, server)
  })

  it('does not wait for a token another tab holds from the very millisecond it is past use', async () => {
    const { server } = useFakeServer({ ttl: 60 })
    const one = tab({ refreshLeeway: 0 })
    const two = tab({ refreshLeeway: 0 })
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    FakeChannel.lose = () => true
    vi.setSystemTime(Date.now() + 10_000)
    await two.store.login(credentials) // a newer token, usable 10 s longer than tab one's
    // The lock manager tells until when: at that very millisecond it is no longer worth a wait.
    const { held } = await locks.query()
    const usableUntil = Math.max(...held!.map((lock) => Number(lock.name!.split(':').at(-1))))
    vi.setSystemTime(usableUntil)
    await refreshesAtOnce(one, server)
  })

  it('does not wait for an older token another tab holds', async () => {
    const { server } = useFakeServer()
    const one = tab()
    const two = tab()
    FakeChannel.lose = () => true // the tabs hear nothing of each other
    await two.store.login(credentials) // tab two holds token 1
    await one.store.login(credentials) // tab one holds token 2, the newest
    server.expireAccessTokens()
    await refreshesAtOnce(one, server)
  })

  it('waits for the newest token of several held elsewhere, not the first it finds', async () => {
    const { server } = useFakeServer({ ttl: 60 })
    const { c, a } = await signedInApart(10_000, 40_000) // at 0 s, 10 s and 50 s
    // At 80 s, c's and b's tokens are past use, a's is not: c asks for a's instead of refreshing.
    vi.setSystemTime(Date.now() + 30_000)
    const before = server.stats.refreshes
    const request = c.$fetch('/items')
    await vi.advanceTimersByTimeAsync(100)
    await expect(request).resolves.toEqual({ ok: true, path: '/items' })
    expect(server.stats.refreshes).toBe(before)
    expect(c.store.accessToken).toBe(a.store.accessToken)
  })

  it('numbers each token after the newest held elsewhere, so tabs that missed each other end on the newest', async () => {
    const { server } = useFakeServer({ ttl: 60 })
    const { c, b, a } = await signedInApart(10_000, 10_000) // at 0 s, 10 s and 20 s
    const newest = a.store.accessToken
    // c refreshes: it asks for the newest token held elsewhere, and every tab holding one answers.
    vi.setSystemTime(Date.now() + 10_000)
    const before = server.stats.refreshes
    await c.store.refresh()
    await vi.advanceTimersByTimeAsync(100)
    expect(server.stats.refreshes).toBe(before)
    expect([c, b, a].map((t) => t.store.accessToken)).toEqual([newest, newest, newest])
  })

  it('restores four tabs opened at once with one refresh', async () => {
    const { server } = useFakeServer()
    await tab().store.login(credentials)
    // The browser restarts: no tab is alive, the session is only in the refresh cookie.
    for (const channel of FakeChannel.open) channel.close()
    FakeChannel.latency = 50
    const restored = [setupAuth(), setupAuth(), setupAuth(), setupAuth()]
    await vi.advanceTimersByTimeAsync(3_000)
    await Promise.all(restored.map((t) => t.auth.ready))
    expect(restored.every((t) => t.store.isAuthenticated)).toBe(true)
    expect(server.stats.refreshes).toBe(1)
  })

  it('hands the rotated refresh token over in body mode, so nobody presents a used one', async () => {
    // Body mode with rotation and reuse detection: a used refresh token revokes the session.
    const { server, issued } = useFakeServer({ refresh: 'body' })
    const presented = () =>
      server.requests
        .filter((r) => r.path === '/auth/refresh')
        .map((r) => (r.body as { refresh_token: string }).refresh_token)
    const handedOut = (n: number) => issued.slice(0, n).map((set) => set.refresh)
    const bodyMode = {
      tokens: {
        refresh: {
          read: (body: { refresh_token?: string }) => body.refresh_token,
          send: (token: string) => ({ refresh_token: token }),
        },
      },
    }
    const tabs = [tab(bodyMode), tab(bodyMode), tab(bodyMode), tab(bodyMode)]
    await tabs[0]!.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    FakeChannel.latency = 50
    for (let round = 0; round < 3; round++) {
      server.expireAccessTokens()
      const results = Promise.all(tabs.map((t) => t.$fetch('/items')))
      await vi.advanceTimersByTimeAsync(1_000)
      expect(await results).toHaveLength(4)
    }
    // One refresh a round, each with the refresh token the one before handed out.
    expect(presented()).toEqual(handedOut(3))
    // Whichever tab refreshes next holds the newest refresh token.
    await tabs[3]!.store.refresh()
    expect(presented()).toEqual(handedOut(4))
    expect(server.stats).toMatchObject({ refreshes: 4, refreshRejected: 0, reuseDetections: 0 })
    expect(tabs.every((t) => t.store.isAuthenticated)).toBe(true)
  })
})

describe('body mode across tabs', () => {
  it('drops the previous session’s refresh token when another tab signs in again', async () => {
    const { server, fetch, issued } = useFakeServer({ refresh: 'body' })
    const bodyMode = {
      tokens: {
        refresh: {
          read: (body: { refresh_token?: string }) => body.refresh_token,
          send: (token: string) => ({ refresh_token: token }),
        },
      },
    }
    const one = tab(bodyMode)
    const two = tab(bodyMode)
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    const previous = issued[0]!.refresh
    // Tab two signs in again; this login answer carries no refresh token.
    const iat = Math.floor(Date.now() / 1000)
    fetch.mockImplementationOnce(async () =>
      json(200, { access_token: jwt({ sub: 'alice', iat, exp: iat + 60, jti: 'second' }) }),
    )
    await two.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    expect(one.store.accessToken).toBe(two.store.accessToken)
    // Tab one holds the new session: it cannot refresh it, and does not refresh the old one.
    await expect(one.store.refresh()).rejects.toMatchObject({ code: 'session_expired' })
    const presented = server.requests
      .filter((r) => r.path === '/auth/refresh')
      .map((r) => (r.body as { refresh_token: string }).refresh_token)
    expect(presented).not.toContain(previous)
  })
})

describe('messages from other scripts of the origin', () => {
  it('ignores anything on the channel that is not a message of its own shape', async () => {
    useFakeServer()
    const received: string[] = []
    const one = tab()
    const two = tab({
      onEvent: (event) => event.type === 'tab:received' && received.push(event.message),
    })
    // Another script of the origin on the same channel (the default name, from baseURL).
    const outsider = new FakeChannel('vue-refresh-auth:/')
    const heard: any[] = []
    outsider.onmessage = ({ data }) => heard.push(data)
    await one.store.login(credentials)
    await one.store.refresh()
    await vi.advanceTimersByTimeAsync(0)
    const real = heard.findLast((message) => message.type === 'token')
    expect(real.token.token).toBe(two.store.accessToken)

    const iat = Math.floor(Date.now() / 1000)
    const forged = jwt({ sub: 'mallory', roles: ['admin'], iat, exp: iat + 60 })
    const token = { ...real.token, token: forged, seq: real.token.seq + 1 }
    const garbage: unknown[] = [
      null,
      42,
      'logout',
      [],
      { type: 'unknown', token },
      { type: 'token' },
      { type: 'token', token: forged, clock: null },
      { type: 'token', token: null, clock: null },
      { type: 'token', token: { ...token, token: '' }, clock: null },
      { type: 'token', token: { ...token, token: 7 }, clock: null },
      { type: 'token', token: { ...token, seq: '9' }, clock: null },
      { type: 'token', token: { ...token, seq: Number.NaN }, clock: null },
      { type: 'token', token: { ...token, receivedAt: undefined }, clock: null },
      { type: 'token', token: { ...token, roundTrip: '0' }, clock: null },
      { type: 'token', token: { ...token, expiresAt: 'soon' }, clock: null },
      { type: 'token', token: { ...token, deadBy: {} }, clock: null },
      { type: 'token', token: { ...token, lifetime: Number.NaN }, clock: null },
      { type: 'token', token, clock: 'skewed' },
      { type: 'token', token, clock: { lo: 0, hi: 0 } },
      { type: 'token', token, clock: { lo: 0, hi: '0', at: 0 } },
      { type: 'token', token, clock: { lo: Number.NaN, hi: 0, at: 0 } },
      { type: 'token', token, clock: null, refreshToken: 5 },
      { type: 'login', token: { ...token, seq: undefined }, clock: null, user: null },
      { type: 'logout' },
      { type: 'logout', everywhere: 'yes' },
      { type: 'expired' },
      { type: 'expired', reason: 1 },
    ]
    const heardBefore = received.length
    for (const message of garbage) {
      outsider.postMessage(message)
      await vi.advanceTimersByTimeAsync(0)
      expect(two.store.accessToken, JSON.stringify(message)).toBe(real.token.token)
      expect(two.store.status).toBe('authenticated')
    }
    // Not even heard: no event for the app, and nothing thrown.
    expect(received).toHaveLength(heardBefore)
    expect(FakeChannel.thrown).toEqual([])

    // The same messages whole are heard: the fields above were what made them garbage.
    outsider.postMessage({ type: 'token', token, clock: null })
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.accessToken).toBe(forged)
    expect(two.store.roles).toEqual(['admin'])
    outsider.postMessage({ type: 'logout', everywhere: false })
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.status).toBe('unauthenticated')
    outsider.close()
  })
})

describe('Web Locks of other scripts of the origin', () => {
  it('does not take a lock of another script for a token held in another tab', async () => {
    const { server } = useFakeServer()
    const one = tab()
    await one.store.login(credentials)
    // Another script holds a lock whose name is as long as this library's token-lock prefix and
    // ends in what would read as a newer token's number and expiry.
    const prefix = 'vue-refresh-auth:/:refresh:holds:'
    const foreign = `${'my-app:offline-sync:queue'.padEnd(prefix.length, '-')}99:${Date.now() + 3_600_000}`
    void locks.request(foreign, { mode: 'shared' }, () => new Promise(() => {}))
    await vi.advanceTimersByTimeAsync(0)
    server.expireAccessTokens()
    const request = one.$fetch('/items')
    // It refreshes at once instead of waiting for a token no tab will send.
    await vi.advanceTimersByTimeAsync(100)
    expect(server.stats.refreshes).toBe(1)
    await expect(request).resolves.toEqual({ ok: true, path: '/items' })
  })
})

describe('the user across tabs', () => {
  it('loads the user in a tab that hears of a login announced before the user was loaded', async () => {
    const { server, fetch } = useFakeServer()
    // A backend whose login answer carries no user: the profile comes from endpoints.user only.
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementationOnce(async (input, init) => {
      const { user: _, ...body } = await (await realFetch(input, init)).json()
      return json(200, body)
    })
    const options = { endpoints: { user: 'GET /auth/me' } }
    const one = tab(options)
    const two = tab(options)
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.isAuthenticated).toBe(true)
    expect(two.store.user).toMatchObject({ username: 'alice' })
    expect(server.requests.filter((r) => r.path === '/auth/me')).toHaveLength(2)
  })
})

describe('tokens without an expiry', () => {
  it('shares an opaque token without expires_in with the other tabs', async () => {
    const { fetch } = useFakeServer()
    fetch.mockImplementationOnce(async () => json(200, { access_token: 'opaque-token' }))
    const one = tab()
    const two = tab()
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.accessToken).toBe('opaque-token')
    expect(two.store.expiresAt).toBeNull()
  })
})

describe('the same token again', () => {
  it('changes nothing in a tab that holds it: a failed refresh stays reported and retried', async () => {
    const { server } = useFakeServer()
    const one = tab()
    const two = tab()
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    server.fail('refresh', { status: 503 })
    await two.store.refresh().catch(() => {})
    expect(two.store.error?.code).toBe('server')
    // A new tab asks for the session; tab one answers with the token tab two holds too.
    tab()
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.accessToken).toBe(one.store.accessToken)
    expect(two.store.error?.code).toBe('server')
  })
})

describe('token messages that must not win', () => {
  async function heardToken() {
    useFakeServer()
    const one = tab()
    const two = tab()
    const outsider = new FakeChannel('vue-refresh-auth:/')
    const heard: any[] = []
    outsider.onmessage = ({ data }) => heard.push(data)
    await one.store.login(credentials)
    await one.store.refresh()
    await vi.advanceTimersByTimeAsync(0)
    const real = heard.findLast((message) => message.type === 'token')
    const iat = Math.floor(Date.now() / 1000)
    const other = jwt({ sub: 'alice', iat, exp: iat + 60, jti: 'other' })
    return { one, two, outsider, real, other }
  }

  it('keeps its token over an older one from another tab', async () => {
    const { two, outsider, real, other } = await heardToken()
    outsider.postMessage({
      ...real,
      token: { ...real.token, token: other, seq: real.token.seq - 1 },
    })
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.accessToken).toBe(real.token.token)
    outsider.close()
  })

  it('is not signed in again by a token message once signed out', async () => {
    const { two, outsider, real, other } = await heardToken()
    await two.store.logout()
    await vi.advanceTimersByTimeAsync(0)
    outsider.postMessage({
      ...real,
      token: { ...real.token, token: other, seq: real.token.seq + 5 },
    })
    await vi.advanceTimersByTimeAsync(0)
    expect(two.store.status).toBe('unauthenticated')
    expect(two.store.accessToken).toBeNull()
    outsider.close()
  })
})

describe('messages for a session this tab does not have', () => {
  it('loads the user only for a login, not for every token a refresh hands on', async () => {
    const { server } = useFakeServer()
    const options = { endpoints: { user: 'GET /auth/me' } }
    const one = tab(options)
    tab(options)
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    const users = () => server.requests.filter((r) => r.path === '/auth/me').length
    // The login message carried the user: only the tab that signed in loaded it.
    const before = users()
    expect(before).toBe(1)
    await one.store.refresh()
    await one.store.refresh()
    await vi.advanceTimersByTimeAsync(0)
    expect(users()).toBe(before)
  })

  it('does not load the user again for each token from a tab whose own user load failed', async () => {
    const { server, fetch } = useFakeServer()
    // A login answer without the user, as in the test above, and the profile's first load fails.
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementationOnce(async (input, init) => {
      const { user: _, ...body } = await (await realFetch(input, init)).json()
      return json(200, body)
    })
    server.fail('user', { status: 403 })
    const options = { endpoints: { user: 'GET /auth/me' } }
    const one = tab(options)
    const two = tab(options)
    await one.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    // The tab that heard of the login loaded the profile first, and that load was refused.
    expect(two.store.user).toBeNull()
    expect(one.store.user).toMatchObject({ username: 'alice' })
    const users = () => server.requests.filter((r) => r.path === '/auth/me').length
    const before = users()
    await two.store.refresh()
    await two.store.refresh()
    await vi.advanceTimersByTimeAsync(0)
    expect(one.store.accessToken).toBe(two.store.accessToken)
    expect(one.store.user).toMatchObject({ username: 'alice' })
    expect(users()).toBe(before)
  })

  it('hears a logout or an expiry elsewhere without an event or an error, when signed out itself', async () => {
    useFakeServer()
    const events: string[] = []
    const one = tab()
    const two = tab({ onEvent: (event) => event.type === 'logout' && events.push(event.type) })
    const outsider = new FakeChannel('vue-refresh-auth:/')
    await vi.advanceTimersByTimeAsync(0)
    outsider.postMessage({ type: 'logout', everywhere: false })
    outsider.postMessage({ type: 'expired', reason: 'The refresh was refused.' })
    await vi.advanceTimersByTimeAsync(0)
    expect(events).toEqual([])
    expect(two.store.error).toBeNull()
    expect(one.store.status).toBe('unauthenticated')
    outsider.close()
  })
})
