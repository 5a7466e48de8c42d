import type { $Fetch } from 'ofetch'
import type { Pinia } from 'pinia'
import type { App } from 'vue'
import { AuthError } from './errors'
import { isClient } from './env'
import { installGuards } from './guards'
import { resolveOptions, type ResolvedOptions } from './options'
import { createSession, type Session } from './session'
import { registerDoor, sessionKey, sessions, storeOf, type AuthStore } from './store'
import type { AuthEvent, AuthOptions, DefaultClaims, DefaultUser } from './types'

/** The plugin `createAuth()` returns. */
export interface AuthPlugin<TClaims = DefaultClaims, TUser = DefaultUser> {
  /** Installs the store, the guards (with `router`) and devtools; Pinia must be installed first. */
  install(app: App): void
  /** Resolves once the start-up session restore has settled; never rejects. */
  readonly ready: Promise<void>
  /** The authenticated ofetch instance, the same as `useAuthFetch()` returns. */
  readonly fetch: $Fetch
  /** `fetch` with the session, the same as `useFetchWithAuth()` returns. */
  readonly fetchWithAuth: typeof fetch
  /** The auth store; usable after `app.use(auth)`. */
  readonly store: AuthStore<TClaims, TUser>
}

/**
 * Creates the auth plugin: an in-memory access token, a refresh token in an HttpOnly cookie (or in
 * memory, in body mode), one shared refresh for every 401, and route guards when given a router.
 *
 * @param options - see {@link AuthOptions}; every option is optional
 * @example
 * ```ts
 * const auth = createAuth({ baseURL: '/api', router })
 * app.use(createPinia()).use(router).use(auth)
 * await auth.ready
 * const items = await auth.fetch('/items')
 * ```
 */
export function createAuth<TClaims = DefaultClaims, TUser = DefaultUser>(
  options: AuthOptions<TClaims, TUser> = {},
): AuthPlugin<TClaims, TUser> {
  const resolved = resolveOptions(options)
  return createPlugin(createSession<TClaims, TUser>(resolved), resolved, true)
}

/**
 * The plugin around a session. `live`: the app's session, started at install (tab sync, listeners,
 * devtools, the start-up restore); the testing kit's is not, and nothing of it runs by itself.
 * `withoutPinia`: the message of the error when Pinia is not installed first.
 */
export function createPlugin<TClaims, TUser>(
  session: Session<TClaims, TUser>,
  resolved: ResolvedOptions<TClaims, TUser>,
  live: boolean,
  withoutPinia = __DEV__
    ? 'app.use(auth) was called before Pinia was installed. Call app.use(createPinia()) first, then app.use(auth).'
    : '',
): AuthPlugin<TClaims, TUser> {
  let pinia: Pinia | undefined
  const plugin: AuthPlugin<TClaims, TUser> = {
    ready: session.ready,
    fetch: session.fetch,
    fetchWithAuth: session.fetchWithAuth,
    get store() {
      if (!pinia) {
        throw new AuthError(
          'misconfigured',
          __DEV__ ? 'auth.store was read before app.use(auth); install the plugin first.' : '',
        )
      }
      return storeOf<TClaims, TUser>(pinia)
    },
    install(app) {
      pinia = app.config.globalProperties.$pinia as Pinia | undefined
      if (!pinia) {
        throw new AuthError('misconfigured', __DEV__ ? withoutPinia : '')
      }
      sessions.set(pinia, session)
      app.provide(sessionKey, session)
      // Create the store now so its state exists before the first navigation or render.
      storeOf(pinia)
      if (resolved.router) app.onUnmount(installGuards(resolved.router, session))
      if (!live) return
      if (__DEV__ && resolved.devtools && isClient) {
        // A dynamic import, so that production builds drop even the import of @vue/devtools-api.
        // Events of the first moments (the start-up restore) arrive before the module does.
        const early: { at: number; event: AuthEvent }[] = []
        let stop = session.onEvent((event) => early.push({ at: Date.now(), event }))
        let unmounted = false
        void import('./devtools').then(({ setupDevtools }) => {
          if (unmounted) return
          stop()
          stop = setupDevtools(app, session, early)
        })
        app.onUnmount(() => {
          unmounted = true
          stop()
        })
      }
      if (isClient) {
        session.start()
        app.onUnmount(session.stop)
        void session.restore()
      } else {
        session.settle()
      }
    },
  }
  registerDoor(plugin, session.door)
  return plugin
}
