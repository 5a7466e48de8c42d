import type { RequestHandler } from 'msw'
import { AuthError } from '../errors'
import { pageOrigin } from '../env'
import { unsignedJwt } from './jwt'
import { loadMsw } from './msw'

/** A user of the fake server; everything but the password is its profile (`/auth/me`, login). */
export interface FakeUser {
  username: string
  password: string
  /** In the token's `roles` claim. @default ['user'] */
  roles?: string[]
  [profile: string]: unknown
}

/** Options of {@link createFakeAuthServer}; every one is optional. */
export interface FakeAuthServerOptions {
  /** @default one user, `{ username: 'alice', password: 'alice-password', roles: ['user'] }` */
  users?: FakeUser[]
  /** Access-token lifetime in seconds, on the clock the test controls. @default 60 */
  accessTtl?: number
  /** Refresh-token lifetime in seconds. @default 7 days */
  refreshTtl?: number
  /**
   * `'cookie'`: the refresh token in an HttpOnly-style cookie, one jar per client. `'body'`: in the
   * JSON answers as `refresh_token`, read back from `{ refresh_token }` in the request body.
   * @default 'cookie'
   */
  refresh?: 'cookie' | 'body'
  /**
   * Double-submit CSRF: login sets a readable cookie of that name (also in `document.cookie`,
   * where there is one), and refresh and logout must send its value in that header, else 403.
   */
  csrf?: { header: string; cookie: string }
  /** The server's origin. @default the page's origin, else `'http://localhost'` */
  origin?: string
  /** Where the auth endpoints are: `<authPath>/login`, `/refresh`, `/logout`, `/me`. @default '/auth' */
  authPath?: string
}

/** The claims of the fake server's access tokens, as a route handler gets them. */
export interface FakeTokenClaims {
  sub: string
  roles: string[]
  /** The login session (refresh-token family) the token belongs to. */
  sid: string
  jti: string
  iat: number
  exp: number
  [claim: string]: unknown
}

/** An endpoint a fault applies to: an auth endpoint, any API route, or one route's path. */
export type FakeEndpoint = 'login' | 'refresh' | 'logout' | 'user' | 'api' | (string & {})

/** A misbehaviour for the next request(s) to an endpoint. */
export interface FakeFault {
  /** Answer with this status (and `body`) instead. */
  status?: number
  /** Seconds, in a `Retry-After` header. */
  retryAfter?: number
  /** The JSON body of the answer. @default `{ error: 'unavailable' }` for a status ≥ 400 */
  body?: unknown
  /** Answer nothing: the request rejects with `TypeError('Failed to fetch')`, as browsers do. */
  drop?: boolean
  /** Ms to wait (on the test's clock) before answering, with or without another fault. */
  delay?: number
  /** How many requests it applies to. @default 1 */
  times?: number
}

/** What the server has seen, reset by {@link FakeAuthServer.resetStats}. */
export interface FakeAuthServerStats {
  logins: number
  loginFailures: number
  refreshes: number
  /** Refreshes refused (401): unknown, expired, revoked or reused refresh token. */
  refreshRejected: number
  reuseDetections: number
  logouts: number
  /** Requests to the app's routes (and `/auth/me`). */
  apiRequests: number
  /** 401s served to them. */
  unauthorized: number
  /** Of those, requests whose token was genuine but past its `exp`: ones the client should not send. */
  expiredTokenRequests: number
}

/** A request as the server received it. */
export interface FakeRequest {
  method: string
  url: string
  path: string
  /** The bearer token it carried, or `null`. */
  token: string | null
  headers: Headers
  /** The parsed JSON body, the text, or `undefined`. */
  body: unknown
}

type RouteHandler = (request: Request, claims: FakeTokenClaims) => unknown

/** A fetch with its own cookie jar: one client (one browser) of the fake server. */
export interface FakeClient {
  fetch: typeof fetch
  /** The cookies it holds, by name. */
  cookies: Map<string, string>
}

