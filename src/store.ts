import { defineStore, getActivePinia, type Pinia, type Store } from 'pinia'
import { computed, hasInjectionContext, inject, type ComputedRef, type InjectionKey } from 'vue'
import { AuthError } from './errors'
import type { Door } from './door'
import type { Session } from './session'
import type { AuthStatus, DefaultClaims, DefaultUser, LogoutOptions } from './types'

/** The state Pinia holds for the store: no token, so SSR payloads and copies never carry one. */
export interface AuthState<TUser = DefaultUser> {
  status: AuthStatus
  user: TUser | null
}

/** Read-only views of the in-memory session. */
export interface AuthGetters<TClaims = DefaultClaims> {
  /** The access token, from memory; never in `pinia.state` or any storage. */
  accessToken: string | null
  /** The token's claims decoded with jwt-decode, or `null` for an opaque token. */
  claims: TClaims | null
  /** When the token expires, in ms since epoch on the local clock, corrected for clock skew. */
  expiresAt: number | null
  isAuthenticated: boolean
  roles: string[]
  /** The last {@link AuthError}, or `null`. */
  error: AuthError | null
}

/** What the store can do. */
export interface AuthActions<TUser = DefaultUser> {
  /** Posts `credentials` to the login endpoint; rejects with `invalid_credentials` when refused. */
  login(credentials: object): Promise<void>
  /** Ends the session at once, then tells the server; `everywhere` revokes every session. */
  logout(options?: LogoutOptions): Promise<void>
  /** Refreshes the access token; concurrent callers share one request. */
  refresh(): Promise<void>
  /** Restores a session from the refresh cookie; settles without rejecting. */
  restore(): Promise<void>
  /** Loads the user from `endpoints.user`. */
  fetchUser(): Promise<TUser | null>
  hasRole(role: string): boolean
}

/** The auth store, id `auth`, as `useAuth()` returns it. */
export type AuthStore<TClaims = DefaultClaims, TUser = DefaultUser> = Store<
  'auth',
  AuthState<TUser>,
  { [K in keyof AuthGetters<TClaims>]: ComputedRef<AuthGetters<TClaims>[K]> },
  AuthActions<TUser>
>

export const sessionKey: InjectionKey<Session<any, any>> = Symbol(__DEV__ ? 'vue-refresh-auth' : '')

// Pinia → session, for code that runs outside components (guards, plain modules) with an active Pinia.
export const sessions = new WeakMap<Pinia, Session<any, any>>()

// Plugin → its door, for doors given the plugin itself (withAuth(instance, auth)).
const doors = new WeakMap<object, Door>()

export function registerDoor(plugin: object, door: Door) {
  doors.set(plugin, door)
}

/** The door of a plugin from createAuth(); throws `misconfigured` for anything else. */
export function doorOf(plugin: object): Door {
  const door = doors.get(plugin)
  if (!door) {
    throw new AuthError(
      'misconfigured',
      __DEV__
        ? 'The auth argument is not a plugin made by createAuth(). Pass the object createAuth() returned, or leave it out to use the current app’s.'
        : '',
    )
  }
  return door
}

/** The session of the current app; throws `misconfigured` with the fix when there is none. */
export function currentSession(caller: string): Session<any, any> {
  const injected = hasInjectionContext() ? inject(sessionKey, null) : null
  if (injected) return injected
  const pinia = getActivePinia()
  if (!pinia) {
    throw new AuthError(
      'misconfigured',
      __DEV__
        ? `${caller} was called with no active Pinia. Install it first: app.use(createPinia()).use(auth).`
        : '',
    )
  }
  const session = sessions.get(pinia)
  if (!session) {
    throw new AuthError(
      'misconfigured',
      __DEV__
        ? `${caller} was called before the plugin was installed. Call app.use(auth) (from createAuth()) after app.use(pinia).`
        : '',
    )
  }
  return session
}

const useAuthStore = defineStore('auth', () => {
  const session = sessions.get(getActivePinia()!)!
  const { held } = session
  const claims = computed(() => held.value?.claims ?? null)
  const roles = computed(() => session.roles())
  return {
    status: session.status,
    user: session.user,
    accessToken: computed(() => held.value?.token ?? null),
    claims,
    expiresAt: computed(() => held.value?.expiresAt ?? null),
    isAuthenticated: computed(() => held.value !== null),
    roles,
    error: computed(() => session.error.value),
    login: session.login,
    logout: session.logout,
    refresh: () => session.refresh(),
    restore: session.restore,
    fetchUser: session.fetchUser,
    hasRole: (role: string) => roles.value.includes(role),
  }
})

/** The store of `session`, in the Pinia it was installed with. */
export function storeOf<TClaims, TUser>(pinia: Pinia): AuthStore<TClaims, TUser> {
  return useAuthStore(pinia) as unknown as AuthStore<TClaims, TUser>
}

/**
 * The auth store (Pinia id `auth`): session state, getters and actions.
 * Works in components, guards, and anywhere a Pinia with the plugin is active.
 *
 * @example
 * ```ts
 * const auth = useAuth<MyClaims, MyUser>()
 * await auth.login({ username, password })
 * auth.isAuthenticated // true
 * ```
 */
export function useAuth<TClaims = DefaultClaims, TUser = DefaultUser>(): AuthStore<TClaims, TUser> {
  currentSession('useAuth()')
  return useAuthStore() as unknown as AuthStore<TClaims, TUser>
}
