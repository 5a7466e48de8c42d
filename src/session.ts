// The session engine: the access token the session holds (in memory only), login, logout,
// restore, and the single-flight refresh with its backoff and proactive timer, shared with the
// other tabs. The store, the doors (door.ts) and the guards are views of it. This file composes
// it; its parts are modules of their own: the state and its transitions (core.ts), the refresh
// (refresh.ts), the actions (actions.ts), and the policies they use: expiry.ts, backoff.ts,
// singleFlight.ts, endpoints.ts, crossTab.ts.
//
// How a session ends, in one vocabulary (core.ts):
// - signed out: `signOut()`, for a logout here or in another tab; no onSessionExpired.
// - expired: `expire(error)`, when the server refuses the refresh (here or in another tab), or
//   nothing can refresh; onSessionExpired runs once.
// - replaced: a login (here or in another tab) puts a new session in its place.
// - stopped: `stop()`, when the app unmounts.
// Each one starts a new turn of the flight (`nextTurn()`). An answer of an older turn is stale,
// `flight.superseded(turn)`, so nothing in flight when a session ended can bring it back.
import { createActions } from './actions'
import { createCore } from './core'
import { createTabSync } from './crossTab'
import { createDoor } from './door'
import { AuthError, type AuthErrorCode } from './errors'
import { isClient, listen } from './env'
import { createAuthFetch } from './fetch'
import { createFetchWithAuth } from './fetchWithAuth'
import { createOriginPolicy, type ResolvedOptions } from './options'
import { createRefresh } from './refresh'
import { onTabMessage } from './tabMessages'
import type { HeldToken } from './tokens'
import type { AuthEvent, AuthStatus } from './types'

export type Session<TClaims = unknown, TUser = unknown> = ReturnType<
  typeof createSession<TClaims, TUser>
>

export function createSession<TClaims, TUser>(options: ResolvedOptions<TClaims, TUser>) {
  const core = createCore(options, () => check())
  const { held, status, user, flight, backoff } = core
  const refresh = createRefresh(core)
  const cleanups: (() => void)[] = []
  let parked = 0

  const door = createDoor(
    {
      held: () => held.value,
      isExpired: core.isExpired,
      refresh,
      restoring: () => actions.restoring(),
      report: core.report,
      emit: core.emit,
      parked: (delta) => (parked += delta),
    },
    createOriginPolicy(options),
  )
  const $fetch = createAuthFetch(door, {
    baseURL: options.baseURL || undefined,
    ...options.fetchOptions,
  })
  const actions = createActions(core, refresh, $fetch)

  /**
   * Refreshes if the token is due, past its proactive point or expired. Run by the timer and on
   * focus, visibility and `online`, because throttled tabs and sleeping devices miss timers.
   */
  function check() {
    const token = held.value
    if (flight.running || core.stopped) return
    // The start-up restore failed on the network or a 5xx: try it again, not only after a reload.
    if (!token) return core.restoreFailed ? void actions.restore() : undefined
    const due = core.nextCheckAt()
    if (due === null) return
    // The outcome is recorded in `error` and `status`; the next check or request retries.
    if (Date.now() >= due || core.isExpired(token)) refresh('timer').catch(() => {})
    else core.schedule()
  }

  return {
    options,
    held,
    status,
    user,
    error: core.error,
    ready: core.ready,
    fetch: $fetch,
    fetchWithAuth: createFetchWithAuth(door),
    door,
    login: actions.login,
    logout: actions.logout,
    refresh,
    restore: actions.restore,
    fetchUser: actions.fetchUser,
    onLogin: actions.onLogin,
    /** A login is under way (the guards let it navigate by itself). */
    get loggingIn() {
      return actions.loggingIn
    },
    /** The roles `meta.roles` and `hasRole` check. */
    roles: (): string[] => options.roles(held.value?.claims ?? null, user.value),
    /** Adds a listener of session events; returns its removal. */
    onEvent(listener: (event: AuthEvent) => void): () => void {
      core.listeners.add(listener)
      return () => core.listeners.delete(listener)
    },
    /** Outside a browser there is no cookie to restore from: the session is known to be empty. */
    settle: core.settle,

    start() {
      core.stopped = false
      cleanups.push(
        listen('window', 'online', check),
        listen('window', 'focus', check),
        listen('document', 'visibilitychange', check),
        // Page Lifecycle: a frozen tab is resumed without a visibility change.
        listen('document', 'resume', check),
      )
      if (options.crossTab && isClient) {
        const { channel, lockTimeout } = options.crossTab
        const sync = (core.tabs = createTabSync(channel, lockTimeout, onTabMessage(core, actions)))
        cleanups.push(() => sync.close())
        // A live tab answers with its token, which may arrive before this tab's own restore.
        core.post({ type: 'request' })
      }
    },

    stop() {
      // Unmounted: a refresh still in flight must not re-arm timers or bring anything back.
      core.stopped = true
      core.nextTurn()
      for (const arrival of core.arrivals) arrival.resolve()
      for (const cleanup of cleanups.splice(0)) cleanup()
      core.tabs = null
    },

    /** For devtools: the timer's next look, the backoff, the flight, the tabs. */
    inspect: () => ({
      nextCheckAt: core.nextCheckAt(),
      backoff: backoff.state,
      refreshing: flight.running,
      parked,
      tabs: core.tabs?.state ?? null,
    }),

    /** Devtools action: treat the token as expired now, to watch the refresh flow happen. */
    expireLocally() {
      const token = held.value
      if (!token) return
      const now = Date.now()
      const receivedAt = Math.min(token.receivedAt, now)
      held.value = { ...token, expiresAt: now, receivedAt, roundTrip: 0 }
      check()
    },

    /** Testing kit: puts a session in place (`token` null: none) as a restore would, unsent. */
    seed(token: HeldToken<TClaims> | null, seededUser: TUser | null, seededStatus: AuthStatus) {
      core.nextTurn()
      held.value = token
      user.value = seededUser
      status.value = seededStatus
      core.error.value = null
      if (seededStatus !== 'unknown' && seededStatus !== 'restoring') core.settle()
    },

    /** Testing kit: the session expires as if the server had refused the refresh. */
    expireWith(code: AuthErrorCode) {
      core.expire(
        new AuthError(code, __DEV__ ? 'The session ended (endSession() of the testing kit).' : ''),
      )
      core.settle()
    },
  }
}
