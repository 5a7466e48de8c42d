import {
  ofetch,
  type $Fetch,
  type FetchContext,
  type FetchHook,
  type FetchOptions,
  type FetchRequest,
} from 'ofetch'
import { withBase } from 'ufo'
import { AuthError } from './errors'
import { lazyFetch, pageOrigin } from './env'
import { isAllowedOrigin, type ResolvedOptions } from './options'
import type { AuthEvent } from './session'

/** What the fetch instance needs from the session. */
export interface FetchSession {
  options: ResolvedOptions<any, any>
  tokenForRequest(): Promise<string | null>
  tokenAfterUnauthorized(sent: string | null): Promise<string>
  report(error: AuthError): AuthError
  emit(event: AuthEvent): void
}

/** What one attempt of a request carried. */
interface Attempt {
  allowed: boolean
  token: string | null
  /** The status of the response, recorded before any caller's hook can throw. */
  status: number | null
  method: string
  url: string
}

const hooks = <C extends FetchContext>(hook: FetchHook<C> | FetchHook<C>[] | undefined) =>
  hook ? (Array.isArray(hook) ? hook : [hook]) : []

function absolute(url: string): URL | undefined {
  try {
    return new URL(url, pageOrigin())
  } catch {
    return undefined // a relative URL outside a browser has no origin: it gets no token
  }
}

/**
 * The authenticated ofetch instance.
 *
 * The auth behaviour lives in this wrapper, not in instance hooks: ofetch merges per-call options
 * over instance defaults (`{ ...defaults, ...input }`), so a caller's own `onRequest` would replace
 * an instance hook and silently drop the `Authorization` header. Here the header is set by a hook
 * appended after the caller's, and the 401 handling is the wrapper's own control flow.
 */
export function createAuthFetch(session: FetchSession, defaults: FetchOptions): $Fetch {
  const base = ofetch.create(defaults, { fetch: lazyFetch })
  const { options } = session
  // The user endpoint (an auth endpoint, perhaps on the page's origin) gets the token even when
  // allowedOrigins names only the API; that one URL, not its whole origin.
  const userURL = options.endpoints.user && absolute(options.endpoints.user.url)
  const userPath = userURL ? userURL.origin + userURL.pathname : undefined

  function withAuth(init: FetchOptions<any>, attempt: Attempt): FetchOptions<any> {
    // Same precedence as ofetch's merge: the call's hook replaces the instance's, ours runs last.
    const userHooks = hooks(init.onRequest ?? defaults.onRequest)
    // First in line, so a caller's onResponse or onResponseError that throws cannot hide a 401.
    const record = (context: FetchContext) => {
      attempt.status = context.response?.status ?? null
    }
    const authorize = async (context: FetchContext) => {
      const { request, options: resolved } = context
      const url =
        typeof request === 'string'
          ? resolved.baseURL
            ? withBase(request, resolved.baseURL)
            : request
          : request.url
      attempt.url = url
      attempt.method = (resolved.method ?? 'GET').toUpperCase()
      const target = absolute(url)
      attempt.allowed =
        isAllowedOrigin(options, target?.origin, pageOrigin()) ||
        (userPath !== undefined && target?.origin + (target?.pathname ?? '') === userPath)
      if (!attempt.allowed) return
      attempt.token = await session.tokenForRequest()
      if (attempt.token) {
        ;(resolved.headers as Headers).set('Authorization', `Bearer ${attempt.token}`)
      }
    }
    return {
      ...init,
      onRequest: [...userHooks, authorize],
      onResponse: [record, ...hooks(init.onResponse ?? defaults.onResponse)],
    }
  }

  const is401 = (error: unknown) => (error as { status?: number } | null)?.status === 401

  async function send(request: FetchRequest, init: FetchOptions<any>, attempt: Attempt) {
    try {
      const response = await base.raw(request, withAuth(init, attempt))
      // `ignoreResponseError` must not turn the 401 handling off either.
      return { response, unauthorized: attempt.allowed && response.status === 401, error: null }
    } catch (error) {
      if (error instanceof AuthError) throw session.report(error)
      if (attempt.allowed && (attempt.status === 401 || is401(error))) {
        return { response: null, unauthorized: true, error }
      }
      throw error
    }
  }

  async function raw(request: FetchRequest, init: FetchOptions<any> = {}) {
    const first: Attempt = { allowed: false, token: null, status: null, method: 'GET', url: '' }
    const sent = await send(request, init, first)
    if (!sent.unauthorized) return sent.response!
    session.emit({ type: 'unauthorized', method: first.method, url: first.url })

    try {
      await session.tokenAfterUnauthorized(first.token)
    } catch (error) {
      if (error instanceof AuthError) throw session.report(error)
      throw error
    }
    // Replay exactly once. A 401 again means the server refuses this user, not a stale token.
    const second: Attempt = { ...first, allowed: false, token: null, status: null }
    session.emit({ type: 'replay', method: first.method, url: first.url })
    const replayed = await send(request, init, second)
    if (!replayed.unauthorized) return replayed.response!
    throw session.report(
      new AuthError(
        'unauthorized',
        `${second.method} ${second.url} was answered 401 again with a fresh token: the user may lack access to it, or the server rejects the token. Sign in again or check the API's token validation.`,
        { cause: replayed.error ?? undefined, status: 401 },
      ),
    )
  }

  const $fetch = (async (request: FetchRequest, init?: FetchOptions<any>) =>
    (await raw(request, init))._data) as $Fetch
  $fetch.raw = raw as $Fetch['raw']
  $fetch.native = base.native
  $fetch.create = (more: FetchOptions = {}) => createAuthFetch(session, { ...defaults, ...more })
  return $fetch
}
