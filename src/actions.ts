import type { $Fetch } from 'ofetch'
import type { Core } from './core'
import { endedMeanwhile } from './core'
import { AuthError, toAuthError } from './errors'
import { readAnswer, underLock } from './refresh'
import type { Answer, HeldToken } from './tokens'
import type { LogoutOptions, RefreshReason } from './types'

/**
 * Signs in under the refresh lock. `loggedOut()` tells whether a logout happened since it began:
 * then the new session is revoked at once instead of taking over.
 */
async function signIn<TClaims, TUser>(
  core: Core<TClaims, TUser>,
  credentials: object,
  loggedOut: () => boolean,
  loadUser: () => Promise<void>,
): Promise<void> {
  const { options, flight, client, user } = core
  const { endpoints, bodyMode } = options
  const endpoint = endpoints.login
  if (!endpoint) {
    throw core.report(
      new AuthError(
        'misconfigured',
        __DEV__ ? 'login() needs endpoints.login; it is set to false.' : '',
      ),
    )
  }
  // A failed login leaves the current session, and its running refresh, as they were.
  const turn = await underLock(core, async () => {
    let answer: Answer
    let token: HeldToken<TClaims>
    try {
      answer = await client.serial(() => client.send(endpoint, credentials, false))
      token = readAnswer(core, answer, 'login', await core.tabs?.newestElsewhere())
    } catch (cause) {
      throw core.report(toAuthError(cause, 'login', 'invalid_credentials'))
    }
    const body = answer.body as { user?: unknown } | null
    if (loggedOut()) {
      // The browser already holds this login's refresh cookie: revoke that session too.
      sendLogout(core, bodyMode?.read(body) ?? null, false).catch((cause: unknown) =>
        core.report(toAuthError(cause, 'logout', 'unauthorized')),
      )
      throw core.report(
        new AuthError(
          'unauthorized',
          __DEV__ ? 'You logged out while this login was in flight; sign in again.' : '',
        ),
      )
    }
    core.nextTurn()
    core.refreshToken = bodyMode?.read(body) ?? null
    core.restoreFailed = false
    user.value = body && typeof body.user === 'object' ? (body.user as TUser) : null
    core.accept(token)
    // Announced before the lock is released, so a tab waiting for it takes this session instead
    // of refreshing the one it had.
    core.announce('login', token)
    return flight.turn
  })
  if (endpoints.user) await loadUser()
  if (flight.superseded(turn)) throw endedMeanwhile()
  core.emit({ type: 'login', user: user.value })
}

/** Asks the server to revoke the session (or every session of the user). */
async function sendLogout(core: Core, token: string | null, everywhere: boolean) {
  const { endpoints, bodyMode } = core.options
  const endpoint = endpoints.logout
  if (!endpoint || (bodyMode && !token)) return
  const body = {
    ...(bodyMode && token ? bodyMode.send(token) : {}),
    ...(everywhere ? { everywhere: true } : {}),
  }
  await core.client.send(endpoint, Object.keys(body).length ? body : undefined)
}

/** The store's actions: login, logout, restore and fetchUser, on the session's core. */
export function createActions<TClaims, TUser>(
  core: Core<TClaims, TUser>,
  refresh: (reason: RefreshReason) => Promise<void>,
  $fetch: $Fetch,
) {
  const { options, flight, held, status, user } = core
  const { endpoints, bodyMode } = options
  const afterLogin = new Set<() => Promise<void>>()
  // Logouts in this tab, so a login answered after one is dropped.
  let logouts = 0
  let loggingIn = false
  let restoring: Promise<void> | null = null
  // The restore's refresh, which requests wait for. Not the whole restore: its user load is a
  // request too, and would wait for itself.
  let restoringToken: Promise<void> | null = null

  /** Loads the user from `endpoints.user` with the current token. */
  async function fetchUser(): Promise<TUser | null> {
    const endpoint = endpoints.user
    if (!endpoint) return user.value
    const turn = flight.turn
    const loaded = await $fetch<TUser>(endpoint.url, {
      method: endpoint.method as 'GET',
      baseURL: '',
    })
    // A logout (or another login) while it loaded: that user is no longer this session's.
    if (flight.superseded(turn)) throw endedMeanwhile()
    return (user.value = loaded)
  }

  /** The session is valid even when the user endpoint fails; the failure is kept in `error`. */
  const loadUser = (): Promise<void> =>
    fetchUser().then(
      () => {},
      (cause: unknown) => {
        core.report(toAuthError(cause, 'user', 'unauthorized'))
      },
    )

  return {
    fetchUser,
    loadUser,
    /** The refresh of the start-up restore while it runs (requests wait for its token). */
    restoring: () => restoringToken,
    get loggingIn() {
      return loggingIn
    },
    /** Runs `hook` after each successful login (the guards navigate there); returns its removal. */
    onLogin(hook: () => Promise<void>): () => void {
      afterLogin.add(hook)
      return () => afterLogin.delete(hook)
    },

    async login(credentials: object): Promise<void> {
      loggingIn = true
      try {
        const logoutsBefore = logouts
        await signIn(core, credentials, () => logouts !== logoutsBefore, loadUser)
        // With a router: go to the `redirect` query if it is a safe same-origin path, else home.
        for (const hook of afterLogin) await hook()
      } finally {
        loggingIn = false
      }
    },

    async logout({ everywhere = false }: LogoutOptions = {}): Promise<void> {
      logouts++
      const token = core.refreshToken
      core.refreshToken = null
      core.signOut(everywhere)
      core.post({ type: 'logout', everywhere })
      // Sent at once, even while a refresh is in flight: the server revokes the whole token family,
      // so whatever that refresh rotated to is revoked with it.
      try {
        await sendLogout(core, token, everywhere)
      } catch (cause) {
        // The local session is gone either way; the caller learns the server may not have revoked.
        throw core.report(toAuthError(cause, 'logout', 'unauthorized'))
      }
    },

    /** Restores a session from the refresh cookie; never rejects (the outcome is in `status`). */
    restore(): Promise<void> {
      if (restoring) return restoring
      if (!options.restore || !endpoints.refresh || bodyMode) {
        // Body mode keeps the refresh token in memory only: after a reload there is nothing to send.
        if (!held.value) status.value = 'unauthenticated'
        core.settle()
        return Promise.resolve()
      }
      status.value = 'restoring'
      core.restoreFailed = false
      const refreshed = refresh('restore')
      restoringToken = refreshed.then(
        () => {},
        () => {},
      )
      const restored: Promise<void> = (restoring = refreshed
        .then(async () => {
          restoringToken = null
          if (endpoints.user) await loadUser()
        })
        .catch((err: unknown) => {
          // The outcome is in status and error; restore only settles. A blip is retried with
          // backoff (and on `online`), so a session that exists is found once the server answers.
          if (held.value) return
          status.value = 'unauthenticated'
          if (err instanceof AuthError && (err.code === 'network' || err.code === 'server')) {
            core.restoreFailed = true
            core.schedule()
          }
        })
        .finally(() => {
          restoring = restoringToken = null
          core.settle()
        }))
      return restored
    },
  }
}
