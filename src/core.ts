import { shallowRef, toRaw, type Ref, type ShallowRef } from 'vue'
import { createBackoff } from './backoff'
import type { TabMessage, TabSync } from './crossTab'
import { createEndpointClient } from './endpoints'
import { AuthError } from './errors'
import { isClient, isOffline } from './env'
import { refreshDueAt, usableUntil } from './expiry'
import type { ResolvedOptions } from './options'
import { createSingleFlight } from './singleFlight'
import { createTokenReader, type HeldToken } from './tokens'
import type { AuthEvent, AuthStatus } from './types'

/** The error of a request or refresh that outlived its session. */
export const endedMeanwhile = () =>
  new AuthError(
    'unauthorized',
    __DEV__
      ? 'The session ended (logout or a new login) while this refresh was running; sign in again.'
      : '',
  )

/**
 * The session's state and the transitions every part of the engine shares (see session.ts for
 * how a session ends). `check` is what the timer runs: the session's proactive refresh.
 */
export function createCore<TClaims, TUser>(
  options: ResolvedOptions<TClaims, TUser>,
  check: () => void,
) {
  const held: ShallowRef<HeldToken<TClaims> | null> = shallowRef(null)
  const status: Ref<AuthStatus> = shallowRef('unknown')
  const user: Ref<TUser | null> = shallowRef(null)
  const error: ShallowRef<AuthError | null> = shallowRef(null)
  const listeners = new Set<(event: AuthEvent) => void>()
  let timer: ReturnType<typeof setTimeout> | undefined
  let resolveReady!: () => void

  const core = {
    options,
    held,
    status,
    user,
    error,
    ready: new Promise<void>((resolve) => (resolveReady = resolve)),
    settle: () => resolveReady(),
    backoff: createBackoff(),
    // A check the timer ran while a refresh was on the wire did nothing: look again once it settles.
    flight: createSingleFlight(() => core.schedule()),
    client: createEndpointClient(options),
    reader: createTokenReader<TClaims>(options),
    listeners,
    tabs: null as TabSync | null,
    /** Body mode only: the refresh token, in this closure and nowhere else. */
    refreshToken: null as string | null,
    /** The last restore failed on the network or a 5xx: whether there is a session is unknown. */
    restoreFailed: false,
    /** Tokens in a row that arrived with too little life to use (see nextCheckAt). */
    shortInARow: 0,
    /** Unmounted: nothing may run by itself any more. */
    stopped: false,
    /** Refreshes under the lock waiting for a token another tab holds (see refresh.ts). */
    arrivals: new Set<{ seq: number; resolve: () => void }>(),

    emit(event: AuthEvent) {
      options.onEvent?.(event)
      for (const listener of listeners) listener(event)
    },

    /** Records `err` as the session's last error and hands it back, for `throw report(err)`. */
    report(err: AuthError): AuthError {
      error.value = err
      return err
    },

    /** A new turn: the old one's refresh is let go of (its callers reject with `reason`). */
    nextTurn(reason: AuthError = endedMeanwhile()) {
      core.flight.next(reason)
      core.backoff.reset()
      clearTimeout(timer)
    },

    accept(token: HeldToken<TClaims>) {
      held.value = token
      status.value = 'authenticated'
      error.value = null
      const due = refreshDueAt(token, options.refreshLeeway * 1000)
      core.shortInARow = due !== null && due <= token.receivedAt ? core.shortInARow + 1 : 0
      for (const arrival of core.arrivals) if (token.seq >= arrival.seq) arrival.resolve()
      void core.tabs?.holding(token.seq, usableUntil(token))
      core.schedule()
    },

    /** Ends the session: the token, the user and the turn go. */
    end(reason?: AuthError) {
      core.nextTurn(reason)
      held.value = user.value = null
      status.value = 'unauthenticated'
      void core.tabs?.holding(null)
    },

    /** Signed out (a logout here or in another tab): no onSessionExpired. */
    signOut(everywhere: boolean) {
      core.end()
      error.value = null
      core.emit({ type: 'logout', everywhere })
    },

    /** Expired: the server refused the session; the app hears of it once. */
    expire(err: AuthError) {
      const hadSession = held.value !== null
      core.end(err)
      core.report(err)
      // Once per session: ending it leaves nothing to expire a second time.
      if (!hadSession) return
      core.emit({ type: 'session:expired', error: err })
      try {
        options.onSessionExpired?.(err)
      } catch (callbackError) {
        // The app's callback failed: surface it as an uncaught error rather than swallow it,
        // without letting it break the session bookkeeping above.
        queueMicrotask(() => {
          throw callbackError
        })
      }
    },

    /** The token must not leave again: answered 401, or too close to its end (expiry.ts). */
    isExpired: (token: HeldToken<unknown>) => token.rejected || Date.now() >= usableUntil(token),

    /** When the timer should next look at the session: a backoff retry or the proactive refresh. */
    nextCheckAt(): number | null {
      const token = held.value
      const { state } = core.backoff
      if (state.failures && (token || core.restoreFailed)) return state.retryAt
      if (!token) return null
      const due = refreshDueAt(token, options.refreshLeeway * 1000)
      // A token that arrived with too little life is refreshed at once, but not twice in a row:
      // when every token arrives nearly dead (a server slower than its tokens are long), requests
      // refresh as they need to, instead of a timer refreshing in a loop.
      return due !== null && due <= token.receivedAt && core.shortInARow > 1 ? null : due
    },

    schedule() {
      clearTimeout(timer)
      // On a server (SSR) nothing would ever stop the timer, and after unmount nothing should run.
      // Offline, nothing may be sent: the `online` listener checks again. (A timer here looped:
      // each check failed at once and re-armed it for now.)
      const due = isClient && !core.stopped && !isOffline() ? core.nextCheckAt() : null
      // Browsers run delays above 2^31-1 ms at once; a far expiry is re-armed by the re-checks.
      if (due !== null)
        timer = setTimeout(check, Math.min(Math.max(0, due - Date.now()), 2 ** 31 - 1))
    },

    post(message: TabMessage) {
      if (!core.tabs) return
      core.tabs.post(message)
      core.emit({ type: 'tab:sent', message: message.type })
    },

    /**
     * Shares a token with the other tabs, and tells the lock manager this tab holds it, before the
     * refresh lock is released (see crossTab.ts).
     */
    announce(type: 'login' | 'token', token: HeldToken<TClaims>) {
      const { claims: _, rejected: __, ...shared } = token
      core.post({
        type,
        token: shared,
        clock: core.reader.clock,
        user: toRaw(user.value),
        ...(options.bodyMode ? { refreshToken: core.refreshToken } : {}),
      })
      void core.tabs?.holding(token.seq, usableUntil(token))
    },
  }
  return core
}

export type Core<TClaims = any, TUser = any> = ReturnType<typeof createCore<TClaims, TUser>>
