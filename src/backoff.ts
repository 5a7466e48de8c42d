import { retryAfterMs, type AuthError } from './errors'

/** A delay scaled by a random 0.5–1, so that clients that failed together do not retry together. */
export const jitter = (ms: number): number => ms * (0.5 + Math.random() / 2)

/** `base × 2^(attempt − 1)` ms, capped at `cap`. */
export const exponential = (attempt: number, base: number, cap: number): number =>
  Math.min(cap, base * 2 ** (attempt - 1))

/** The longest the refresh backs off by itself; a longer `Retry-After` fails requests at once. */
export const BACKOFF_CAP = 30_000

/** The refresh's backoff after transient failures, for devtools and tests. */
export interface BackoffState {
  failures: number
  lastError: AuthError | null
  /** Local-clock ms before which no refresh request is sent. */
  retryAt: number
}

/**
 * Backoff after transient failures (network, 5xx, 429): 1 s, 2 s, 4 s … capped at 30 s, jittered,
 * or the server's `Retry-After` when it sends one.
 */
export function createBackoff() {
  const state: BackoffState = { failures: 0, lastError: null, retryAt: 0 }
  return {
    state,
    reset() {
      state.failures = state.retryAt = 0
      state.lastError = null
    },
    failed(error: AuthError, now = Date.now()) {
      state.lastError = error
      state.failures++
      state.retryAt =
        now +
        (retryAfterMs(error.cause, now) ?? jitter(exponential(state.failures, 1000, BACKOFF_CAP)))
    },
    /** A `Retry-After` beyond the cap: the timer honours it, a request does not hang on it. */
    tooLong: (now = Date.now()) => state.lastError !== null && state.retryAt - now > BACKOFF_CAP,
    /** Resolves when the next attempt may go. */
    wait(now = Date.now()): Promise<void> {
      const ms = state.retryAt - now
      return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve()
    },
  }
}

export type Backoff = ReturnType<typeof createBackoff>
