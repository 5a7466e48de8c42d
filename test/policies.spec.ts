// @vitest-environment node
// The engine's policies on their own (issue 14): the single flight with its turns, the backoff with
// Retry-After, and the client of the auth endpoints. The session's suites show them at work; these
// pin each one's contract where a change to it would start.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BACKOFF_CAP, createBackoff, exponential } from '../src/backoff'
import { createEndpointClient } from '../src/endpoints'
import { AuthError } from '../src/errors'
import { resolveOptions } from '../src/options'
import { createSingleFlight } from '../src/singleFlight'
import { deferred, json } from './utils'

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('single flight', () => {
  it('shares one run among its callers, and starts the next run only after it settled', async () => {
    const settled = vi.fn()
    const flight = createSingleFlight(settled)
    const answer = deferred()
    const start = vi.fn(() => answer.promise)
    const a = flight.run(start)
    const b = flight.run(start)
    expect(b).toBe(a)
    expect(flight.running).toBe(true)
    answer.resolve()
    await Promise.all([a, b])
    expect(start).toHaveBeenCalledOnce()
    expect(settled).toHaveBeenCalledOnce()
    expect(flight.running).toBe(false)
    await flight.run(async () => {})
    expect(settled).toHaveBeenCalledTimes(2)
  })

  it('lets go of a run at the next turn: its callers reject at once, and the run knows it is stale', async () => {
    const settled = vi.fn()
    const flight = createSingleFlight(settled)
    const answer = deferred()
    let turnOfRun = -1
    const run = flight.run((turn) => {
      turnOfRun = turn
      return answer.promise
    })
    expect(flight.superseded(turnOfRun)).toBe(false)
    const reason = new AuthError('unauthorized', 'signed out meanwhile')
    flight.next(reason)
    await expect(run).rejects.toBe(reason)
    expect(flight.superseded(turnOfRun)).toBe(true)
    expect(flight.running).toBe(false)
    // The abandoned run's own end changes nothing for the new turn.
    answer.resolve()
    await vi.advanceTimersByTimeAsync(0)
    expect(settled).not.toHaveBeenCalled()
  })
})

describe('backoff', () => {
  const failure = (headers: Record<string, string> = {}) =>
    new AuthError('server', 'busy', {
      cause: { status: 503, response: { headers: new Headers(headers) } },
      status: 503,
    })

  it('doubles from 1 s up to 30 s, each delay scaled by a random 0.5–1', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => exponential(n, 1000, BACKOFF_CAP))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ])
    const backoff = createBackoff()
    const now = Date.now()
    for (let n = 1; n <= 7; n++) {
      backoff.failed(failure(), now)
      const delay = backoff.state.retryAt - now
      const full = exponential(n, 1000, BACKOFF_CAP)
      expect(delay).toBeGreaterThanOrEqual(full / 2)
      expect(delay).toBeLessThanOrEqual(full)
    }
    expect(backoff.state.failures).toBe(7)
  })

  it('takes the server’s Retry-After instead, and calls one beyond the cap too long to wait for', () => {
    const backoff = createBackoff()
    const now = Date.now()
    backoff.failed(failure({ 'retry-after': '10' }), now)
    expect(backoff.state.retryAt).toBe(now + 10_000)
    expect(backoff.tooLong(now)).toBe(false)
    backoff.failed(failure({ 'retry-after': '120' }), now)
    expect(backoff.tooLong(now)).toBe(true)
    expect(backoff.tooLong(now + 90_000 + 1)).toBe(false)
  })

  it('waits until the retry time, and not at all after a reset', async () => {
    const backoff = createBackoff()
    backoff.failed(failure({ 'retry-after': '5' }))
    let waited = false
    void backoff.wait().then(() => (waited = true))
    await vi.advanceTimersByTimeAsync(4_900)
    expect(waited).toBe(false)
    await vi.advanceTimersByTimeAsync(100)
    expect(waited).toBe(true)
    backoff.reset()
    expect(backoff.state).toEqual({ failures: 0, lastError: null, retryAt: 0 })
    expect(backoff.tooLong()).toBe(false)
    await expect(backoff.wait()).resolves.toBeUndefined()
  })
})

describe('endpoint client', () => {
  const sent: { url: string; method: string; headers: Headers; body: string | null }[] = []
  beforeEach(() => {
    sent.length = 0
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(new URL(String(input), 'http://app.test'), init)
      sent.push({
        url: new URL(request.url).pathname,
        method: request.method,
        headers: request.headers,
        body: await request.text(),
      })
      return json(200, { ok: true }, { date: new Date().toUTCString() })
    })
  })

  it('sends the CSRF header on refresh and logout but not on login, with the body as JSON', async () => {
    const options = resolveOptions({ csrf: { header: 'x-csrf', value: () => 'abc' } })
    const client = createEndpointClient(options)
    await client.send(options.endpoints.login!, { username: 'a' }, false)
    await client.send(options.endpoints.refresh!)
    expect(sent.map((r) => [r.method, r.url, r.headers.get('x-csrf')])).toEqual([
      ['POST', '/auth/login', null],
      ['POST', '/auth/refresh', 'abc'],
    ])
    expect(JSON.parse(sent[0]!.body!)).toEqual({ username: 'a' })
  })

  it('answers with the body, the headers and when the request left and its answer came', async () => {
    const client = createEndpointClient(resolveOptions({}))
    const before = Date.now()
    const answer = await client.send({ url: '/auth/refresh', method: 'POST' })
    expect(answer.body).toEqual({ ok: true })
    expect(answer.headers.get('date')).toBe(new Date(before).toUTCString())
    expect(answer.sentAt).toBe(before)
    expect(answer.receivedAt).toBeGreaterThanOrEqual(answer.sentAt)
  })

  it('runs cookie-setting requests one after another, in the order asked, even when one fails', async () => {
    const client = createEndpointClient(resolveOptions({}))
    const order: string[] = []
    const first = deferred()
    const a = client.serial(async () => {
      await first.promise
      order.push('a')
      throw new Error('a failed')
    })
    const b = client.serial(async () => {
      order.push('b')
    })
    await vi.advanceTimersByTimeAsync(0)
    expect(order).toEqual([])
    first.resolve()
    await expect(a).rejects.toThrow('a failed')
    await b
    expect(order).toEqual(['a', 'b'])
  })
})
