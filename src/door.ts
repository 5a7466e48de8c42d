import { AuthError } from './errors'
import type { HeldToken } from './tokens'
import type { AuthEvent, RefreshReason } from './types'

/** One request as a door sends it: the token it carries, and whether it is already a replay. */
export interface Attempt {
  readonly method: string
  readonly url: string
  /** The bearer token it carries; `null` when nobody is signed in. */
  token: string | null
  /** It is the one replay after a 401. */
  replayed: boolean
}

/**
 * The session as every door to it sees it: the ofetch instance, `fetchWithAuth`, the axios binding
 * and the socket. The origin policy and the replay policy live behind it, in one place; a door only
 * sends, and asks.
 */
export interface Door {
  /** Whether `url` (absolute, or a path on the page's origin) may carry the token. */
  allows(url: string): boolean
  /**
   * Starts a request: the token it carries, after waiting for the refresh when the current one is
   * known to be expired. `null`: `url` may not carry the token; send it as it is, and let its 401
   * through. Rejects with the session's `AuthError`, which `store.error` holds too. When nothing
   * needs waiting for it answers at once, without a promise (the per-request cost, issue 14).
   */
  begin(method: string, url: string): Attempt | null | Promise<Attempt | null>
  /**
   * `attempt` was answered `status`. `true`: send it once more, with `attempt.token`, now the
   * current token if the one it carried was replaced meanwhile, else one from the shared refresh.
   * `false`: the answer stands (not a 401, or the replay's 401). Rejects with the `AuthError` the
   * session failed with (recorded in `store.error`).
   */
  replay(attempt: Attempt, status: number | undefined): Promise<boolean>
  /** The error of a replay answered 401 again, recorded in `store.error`. */
  refused(attempt: Attempt, cause?: unknown): AuthError
  /** Records `error` in `store.error` and hands it back, for `throw door.report(error)`. */
  report(error: AuthError): AuthError
  /** The current access token, read reactively (a `watch` source), for doors that follow it. */
  currentToken(): string | null
  emit(event: AuthEvent): void
}

/** What the door needs of the session engine. */
export interface DoorEngine {
  /** The token the session holds now, or `null`. */
  held(): HeldToken<unknown> | null
  /** It must not leave again (answered 401, or too close to its end). */
  isExpired(token: HeldToken<unknown>): boolean
  /** The shared single-flight refresh. */
  refresh(reason: RefreshReason): Promise<void>
  /** The start-up restore while it runs: requests wait for it. */
  restoring(): Promise<void> | null
  report(error: AuthError): AuthError
  emit(event: AuthEvent): void
  /** Requests parked on the refresh right now, counted for devtools. */
  parked(delta: 1 | -1): void
}

/** Failures of the session reach the request as the `AuthError`, and `store.error`. */
const reportedBy = (engine: DoorEngine) => (cause: unknown) => {
  throw cause instanceof AuthError ? engine.report(cause) : cause
}

/** The session's door: its origin policy, and its replay policy, in one place. */
export function createDoor(engine: DoorEngine, allows: (url: string) => boolean): Door {
  const reported = reportedBy(engine)

  async function waitFor(reason: RefreshReason) {
    engine.parked(1)
    try {
      await engine.refresh(reason)
    } finally {
      engine.parked(-1)
    }
  }

  /** A usable token other than `than` (a login here or in another tab while a request waited). */
  function usableOtherThan(than: string | null) {
    const now = engine.held()
    return now && now.token !== than && !engine.isExpired(now) ? now.token : null
  }

  /** The token a request should carry now, refreshing first if it is known to be expired. */
  async function tokenForRequest(): Promise<string | null> {
    await engine.restoring()
    const held = engine.held()
    if (!held || !engine.isExpired(held)) return held?.token ?? null
    try {
      await waitFor('expired')
    } catch (error) {
      const other = usableOtherThan(held.token)
      if (other) return other
      throw error
    }
    // The token the refresh brought, even if it arrived with too little life to use again: the
    // requests that waited for it take it (see expiry.ts).
    return engine.held()?.token ?? null
  }

  /**
   * A request that carried `sent` got 401: the current token if `sent` was already replaced (no
   * second refresh), else a fresh one from the shared refresh.
   */
  async function tokenAfterUnauthorized(sent: string | null): Promise<string> {
    const current = engine.held()
    if (!current) {
      throw new AuthError(
        'unauthorized',
        __DEV__ ? 'The request needs a signed-in user; sign in first.' : '',
        { status: 401 },
      )
    }
    if (sent !== current.token && !engine.isExpired(current)) return current.token
    if (sent === current.token) current.rejected = true
    try {
      await waitFor('401')
    } catch (error) {
      const other = usableOtherThan(sent)
      if (other) return other
      throw error
    }
    return engine.held()!.token
  }

  return {
    allows,
    begin(method, url) {
      if (!allows(url)) return null
      const held = engine.held()
      // The common case, answered without waiting: no restore running, a token that may leave.
      if (!engine.restoring() && (!held || !engine.isExpired(held))) {
        return { method, url, token: held?.token ?? null, replayed: false }
      }
      return tokenForRequest().then((token) => ({ method, url, token, replayed: false }), reported)
    },
    async replay(attempt, status) {
      if (status !== 401 || attempt.replayed) return false
      const { method, url } = attempt
      engine.emit({ type: 'unauthorized', method, url })
      attempt.token = await tokenAfterUnauthorized(attempt.token).catch(reported)
      attempt.replayed = true
      engine.emit({ type: 'replay', method, url })
      return true
    },
    refused(attempt, cause) {
      return engine.report(
        new AuthError(
          'unauthorized',
          __DEV__
            ? `${attempt.method} ${attempt.url} was answered 401 again with a fresh token: the user may lack access to it, or the server rejects the token. Sign in again or check the API's token validation.`
            : '',
          { cause, status: 401 },
        ),
      )
    },
    report: engine.report,
    currentToken: () => engine.held()?.token ?? null,
    emit: engine.emit,
  }
}
