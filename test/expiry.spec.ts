// The timing model (src/expiry.ts) against a simulated server: a clock `offset` ms off the browser's,
// a JWT whose iat / exp are whole seconds (as jose and jsonwebtoken issue them), expires_in, and a
// whole-second Date header, with the request and the answer each taking their time on the wire.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  combineOffsets,
  observeOffset,
  refreshDueAt,
  tokenTiming,
  usableUntil,
  type ClockOffset,
} from '../src/expiry'

interface Exchange {
  /** Local ms the request left. */
  sentAt: number
  /** Ms to reach the server, for the server to issue the token, and for the answer to come back. */
  up: number
  work: number
  down: number
}

/** What the browser sees of one refresh, and the truth it cannot see. */
function simulate(offset: number, ttl: number, { sentAt, up, work, down }: Exchange) {
  const issuedAt = sentAt + up + offset // server clock
  const answeredAt = issuedAt + work
  const iat = Math.floor(issuedAt / 1000)
  return {
    facts: { expiresIn: ttl, exp: iat + ttl, iat },
    date: Math.floor(answeredAt / 1000) * 1000,
    sentAt,
    receivedAt: answeredAt - offset + down,
    /** Local ms at which the server starts refusing the token. */
    truth: (iat + ttl) * 1000 - offset,
  }
}

const exchange = (sentAt: fc.Arbitrary<number>) =>
  fc.record({
    sentAt,
    up: fc.integer({ min: 0, max: 300 }),
    work: fc.integer({ min: 0, max: 2_000 }),
    down: fc.integer({ min: 0, max: 300 }),
  })

describe('expiry estimate', () => {
  it('is never later than the server, and refuses no token that has life left', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -600_000, max: 600_000 }),
        fc.constantFrom(2, 3, 5, 20, 60, 300),
        fc.array(exchange(fc.integer({ min: 0, max: 5_000 })), { minLength: 1, maxLength: 12 }),
        (offset, ttl, exchanges) => {
          let clock: ClockOffset | null = null
          let at = 1_700_000_000_000
          for (const step of exchanges) {
            at += step.sentAt
            const seen = simulate(offset, ttl, { ...step, sentAt: at })
            at = seen.receivedAt
            clock = combineOffsets(clock, observeOffset(seen.date, seen.sentAt, seen.receivedAt))
            expect(clock.lo).toBeLessThanOrEqual(offset)
            expect(clock.hi).toBeGreaterThanOrEqual(offset)
            const timing = tokenTiming(seen.facts, seen.sentAt, seen.receivedAt, clock)
            expect(timing.expiresAt!).toBeLessThanOrEqual(seen.truth)
            expect(timing.deadBy!).toBeGreaterThanOrEqual(seen.truth)
            if (seen.truth > seen.receivedAt)
              expect(timing.deadBy!).toBeGreaterThan(seen.receivedAt)
          }
        },
      ),
      { numRuns: 2_000 },
    )
  })

  it('narrows to within one round trip of the truth as answers land at different sub-second phases', () => {
    const offset = 123_456
    let clock: ClockOffset | null = null
    let at = 1_700_000_000_000
    for (let i = 0; i < 40; i++) {
      // A 10 ms round trip every 1,037 ms walks the server's sub-second phase through the second.
      const seen = simulate(offset, 2, { sentAt: at, up: 5, work: 0, down: 5 })
      clock = combineOffsets(clock, observeOffset(seen.date, seen.sentAt, seen.receivedAt))
      at += 1_037
    }
    // From 1 s + 10 ms after the first answer to the round trip, the phase step, and the drift
    // allowed for on both sides since the best answers (41 s at 500 ppm).
    const bound = 10 + 37 + 2 * 41 * 0.5
    expect(clock!.hi - clock!.lo).toBeLessThanOrEqual(bound)
    const seen = simulate(offset, 2, { sentAt: at, up: 5, work: 0, down: 5 })
    const timing = tokenTiming(seen.facts, seen.sentAt, seen.receivedAt, clock)
    expect(seen.truth - timing.expiresAt!).toBeLessThanOrEqual(bound)
  })

  it('takes the newer evidence when a clock was set', () => {
    const before = observeOffset(1_000_000, 1_000_000, 1_000_010) // offset ≈ 0
    const after = observeOffset(1_000_000 + 3_600_000, 1_005_000, 1_005_010) // an hour ahead
    const clock = combineOffsets(before, after)
    expect(clock).toEqual(after)
  })

  it('widens old evidence by the drift a clock may have had since', () => {
    const old = { lo: 0, hi: 10, at: 0 }
    const fresh = { lo: -500, hi: 500, at: 1_000_000 }
    // 1,000 s at 500 ppm: 500 ms either way.
    expect(combineOffsets(old, fresh)).toEqual({ lo: -500, hi: 500, at: 1_000_000 })
  })

  it('keeps evidence that agrees on a single moment, as an interval of no width', () => {
    // Answers that bracket the offset from both sides, meeting exactly at 200 ms.
    const one = { lo: 200, hi: 900, at: 1_000 }
    const two = { lo: -400, hi: 200, at: 1_000 }
    expect(combineOffsets(one, two)).toEqual({ lo: 200, hi: 200, at: 1_000 })
  })

  it('comes to the same estimate whichever order the evidence arrives in', () => {
    // A tab's message can carry evidence older than what this tab has already seen.
    const old = { lo: 0, hi: 10, at: 0 }
    const fresh = { lo: -500, hi: 500, at: 1_000_000 }
    expect(combineOffsets(fresh, old)).toEqual(combineOffsets(old, fresh))
    const later = { lo: -200, hi: 300, at: 2_000_000 }
    expect(combineOffsets(later, fresh)).toEqual(combineOffsets(fresh, later))
  })

  it('maps iat with the clock offset before counting expires_in from it', () => {
    const sentAt = 1_000_000
    // The server's clock is 5 s ahead; its iat is its own "now" as the request arrived.
    const offset = { lo: 5_000, hi: 5_000, at: sentAt }
    const iat = (sentAt + 5_000) / 1000
    const timing = tokenTiming({ expiresIn: 60, exp: null, iat }, sentAt, sentAt + 20, offset)
    expect(timing.expiresAt).toBe(sentAt + 60_000)
    // With no clock evidence yet, iat is taken as it is.
    const plain = tokenTiming(
      { expiresIn: 60, exp: null, iat: sentAt / 1000 + 1 },
      sentAt,
      sentAt + 20,
      null,
    )
    expect(plain.expiresAt).toBe(sentAt + 61_000)
  })

  it('takes the earlier of exp and expires_in for the latest moment the token can live', () => {
    const now = 1_000_000
    const timing = tokenTiming({ expiresIn: 60, exp: now / 1000 + 30, iat: null }, now, now, null)
    expect(timing.deadBy).toBe(now + 30_000)
    expect(timing.expiresAt).toBe(now + 30_000)
  })

  it('measures the lifetime from iat to exp when there is no expires_in, and knows none without either', () => {
    const now = 1_000_000
    // Issued 5 s before it arrived: its lifetime is still the 35 s from iat to exp.
    const jwt = tokenTiming({ expiresIn: null, exp: 1_030, iat: 995 }, now, now, null)
    expect(jwt.lifetime).toBe(35_000)
    const expOnly = tokenTiming(
      { expiresIn: null, exp: now / 1000 + 20, iat: null },
      now,
      now + 50,
      null,
    )
    expect(expOnly.lifetime).toBe(20_000 - 50)
    const opaque = tokenTiming({ expiresIn: null, exp: null, iat: null }, now, now, null)
    expect(opaque.lifetime).toBeNull()
    expect(opaque.deadBy).toBeNull()
  })

  it('counts expires_in from when the request left, for an opaque token', () => {
    const timing = tokenTiming({ expiresIn: 60, exp: null, iat: null }, 1_000, 1_400, null)
    expect(timing).toEqual({
      expiresAt: 61_000,
      deadBy: 61_400,
      receivedAt: 1_400,
      lifetime: 60_000,
      roundTrip: 400,
    })
  })

  it('knows no expiry for an opaque token without expires_in', () => {
    const timing = tokenTiming({ expiresIn: null, exp: null, iat: null }, 0, 10, null)
    expect(timing.expiresAt).toBeNull()
    expect(usableUntil(timing)).toBe(Infinity)
    expect(refreshDueAt(timing, 30_000)).toBeNull()
  })
})

