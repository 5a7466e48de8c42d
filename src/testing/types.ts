import type { RequestHandler } from 'msw'

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

/** Answers a route of the app's API: a `Response`, or a JSON value (200). */
export type FakeRouteHandler = (request: Request, claims: FakeTokenClaims) => unknown

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
  route(method: string, path: string | RegExp, handler: FakeRouteHandler): FakeAuthServer
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
