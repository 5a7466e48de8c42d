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
  door: Door
  /** The attempt whose replay this send is. */
  replaying: Attempt | undefined
  attempt: Attempt | null
  /** The status of the response, recorded before any caller's hook can throw. */
  status: number | null
  /** The options it goes with. */
  options: FetchOptions<any>
}

// The send's state travels in the options ofetch hands each hook (it spreads them, symbols and
// all), so the hooks below are shared and nothing is allocated for them per request.
const SENT = Symbol()
type Carrying = FetchContext & { options: { [SENT]: Sent } }

const hooks = <C extends FetchContext>(hook: FetchHook<C> | FetchHook<C>[] | undefined) =>
  hook ? (Array.isArray(hook) ? hook : [hook]) : []

/** Sets the header; runs after the caller's hooks, so it checks the URL that really leaves. */
async function authorize({ request, options }: FetchContext) {
  const sent = (options as Carrying['options'])[SENT]
  const url =
    typeof request !== 'string'
      ? request.url
      : options.baseURL
        ? withBase(request, options.baseURL)
        : request
  const { door, replaying } = sent
  sent.attempt = replaying
    ? door.allows(url)
      ? replaying
      : null
    : await door.begin((options.method ?? 'GET').toUpperCase(), url)
  const token = sent.attempt?.token
  if (token) (options.headers as Headers).set('Authorization', `Bearer ${token}`)
}

/**
 * The call's headers (a plain object, or none) with the session's token; a caller's own header,
 * in any case of the name, gives way to it.
 */
let lastToken = ''
let lastAuthorization = ''

function withToken(headers: Record<string, string> | undefined, token: string) {
  // The same token for many requests in a row: one header string for all of them.
  if (token !== lastToken) lastAuthorization = `Bearer ${(lastToken = token)}`
  const authorization = lastAuthorization
  if (!headers) return { Authorization: authorization }
  const own: Record<string, string> = {}
  for (const name in headers) if (name.toLowerCase() !== 'authorization') own[name] = headers[name]!
  return { ...own, Authorization: authorization }
}

/** First in line, so a caller's onResponse or onResponseError that throws cannot hide a 401. */
function record({ response, options }: FetchContext) {
  ;(options as Carrying['options'])[SENT].status = response?.status ?? null
}

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
  // Same precedence as ofetch's merge: the call's hooks replace the instance's.
  const onRequest = [...hooks(defaults.onRequest), authorize]
  const onResponse = [record, ...hooks(defaults.onResponse)]
  // The instance's baseURL joined to the paths it is called with: a handful, joined once each.
  const joined = new Map<string, string>()
  const join = (path: string) => {
    if (joined.size >= 128) joined.clear()
    const url = defaults.baseURL ? withBase(path, defaults.baseURL) : path
    joined.set(path, url)
    return url
  }

  /**
   * One send: its options, and the state its hooks fill in; a promise only when the door must
   * wait (a refresh). `replaying` is the attempt whose replay this send is.
   */
  function prepare(
    request: FetchRequest,
    init: FetchOptions<any>,
    replaying?: Attempt,
  ): Sent | Promise<Sent> {
    const sent: Sent = { door, replaying, attempt: null, status: null, options: init }
    const headers = init.headers
    if (
      (init.onRequest ?? defaults.onRequest) ||
      typeof request !== 'string' ||
      headers instanceof Headers ||
      Array.isArray(headers)
    ) {
      // A caller's hook may move the request: decide in a hook of ours that runs after theirs.
      const requestHooks = init.onRequest ? [...hooks(init.onRequest), authorize] : onRequest
      return watched(sent, { ...init, [SENT]: sent, onRequest: requestHooks } as FetchOptions<any>)
    }
    // Nothing can move it: decide before it leaves, and set the header without a hook (the call's
    // baseURL and method over the instance's, as ofetch merges them).
    const url = init.baseURL
      ? withBase(request, init.baseURL)
      : (joined.get(request) ?? join(request))
    const method = (init.method ?? defaults.method ?? 'GET').toUpperCase()
    const begun = replaying ? (door.allows(url) ? replaying : null) : door.begin(method, url)
    return begun instanceof Promise
      ? begun.then((attempt) => carrying(sent, attempt, headers))
      : carrying(sent, begun, headers)
  }

  /** The send carries `attempt`'s token in its headers. */
  function carrying(sent: Sent, attempt: Attempt | null, headers: any) {
    sent.attempt = attempt
    const token = attempt?.token
    return watched(
      sent,
      token ? { ...sent.options, headers: withToken(headers, token) } : sent.options,
    )
  }

  /** A caller's response hook that throws would hide the 401's status: note it first. */
  function watched(sent: Sent, options: FetchOptions<any>): Sent {
    const { onResponse: mine, onResponseError: mineOnError } = options
    if (mine ?? defaults.onResponse ?? mineOnError ?? defaults.onResponseError) {
      const responseHooks = mine ? [record, ...hooks(mine)] : onResponse
      options = { ...options, [SENT]: sent, onResponse: responseHooks } as FetchOptions<any>
    }
    sent.options = options
    return sent
  }

  /** Sends; a 401 from an allowed origin goes to `unauthorized`, anything else is the answer. */
  async function go(request: FetchRequest, init: FetchOptions<any>, sent: Sent) {
    let response: FetchResponse<any>
    try {
      response = await base.raw(request, sent.options)
    } catch (error) {
      const status = sent.status ?? (error as { status?: number } | null)?.status
      if (error instanceof AuthError || !sent.attempt || status !== 401) throw error
      return unauthorized(request, init, sent.attempt, error)
    }
    // `ignoreResponseError` must not turn the 401 handling off either.
    return sent.attempt && (sent.status ?? response.status) === 401
      ? unauthorized(request, init, sent.attempt, undefined)
      : response
  }

  /** Replays once at most; a 401 again means the server refuses this user, not a stale token. */
  async function unauthorized(
    request: FetchRequest,
    init: FetchOptions<any>,
    attempt: Attempt,
    cause: unknown,
  ): Promise<FetchResponse<any>> {
    if (!(await door.replay(attempt, 401))) throw door.refused(attempt, cause)
    return go(request, init, await prepare(request, init, attempt))
  }

  const raw = (request: FetchRequest, init: FetchOptions<any> = {}) => {
    const sent = prepare(request, init)
    return sent instanceof Promise
      ? sent.then((ready) => go(request, init, ready))
      : go(request, init, sent)
  }

  const $fetch = ((request: FetchRequest, init?: FetchOptions<any>) =>
    raw(request, init).then((response) => response._data)) as $Fetch
  $fetch.raw = raw as $Fetch['raw']
  $fetch.native = base.native
  $fetch.create = (more: FetchOptions = {}) => createAuthFetch(door, { ...defaults, ...more })
  return $fetch
}
