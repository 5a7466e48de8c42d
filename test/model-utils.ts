import { jwtDecode } from 'jwt-decode'
import type { FakeFault, FakeTokenClaims } from '../src/testing'
import { APP_ORIGIN, deferred, useFakeServer } from './utils'

export { APP_ORIGIN }

/** How the fake server answers the next refresh request. */
export type RefreshOutcome = 'ok' | '400' | '401' | '403' | '429' | '500' | '503' | 'drop' | 'hold'

/** How the fake server answers the next API request: held until the test releases it. */
export type ApiOutcome = 'hold'

export interface SentRequest {
  kind: 'login' | 'refresh' | 'logout' | 'api' | 'elsewhere'
  method: string
  url: string
  origin: string
  /** The bearer token carried, or null. */
  token: string | null
  authorization: string | null
  /** Fake-clock ms at which the request left. */
  at: number
  /** The `x-model-request` header: which logical request of the model this attempt belongs to. */
  requestId: string | null
}

interface Held {
  kind: 'refresh' | 'api'
  release(outcome?: RefreshOutcome): void
}

/** The kit's fault for each refresh outcome the model draws ('ok' is none: the kit answers). */
const refreshFaults: Partial<Record<RefreshOutcome, FakeFault>> = {
  '400': { status: 400, body: { error: 'invalid_grant' } },
  '401': { status: 401, body: { error: 'invalid_grant' } },
  '403': { status: 403, body: { error: 'invalid_grant' } },
  '429': { status: 429, retryAfter: 2, body: { error: 'slow_down' } },
  '500': { status: 500 },
  '503': { status: 503 },
  drop: { drop: true },
}

/**
 * The test's backend (`useFakeServer`, the testing kit's fake server) behind the instrumentation a
 * model-based test needs. The kit does what a server does: sign-in, refresh-token rotation with
 * reuse detection, logout, the token check of the API. This wrapper plays the browser around it:
 * `state.online` decides whether anything reaches the server, and `cookies` is the browser's jar:
 * each request carries the cookies the jar held when it left, and the answer's Set-Cookie changes
 * the jar when the answer arrives (so a late refresh answer overwrites a newer cookie, as in a
 * browser). It holds API and refresh requests before they reach the server, so the server acts
 * when the test releases them, and turns the refresh outcomes the model queues into kit faults.
 *
 * It keeps the evidence the invariants need: every request that left (`sent`), how many refresh
 * requests are on the wire at once, whether a refresh was answered 400/401/403, the backoff the
 * answers call for, and which login session (token family: the kit's `sid` claim) and endpoint
 * each access token came from.
 *
 * Where the kit differs from the model's old hand-written server:
 * - A refresh answered 400/401/403 by a fault leaves the session alive on the server and the
 *   cookie in the jar (the old server revoked that session and cleared the cookie). Nothing the
 *   invariants check gets weaker: the library must not refresh once its session ended, and if it
 *   did, the server would now hand it a token, which "a session started without a login" reports.
 *   A refresh the server refuses by itself (no cookie, a session logged out) clears the cookie.
 * - Logout revokes the login sessions it names (the one of the cookie, or all of alice's); the old
 *   server also dropped every access token it had issued, of any session. Access tokens of an
 *   earlier login that was never logged out stay valid at the API; the library dropped them, and
 *   sending one is a violation whatever the server answers.
 * - Tokens expire on the server at their `exp` (whole seconds); the old server gave each one
 *   `ttl` s from the millisecond it issued it, up to a second longer.
 */
