export { createAuth } from './createAuth'
export { useAuth } from './store'
export { useAuthFetch } from './useAuthFetch'
export { AuthError, isAuthError } from './errors'

export type { AuthPlugin } from './createAuth'
export type { AuthActions, AuthGetters, AuthState, AuthStore } from './store'
export type { AuthErrorCode } from './errors'
export type {
  AuthOptions,
  AuthStatus,
  BodyRefreshOptions,
  CsrfOptions,
  DefaultClaims,
  DefaultUser,
  EndpointOption,
  EndpointsOptions,
  LogoutOptions,
  RoutesOptions,
  TokensOptions,
} from './types'
