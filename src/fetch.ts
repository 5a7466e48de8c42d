import {
  ofetch,
  type $Fetch,
  type FetchContext,
  type FetchHook,
  type FetchOptions,
  type FetchRequest,
  type FetchResponse,
} from 'ofetch'
import { withBase } from 'ufo'
import type { Attempt, Door } from './door'
import { AuthError } from './errors'
import { lazyFetch } from './env'

/** One send of a request: the attempt it carried (null: not an allowed origin) and its status. */
interface Sent {
  attempt: Attempt | null
  /** The status of the response, recorded before any caller's hook can throw. */
  status: number | null
}

const hooks = <C extends FetchContext>(hook: FetchHook<C> | FetchHook<C>[] | undefined) =>
  hook ? (Array.isArray(hook) ? hook : [hook]) : []

/**
 * The authenticated ofetch instance, a door to the session (door.ts).
 *
 * The auth behaviour lives in this wrapper, not in instance hooks: ofetch merges per-call options
 * over instance defaults (`{ ...defaults, ...input }`), so a caller's own `onRequest` would replace
 * an instance hook and silently drop the `Authorization` header. Here the header is set by a hook
 * appended after the caller's, and the 401 handling is the wrapper's own control flow.
 */
export function createAuthFetch(door: Door, defaults: FetchOptions): $Fetch {
  const base = ofetch.create(defaults, { fetch: lazyFetch })

  /** Sends once; `replaying` is the attempt whose replay this is. */
  async function send(request: FetchRequest, init: FetchOptions<any>, replaying?: Attempt) {
    const sent: Sent = { attempt: null, status: null }
    // Same precedence as ofetch's merge: the call's hook replaces the instance's, ours runs last,
    // so the URL it checks is the one that leaves (a caller's hook may have moved it).
    const authorize = async ({ request, options }: FetchContext) => {
      const url =
        typeof request !== 'string'
          ? request.url
          : options.baseURL
            ? withBase(request, options.baseURL)
            : request
      const method = (options.method ?? 'GET').toUpperCase()
      sent.attempt = replaying
        ? door.allows(url)
          ? replaying
          : null
        : await door.begin(method, url)
      const token = sent.attempt?.token
      if (token) (options.headers as Headers).set('Authorization', `Bearer ${token}`)
    }
    // First in line, so a caller's onResponse or onResponseError that throws cannot hide a 401.
    const record = ({ response }: FetchContext) => {
      sent.status = response?.status ?? null
    }
    let response: FetchResponse<any> | null = null
    let error: unknown = null
    try {
      response = await base.raw(request, {
        ...init,
        onRequest: [...hooks(init.onRequest ?? defaults.onRequest), authorize],
        onResponse: [record, ...hooks(init.onResponse ?? defaults.onResponse)],
      })
    } catch (cause) {
      if (cause instanceof AuthError || !sent.attempt) throw cause
      error = cause
    }
    // `ignoreResponseError` must not turn the 401 handling off either.
    const status = response?.status ?? sent.status ?? (error as { status?: number }).status
    return { attempt: sent.attempt, status, response, error }
  }

  async function raw(request: FetchRequest, init: FetchOptions<any> = {}) {
    let sent = await send(request, init)
    // Replayed once at most; a 401 again means the server refuses this user, not a stale token.
    while (sent.attempt && sent.status === 401) {
      const { attempt } = sent
      if (!(await door.replay(attempt, 401))) throw door.refused(attempt, sent.error ?? undefined)
      sent = await send(request, init, attempt)
    }
    if (sent.error) throw sent.error
    return sent.response!
  }

  const $fetch = (async (request: FetchRequest, init?: FetchOptions<any>) =>
    (await raw(request, init))._data) as $Fetch
  $fetch.raw = raw as $Fetch['raw']
  $fetch.native = base.native
  $fetch.create = (more: FetchOptions = {}) => createAuthFetch(door, { ...defaults, ...more })
  return $fetch
}
