import { endedMeanwhile, type Core } from './core'
import type { HeldElsewhere } from './crossTab'
import { AuthError, toAuthError } from './errors'
import { isOffline } from './env'
import type { Answer, HeldToken } from './tokens'
import type { RefreshReason } from './types'

// How long a tab that got the refresh lock waits for the token of a tab that refreshed before it
// (the lock manager says so before the channel delivers it); normally milliseconds away.
const HANDOVER_WAIT = 2000

/** Runs `fn` under the cross-tab refresh lock, or as it is without other tabs. */
export const underLock = <T>(core: Core, fn: () => Promise<T>): Promise<T> =>
  core.tabs ? core.tabs.withLock(fn) : fn()

/** The token of a login or refresh answer, numbered after the newest any tab holds. */
export const readAnswer = <TClaims>(
  core: Core<TClaims>,
  answer: Answer,
  what: string,
  newest: HeldElsewhere | null | undefined,
): HeldToken<TClaims> =>
  core.reader.read(answer, what, Math.max(core.held.value?.seq ?? 0, newest?.seq ?? 0) + 1)

/** The single-flight refresh, with its backoff, under the cross-tab lock. */
export function createRefresh<TClaims>(core: Core<TClaims>) {
  const { options, flight, backoff, client, held, status } = core
  const { bodyMode } = options

  /** A usable token arrived (from another tab) since `before` was current. */
  function newerSince(before: HeldToken<TClaims> | null): boolean {
    const now = held.value
    return now !== null && now !== before && !core.isExpired(now)
  }

  /**
   * Under the refresh lock: another tab holds a newer token than this one (the lock manager tells,
   * see crossTab.ts), whose message has not arrived yet. Chromium does not order a BroadcastChannel
   * message before a Web Lock grant (issue #11), so the token is asked for and waited for, instead
   * of refreshing a second time (in body mode, with a refresh token already rotated away).
   */
  async function awaitNewer(newest: HeldElsewhere | null | undefined) {
    if (!newest || newest.seq <= (held.value?.seq ?? 0) || newest.usableUntil <= Date.now()) return
    core.post({ type: 'request' })
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(wait)
        core.arrivals.delete(arrival)
        resolve()
      }
      const arrival = { seq: newest.seq, resolve: done }
      const wait = setTimeout(done, HANDOVER_WAIT)
      core.arrivals.add(arrival)
    })
  }

  /** No way to refresh, or none that may go now: the error to fail with, or nothing. */
  function cannotRefresh(): AuthError | undefined {
    if (!options.endpoints.refresh || (bodyMode && !core.refreshToken)) {
      const err = new AuthError(
        'session_expired',
        __DEV__
          ? options.endpoints.refresh
            ? 'There is no refresh token in memory (body mode keeps it only until a reload); sign in again.'
            : 'Refresh is disabled (endpoints.refresh is false); sign in again.'
          : '',
      )
      core.expire(err)
      return err
    }
    if (isOffline()) {
      // No request while offline: the `online` listener runs the check again.
      status.value = held.value ? 'authenticated' : 'unauthenticated'
      return core.report(
        new AuthError(
          'network',
          __DEV__
            ? 'The browser is offline. The session is kept and refreshes when the connection is back.'
            : '',
        ),
      )
    }
  }

  /** The refresh HTTP call, under the lock; `null` when another tab's token came instead. */
  function exchange(turn: number, before: HeldToken<TClaims> | null) {
    const endpoint = options.endpoints.refresh!
    // The lock covers the HTTP call only; accepting the token (watchers, callbacks) runs after.
    return underLock(core, async () => {
      const newest = await core.tabs?.newestElsewhere()
      // Another tab may have refreshed while this one waited for the lock: use its token.
      if (newerSince(before)) return null
      await awaitNewer(newest)
      if (newerSince(before)) return null
      const answer = await client.serial(() => {
        if (flight.superseded(turn)) throw endedMeanwhile()
        return client.send(endpoint, bodyMode ? bodyMode.send(core.refreshToken!) : undefined)
      })
      const token = readAnswer(core, answer, 'refresh', newest)
      if (flight.superseded(turn)) return token
      core.refreshToken = bodyMode?.read(answer.body) || core.refreshToken
      // Announced before the lock is released, so the next tab in line finds it.
      core.announce('token', token)
      return token
    })
  }

  async function run(reason: RefreshReason, turn: number): Promise<void> {
    if (backoff.tooLong()) throw backoff.state.lastError
    await backoff.wait()
    if (flight.superseded(turn)) throw endedMeanwhile()
    const cannot = cannotRefresh()
    if (cannot) throw cannot
    const before = held.value
    status.value = before ? 'refreshing' : 'restoring'
    const started = Date.now()
    core.emit({ type: 'refresh:start', reason })
    let fresh: HeldToken<TClaims> | null
    try {
      fresh = await exchange(turn, before)
    } catch (cause) {
      const err = toAuthError(cause, 'refresh', 'session_expired')
      core.emit({ type: 'refresh:failure', duration: Date.now() - started, error: err })
      if (flight.superseded(turn)) throw endedMeanwhile()
      if (err.code !== 'session_expired') {
        backoff.failed(err)
        status.value = held.value ? 'authenticated' : 'unauthenticated'
        core.schedule()
        throw core.report(err)
      }
      if (before) {
        core.expire(err)
        core.post({ type: 'expired', reason: err.message })
      } else {
        // Restore found no session: nothing ended, so this is not an error for the app.
        core.end(err)
        core.error.value = null
      }
      throw err
    }
    core.emit({ type: 'refresh:success', duration: Date.now() - started })
    if (flight.superseded(turn)) throw endedMeanwhile()
    backoff.reset()
    if (fresh) core.accept(fresh)
    else status.value = 'authenticated'
  }

  /** Single-flight: every caller while a refresh runs shares it. Rejects with an AuthError. */
  return (reason: RefreshReason = 'manual'): Promise<void> =>
    flight.run((turn) => run(reason, turn))
}
