import type { App } from 'vue'
import { createPlugin, type AuthPlugin } from '../createAuth'
import { AuthError, type AuthErrorCode } from '../errors'
import { resolveOptions } from '../options'
import { createSession } from '../session'
import { decodeClaims, type HeldToken } from '../tokens'
import type { AuthOptions, AuthStatus, DefaultClaims, DefaultUser } from '../types'
import { unsignedJwt } from './jwt'

/** The session a test starts with, or moves to with `setSession()`. */
export interface TestingAuthState<TClaims = DefaultClaims, TUser = DefaultUser> {
  /**
   * `authenticated` or `refreshing` hold a token; `unknown` and `restoring` hold none and keep the
   * first navigation waiting (as a restore in progress would) until a later `setSession()`.
   * @default 'authenticated' when any of user, claims, roles or expiresAt is given, else 'unauthenticated'
   */
  status?: AuthStatus
  user?: TUser | null
  /** The access token's claims; a matching unsigned JWT is made for them. */
  claims?: Partial<TClaims> & Record<string, unknown>
  /** The roles; they must be what the `roles` option reads from the claims (`claims.roles` by default). */
  roles?: string[]
  /** When the token expires, ms since epoch. @default an hour from now */
  expiresAt?: number
}

/** Options of {@link createTestingAuth}: those of `createAuth()` (for routes, roles, origins), and: */
export interface TestingAuthOptions<TClaims = DefaultClaims, TUser = DefaultUser> extends Omit<
  AuthOptions<TClaims, TUser>,
  'crossTab' | 'restore' | 'devtools'
> {
  initialState?: TestingAuthState<TClaims, TUser>
  /**
   * Replace the store's actions (login, logout, refresh, restore, fetchUser) with spies that do
   * nothing; with `false` they are spies that call the real actions (which then use the network:
   * pair them with `createFakeAuthServer()`).
   * @default true
   */
  stubActions?: boolean
  /** Makes a spy, wrapping `fn` when given. @default the global `vi.fn` or `jest.fn` */
  createSpy?: (fn?: (...args: any[]) => any) => (...args: any[]) => any
}

/** What {@link createTestingAuth} returns: the plugin, and ways to change the session mid-test. */
export interface TestingAuthPlugin<TClaims = DefaultClaims, TUser = DefaultUser> extends AuthPlugin<
  TClaims,
  TUser
> {
  /** Moves the session to `state` at once, as a restore or login would have left it. */
  setSession(state: TestingAuthState<TClaims, TUser>): void
  /**
   * Ends the session as a rejected refresh would: the token is gone, `onSessionExpired` runs, and
   * the guards take a protected page to the login page.
   * @param code - the `AuthError` code of `store.error` @default 'session_expired'
   */
  endSession(code?: AuthErrorCode): void
}

const ACTIONS = ['login', 'logout', 'refresh', 'restore', 'fetchUser'] as const
const HOUR = 60 * 60 * 1000

function spyMaker(createSpy: TestingAuthOptions['createSpy']) {
  const globals = globalThis as { vi?: { fn?: unknown }; jest?: { fn?: unknown } }
  const made = createSpy ?? globals.vi?.fn ?? globals.jest?.fn
  if (typeof made !== 'function') {
    throw new AuthError(
      'misconfigured',
      'createTestingAuth() found no way to make spies: pass createSpy (e.g. createSpy: vi.fn), or enable the test runner’s globals.',
    )
  }
  return made as NonNullable<TestingAuthOptions['createSpy']>
}

const sameRoles = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().every((role, i) => role === [...b].sort()[i])

/**
 * A plugin installed instead of `createAuth()` in component tests, as `createTestingPinia()` is
 * for Pinia: the session starts in `initialState`, actions are spies, and `useAuth()`, every fetch
 * door and the guards (with `router`) work against it. Nothing runs by itself: no network, no
 * timers, no BroadcastChannel. Requests your components send through the doors carry the test
 * token and go to the global `fetch` (your mocks, MSW, or `createFakeAuthServer()`).
 *
 * @example
 * ```ts
 * const auth = createTestingAuth({ initialState: { user: { name: 'Ada' }, roles: ['admin'] } })
 * const wrapper = mount(Profile, { global: { plugins: [createPinia(), auth] } })
 * auth.endSession() // the session expired while the page was open
 * ```
 */