describe('refresh schedule', () => {
  const token = (lifetime: number, left = lifetime, roundTrip = 10) => ({
    receivedAt: 0,
    expiresAt: left,
    deadBy: left,
    lifetime,
    roundTrip,
  })

  it('refreshes refreshLeeway before expiry', () => {
    expect(refreshDueAt(token(300_000), 30_000)).toBe(270_000)
    expect(refreshDueAt(token(60_000), 10_000)).toBe(50_000)
  })

  it('waits at least half the lifetime, so a 4 s token refreshes after 2 s', () => {
    expect(refreshDueAt(token(4_000), 30_000)).toBe(2_000)
    // A 2 s token believed to have 1.6 s left (whole-second exp) still lives out half its lifetime.
    expect(refreshDueAt(token(2_000, 1_600), 30_000)).toBe(1_000)
  })

  it('leaves a quarter of the lifetime (at most the leeway) for the refresh to land', () => {
    expect(refreshDueAt(token(2_000, 1_200), 30_000)).toBe(700)
    // A 60 s token with the default leeway: half its lifetime comes first.
    expect(refreshDueAt(token(60_000, 59_000), 30_000)).toBe(30_000)
  })

  it('is due at once for a token that arrived with less than a round trip left', () => {
    expect(refreshDueAt(token(3_000, 300, 1_500), 30_000)).toBeLessThan(0)
    expect(usableUntil(token(3_000, 300, 1_500))).toBeLessThan(0)
  })

  it('is off with refreshLeeway 0', () => {
    expect(refreshDueAt(token(60_000), 0)).toBeNull()
  })
})
