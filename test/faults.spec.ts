// @vitest-environment node
// Fault injection against the real demo server on a free port: a restart that forgets every
// session, a refresh that hangs for 10 s, a refresh answer cut off mid-body. fetch-cookie (with
// tough-cookie) plays the browser's cookie jar for the HttpOnly refresh cookie.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { AuthError, isAuthError } from '../src'
import { useDemoServer } from './demo'
import { deferred } from './utils'

/** Each refresh request this test sent: whether its answer arrived, and when it settled at all. */
let refreshes: { answered: Promise<'the refresh answer'>; settled: Promise<void> }[] = []
beforeEach(() => {
  refreshes = []
})

const { demo, signedIn } = useDemoServer({ accessTtl: 60 }, (url, response) => {
  if (!url.endsWith('/auth/refresh')) return
  refreshes.push({
    // Never settles when the client gives the request up (aborts it) or it fails.
    answered: response.then(
      () => 'the refresh answer' as const,
      () => new Promise<never>(() => {}),
    ),
    settled: response.then(
      () => {},
      () => {},
    ),
  })
})

const times = <T>(n: number, fn: (i: number) => Promise<T>) =>
  Array.from({ length: n }, (_, i) => fn(i))

/** Resolves with the reasons of `promises`, which must all reject. */
async function rejections(promises: Promise<unknown>[]) {
  const results = await Promise.allSettled(promises)
  expect(results.every((r) => r.status === 'rejected')).toBe(true)
  return results.map((r) => (r as PromiseRejectedResult).reason as unknown)
}

describe('fault injection against the demo server', () => {
  it('logs out cleanly, once, when the server restarts mid-session', async () => {
    const onSessionExpired = vi.fn()
    const { $fetch, store } = await signedIn({ onSessionExpired })
    await expect($fetch('/data')).resolves.toMatchObject({ user: 'alice' })

    // The restart forgets every refresh token; the client's access token is now past its expiry,
    // so every request waits for the one refresh, which the server refuses.
    await demo.store.clear()
    const now = Date.now()
    vi.spyOn(Date, 'now').mockImplementation(() => now + 61_000)
    const reasons = await rejections(times(20, (i) => $fetch('/data', { query: { i } })))
    for (const reason of reasons) expect(isAuthError(reason, 'session_expired')).toBe(true)

    expect(demo.stats.refreshes).toBe(1)
    expect(demo.stats.refreshRejected).toBe(1)
    expect(demo.stats.apiRequests).toBe(1)
    expect(onSessionExpired).toHaveBeenCalledOnce()
    expect(isAuthError(onSessionExpired.mock.calls[0]![0], 'session_expired')).toBe(true)
    expect(store.status).toBe('unauthenticated')
    expect(store.accessToken).toBeNull()
    expect(store.error?.code).toBe('session_expired')

    // Signed out for good: a later request neither refreshes again nor calls the callback again.
    const later = await $fetch('/data').catch((e) => e)
    expect(isAuthError(later, 'unauthorized')).toBe(true)
    expect(demo.stats.refreshes).toBe(1)
    expect(onSessionExpired).toHaveBeenCalledOnce()
    expect(store.status).toBe('unauthenticated')
  })

  it('lets the user log out while a refresh hangs for 10 s with 50 requests waiting on it', async () => {
    const parked = deferred()
    let unauthorized = 0
    const { $fetch, store } = await signedIn({
      onEvent: (event) => {
        if (event.type === 'unauthorized' && ++unauthorized === 50) parked.resolve()
      },
    })
    await $fetch('/demo/expire-token', { method: 'POST' })
    demo.faults.refresh.push({ delayMs: 10_000 })
    const waiting = times(50, (i) => $fetch('/data', { query: { i } }))
    const settled = Promise.allSettled(waiting)
    // Every request got its 401 and is parked on the one refresh, which the server holds.
    await parked.promise
    expect(demo.stats.refreshes).toBe(1)
    expect(refreshes).toHaveLength(1)
    const { answered, settled: refreshSettled } = refreshes[0]!

    const out = store.logout()
    try {
      expect(store.status).toBe('unauthenticated')
      expect(store.accessToken).toBeNull()

      // Neither the logout nor the 50 requests wait for the hanging refresh to answer.
      await expect(Promise.race([out.then(() => 'logout' as const), answered])).resolves.toBe(
        'logout',
      )
      await expect(
        Promise.race([settled.then(() => 'the 50 requests' as const), answered]),
      ).resolves.toBe('the 50 requests')
      for (const reason of await rejections(waiting)) expect(reason).toBeInstanceOf(AuthError)
    } finally {
      // Even when an assertion above failed: the logout must not outlive this test's cookie jar.
      await refreshSettled
      await out.catch(() => {})
    }

    // Once the refresh has answered or been given up, nothing brings the session back.
    expect(store.status).toBe('unauthenticated')
    expect(store.accessToken).toBeNull()
    // The server revoked the session: the cookie left in the jar restores nothing.
    const again = await store.refresh().catch((e) => e)
    expect(isAuthError(again, 'session_expired')).toBe(true)
    expect(store.status).toBe('unauthenticated')
    expect(store.accessToken).toBeNull()
    expect(demo.stats.logouts).toBe(1)
    expect(demo.stats.reuseDetections).toBe(0)
  })

  it('treats a refresh answer cut off mid-body as a network failure and keeps the session', async () => {
    const onSessionExpired = vi.fn()
    const { $fetch, store } = await signedIn({ onSessionExpired })
    await $fetch('/demo/expire-token', { method: 'POST' })
    demo.faults.refresh.push({ truncate: true })

    const error = await $fetch('/data').catch((e) => e)
    expect(isAuthError(error, 'network')).toBe(true)
    expect(store.error).toBe(error)
    expect(store.status).toBe('authenticated')
    expect(store.isAuthenticated).toBe(true)

    // The rotated cookie arrived in the headers before the body was cut, so the next refresh
    // presents it (not the one already used) and the server does not see a reuse.
    await expect($fetch('/data')).resolves.toMatchObject({ user: 'alice' })
    expect(demo.stats.refreshes).toBe(2)
    expect(demo.stats.reuseDetections).toBe(0)
    expect(store.status).toBe('authenticated')
    expect(store.error).toBeNull()
    expect(onSessionExpired).not.toHaveBeenCalled()
  })
})