export function createTestingAuth<TClaims = DefaultClaims, TUser = DefaultUser>(
  options: TestingAuthOptions<TClaims, TUser> = {},
): TestingAuthPlugin<TClaims, TUser> {
  const { initialState = {}, stubActions = true, createSpy, ...authOptions } = options
  const spy = spyMaker(createSpy)
  const resolved = resolveOptions<TClaims, TUser>({
    ...authOptions,
    crossTab: false,
    // Nothing restores by itself (the plugin never starts the session, see createPlugin below),
    // but with stubActions: false a test's own store.restore() does restore, from the cookie.
    restore: true,
    devtools: false,
    // No timer: a test moves time and the session itself.
    refreshLeeway: 0,
  })
  let issued = 0
  if (stubActions) {
    // The session's own refresh (after a 401) reaches no server: it gets a token for the same
    // claims, with a new expiry. Login and logout are spies and send nothing.
    resolved.authFetch = async () => {
      const held = session.held.value
      const claims = (held?.claims ?? {}) as Record<string, unknown>
      const iat = Math.floor(Date.now() / 1000)
      // The same lifetime as the token it replaces (an hour for one that had none left).
      const lifetime = held?.lifetime || HOUR
      const exp = iat + Math.max(1, Math.round(lifetime / 1000))
      // A jti of its own, so that even a token of the same second is a new one.
      const token = unsignedJwt({ ...claims, iat, exp, jti: `test-${++issued}` })
      const body = { access_token: token, expires_in: exp - iat }
      return new Response(JSON.stringify(body), {
        headers: { 'content-type': 'application/json' },
      })
    }
  }
  const session = createSession<TClaims, TUser>(resolved)

  function setSession(state: TestingAuthState<TClaims, TUser>) {
    const { user = null, expiresAt = Date.now() + HOUR } = state
    const given = state.user !== undefined || state.claims || state.roles || state.expiresAt
    const status: AuthStatus = state.status ?? (given ? 'authenticated' : 'unauthenticated')
    const claims: Record<string, unknown> = { ...state.claims }
    if (state.roles && !state.claims) claims.roles = state.roles
    const named = user as { username?: unknown; id?: unknown } | null
    claims.sub ??= String(named?.username ?? named?.id ?? 'test-user')
    const roles = resolved.roles(claims as TClaims, user)
    if (state.roles && !sameRoles(roles, state.roles)) {
      throw new AuthError(
        'misconfigured',
        `initialState.roles [${state.roles.join(', ')}] do not fit its claims, from which the roles option reads [${roles.join(', ')}]. Put the roles in the claims (claims: { roles: [...] }), or give only one of them.`,
      )
    }
    const holds = status === 'authenticated' || status === 'refreshing'
    const now = Date.now()
    const iat = Math.floor(now / 1000)
    const token = unsignedJwt({ iat, exp: Math.floor(expiresAt / 1000), ...claims })
    const set: HeldToken<TClaims> | null = holds
      ? {
          token,
          claims: decodeClaims<TClaims>(token),
          expiresAt,
          deadBy: expiresAt,
          receivedAt: now,
          lifetime: Math.max(0, expiresAt - now),
          roundTrip: 0,
          seq: 1,
          rejected: false,
        }
      : null
    session.seed(set, holds ? user : null, status)
  }

  setSession(initialState)
  const plugin = createPlugin(
    session,
    resolved,
    false,
    'createTestingAuth() was installed before Pinia. Install a Pinia first: global: { plugins: [createPinia(), auth] } (or createTestingPinia()), or app.use(createPinia()).use(auth).',
  ) as TestingAuthPlugin<TClaims, TUser>
  const install = plugin.install
  plugin.install = (app: App) => {
    install(app)
    const store = plugin.store as unknown as Record<string, (...args: any[]) => unknown>
    for (const action of ACTIONS) {
      const real = store[action]!
      store[action] = stubActions ? spy() : spy((...args: any[]) => real(...args))
    }
  }
  plugin.setSession = setSession
  plugin.endSession = (code = 'session_expired') => session.expireWith(code)
  return plugin
}
