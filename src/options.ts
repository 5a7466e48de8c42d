import type { FetchOptions } from 'ofetch'
import type { Router } from 'vue-router'
import { AuthError } from './errors'
import { pageOrigin } from './env'
import type {
  AuthEvent,
  AuthOptions,
  BodyRefreshOptions,
  CsrfOptions,
  DefaultClaims,
  EndpointOption,
} from './types'

// Auth endpoints get a timeout of their own so that a hung refresh cannot hang every request.
// The cross-tab lock timeout defaults to more than this, so a tab never steals the lock from a
// refresh that is still in flight and sends the same refresh cookie a second time.
export const AUTH_TIMEOUT = 30_000

export interface Endpoint {
  url: string
  method: string
}

export interface ResolvedOptions<TClaims = DefaultClaims, TUser = unknown> {
  baseURL: string
  endpoints: {
    login: Endpoint | null
    refresh: Endpoint | null
    logout: Endpoint | null
    user: Endpoint | null
  }
  readAccess: (body: any) => unknown
  readExpiresIn: (body: any) => unknown
  bodyMode: BodyRefreshOptions | null
  credentials: RequestCredentials
  refreshLeeway: number
  allowedOrigins: string[] | null
  csrf: CsrfOptions | null
  crossTab: { channel: string; lockTimeout: number } | null
  restore: boolean
  router: Router | null
  routes: { login: string; home: string; forbidden: string | null }
  roles: (claims: TClaims | null, user: TUser | null) => string[]
  devtools: boolean
  fetchOptions: FetchOptions
  onSessionExpired: ((reason: AuthError) => void) | null
  onEvent: ((event: AuthEvent) => void) | null
  /** The fetch of the login, refresh and logout requests (the testing kit answers them itself). */
  authFetch?: typeof fetch
}

function endpoint(option: EndpointOption | undefined, fallback: string | false): Endpoint | null {
  const value = option === undefined ? fallback : option
  if (value === false) return null
  if (typeof value === 'object') {
    return { url: value.url, method: (value.method ?? 'POST').toUpperCase() }
  }
  const text = value.trim()
  if (!/\s/.test(text)) return { method: 'POST', url: text }
  const match = /^([A-Za-z]+)\s+(\S+)$/.exec(text)
  if (!match) {
    throw new AuthError(
      'misconfigured',
      __DEV__
        ? `The endpoint "${value}" is neither a path nor "METHOD /path". Write it like "POST /auth/login", or as { url, method }.`
        : '',
    )
  }
  return { method: match[1]!.toUpperCase(), url: match[2]! }
}

const firstString = (body: any, keys: string[]): unknown =>
  body && typeof body === 'object' ? keys.map((key) => body[key]).find((v) => v != null) : undefined

function defaultRoles(claims: DefaultClaims | null): string[] {
  const value = claims?.roles ?? claims?.role
  if (Array.isArray(value)) return value.filter((role): role is string => typeof role === 'string')
  return typeof value === 'string' ? [value] : []
}

function originOf(origin: string): string {
  try {
    return new URL(origin).origin
  } catch (cause) {
    throw new AuthError(
      'misconfigured',
      __DEV__
        ? `allowedOrigins has "${origin}", which is not an origin. Write it in full, like "https://api.example.com".`
        : '',
      { cause },
    )
  }
}

function absoluteOrigin(url: string): string | null {
  try {
    return /^https?:\/\//i.test(url) ? new URL(url).origin : null
  } catch {
    return null
  }
}

