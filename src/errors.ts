/**
 * What went wrong, as a stable string a program can branch on.
 *
 * - `invalid_credentials`: the login endpoint rejected the credentials.
 * - `unauthorized`: a request was still answered 401 after a refresh, or there is no session.
 * - `forbidden`: the user lacks a role a route requires.
 * - `session_expired`: the refresh endpoint rejected the session (400, 401 or 403).
 * - `network`: the server could not be reached (offline, dropped connection, timeout).
 * - `server`: the server answered 5xx or 429; the session is kept and retried with backoff.
 * - `bad_response`: a login or refresh response carried no usable access token.
 * - `misconfigured`: the plugin is used before it, or Pinia, is installed.
 */
export type AuthErrorCode =
  | 'invalid_credentials'
  | 'unauthorized'
  | 'forbidden'
  | 'session_expired'
  | 'network'
  | 'server'
  | 'bad_response'
  | 'misconfigured'

/**
 * The one error class vue-refresh-auth throws. `code` says what happened, `message` what to do,
 * `cause` holds the underlying error (an ofetch `FetchError`, for instance), and `status` the HTTP
 * status when there was one.
 *
 * @example
 * ```ts
 * try {
 *   await auth.login({ username, password })
 * } catch (error) {
 *   if (isAuthError(error) && error.code === 'invalid_credentials') showWrongPassword()
 *   else throw error
 * }
 * ```
 */
export class AuthError extends Error {
  override readonly name = 'AuthError'
  /** What went wrong; see {@link AuthErrorCode}. */
  readonly code: AuthErrorCode
  /** The HTTP status of the response behind the error, if any. */
  readonly status: number | undefined

  /**
   * @param message - what happened and what to do. Development builds carry it; production builds
   *   pass `''` and the message is the code (with the status), as `docs/guide/errors.md` explains.
   */
  constructor(
    code: AuthErrorCode,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    const { cause, status } = options
    super(`[vue-refresh-auth] ${message || (status ? `${code} (${status})` : code)}`, { cause })
    this.code = code
    this.status = status
  }
}

/**
 * Tells whether `error` is an {@link AuthError}, optionally of a given code.
 *
 * @param error - anything caught
 * @param code - when given, the error must also have this code
 * @example
 * ```ts
 * if (isAuthError(error, 'session_expired')) router.push('/login')
 * ```
 */
export function isAuthError(error: unknown, code?: AuthErrorCode): error is AuthError {
  return error instanceof AuthError && (code === undefined || error.code === code)
}

/** The same error for one request of many: its code, message and status, with its own `cause`. */
export function withCause(error: AuthError, cause: unknown): AuthError {
  const copy = new AuthError(error.code, '', { cause, status: error.status })
  copy.message = error.message
  return copy
}

/** The error an auth endpoint request failed with, as an ofetch `FetchError` exposes it. */
interface FailedRequest {
  status?: number
  data?: unknown
  response?: { headers: Headers }
}

/** The server's own words from an error body (`message`, `error_description`, `error`). */
export function serverMessage(error: unknown): string | undefined {
  const data = (error as FailedRequest | null)?.data as Record<string, unknown> | undefined
  if (!data || typeof data !== 'object') return typeof data === 'string' && data ? data : undefined
  const text = data.message ?? data.error_description ?? data.error
  return typeof text === 'string' ? text : undefined
}

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date), if any. */
export function retryAfterMs(error: unknown, now: number): number | undefined {
  const value = (error as FailedRequest | null)?.response?.headers.get('retry-after')
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined
}

/**
 * Turns a failed login, refresh or logout request into an {@link AuthError}: 400/401/403 are a
 * rejection (`rejected`), 429 and 5xx are `server`, no response at all is `network`.
 */
export function toAuthError(
  error: unknown,
  what: 'login' | 'refresh' | 'logout' | 'user',
  rejected: AuthErrorCode,
): AuthError {
  if (error instanceof AuthError) return error
  const status = (error as FailedRequest | null)?.status
  const code: AuthErrorCode =
    status === undefined
      ? 'network'
      : status === 400 || status === 401 || status === 403
        ? rejected
        : 'server'
  let message = ''
  if (__DEV__) {
    const said = serverMessage(error)
    const quote = said ? ` The server said: "${said}".` : ''
    message =
      code === 'network'
        ? `The ${what} request got no response (offline, dropped connection or timeout).${what === 'refresh' ? ' The session is kept and the refresh is retried with backoff.' : ' Check the connection and try again.'}`
        : code === 'server'
          ? `The ${what} endpoint answered ${status}.${quote}${status === 429 || status! >= 500 ? ' The session is kept; it is retried with backoff.' : ` Check that endpoints.${what} points at the right URL and method.`}`
          : `The ${what} request was rejected (${status}).${quote} ${
              rejected === 'invalid_credentials'
                ? 'Check the credentials and try again.'
                : rejected === 'session_expired'
                  ? 'The session has ended; sign in again.'
                  : 'Sign in again.'
            }`
  }
  return new AuthError(code, message, { cause: error, status })
}