/** What {@link createFakeAuthServer} returns. */
export interface FakeAuthServer extends FakeClient {
  /** Its origin, e.g. `'http://localhost'`. */
  readonly origin: string
  /** Another client with a cookie jar of its own (another browser). */
  client(): FakeClient
  /** MSW request handlers for the server's origin: `setupServer(...server.handlers)` (msw is an optional peer). */
  readonly handlers: RequestHandler[]
  /** Answers a request as the server, with the default client's cookies unless it has its own. */
  handle(request: Request): Promise<Response>
  /** Adds an API route behind the token check; the handler returns a `Response` or a JSON value. */
  route(method: string, path: string | RegExp, handler: RouteHandler): FakeAuthServer
  /** Queues a fault for the next request(s) to `endpoint`. */
  fail(endpoint: FakeEndpoint, fault: FakeFault): FakeAuthServer
  /** Every access token issued so far expires now. */
  expireAccessTokens(): void
  /** Revokes every session of the user (a username): refresh and access tokens alike. */
  revoke(username: string): void
  readonly stats: FakeAuthServerStats
  /** Every request received, oldest first. */
  readonly requests: FakeRequest[]
  /** Zeroes the stats, forgets the requests and the queued faults. */
  resetStats(): void
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })

const randomId = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('')

const emptyStats = (): FakeAuthServerStats => ({
  logins: 0,
  loginFailures: 0,
  refreshes: 0,
  refreshRejected: 0,
  reuseDetections: 0,
  logouts: 0,
  apiRequests: 0,
  unauthorized: 0,
  expiredTokenRequests: 0,
})

/**
 * An in-memory backend that speaks the protocol the plugin's defaults expect, for tests: users
 * with passwords and roles, access tokens on the test's clock (fake timers included), refresh-token
 * rotation with reuse detection that revokes the session, cookie or body mode, CSRF, logout and
 * logout everywhere, the app's own routes behind the token check, and faults.
 *
 * @example
 * ```ts
 * const server = createFakeAuthServer({ users: [{ username: 'alice', password: 'pw' }] })
 * server.route('GET', '/api/items', () => ['a', 'b'])
 * vi.stubGlobal('fetch', server.fetch)
 * ```
 */
