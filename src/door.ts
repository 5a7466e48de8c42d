import type { AuthError } from './errors'
import type { AuthEvent } from './types'

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
   * through. Rejects with the session's `AuthError`, which `store.error` holds too.
   */
  begin(method: string, url: string): Promise<Attempt | null>
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
