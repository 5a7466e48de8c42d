import type { JwtPayload } from 'jwt-decode'
import type { FetchOptions } from 'ofetch'
import type { Router } from 'vue-router'
import type { AuthError } from './errors'

/** Where the session is: `unknown` before the start-up restore, then one of the others. */
export type AuthStatus =
  'unknown' | 'restoring' | 'authenticated' | 'refreshing' | 'unauthenticated'

/** The claims of a JWT access token as decoded by jwt-decode, with the role claims the defaults read. */
export interface DefaultClaims extends JwtPayload {
  roles?: string[]
  role?: string
  [claim: string]: unknown
}

/** A user object as the server returns it; bring your own type through the generics. */
export type DefaultUser = Record<string, unknown>

/**
 * An auth endpoint: `'METHOD /path'`, a path (POST is assumed), `{ url, method }`, or `false` to
 * disable it. Paths resolve against the page's origin; `baseURL` does not apply to them.
 */
/**
 * An auth endpoint: `'METHOD /path'` (or a full URL), a bare path (POST), `{ url, method }`, or
 * `false` to turn it off. Any other string is `misconfigured`.
 */
export type EndpointOption = string | { url: string; method?: string } | false

/** The auth endpoints; see {@link AuthOptions.endpoints}. */
export interface EndpointsOptions {
  /** @default 'POST /auth/login' */
  login?: EndpointOption
  /** @default 'POST /auth/refresh' */
  refresh?: EndpointOption
  /** @default 'POST /auth/logout' */
  logout?: EndpointOption
  /** Loads the user after login and restore, e.g. `'GET /auth/me'`. @default false */
  user?: EndpointOption
}

/** Body mode: the server returns the refresh token in JSON; it is kept in memory only. */
export interface BodyRefreshOptions {
  /** Reads the refresh token from a login or refresh response body. */
  read: (body: any) => string | null | undefined
  /** Builds the JSON body of the refresh and logout requests, e.g. `{ refresh: token }`. */
  send: (token: string) => Record<string, unknown>
}

/** Where the tokens are in the server's responses. */
export interface TokensOptions {
  /**
   * Reads the access token from a login or refresh response body.
   * @default reads `access_token`, then `accessToken`, then `access`, then `token`
   */
  access?: (body: any) => string | null | undefined
  /**
   * Reads the token's lifetime in seconds; when it returns nothing the JWT `exp` is used.
   * @default reads `expires_in`
   */
  expiresIn?: (body: any) => number | string | null | undefined
  /**
   * `'cookie'`: the server keeps the refresh token in an HttpOnly cookie. An object: body mode.
   * @default 'cookie'
   */
  refresh?: 'cookie' | BodyRefreshOptions
}

/** Copies a CSRF token into a header on refresh and logout. */
export type CsrfOptions =
  { header: string; cookie: string } | { header: string; value: () => string | null | undefined }

/** Cross-tab sync; see {@link AuthOptions.crossTab}. */
export interface CrossTabOptions {
  /** The BroadcastChannel and Web Lock name. @default `vue-refresh-auth:${baseURL || '/'}` */
  channel?: string
  /**
   * Milliseconds one tab may hold the refresh lock before a tab waiting for it steals it, so a
   * frozen tab that holds it cannot block the others for longer. A refresh request times out 1 s
   * before it, so a live holder's request is never overtaken. @default 35000
   */
  lockTimeout?: number
}

/** Paths the guards navigate to. */
export interface RoutesOptions {
  /** @default '/login' */
  login?: string
  /** @default '/' */
  home?: string
  /** Where a user lacking a role goes; without it the navigation fails with `forbidden`. */
  forbidden?: string
}

/** Options of {@link createAuth}; every one is optional. */
export interface AuthOptions<TClaims = DefaultClaims, TUser = DefaultUser> {
  /** Base of the requests made through `useAuthFetch()`. @default '' */
  baseURL?: string
  /** The auth endpoints. */
  endpoints?: EndpointsOptions
  /** Where the tokens are in responses, and where the refresh token lives. */
  tokens?: TokensOptions
  /** `credentials` of the login, refresh and logout requests. @default 'include' */
  credentials?: RequestCredentials
  /**
   * Seconds before expiry at which a proactive refresh runs, capped at half the token's lifetime;
   * `0` turns proactive refresh off. @default 30
   */
  refreshLeeway?: number
  /**
   * The only origins that receive the `Authorization` header or a token in a WebSocket URL.
   * @default the origin of `baseURL`, or the page's origin
   */
  allowedOrigins?: string[]
  /** Copies a CSRF cookie (or a value) into a header on refresh and logout. */
  csrf?: CsrfOptions
  /**
   * Share login, logout and fresh tokens between tabs, and let one tab refresh at a time.
   * @default true
   */
  crossTab?: boolean | CrossTabOptions
  /** At start-up, call the refresh endpoint once to restore a session from the cookie. @default true */
  restore?: boolean
  /** When given, the route guards are installed on it. */
  router?: Router
  /** Paths the guards use. */
  routes?: RoutesOptions
  /** The roles `meta.roles` checks. @default reads `claims.roles`, then `claims.role` */
  roles?: (claims: TClaims | null, user: TUser | null) => string[]
  /**
   * The Vue devtools inspector and timeline; development builds only (production builds carry
   * none of its code). @default true
   */
  devtools?: boolean
  /** Extra ofetch options for the instance; user hooks still run. */
  fetchOptions?: FetchOptions
  /** Called once when the session ends without a logout (refresh rejected, revoked elsewhere). */
  onSessionExpired?: (reason: AuthError) => void
  /**
   * Called for every session event (login, logout, 401, refresh start / success / failure, replay,
   * session expired), for logs and analytics. Events never carry a token.
   */
  onEvent?: (event: AuthEvent) => void
}

/** Options of `logout()`. */
export interface LogoutOptions {
  /** Ask the server to revoke every session of the user. @default false */
  everywhere?: boolean
}

/** Something that happened to the session, for the devtools timeline and the playground's log. */
export type AuthEvent =
  | { type: 'login'; user: unknown }
  | { type: 'logout'; everywhere: boolean }
  | { type: 'unauthorized'; method: string; url: string }
  | { type: 'refresh:start'; reason: RefreshReason }
  | { type: 'refresh:success'; duration: number }
  | { type: 'refresh:failure'; duration: number; error: AuthError }
  | { type: 'replay'; method: string; url: string }
  | { type: 'session:expired'; error: AuthError }
  | {
      type: 'tab:sent' | 'tab:received'
      message: 'login' | 'token' | 'logout' | 'expired' | 'request'
    }
  | { type: 'socket:reauth'; url: string; reason: string }

/**
 * Why a refresh started: `timer` (proactive, or a re-check on focus / visibility / online),
 * `expired` (a request found the token expired), `401`, `restore`, or `manual` (`refresh()`).
 */
export type RefreshReason = 'timer' | 'expired' | '401' | 'restore' | 'manual'