export function createFakeAuthServer(options: FakeAuthServerOptions = {}): FakeAuthServer {
  const {
    users = [{ username: 'alice', password: 'alice-password', roles: ['user'] }],
    accessTtl = 60,
    refreshTtl = 7 * 24 * 60 * 60,
    refresh: mode = 'cookie',
    csrf,
    origin = pageOrigin() ?? 'http://localhost',
    authPath = '/auth',
  } = options
  const stats = emptyStats()
  const requests: FakeRequest[] = []
  const faults = new Map<string, (FakeFault & { times: number })[]>()
  const routes: { method: string; path: string | RegExp; handler: RouteHandler }[] = []
  /** Refresh token → its record; a family is one login session. */
  const refreshTokens = new Map<string, { family: string; used: boolean; expiresAt: number }>()
  const families = new Map<string, { username: string; revoked: boolean }>()
  /** Access token → its claims; its `exp` may be moved to now by expireAccessTokens(). */
  const accessTokens = new Map<string, FakeTokenClaims & { revoked?: boolean }>()
  const defaultClient = makeClient()

  const userOf = (username: string) => users.find((user) => user.username === username)
  const profile = ({ password: _, ...rest }: FakeUser) => ({ roles: ['user'], ...rest })

  function issue(family: string, user: FakeUser, cookies: Map<string, string>) {
    const iat = Math.floor(Date.now() / 1000)
    const { username, roles = ['user'], ...claims } = profile(user)
    const access: FakeTokenClaims = {
      ...claims,
      sub: username as string,
      roles,
      sid: family,
      jti: randomId(),
      iat,
      exp: iat + accessTtl,
    }
    const token = unsignedJwt(access)
    accessTokens.set(token, access)
    const refreshToken = randomId()
    refreshTokens.set(refreshToken, {
      family,
      used: false,
      expiresAt: Date.now() + refreshTtl * 1000,
    })
    const body: Record<string, unknown> = {
      access_token: token,
      token_type: 'Bearer',
      expires_in: accessTtl,
    }
    if (mode === 'body') body.refresh_token = refreshToken
    else cookies.set('refresh_token', refreshToken)
    return body
  }

  function takeFault(keys: string[]) {
    for (const key of keys) {
      const queue = faults.get(key)
      const fault = queue?.[0]
      if (!fault) continue
      if (--fault.times <= 0) queue.shift()
      return fault
    }
    return undefined
  }

  async function applied(fault: FakeFault | undefined, answer: () => Promise<Response>) {
    if (!fault) return answer()
    if (fault.delay) await new Promise((resolve) => setTimeout(resolve, fault.delay))
    if (fault.drop) throw new TypeError('Failed to fetch')
    if (fault.status === undefined) return answer()
    const headers: Record<string, string> =
      fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) }
    const body =
      fault.body !== undefined
        ? fault.body
        : fault.status >= 400
          ? { error: 'unavailable', message: `Injected fault: HTTP ${fault.status}.` }
          : {}
    return json(fault.status, body, headers)
  }

  /** The claims of a valid bearer token, or the 401 to answer. */
  function authorize(token: string | null): FakeTokenClaims | Response {
    const claims = token ? accessTokens.get(token) : undefined
    const expired = claims !== undefined && Date.now() >= claims.exp * 1000
    const family = claims && families.get(claims.sid)
    if (claims && !expired && !claims.revoked && family && !family.revoked) return claims
    stats.unauthorized++
    if (expired) stats.expiredTokenRequests++
    const message = !token
      ? 'Missing bearer token.'
      : expired
        ? 'The access token expired.'
        : 'Invalid access token.'
    // RFC 6750, section 3: a 401 for a bearer token says so in WWW-Authenticate.
    return json(
      401,
      { error: 'invalid_token', message },
      { 'www-authenticate': 'Bearer error="invalid_token"' },
    )
  }

  function refuse(message: string, reuse = false) {
    stats.refreshRejected++
    if (reuse) stats.reuseDetections++
    return json(401, { error: 'invalid_grant', message })
  }

  /** Redeems a refresh token once; a used one coming back revokes its session (RFC 9700, 4.14). */
  function rotate(presented: string | undefined, cookies: Map<string, string>) {
    const record = presented ? refreshTokens.get(presented) : undefined
    const family = record && families.get(record.family)
    if (!record || !family) return refuse('Unknown refresh token.')
    if (family.revoked) return refuse('The session was revoked; sign in again.')
    if (record.used) {
      family.revoked = true
      return refuse('Refresh token reuse detected; the session was revoked.', true)
    }
    if (record.expiresAt <= Date.now()) return refuse('The refresh token expired; sign in again.')
    record.used = true
    const user = userOf(family.username)
    if (!user) return refuse('The user no longer exists.')
    return json(200, issue(record.family, user, cookies))
  }

  function csrfRefused(request: Request, cookies: Map<string, string>) {
    if (!csrf) return false
    const expected = cookies.get(csrf.cookie)
    return !expected || request.headers.get(csrf.header) !== expected
  }

  async function readBody(request: Request): Promise<Record<string, unknown>> {
    const text = await request.clone().text()
    try {
      const body = text ? JSON.parse(text) : {}
      return body && typeof body === 'object' ? body : {}
    } catch {
      return {}
    }
  }

  async function answer(request: Request, cookies: Map<string, string>): Promise<Response> {
    const url = new URL(request.url)
    const method = request.method.toUpperCase()
    const path = url.pathname
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1] ?? null
    const text = request.body ? await request.clone().text() : ''
    let body: unknown = undefined
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {
      body = text
    }
    requests.push({ method, url: url.href, path, token, headers: request.headers, body })
    if (url.origin !== origin) return json(404, { error: 'not_found', message: `Not ${origin}.` })

    switch (method === 'POST' || method === 'GET' ? path : '') {
      case `${authPath}/login`: {
        if (method !== 'POST') break
        return applied(takeFault(['login']), async () => {
          const { username, password } = await readBody(request)
          const user = typeof username === 'string' ? userOf(username) : undefined
          if (!user || user.password !== password) {
            stats.loginFailures++
            return json(401, {
              error: 'invalid_credentials',
              message: 'Wrong username or password.',
            })
          }
          stats.logins++
          const family = randomId()
          families.set(family, { username: user.username, revoked: false })
          const answerBody = issue(family, user, cookies)
          if (csrf) {
            const value = randomId()
            cookies.set(csrf.cookie, value)
            if (typeof document !== 'undefined') document.cookie = `${csrf.cookie}=${value}; path=/`
          }
          return json(200, { ...answerBody, user: profile(user) })
        })
      }
      case `${authPath}/refresh`: {
        if (method !== 'POST') break
        stats.refreshes++
        return applied(takeFault(['refresh']), async () => {
          if (csrfRefused(request, cookies))
            return json(403, { error: 'csrf', message: 'CSRF check failed.' })
          const presented =
            mode === 'body' ? (await readBody(request)).refresh_token : cookies.get('refresh_token')
          const answered = rotate(typeof presented === 'string' ? presented : undefined, cookies)
          if (answered.status !== 200 && mode === 'cookie') cookies.delete('refresh_token')
          return answered
        })
      }
      case `${authPath}/logout`: {
        if (method !== 'POST') break
        stats.logouts++
        return applied(takeFault(['logout']), async () => {
          if (csrfRefused(request, cookies))
            return json(403, { error: 'csrf', message: 'CSRF check failed.' })
          const sent = await readBody(request)
          const presented = mode === 'body' ? sent.refresh_token : cookies.get('refresh_token')
          const record = typeof presented === 'string' ? refreshTokens.get(presented) : undefined
          const family = record && families.get(record.family)
          if (family) {
            for (const other of sent.everywhere === true ? families.values() : [family]) {
              if (other.username === family.username) other.revoked = true
            }
          }
          cookies.delete('refresh_token')
          return json(200, { ok: true })
        })
      }
      case `${authPath}/me`:
        if (method !== 'GET') break
        stats.apiRequests++
        return applied(takeFault(['user']), async () => {
          const claims = authorize(token)
          if (claims instanceof Response) return claims
          const user = userOf(claims.sub)
          return user ? json(200, profile(user)) : json(404, { error: 'not_found' })
        })
    }

    const route = routes.find(
      (r) =>
        (r.method === '*' || r.method === method) &&
        (typeof r.path === 'string' ? r.path === path : r.path.test(path)),
    )
    if (!route) return json(404, { error: 'not_found', message: `No route ${method} ${path}.` })
    stats.apiRequests++
    return applied(
      takeFault([typeof route.path === 'string' ? route.path : '', 'api']),
      async () => {
        const claims = authorize(token)
        if (claims instanceof Response) return claims
        const result = await route.handler(request, claims)
        return result instanceof Response ? result : json(200, result ?? null)
      },
    )
  }

  function makeClient(): FakeClient {
    const cookies = new Map<string, string>()
    const clientFetch: typeof fetch = (input, init) => {
      const request =
        input instanceof Request
          ? new Request(input, init)
          : new Request(new URL(String(input), origin), init)
      return answer(request, cookies)
    }
    return { fetch: clientFetch, cookies }
  }

  let handlers: RequestHandler[] | undefined
  const server: FakeAuthServer = {
    origin,
    fetch: defaultClient.fetch,
    cookies: defaultClient.cookies,
    client: makeClient,
    get handlers() {
      const msw = loadMsw()
      if (!msw) {
        throw new AuthError(
          'misconfigured',
          'server.handlers needs msw: install it (npm i -D msw), or use server.fetch with vi.stubGlobal("fetch", server.fetch).',
        )
      }
      const prefix = new RegExp(`^${origin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`)
      return (handlers ??= [
        msw.http.all(prefix, ({ request }: { request: Request }) => server.handle(request)),
      ])
    },
    handle: (request) => answer(request, defaultClient.cookies),
    route(method, path, handler) {
      routes.push({ method: method.toUpperCase(), path, handler })
      return server
    },
    fail(endpoint, fault) {
      const queue = faults.get(endpoint) ?? []
      queue.push({ ...fault, times: fault.times ?? 1 })
      faults.set(endpoint, queue)
      return server
    },
    expireAccessTokens() {
      const now = Math.floor(Date.now() / 1000)
      for (const claims of accessTokens.values()) claims.exp = Math.min(claims.exp, now)
    },
    revoke(username) {
      for (const family of families.values())
        if (family.username === username) family.revoked = true
      for (const claims of accessTokens.values()) if (claims.sub === username) claims.revoked = true
    },
    stats,
    requests,
    resetStats() {
      Object.assign(stats, emptyStats())
      requests.length = 0
      faults.clear()
    },
  }
  return server
}
