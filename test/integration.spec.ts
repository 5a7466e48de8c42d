// @vitest-environment node
// The store and the fetch instance against the real demo server on a free port. Node's fetch has no
// cookie jar, so fetch-cookie (with tough-cookie) plays the browser's part for the HttpOnly refresh
// cookie; real-browser cookie behaviour is covered by the Chromium tests.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import makeFetchCookie from 'fetch-cookie'
import { CookieJar } from 'tough-cookie'
import { describe, expect, it, vi } from 'vitest'
import axios from 'axios'
import { isAuthError } from '../src'
import { withAuth } from '../src/axios'
import { useDemoServer } from './demo'
import { setupAuth, startServerProcess } from './utils'

const server = useDemoServer()
const { demo, client, signedIn } = server
const realFetch = globalThis.fetch // before any test stubs it

const times = <T>(n: number, fn: (i: number) => Promise<T>) =>
  Promise.allSettled(Array.from({ length: n }, (_, i) => fn(i)))

describe('against the demo server', () => {
  it('refreshes once for 200 concurrent 401s and replays all 200', async () => {
    const { $fetch, store } = await signedIn()
    const before = store.accessToken
    await $fetch('/demo/expire-token', { method: 'POST' })
    const results = await times(200, (i) => $fetch<{ items: string[] }>('/data', { query: { i } }))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(200)
    expect(demo.stats.refreshes).toBe(1)
    expect(demo.stats.reuseDetections).toBe(0)
    expect(store.accessToken).not.toBe(before)
  })

  it('refreshes once for 1,000 concurrent requests split across the three doors, and all succeed', async () => {
    const { $fetch, auth, store } = await signedIn()
    const api = `${server.url}/api`
    // axios on its fetch adapter, so it uses the same (cookie-keeping) fetch as the other doors.
    const instance = withAuth(axios.create({ adapter: 'fetch', baseURL: api }), auth)
    await $fetch('/demo/expire-token', { method: 'POST' })
    demo.resetStats()
    const doors = [
      (i: number) => $fetch('/data', { query: { i } }),
      (i: number) =>
        auth.fetchWithAuth(`${api}/data?i=${i}`).then((r) => {
          if (!r.ok) throw new Error(`HTTP ${r.status}`)
          return r.json()
        }),
      (i: number) => instance.get('/data', { params: { i } }).then((r) => r.data),
    ]
    const results = await times(1000, (i) => doors[i % 3]!(i))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1000)
    expect(demo.stats.refreshes).toBe(1)
    expect(demo.stats.reuseDetections).toBe(0)
    expect(store.isAuthenticated).toBe(true)
  })

  it('refreshes once, before sending, for 200 requests with a token known to be expired', async () => {
    const { $fetch } = await signedIn()
    const now = Date.now()
    vi.spyOn(Date, 'now').mockImplementation(() => now + 61_000)
    const results = await times(200, () => $fetch('/data'))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(200)
    expect(demo.stats.refreshes).toBe(1)
    expect(demo.stats.api401).toBe(0)
  })

  it('replays once: a replay answered 401 again fails with unauthorized', async () => {
    const { $fetch, store } = await signedIn()
    demo.faults.api.push({ status: 401 }, { status: 401 })
    const error = await $fetch('/data').catch((e) => e)
    expect(isAuthError(error, 'unauthorized')).toBe(true)
    expect(store.error).toBe(error)
    expect(demo.stats.refreshes).toBe(1)
    expect(demo.stats.apiRequests).toBe(2)
    await expect($fetch('/data')).resolves.toMatchObject({ user: 'alice' })
  })

  it('ends the session once when the refresh is rejected (the server lost its sessions)', async () => {
    const onSessionExpired = vi.fn()
    const { $fetch, store } = await signedIn({ onSessionExpired })
    await demo.store.clear()
    await $fetch('/demo/expire-token', { method: 'POST' })
    const results = await times(10, () => $fetch('/data'))
    for (const r of results) {
      expect(r.status).toBe('rejected')
      expect(isAuthError((r as PromiseRejectedResult).reason, 'session_expired')).toBe(true)
    }
    expect(demo.stats.refreshes).toBe(1)
    expect(onSessionExpired).toHaveBeenCalledOnce()
    expect(store.status).toBe('unauthenticated')
    expect(store.accessToken).toBeNull()
  })

  it('keeps the session through two refresh 503s and recovers', async () => {
    const onSessionExpired = vi.fn()
    const { $fetch, store } = await signedIn({ onSessionExpired })
    await $fetch('/demo/expire-token', { method: 'POST' })
    demo.faults.refresh.push({ status: 503, retryAfter: 0 }, { status: 503, retryAfter: 0 })
    const first = await $fetch('/data').catch((e) => e)
    const second = await $fetch('/data').catch((e) => e)
    expect(isAuthError(first, 'server')).toBe(true)
    expect(isAuthError(second, 'server')).toBe(true)
    expect(store.isAuthenticated).toBe(true)
    await expect($fetch('/data')).resolves.toMatchObject({ user: 'alice' })
    expect(demo.stats.refreshes).toBe(3)
    expect(demo.stats.reuseDetections).toBe(0)
    expect(onSessionExpired).not.toHaveBeenCalled()
  })

  it('keeps the session when the connection drops during a refresh', async () => {
    const { $fetch, store } = await signedIn()
    await $fetch('/demo/expire-token', { method: 'POST' })
    demo.faults.refresh.push({ drop: true })
    const error = await $fetch('/data').catch((e) => e)
    expect(isAuthError(error, 'network')).toBe(true)
    expect(store.status).toBe('authenticated')
    // The next request waits out the backoff (≤ 1 s) and then succeeds.
    await expect($fetch('/data')).resolves.toMatchObject({ user: 'alice' })
    expect(demo.stats.refreshes).toBe(2)
  })

  it('stays logged out when logout happens during an in-flight refresh', async () => {
    const { $fetch, store } = await signedIn()
    await $fetch('/demo/expire-token', { method: 'POST' })
    demo.faults.refresh.push({ delayMs: 300 })
    const waiting = $fetch('/data').catch((e) => e)
    await vi.waitFor(() => expect(demo.stats.refreshes).toBe(1))
    await store.logout()
    expect(isAuthError(await waiting)).toBe(true)
    expect(store.status).toBe('unauthenticated')
    expect(store.accessToken).toBeNull()
    // The cookie is cleared and its family revoked: nothing can restore this session.
    await store.restore()
    expect(store.status).toBe('unauthenticated')
    expect(demo.stats.reuseDetections).toBe(0)
  })

  it('never sends the Authorization header to a second origin', async () => {
    const seen: IncomingHttpHeaders[] = []
    const other = createServer((req, res) => {
      seen.push(req.headers)
      res.setHeader('content-type', 'application/json')
      res.end('{"other":true}')
    }).listen(0, '127.0.0.1')
    await once(other, 'listening')
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
    try {
      const { $fetch } = await signedIn()
      await expect($fetch('/me')).resolves.toMatchObject({ id: 'alice' })
      await $fetch(`${otherUrl}/collect`)
      await $fetch('/collect', { baseURL: otherUrl })
      expect(seen).toHaveLength(2)
      for (const headers of seen) expect(headers.authorization).toBeUndefined()
    } finally {
      other.closeAllConnections()
      other.close()
    }
  })

  it('rotates the refresh token in body mode across two refreshes', async () => {
    const { $fetch, store } = await signedIn({
      endpoints: {
        login: `POST ${server.url}/body/auth/login`,
        refresh: `POST ${server.url}/body/auth/refresh`,
        logout: `POST ${server.url}/body/auth/logout`,
      },
      tokens: {
        refresh: {
          read: (body) => body.refresh_token,
          send: (token) => ({ refresh_token: token }),
        },
      },
    })
    const first = store.accessToken
    await store.refresh()
    await store.refresh()
    expect(store.accessToken).not.toBe(first)
    // Had an already-rotated token been sent, reuse detection would have revoked the session.
    expect(demo.stats.refreshes).toBe(2)
    expect(demo.stats.reuseDetections).toBe(0)
    expect(store.status).toBe('authenticated')
    await expect($fetch('/me')).resolves.toMatchObject({ id: 'alice' })
  })

  it.each([-10, 10])(
    'neither loops nor sends expired tokens with the client clock %i minutes off',
    async (minutes) => {
      // The server runs in its own process so that only the client's clock is off.
      const server = await startServerProcess()
      try {
        const now = Date.now
        vi.spyOn(Date, 'now').mockImplementation(() => now.call(Date) + minutes * 60_000)
        const apiRequests: string[] = []
        const cookieFetch = makeFetchCookie(realFetch, new CookieJar())
        vi.stubGlobal('fetch', (input: string, init?: RequestInit) => {
          apiRequests.push(String(input))
          return cookieFetch(input, init)
        })
        // Ignore expires_in so that the absolute JWT exp, on the server's clock, is what counts.
        const { $fetch, store } = setupAuth({
          baseURL: `${server.url}/api`,
          restore: false,
          endpoints: { login: `POST ${server.url}/auth/login` },
          tokens: { expiresIn: () => undefined },
        })
        await store.login({ username: 'alice', password: 'alice-password' })
        const left = store.expiresAt! - Date.now()
        expect(left).toBeGreaterThan(57_000)
        expect(left).toBeLessThanOrEqual(60_000)
        const results = await times(5, () => $fetch('/data'))
        expect(results.every((r) => r.status === 'fulfilled')).toBe(true)
        // No refresh, no replay: five requests, each sent once with a token the server accepted.
        expect(apiRequests.filter((u) => u.includes('/auth/refresh'))).toHaveLength(0)
        expect(apiRequests.filter((u) => u.includes('/api/data'))).toHaveLength(5)
      } finally {
        await server.stop()
      }
    },
  )

  it('rejects bad credentials with invalid_credentials and the server message', async () => {
    const { store } = client()
    const error = await store.login({ username: 'alice', password: 'nope' }).catch((e) => e)
    expect(isAuthError(error, 'invalid_credentials')).toBe(true)
    expect(error.message).toContain('Wrong username or password.')
    expect(store.isAuthenticated).toBe(false)
  })
})
