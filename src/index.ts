/**
 * The plugin, the store, the doors (the ofetch instance, fetchWithAuth, the socket) and the errors.
 *
 * @module vue-refresh-auth
 */
export { createAuth } from './createAuth'
export { useAuth } from './store'
export { useAuthFetch } from './useAuthFetch'
export { useFetchWithAuth } from './useFetchWithAuth'
export { useTokenExpiry } from './useTokenExpiry'
export { useAuthSocket } from './useAuthSocket'
export { AuthError, isAuthError } from './errors'

export type { AuthPlugin } from './createAuth'
export type { AuthActions, AuthGetters, AuthState, AuthStore } from './store'
export type { AuthErrorCode } from './errors'
export type { UseTokenExpiryReturn } from './useTokenExpiry'
export type { AuthSocketStatus, UseAuthSocketOptions, UseAuthSocketReturn } from './useAuthSocket'
export type {
  AuthEvent,
  AuthOptions,
  AuthStatus,
  BodyRefreshOptions,
  CrossTabOptions,
  CsrfOptions,
  DefaultClaims,
  DefaultUser,
  EndpointOption,
  EndpointsOptions,
  LogoutOptions,
  RefreshReason,
  RoutesOptions,
  TokensOptions,
} from './types'

declare module 'vue-router' {
  interface RouteMeta {
    /** Only signed-in users may enter; guests go to `routes.login` with `?redirect=`. */
    requiresAuth?: boolean
    /** Only guests may enter; signed-in users go to `routes.home`. */
    guestOnly?: boolean
    /** The user needs one of these roles (implies `requiresAuth`). */
    roles?: string[]
  }
}
