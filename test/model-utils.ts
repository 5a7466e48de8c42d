import { createPinia } from 'pinia'
import { createApp, defineComponent, h } from 'vue'
import axios from 'axios'
import { createAuth, type AuthOptions } from '../src'
import { withAuth } from '../src/axios'
import { deferred, json, jwt } from './utils'

/** The page's origin in the happy-dom environment (see vite.config.ts). */
export const APP_ORIGIN = 'http://app.test'

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

/**
 * An in-process backend on the fake clock whose answers a model-based test controls. It plays the
 * browser's side too: `state.online` decides whether anything reaches it, and `state.cookie` stands for
 * the HttpOnly refresh cookie: the login session (token family) it belongs to, set by login and by
 * each refresh answer as it arrives, cleared by logout and by a rejected refresh.
 *
 * It keeps the evidence the invariants need: every request that left (`sent`), how many refresh
 * requests are on the wire at once, and whether a refresh was answered 400/401/403.
 */
export function createModelServer({ ttl }: { ttl: number }) {
  let serial = 0
  /** Access token → server-side expiry (fake-clock ms); deleted when revoked. */
  const accessTokens = new Map<string, number>()
  const refreshQueue: RefreshOutcome[] = []
  const apiQueue: ApiOutcome[] = []
  const held: Held[] = []
  const sent: SentRequest[] = []
  /** Login sessions on the server (refresh-token families): revoked by logout. */
  const families: { revoked: boolean }[] = []
  /** Access token → the family and the endpoint it came from. */
  const issued = new Map<string, { family: number; via: 'login' | 'refresh' }>()
  const state = {
    online: true,
    /** The family of the refresh cookie the browser holds, or null when it holds none. */
    cookie: null as number | null,
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

  function issue(family: number, via: 'login' | 'refresh') {
    serial++
    const now = Date.now()
    const iat = Math.floor(now / 1000)
    const token = jwt({
      sub: 'alice',
      n: serial,
      fam: family,
      roles: ['user'],
      iat,
      exp: iat + ttl,
    })
    accessTokens.set(token, now + ttl * 1000)
    issued.set(token, { family, via })
    return { access_token: token, expires_in: ttl }
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

  /**
   * Answers a refresh that presented the cookie of family `presented`. The answer's Set-Cookie is
   * applied when it is delivered, like a browser does: a late answer overwrites a newer cookie.
   */
  async function answerRefresh(
    presented: number | null,
    signal: AbortSignal | null | undefined,
  ): Promise<Response> {
    let outcome = refreshQueue.shift() ?? 'ok'
    if (outcome === 'hold') {
      outcome = state.holds ? ((await hold('refresh', signal)) ?? 'ok') : 'ok'
      if (outcome === 'hold') outcome = 'ok'
    }
    switch (outcome) {
      case 'drop':
        throw new TypeError('fetch failed')
      case '429':
        return json(429, { error: 'slow_down' }, { 'retry-after': '2' })
      case '500':
      case '503':
        return json(Number(outcome), { error: 'unavailable' })
      case '400':
      case '401':
      case '403':
        // The server revokes the session and clears the cookie.
        if (presented !== null) families[presented]!.revoked = true
        state.cookie = null
        state.rejectionDelivered = true
        return json(Number(outcome), { error: 'invalid_grant' })
      default:
        if (presented === null || families[presented]!.revoked) {
          // No cookie, or a revoked one: the server refuses, whatever the test queued.
          state.cookie = null
          state.rejectionDelivered = true
          return json(401, { error: 'invalid_grant' })
        }
        // Rotation: a new cookie of the same family.
        state.cookie = presented
        return json(200, issue(presented, 'refresh'))
    }
  }

  async function answerApi(request: SentRequest, path: string, signal?: AbortSignal | null) {
    if (apiQueue.shift() === 'hold' && state.holds) await hold('api', signal)
    const expiry = request.token ? accessTokens.get(request.token) : undefined
    // Validated when answered, so a held request can find its token expired meanwhile.
    const valid = expiry !== undefined && Date.now() < expiry
    onAnswer(request, valid ? 200 : 401)
    return valid
      ? json(200, { ok: true, path })
      : json(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer' })
  }

  async function handle(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    // What any client sends (a URL and init, or a Request), read as the server would.
    const incoming = new Request(
      input instanceof Request ? input : new URL(String(input), APP_ORIGIN),
      init,
    )
    const url = new URL(incoming.url)
    const { headers } = incoming
    // Read once the request is on the record: the invariants are checked as it leaves.
    const body = async () => {
      const text = incoming.body ? await incoming.text() : ''
      return text ? JSON.parse(text) : {}
    }
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
    switch (kind) {
      case 'login':
        if ((await body()).password !== 'secret') {
          return json(401, { error: 'invalid_credentials', message: 'Wrong username or password.' })
        }
        families.push({ revoked: false })
        state.cookie = families.length - 1
        return json(200, issue(state.cookie, 'login'))
      case 'logout': {
        if ((await body()).everywhere === true) for (const family of families) family.revoked = true
        else if (state.cookie !== null) families[state.cookie]!.revoked = true
        state.cookie = null
        accessTokens.clear()
        return json(200, { ok: true })
      }
      case 'refresh':
        state.refreshInFlight++
        state.maxRefreshInFlight = Math.max(state.maxRefreshInFlight, state.refreshInFlight)
        try {
          const epoch = loginEpoch
          const answer = answerRefresh(state.cookie, signal)
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
      case 'elsewhere':
        return path === '/private'
          ? json(401, { error: 'not yours' })
          : json(200, { elsewhere: true, path })
      default:
        return answerApi(request, path, signal)
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
      accessTokens.clear()
    },
  }
}

export type ModelServer = ReturnType<typeof createModelServer>

/**
 * A real Vue app, Pinia and plugin, like `setupAuth`, but unmounted by the caller: a model run
 * creates hundreds of them inside one test.
 */
export function mountAuth(options: AuthOptions) {
  const app = createApp(defineComponent({ render: () => h('div') }))
  const auth = createAuth(options)
  app.use(createPinia()).use(auth)
  app.mount(document.createElement('div'))
  return {
    app,
    auth,
    store: auth.store,
    $fetch: auth.fetch,
    fetchWithAuth: auth.fetchWithAuth,
    // On axios' fetch adapter, which the model's server answers.
    axios: withAuth(axios.create({ adapter: 'fetch', baseURL: '/api' }), auth),
    unmount: () => app.unmount(),
  }
}

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
