import type { Core } from './core'
import type { TabMessage } from './crossTab'
import { AuthError } from './errors'
import { decodeClaims } from './tokens'

/** What this tab does with each message of the others (crossTab.ts carries them). */
export function onTabMessage<TClaims, TUser>(
  core: Core<TClaims, TUser>,
  actions: { loadUser(): Promise<void> },
) {
  const { held, status, user, backoff, reader, options } = core
  return (message: TabMessage) => {
    core.emit({ type: 'tab:received', message: message.type })
    const current = held.value
    switch (message.type) {
      case 'login':
      case 'token': {
        if (message.type === 'login') {
          core.nextTurn()
          user.value = null // the other tab may have signed in someone else
          core.restoreFailed = false
        } else if (
          // A tab signed out here must not be signed back in by a refresh that raced the logout,
          // nor take an older token than its own: in body mode its refresh token was rotated away.
          status.value === 'unauthenticated' ||
          (current &&
            !core.isExpired(current) &&
            (message.token.token === current.token || message.token.seq < current.seq))
        ) {
          return
        }
        reader.narrow(message.clock)
        // A login elsewhere is a new session, its refresh token (body mode) included, even none:
        // the previous session's must not be presented for the new one.
        if (message.type === 'login') core.refreshToken = message.refreshToken ?? null
        else if (message.refreshToken) core.refreshToken = message.refreshToken
        if (message.user != null) user.value = message.user as TUser
        backoff.reset()
        const claims = decodeClaims<TClaims>(message.token.token)
        core.accept({ ...message.token, claims, rejected: false })
        if (message.type === 'login' && options.endpoints.user && !message.user) {
          void actions.loadUser()
        }
        return
      }
      case 'logout':
        // A logout, not an expiry: no onSessionExpired; the guards still leave protected pages.
        if (current) core.signOut(message.everywhere)
        return
      case 'expired':
        if (current) {
          core.expire(
            new AuthError(
              'session_expired',
              __DEV__ ? `The session ended in another tab. ${message.reason}` : '',
            ),
          )
        }
        return
      case 'request':
        if (current && !core.isExpired(current)) core.announce('token', current)
    }
  }
}