export function createModelServer({ ttl }: { ttl: number }) {
  const { server, fetchVia } = useFakeServer({ ttl })
  const cookies = new Map<string, string>()
  const refreshQueue: RefreshOutcome[] = []
  const apiQueue: ApiOutcome[] = []
  const held: Held[] = []
  const sent: SentRequest[] = []
  /** Access token → the login session (family) and the endpoint it came from. */
  const issued = new Map<string, { family: string; via: 'login' | 'refresh' }>()
  const state = {
    online: true,
    /** When false (while the test settles everything), `hold` answers go out at once. */
    holds: true,
    refreshInFlight: 0,
    maxRefreshInFlight: 0,
    /** A refresh answer 400/401/403 was delivered since the test last cleared this. */
    rejectionDelivered: false,
    /**
     * Fake-clock ms before which the backoff forbids another refresh: the last refresh of the
     * current login failed transiently (5xx, 429 with `Retry-After: 2`, dropped or timed out).
     */
    backoffUntil: null as number | null,
  }
  // Bumped by each login request: the backoff window of earlier refreshes no longer applies.
  let loginEpoch = 0
  /** Called synchronously for each request as it leaves, for invariants checked at send time. */
  let onSend: (request: SentRequest) => void = () => {}
  /** Called synchronously as each API answer goes out. */
  let onAnswer: (request: SentRequest, status: number) => void = () => {}

  /**
   * Sends a request to the server later (`forward()`), with the cookies the jar holds now; what
   * the server changes in them is applied to the jar when its answer arrives.
   */
  function leaving(request: Request) {
    const client = server.client()
    for (const [name, value] of cookies) client.cookies.set(name, value)
    const carried = new Map(client.cookies)
    return async () => {
      const response = await fetchVia(client)(request)
      for (const [name, value] of client.cookies) {
        if (carried.get(name) !== value) cookies.set(name, value)
      }
      for (const name of carried.keys()) if (!client.cookies.has(name)) cookies.delete(name)
      return response
    }
  }

  /** Notes which session and endpoint the token of a login or refresh answer comes from. */
  async function tokensOf(via: 'login' | 'refresh', response: Response) {
    if (response.status === 200) {
      const { access_token: token } = await response.clone().json()
      issued.set(token, { family: jwtDecode<FakeTokenClaims>(token).sid, via })
    }
    return response
  }

  /** Resolves with what the model releases, or rejects like a browser fetch when aborted. */
  function hold(kind: Held['kind'], signal: AbortSignal | null | undefined) {
    const gate = deferred<RefreshOutcome | undefined>()
    const entry: Held = { kind, release: (outcome) => gate.resolve(outcome) }
    held.push(entry)
    const onAbort = () => {
      const at = held.indexOf(entry)
      if (at >= 0) held.splice(at, 1)
      gate.reject(signal!.reason ?? new DOMException('The operation was aborted.', 'AbortError'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    return gate.promise.finally(() => signal?.removeEventListener('abort', onAbort))
  }

  /** Answers a refresh with the outcome queued for it (taken as it leaves), once released. */
  async function answerRefresh(
    forward: () => Promise<Response>,
    signal: AbortSignal | null | undefined,
  ): Promise<Response> {
    let outcome = refreshQueue.shift() ?? 'ok'
    if (outcome === 'hold') {
      outcome = state.holds ? ((await hold('refresh', signal)) ?? 'ok') : 'ok'
      if (outcome === 'hold') outcome = 'ok'
    }
    const fault = refreshFaults[outcome]
    if (fault) server.fail('refresh', fault)
    const response = await forward()
    if ([400, 401, 403].includes(response.status)) state.rejectionDelivered = true
    return tokensOf('refresh', response)
  }

  async function answerApi(
    request: SentRequest,
    forward: () => Promise<Response>,
    signal: AbortSignal | null | undefined,
  ) {
    if (apiQueue.shift() === 'hold' && state.holds) await hold('api', signal)
    // The server checks the token when it gets the request, so a held one can find it expired.
    const response = await forward()
    onAnswer(request, response.status)
    return response
  }

  async function handle(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    // What any client sends (a URL and init, or a Request), read as the server would.
    const incoming = new Request(
      input instanceof Request ? input : new URL(String(input), APP_ORIGIN),
      init,
    )
    const url = new URL(incoming.url)
    const { headers } = incoming
    const signal = init.signal ?? (input instanceof Request ? input.signal : null)
    const authorization = headers.get('authorization')
    const path = url.pathname
    const kind: SentRequest['kind'] =
      url.origin !== APP_ORIGIN
        ? 'elsewhere'
        : path === '/auth/login'
          ? 'login'
          : path === '/auth/refresh'
            ? 'refresh'
            : path === '/auth/logout'
              ? 'logout'
              : 'api'
    const request: SentRequest = {
      kind,
      method: incoming.method.toUpperCase(),
      url: url.href,
      origin: url.origin,
      token: /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? null,
      authorization,
      at: Date.now(),
      requestId: headers.get('x-model-request'),
    }
    sent.push(request)
    onSend(request)
    if (kind === 'login') {
      // The library starts a new session, with a fresh backoff, when it sends a login.
      loginEpoch++
      state.backoffUntil = null
    }
    if (!state.online) throw new TypeError('Failed to fetch')
    const forward = leaving(incoming)
    switch (kind) {
      case 'login':
        return tokensOf('login', await forward())
      case 'refresh':
        state.refreshInFlight++
        state.maxRefreshInFlight = Math.max(state.maxRefreshInFlight, state.refreshInFlight)
        try {
          const epoch = loginEpoch
          const answer = answerRefresh(forward, signal)
          // The least backoff the library owes after this answer: 1 s × jitter ≥ 0.5, or Retry-After.
          answer.then(
            (response) => {
              if (epoch !== loginEpoch) return
              state.backoffUntil =
                response.status === 429
                  ? Date.now() + 2_000
                  : response.status >= 500
                    ? Date.now() + 500
                    : null
            },
            () => {
              if (epoch === loginEpoch) state.backoffUntil = Date.now() + 500
            },
          )
          return await answer
        } finally {
          state.refreshInFlight--
        }
      case 'api':
        return answerApi(request, forward, signal)
      default:
        // Logout, and the rest of the internet (useFakeServer answers it; `/private` is a 401).
        return forward()
    }
  }

  return {
    fetch: handle,
    state,
    sent,
    refreshQueue,
    apiQueue,
    set onSend(listener: (request: SentRequest) => void) {
      onSend = listener
    },
    set onAnswer(listener: (request: SentRequest, status: number) => void) {
      onAnswer = listener
    },
    /** Which login session (family) a token belongs to, and whether login or refresh issued it. */
    tokenInfo: (token: string) => issued.get(token),
    /** Releases the oldest held answer of `kind`; false when none is held. */
    release(kind: Held['kind'], outcome?: RefreshOutcome): boolean {
      const at = held.findIndex((entry) => entry.kind === kind)
      if (at < 0) return false
      held.splice(at, 1)[0]!.release(outcome)
      return true
    },
    releaseAll() {
      for (const entry of held.splice(0)) entry.release()
    },
    /** Makes the server refuse every access token issued so far (as a revocation would). */
    revokeAccessTokens() {
      server.expireAccessTokens()
    },
  }
}

export type ModelServer = ReturnType<typeof createModelServer>

/** A small seeded PRNG (mulberry32), so the backoff jitter replays with the run's seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