export function resolveOptions<TClaims, TUser>(
  options: AuthOptions<TClaims, TUser>,
): ResolvedOptions<TClaims, TUser> {
  const {
    baseURL = '',
    endpoints = {},
    tokens = {},
    credentials = 'include',
    refreshLeeway = 30,
    allowedOrigins,
    csrf,
    crossTab = true,
    restore = true,
    router,
    routes = {},
    roles,
    devtools = true,
    fetchOptions = {},
    onSessionExpired,
    onEvent,
  } = options

  if (!(refreshLeeway >= 0)) {
    throw new AuthError(
      'misconfigured',
      __DEV__
        ? `refreshLeeway must be a number of seconds ≥ 0 (got ${String(refreshLeeway)}); use 0 to turn proactive refresh off.`
        : '',
    )
  }
  const refresh = tokens.refresh ?? 'cookie'
  if (
    refresh !== 'cookie' &&
    (typeof refresh.read !== 'function' || typeof refresh.send !== 'function')
  ) {
    throw new AuthError(
      'misconfigured',
      __DEV__
        ? "tokens.refresh must be 'cookie' or { read(body), send(token) } for body mode."
        : '',
    )
  }
  const baseOrigin = absoluteOrigin(baseURL)
  const tabOptions = typeof crossTab === 'object' ? crossTab : {}
  const channel = tabOptions.channel || `vue-refresh-auth:${baseURL || '/'}`

  return {
    baseURL,
    endpoints: {
      login: endpoint(endpoints.login, 'POST /auth/login'),
      refresh: endpoint(endpoints.refresh, 'POST /auth/refresh'),
      logout: endpoint(endpoints.logout, 'POST /auth/logout'),
      user: endpoint(endpoints.user, false),
    },
    readAccess:
      tokens.access ??
      ((body) => firstString(body, ['access_token', 'accessToken', 'access', 'token'])),
    readExpiresIn: tokens.expiresIn ?? ((body) => firstString(body, ['expires_in'])),
    bodyMode: refresh === 'cookie' ? null : refresh,
    credentials,
    refreshLeeway,
    allowedOrigins: allowedOrigins
      ? allowedOrigins.map(originOf)
      : baseOrigin
        ? [baseOrigin]
        : null,
    csrf: csrf ?? null,
    crossTab:
      crossTab === false
        ? null
        : { channel, lockTimeout: tabOptions.lockTimeout ?? AUTH_TIMEOUT + 5000 },
    restore,
    router: router ?? null,
    routes: {
      login: routes.login ?? '/login',
      home: routes.home ?? '/',
      forbidden: routes.forbidden ?? null,
    },
    roles: roles ?? (defaultRoles as unknown as (claims: TClaims | null) => string[]),
    devtools,
    fetchOptions,
    onSessionExpired: onSessionExpired ?? null,
    onEvent: onEvent ?? null,
  }
}

/**
 * Which URLs may carry the token: allowed origins, and the user endpoint's URL (an auth endpoint,
 * perhaps on the page's origin, that needs the token even when allowedOrigins names only the API:
 * that one URL, not its whole origin). Never the login, refresh and logout endpoints: the session
 * calls those itself, and a 401 from one of them is not refreshed and replayed.
 */
export function createOriginPolicy(
  options: Pick<ResolvedOptions, 'allowedOrigins' | 'endpoints'>,
): (url: string) => boolean {
  const { login, refresh, logout, user } = options.endpoints
  const key = (url: string) => {
    const target = absolute(url)
    return target && target.origin + target.pathname
  }
  // Resolved once: the page's origin does not change under a running app.
  let endpoints: { auth: (string | undefined)[]; user: string | undefined } | undefined
  // An app sends to a handful of URLs (ofetch adds the query after this check): answer those from
  // memory instead of parsing each again. Bounded, so varied URLs cannot grow it without end.
  const known = new Map<string, boolean>()
  return (url) => {
    let allowed = known.get(url)
    if (allowed === undefined) {
      if (known.size >= 128) known.clear()
      known.set(url, (allowed = judge(url)))
    }
    return allowed
  }

  function judge(url: string): boolean {
    const target = absolute(url)
    if (!target) return false
    const keys = (endpoints ??= {
      auth: [login, refresh, logout].map((endpoint) => (endpoint ? key(endpoint.url) : undefined)),
      user: user ? key(user.url) : undefined,
    })
    const path = target.origin + target.pathname
    if (keys.auth.includes(path)) return false
    return isAllowedOrigin(options, target.origin, pageOrigin()) || keys.user === path
  }
}

function absolute(url: string): URL | undefined {
  try {
    return new URL(url, pageOrigin())
  } catch {
    return undefined // a relative URL outside a browser has no origin: it gets no token
  }
}

/** The origins allowed to receive the token; `null` allowed list means "the page's origin". */
export function isAllowedOrigin(
  options: Pick<ResolvedOptions, 'allowedOrigins'>,
  origin: string | undefined,
  page: string | undefined,
): boolean {
  if (!origin) return false
  return (options.allowedOrigins ?? (page ? [page] : [])).includes(origin)
}
