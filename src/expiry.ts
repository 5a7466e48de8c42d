// The timing model of an access token, as pure functions of what the responses said and when they
// were sent and received on the local clock. docs/guide/tabs.md ("How expiry is estimated") has the
// model and its error bound.

/**
 * What is known of the server's clock: `lo ≤ server − local < hi`, in ms, as of local time `at`.
 */
export interface ClockOffset {
  lo: number
  hi: number
  at: number
}

// An NTP-disciplined clock is slewed by at most 500 ppm (RFC 5905, section 11.3: MAXFREQ), so
// evidence `d` ms old may be off by `d × 0.0005` ms by now.
const MAX_DRIFT = 0.0005

/**
 * What one response says of the server's clock: it stamped `serverMs` (an HTTP `Date` or a JWT
 * `iat`: whole seconds, rounded down) at some moment between `sentAt` and `receivedAt`.
 */
export function observeOffset(serverMs: number, sentAt: number, receivedAt: number): ClockOffset {
  return { lo: serverMs - receivedAt, hi: serverMs + 1000 - sentAt, at: receivedAt }
}

/**
 * Narrows what is known by new evidence: the older side is widened by the drift it may have seen,
 * then both are intersected. When they disagree, a clock was set, and the newer evidence wins.
 */
export function combineOffsets(known: ClockOffset | null, seen: ClockOffset): ClockOffset {
  if (!known) return seen
  const [older, newer] = known.at <= seen.at ? [known, seen] : [seen, known]
  const slack = (newer.at - older.at) * MAX_DRIFT
  const lo = Math.max(older.lo - slack, newer.lo)
  const hi = Math.min(older.hi + slack, newer.hi)
  return lo <= hi ? { lo, hi, at: newer.at } : newer
}

/** When an access token stops being valid, on the local clock. */
export interface TokenTiming {
  /**
   * Local ms from which the token may already be dead on the server; never later than the truth,
   * given the evidence. `null`: unknown (an opaque token without `expires_in`).
   */
  expiresAt: number | null
  /** Local ms by which it is dead for sure; `null`: unknown. */
  deadBy: number | null
  /** Local ms when it arrived. */
  receivedAt: number
  /** The lifetime the server gave it in ms: `expires_in`, else `exp − iat`, else what was left. */
  lifetime: number | null
  /** Ms the request that brought it took there and back. */
  roundTrip: number
}

/** What a login or refresh answer said about the token's life (seconds, as the protocol has them). */
export interface TokenFacts {
  expiresIn: number | null
  exp: number | null
  iat: number | null
}

/**
 * Places a token's expiry on the local clock.
 *
 * `expires_in` counts from when the server issued the token or answered: after `sentAt`, and after
 * `iat` (mapped with the offset's upper bound). `exp` is on
 * the server's clock, mapped with the offset's upper bound for `expiresAt` (early) and its lower
 * bound for `deadBy` (late). With both, the earlier of each wins: a server that rounds `iat` down
 * issues an `exp` up to 1 s before `expires_in` says. Without any clock evidence the offset is
 * taken as 0.
 */
export function tokenTiming(
  { expiresIn, exp, iat }: TokenFacts,
  sentAt: number,
  receivedAt: number,
  offset: ClockOffset | null,
): TokenTiming {
  const early: number[] = []
  const late: number[] = []
  if (expiresIn !== null) {
    // It counts from when the server issued the token, or answered: after the request left, and
    // not before `iat`, if there is one.
    const from = iat === null ? sentAt : Math.max(sentAt, iat * 1000 - (offset?.hi ?? 0))
    early.push(from + expiresIn * 1000)
    late.push(receivedAt + expiresIn * 1000)
  }
  if (exp !== null) {
    early.push(exp * 1000 - (offset?.hi ?? 0))
    late.push(exp * 1000 - (offset?.lo ?? 0))
  }
  const expiresAt = early.length ? Math.min(...early) : null
  const deadBy = late.length ? Math.min(...late) : null
  const lifetime =
    expiresIn !== null
      ? expiresIn * 1000
      : exp !== null && iat !== null
        ? (exp - iat) * 1000
        : expiresAt === null
          ? null
          : expiresAt - receivedAt
  return { expiresAt, deadBy, receivedAt, lifetime, roundTrip: Math.max(0, receivedAt - sentAt) }
}

/** Whole seconds until `expiresAt` (never negative), or `null` without an expiry: for countdowns. */
export const secondsLeft = (
  expiresAt: number | null | undefined,
  now = Date.now(),
): number | null => (expiresAt == null ? null : Math.max(0, Math.ceil((expiresAt - now) / 1000)))

/**
 * Until when a request may carry the token: one sent later would reach the server about when the
 * token may be dead, so it waits for the next one instead.
 */
export function usableUntil(timing: TokenTiming): number {
  return timing.expiresAt === null ? Infinity : timing.expiresAt - timing.roundTrip
}

/**
 * When to refresh ahead of expiry: `leeway` ms before it, but not before half the lifetime has
 * passed, and no later than a quarter of the lifetime (at most `leeway`, at least two round trips)
 * before it, so that a refresh that takes longer than the last one still lands while this token is
 * usable. `null`: never (no known expiry, or `leeway` 0). A token that arrived with less than that
 * left is due at once.
 */
export function refreshDueAt(timing: TokenTiming, leeway: number): number | null {
  const { expiresAt, receivedAt, lifetime, roundTrip } = timing
  if (expiresAt === null || leeway === 0) return null
  const planned = Math.max(expiresAt - leeway, receivedAt + (lifetime ?? 0) / 2)
  const latest = expiresAt - Math.max(2 * roundTrip, Math.min(leeway, (lifetime ?? 0) / 4))
  return Math.min(planned, latest)
}
