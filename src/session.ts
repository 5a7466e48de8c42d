import { ofetch } from 'ofetch'
import { shallowRef, toRaw, type Ref, type ShallowRef } from 'vue'
import { AuthError, retryAfterMs, toAuthError, type AuthErrorCode } from './errors'
import { isClient, isOffline, lazyFetch, listen, readCookie } from './env'
import type { Door } from './door'
import { createAuthFetch } from './fetch'
import { createFetchWithAuth } from './fetchWithAuth'
import { AUTH_TIMEOUT, createOriginPolicy, type Endpoint, type ResolvedOptions } from './options'
import { combineOffsets, refreshDueAt, usableUntil, type ClockOffset } from './expiry'
import { decodeClaims, readTokenSet, type TokenSet } from './tokens'
import {
  createTabSync,
  type HeldElsewhere,
  type SharedTokens,
  type TabMessage,
  type TabSync,
} from './crossTab'
import type { AuthEvent, AuthStatus, LogoutOptions, RefreshReason } from './types'

/** Backoff of the refresh after transient failures, for devtools and tests. */
export interface BackoffState {
  failures: number
  lastError: AuthError | null
  /** Local-clock ms before which no refresh request is sent. */
  retryAt: number
}

// Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at 30 s, each scaled by 0.5–1.
const BACKOFF_BASE = 1000
const BACKOFF_CAP = 30_000
// How long a tab that got the refresh lock waits for the token of a tab that refreshed before it
// (the lock manager says so before the channel delivers it); the message is normally milliseconds away.
const HANDOVER_WAIT = 2000

export type Session<TClaims = unknown, TUser = unknown> = ReturnType<
  typeof createSession<TClaims, TUser>
>

/**
 * The session engine: the in-memory token, login, logout, restore, and the single-flight refresh
 * with its backoff and proactive timer. The Pinia store and the fetch instance are views of it.
 */
export function createSession<TClaims, TUser>(options: ResolvedOptions<TClaims, TUser>) {
  const { endpoints, bodyMode } = options
  const authFetch = ofetch.create(
    { credentials: options.credentials, retry: 0, timeout: AUTH_TIMEOUT },
    { fetch: options.authFetch ?? lazyFetch },
  )

  const tokens: ShallowRef<TokenSet<TClaims> | null> = shallowRef(null)
  const status: Ref<AuthStatus> = shallowRef('unknown')
  const user: Ref<TUser | null> = shallowRef(null)
  const error: ShallowRef<AuthError | null> = shallowRef(null)
  const backoff: BackoffState = { failures: 0, retryAt: 0, lastError: null }

  // Body mode only: the refresh token, in this closure and nowhere else.
  let refreshToken: string | null = null
  // Bumped by login, logout and session end: a refresh answer from an older generation is dropped,
  // so a refresh that was in flight when the user logged out cannot bring the session back.
  let generation = 0
  // Rejects the requests parked on the current refresh the moment its generation ends (logout, new
  // login), without waiting for the HTTP answer.
  let endFlight: ((reason: AuthError) => void) | null = null
  // Logouts in this tab, so a login answered after one is dropped.
  let logouts = 0
  // The current generation's shared refresh.
  let inflight: Promise<void> | null = null
  // The last refresh or login request of any generation: a tab never has two in flight.
  let lastRequest: Promise<unknown> = Promise.resolve()
  let expiredNotified = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let restoring: Promise<void> | null = null
  // The last restore failed on the network or a 5xx, so whether there is a session is unknown.
  let restoreFailed = false
  let stopped = false
  let tabs: TabSync | null = null
  // What login and refresh answers said of the server's clock, narrowed with each one.
  let clock: ClockOffset | null = null
  // Tokens in a row that arrived with too little life to use (see nextCheckAt).
  let shortInARow = 0
  // Requests of a refresh under the lock for a token another tab holds (see awaitNewer).
  const arrivals = new Set<{ seq: number; resolve: () => void }>()
  // Requests parked on the refresh right now, for devtools.
  let waiting = 0
  const listeners = new Set<(event: AuthEvent) => void>()
  const cleanups: (() => void)[] = []

  let resolveReady!: () => void
  const ready = new Promise<void>((resolve) => (resolveReady = resolve))

  function emit(event: AuthEvent) {
    options.onEvent?.(event)
    for (const listener of listeners) listener(event)
  }

  /** Records `err` as the session's last error and hands it back, for `throw report(err)`. */
  function report(err: AuthError): AuthError {
    error.value = err
    return err
  }

  /** Starts a new generation; requests parked on the old one's refresh fail with `reason`. */
  function newGeneration(reason: AuthError = endedMeanwhile()) {
    generation++
    endFlight?.(reason)
    endFlight = null
    inflight = null
    resetBackoff()
    clearTimeout(timer)
  }

  function resetBackoff() {
    backoff.failures = 0
    backoff.retryAt = 0
    backoff.lastError = null
  }

  function authHeaders(): Record<string, string> {
    const { csrf } = options
    if (!csrf) return {}
    const value = 'cookie' in csrf ? readCookie(csrf.cookie) : csrf.value()
    return value ? { [csrf.header]: value } : {}
  }

  /**
   * Runs a cookie-setting request (refresh, login) after the previous one settled, in this tab.
   * With the cross-tab lock around it too, the last Set-Cookie the browser applies is always the
   * newest: a late refresh answer can never put an older session's cookie over a fresh login's.
   */
  function serialized<T>(send: () => Promise<T>): Promise<T> {
    // Chained synchronously, so two callers waiting on the same request still go one by one.
    const sent = lastRequest.then(send)
    lastRequest = sent.catch(() => {})
    return sent
  }

  /** Sends an auth request; the times on the local clock place the answer's token (expiry.ts). */
  async function request(endpoint: Endpoint, body?: object) {
    const sentAt = Date.now()
    const response = await authFetch.raw(endpoint.url, {
      method: endpoint.method as 'POST',
      body: body as Record<string, unknown> | undefined,
      // A refresh must end before another tab may steal the lock it holds (see AUTH_TIMEOUT).
      timeout: options.crossTab
        ? Math.min(AUTH_TIMEOUT, options.crossTab.lockTimeout - 1000)
        : AUTH_TIMEOUT,
      headers: endpoint === endpoints.login ? {} : authHeaders(),
    })
    return { response, body: response._data as unknown, sentAt, receivedAt: Date.now() }
  }

  /**
   * The token of a login or refresh answer; narrows the clock evidence with it. Read under the
   * refresh lock, so `newest` (what other tabs hold) gives it the next `seq`.
   */
  function readAnswer(
    answer: Awaited<ReturnType<typeof request>>,
    what: string,
    newest: HeldElsewhere | null | undefined,
  ) {
    const read = readTokenSet<TClaims>(
      options,
      { ...answer, headers: answer.response.headers },
      clock,
      what,
    )
    clock = read.clock
    read.set.seq = Math.max(tokens.value?.seq ?? 0, newest?.seq ?? 0) + 1
    return read.set
  }

  function accept(set: TokenSet<TClaims>) {
    tokens.value = set
    status.value = 'authenticated'
    error.value = null
    expiredNotified = false
    const due = refreshDueAt(set, options.refreshLeeway * 1000)
    shortInARow = due !== null && due <= set.receivedAt ? shortInARow + 1 : 0
    for (const arrival of arrivals) if (set.seq >= arrival.seq) arrival.resolve()
    void tabs?.holding(set.seq, usableUntil(set))
    schedule()
  }

  function clearSession(reason?: AuthError) {
    newGeneration(reason)
    tokens.value = null
    user.value = null
    status.value = 'unauthenticated'
    void tabs?.holding(null)
  }

  /** The session ended without a logout: clear it and tell the app once. */
  function expire(err: AuthError) {
    const hadSession = tokens.value !== null
    clearSession(err)
    report(err)
    if (!hadSession || expiredNotified) return
    expiredNotified = true
    emit({ type: 'session:expired', error: err })
    try {
      options.onSessionExpired?.(err)
    } catch (callbackError) {
      // The app's callback failed: surface it as an uncaught error rather than swallow it, without
      // letting it break the session bookkeeping above.
      queueMicrotask(() => {
        throw callbackError
      })
    }
  }

  // --- timing -------------------------------------------------------------------------------

  /** The token must not leave again: answered 401, or too close to its end (expiry.ts). */
  function isExpired(set: TokenSet<TClaims>, now = Date.now()): boolean {
    return set.rejected || now >= usableUntil(set)
  }

  /** When the timer should next look at the session: a backoff retry or the proactive refresh. */
  function nextCheckAt(): number | null {
    const set = tokens.value
    if (backoff.failures && (set || restoreFailed)) return backoff.retryAt
    if (!set) return null
    const due = refreshDueAt(set, options.refreshLeeway * 1000)
    // A token that arrived with too little life is refreshed at once, but not twice in a row: when
    // every token arrives nearly dead (a server slower than its tokens are long), requests refresh
    // as they need to, instead of a timer refreshing in a loop.
    return due !== null && due <= set.receivedAt && shortInARow > 1 ? null : due
  }

  function schedule() {
    clearTimeout(timer)
    // On a server (SSR) nothing would ever stop the timer, and after unmount nothing should run.
    if (!isClient || stopped) return
    const due = nextCheckAt()
    if (due === null) return
    // Browsers run delays above 2^31-1 ms at once; a far expiry is re-armed by the re-checks.
    timer = setTimeout(check, Math.min(Math.max(0, due - Date.now()), 2 ** 31 - 1))
  }

  /**
   * Refreshes if the token is due, past its proactive point or expired. Called by the timer and on
   * focus, visibility and `online`, because throttled tabs and sleeping devices miss timers.
   */
  function check() {
    const set = tokens.value
    if (inflight || stopped) return
    // The start-up restore failed on the network or a 5xx: try it again, not only after a reload.
    if (!set) return restoreFailed ? void restore() : undefined
    const due = nextCheckAt()
    if (due === null) return
    if (Date.now() >= due || isExpired(set)) {
      // The outcome is recorded in `error` and `status`; the next check or request retries.
      refresh('timer').catch(() => {})
    } else {
      schedule()
    }
  }

  function waitForBackoff(): Promise<void> {
    const wait = backoff.retryAt - Date.now()
    return wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : Promise.resolve()
  }

  function recordFailure(err: AuthError) {
    backoff.lastError = err
    backoff.failures++
    const exp = Math.min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (backoff.failures - 1))
    const jittered = exp * (0.5 + Math.random() / 2)
    const now = Date.now()
    backoff.retryAt = now + (retryAfterMs(err.cause, now) ?? jittered)
  }

  // --- refresh --------------------------------------------------------------------------------

  /** Single-flight: every caller while a refresh runs shares it. Rejects with an AuthError. */
  function refresh(reason: RefreshReason = 'manual'): Promise<void> {
    if (inflight) return inflight
    // Each flight gets its own "ended" promise: one long-lived promise raced by every flight would
    // collect a reaction per refresh for as long as the generation lasts.
    const ended = new Promise<never>((_, reject) => (endFlight = reject))
    const flight: Promise<void> = Promise.race([runRefresh(reason), ended]).finally(() => {
      if (inflight !== flight) return
      inflight = null
      endFlight = null
      // A check the timer ran while this flight was on the wire did nothing: look again now.
      schedule()
    })
    inflight = flight
    return flight
  }

  function endedMeanwhile(): AuthError {
    return new AuthError(
      'unauthorized',
      'The session ended (logout or a new login) while this refresh was running; sign in again.',
    )
  }

  async function runRefresh(reason: RefreshReason): Promise<void> {
    const gen = generation
    // A long Retry-After is honoured by the timer; a request does not hang on it, it fails now.
    if (backoff.lastError && backoff.retryAt - Date.now() > BACKOFF_CAP) throw backoff.lastError
    await waitForBackoff()
    if (gen !== generation) throw endedMeanwhile()
    const endpoint = endpoints.refresh
    if (!endpoint || (bodyMode && !refreshToken)) {
      const err = new AuthError(
        'session_expired',
        endpoint
          ? 'There is no refresh token in memory (body mode keeps it only until a reload); sign in again.'
          : 'Refresh is disabled (endpoints.refresh is false); sign in again.',
      )
      expire(err)
      throw err
    }
    if (isOffline()) {
      // No request while offline: the `online` listener runs the check again.
      status.value = tokens.value ? 'authenticated' : 'unauthenticated'
      throw report(
        new AuthError(
          'network',
          'The browser is offline. The session is kept and refreshes when the connection is back.',
        ),
      )
    }
    const before = tokens.value
    const hadSession = before !== null
    status.value = hadSession ? 'refreshing' : 'restoring'
    const started = Date.now()
    emit({ type: 'refresh:start', reason })
    let set: TokenSet<TClaims> | null
    try {
      // The lock covers the HTTP call only; accepting the token (watchers, callbacks) runs after.
      set = await lockRefresh(async () => {
        // Another tab may have refreshed while this one waited for the lock: use its token.
        if (adoptedSince(before)) return null
        const newest = await tabs?.newestElsewhere()
        if (await awaitNewer(newest, before)) return null
        const answer = await serialized(() => {
          if (gen !== generation) throw endedMeanwhile()
          return request(endpoint, bodyMode ? bodyMode.send(refreshToken!) : undefined)
        })
        const fresh = readAnswer(answer, 'refresh', newest)
        const rotated = bodyMode?.read(answer.body)
        if (rotated && gen === generation) refreshToken = rotated
        // Announced before the lock is released, so the next tab in line finds it.
        if (gen === generation) announce('token', fresh)
        return fresh
      })
    } catch (cause) {
      const err = toAuthError(cause, 'refresh', 'session_expired')
      emit({ type: 'refresh:failure', duration: Date.now() - started, error: err })
      if (gen !== generation) throw endedMeanwhile()
      if (err.code === 'session_expired') {
        if (hadSession) {
          expire(err)
          post({ type: 'expired', reason: err.message })
        } else {
          // Restore found no session: nothing ended, so this is not an error for the app.
          clearSession(err)
          error.value = null
        }
        throw err
      }
      recordFailure(err)
      status.value = tokens.value ? 'authenticated' : 'unauthenticated'
      schedule()
      throw report(err)
    }
    emit({ type: 'refresh:success', duration: Date.now() - started })
    if (gen !== generation) throw endedMeanwhile()
    resetBackoff()
    if (set) accept(set)
    else status.value = 'authenticated'
  }

  // --- tabs -----------------------------------------------------------------------------------

  const lockRefresh = <T>(fn: () => Promise<T>): Promise<T> => (tabs ? tabs.withLock(fn) : fn())

  /** A usable token arrived from another tab since `before` was current. */
  function adoptedSince(before: TokenSet<TClaims> | null): boolean {
    const now = tokens.value
    return now !== null && now !== before && !isExpired(now)
  }

  /**
   * Under the refresh lock: another tab holds a newer token than this one (the lock manager tells,
   * see crossTab.ts), whose message has not arrived yet. Chromium does not order a BroadcastChannel
   * message before a Web Lock grant (issue #11), so the token is asked for and waited for, instead
   * of refreshing a second time (in body mode, with a refresh token already rotated away).
   */
  async function awaitNewer(
    newest: HeldElsewhere | null | undefined,
    before: TokenSet<TClaims> | null,
  ): Promise<boolean> {
    const mine = tokens.value?.seq ?? 0
    if (!newest || newest.seq <= mine || newest.usableUntil <= Date.now()) return false
    post({ type: 'request' })
    await new Promise<void>((resolve) => {
      const arrival = { seq: newest.seq, resolve: () => done() }
      const timer = setTimeout(() => done(), HANDOVER_WAIT)
      const done = () => {
        clearTimeout(timer)
        arrivals.delete(arrival)
        resolve()
      }
      arrivals.add(arrival)
    })
    return adoptedSince(before)
  }

  /**
   * Shares a token this tab got with the others, and tells the lock manager it holds it, before the
   * refresh lock is released (see crossTab.ts).
   */
  function announce(type: 'login' | 'token', set: TokenSet<TClaims>) {
    share(type, set)
    void tabs?.holding(set.seq, usableUntil(set))
  }

  function post(message: TabMessage) {
    if (!tabs) return
    tabs.post(message)
    emit({ type: 'tab:sent', message: message.type })
  }

  function share(type: 'login' | 'token', set: TokenSet<TClaims>) {
    const { token, expiresAt, deadBy, receivedAt, lifetime, roundTrip, seq } = set
    post({
      type,
      tokens: { token, expiresAt, deadBy, receivedAt, lifetime, roundTrip, seq },
      clock,
      user: toRaw(user.value),
      ...(bodyMode ? { refreshToken } : {}),
    })
  }

  function adopt(
    shared: SharedTokens,
    sharedClock: ClockOffset | null,
    sharedUser: unknown,
    sharedRefresh?: string | null,
  ) {
    const claims = decodeClaims<TClaims>(shared.token)
    // Same machine, same server: the other tab's clock evidence narrows this tab's.
    if (sharedClock) clock = combineOffsets(clock, sharedClock)
    if (sharedRefresh) refreshToken = sharedRefresh
    if (sharedUser !== undefined && sharedUser !== null) user.value = sharedUser as TUser
    resetBackoff()
    accept({ ...shared, claims, rejected: false })
  }

  function onTabMessage(message: TabMessage) {
    emit({ type: 'tab:received', message: message.type })
    const current = tokens.value
    switch (message.type) {
      case 'login':
        newGeneration()
        user.value = null // the other tab may have signed in someone else
        restoreFailed = false
        adopt(message.tokens, message.clock, message.user, message.refreshToken)
        if (endpoints.user && !message.user) void loadUserAfterSignIn()
        break
      case 'token':
        // A tab signed out here must not be signed back in by a refresh that raced the logout.
        if (status.value === 'unauthenticated') return
        // An older token than this tab's: in body mode its refresh token was rotated away already.
        if (
          current &&
          !isExpired(current) &&
          (message.tokens.token === current.token || message.tokens.seq < current.seq)
        ) {
          return
        }
        adopt(message.tokens, message.clock, message.user, message.refreshToken)
        break
      case 'logout':
        // A logout, not an expiry: no onSessionExpired; the guards still leave protected pages.
        if (!current) return
        clearSession()
        error.value = null
        emit({ type: 'logout', everywhere: message.everywhere })
        break
      case 'expired':
        if (!current) return
        expire(
          new AuthError('session_expired', `The session ended in another tab. ${message.reason}`),
        )
        break
      case 'request':
        if (current && !isExpired(current)) share('token', current)
        break
    }
  }

  // --- actions --------------------------------------------------------------------------------

  async function login(credentials: object): Promise<void> {
    api.loggingIn = true
    try {
      await signIn(credentials)
      // With a router: go to the `redirect` query if it is a safe same-origin path, else home.
      await api.afterLogin?.()
    } finally {
      api.loggingIn = false
    }
  }

  async function signIn(credentials: object): Promise<void> {
    const endpoint = endpoints.login
    if (!endpoint) {
      throw report(
        new AuthError('misconfigured', 'login() needs endpoints.login; it is set to false.'),
      )
    }
    // A failed login leaves the current session, and its running refresh, as they were.
    const logoutsBefore = logouts
    let gen = -1
    await lockRefresh(async () => {
      let set: TokenSet<TClaims>
      let body: any
      try {
        const answer = await serialized(() => request(endpoint, credentials))
        body = answer.body
        set = readAnswer(answer, 'login', await tabs?.newestElsewhere())
      } catch (cause) {
        throw report(toAuthError(cause, 'login', 'invalid_credentials'))
      }
      if (logouts !== logoutsBefore) {
        // The browser already holds this login's refresh cookie: revoke that session too.
        signOutDropped(bodyMode?.read(body) ?? null)
        throw report(
          new AuthError(
            'unauthorized',
            'You logged out while this login was in flight; sign in again.',
          ),
        )
      }
      newGeneration()
      gen = generation
      refreshToken = bodyMode?.read(body) ?? null
      restoreFailed = false
      user.value = body && typeof body.user === 'object' ? body.user : null
      accept(set)
      // Announced before the lock is released, so a tab waiting for it takes this session instead
      // of refreshing the one it had.
      announce('login', set)
    })
    if (endpoints.user) await loadUserAfterSignIn()
    if (gen !== generation) throw endedMeanwhile()
    emit({ type: 'login', user: user.value })
  }

  async function logout({ everywhere = false }: LogoutOptions = {}): Promise<void> {
    logouts++
    const token = refreshToken
    refreshToken = null
    clearSession()
    error.value = null
    emit({ type: 'logout', everywhere })
    post({ type: 'logout', everywhere })
    // Sent at once, even while a refresh is in flight: the server revokes the whole token family,
    // so whatever that refresh rotated to is revoked with it.
    try {
      await sendLogout(token, everywhere)
    } catch (cause) {
      // The local session is gone either way; the caller learns the server may not have revoked.
      throw report(toAuthError(cause, 'logout', 'unauthorized'))
    }
  }

  async function sendLogout(token: string | null, everywhere: boolean) {
    const endpoint = endpoints.logout
    if (!endpoint || (bodyMode && !token)) return
    const body = {
      ...(bodyMode && token ? bodyMode.send(token) : {}),
      ...(everywhere ? { everywhere: true } : {}),
    }
    await request(endpoint, Object.keys(body).length ? body : undefined)
  }

  /** Revokes a session that was created after the user had already logged out. */
  function signOutDropped(token: string | null) {
    sendLogout(token, false).catch((cause: unknown) =>
      report(toAuthError(cause, 'logout', 'unauthorized')),
    )
  }

  /** Restores a session from the refresh cookie; never rejects (the outcome is in `status`). */
  function restore(): Promise<void> {
    if (restoring) return restoring
    if (!options.restore || !endpoints.refresh || bodyMode) {
      // Body mode keeps the refresh token in memory only, so after a reload there is nothing to send.
      if (!tokens.value) status.value = 'unauthenticated'
      resolveReady()
      return Promise.resolve()
    }
    status.value = 'restoring'
    restoreFailed = false
    restoring = refresh('restore')
      .then(() => (endpoints.user ? loadUserAfterSignIn() : undefined))
      .catch((err: unknown) => {
        // The outcome is in status and error; restore only settles. A blip is retried with backoff
        // (and on `online`), so a session that exists is found once the server is reachable.
        if (tokens.value) return
        status.value = 'unauthenticated'
        if (err instanceof AuthError && (err.code === 'network' || err.code === 'server')) {
          restoreFailed = true
          schedule()
        }
      })
      .finally(() => {
        restoring = null
        resolveReady()
      })
    return restoring
  }

  /** Loads the user from `endpoints.user` with the current token. */
  async function fetchUser(): Promise<TUser | null> {
    const endpoint = endpoints.user
    if (!endpoint) return user.value
    const gen = generation
    const loaded = await $fetch<TUser>(endpoint.url, {
      method: endpoint.method as 'GET',
      baseURL: '',
    })
    // A logout (or another login) while it loaded: that user is no longer this session's.
    if (gen !== generation) throw endedMeanwhile()
    user.value = loaded
    return loaded
  }

  /** The session is valid even when the user endpoint fails; the failure is kept in `error`. */
  async function loadUserAfterSignIn() {
    try {
      await fetchUser()
    } catch (cause) {
      report(cause instanceof AuthError ? cause : toAuthError(cause, 'user', 'unauthorized'))
    }
  }

  // --- what the doors ask of the session -------------------------------------------------------

  async function waitFor<T>(promise: Promise<T>): Promise<T> {
    waiting++
    try {
      return await promise
    } finally {
      waiting--
    }
  }

  /** The token a request should carry now, refreshing first if it is already known to be expired. */
  async function tokenForRequest(): Promise<string | null> {
    if (restoring) await restoring
    let set = tokens.value
    if (set && isExpired(set)) {
      const expired = set
      try {
        await waitFor(refresh('expired'))
      } catch (err) {
        // A login here or in another tab while we waited still gives the request a valid token.
        const now = tokens.value
        if (now && now !== expired && !isExpired(now)) return now.token
        throw err
      }
      set = tokens.value
    }
    return set?.token ?? null
  }

  /**
   * A request that carried `sent` got 401. Returns the token to replay it with: the current one if
   * `sent` was already replaced (no second refresh), else a fresh one from the shared refresh.
   */
  async function tokenAfterUnauthorized(sent: string | null): Promise<string> {
    const current = tokens.value
    if (!current) {
      throw new AuthError('unauthorized', 'The request needs a signed-in user; sign in first.', {
        status: 401,
      })
    }
    if (sent !== current.token && !isExpired(current)) return current.token
    if (sent === current.token) current.rejected = true
    try {
      await waitFor(refresh('401'))
    } catch (err) {
      // A login in this tab while we waited still gives the request a valid token.
      const now = tokens.value
      if (now && now.token !== sent && !isExpired(now)) return now.token
      throw err
    }
    return tokens.value!.token
  }

  /** Failures of the session reach the request as the `AuthError`, and `store.error`. */
  const reported = <T>(promise: Promise<T>): Promise<T> =>
    promise.catch((cause: unknown) => {
      throw cause instanceof AuthError ? report(cause) : cause
    })

  const mayCarryToken = createOriginPolicy(options)

  /** The one boundary every door goes through (door.ts). */
  const door: Door = {
    allows: mayCarryToken,
    async begin(method, url) {
      if (!mayCarryToken(url)) return null
      return { method, url, token: await reported(tokenForRequest()), replayed: false }
    },
    async replay(attempt, status) {
      if (status !== 401 || attempt.replayed) return false
      const { method, url } = attempt
      emit({ type: 'unauthorized', method, url })
      attempt.token = await reported(tokenAfterUnauthorized(attempt.token))
      attempt.replayed = true
      emit({ type: 'replay', method, url })
      return true
    },
    refused(attempt, cause) {
      return report(
        new AuthError(
          'unauthorized',
          `${attempt.method} ${attempt.url} was answered 401 again with a fresh token: the user may lack access to it, or the server rejects the token. Sign in again or check the API's token validation.`,
          { cause, status: 401 },
        ),
      )
    },
    report,
    currentToken: () => tokens.value?.token ?? null,
    emit,
  }

  const $fetch = createAuthFetch(door, {
    baseURL: options.baseURL || undefined,
    ...options.fetchOptions,
  })
  const fetchWithAuth = createFetchWithAuth(door)

  function start() {
    stopped = false
    cleanups.push(
      listen('window', 'online', check),
      listen('window', 'focus', check),
      listen('document', 'visibilitychange', check),
      // Page Lifecycle: a frozen tab is resumed without a visibility change.
      listen('document', 'resume', check),
    )
    if (options.crossTab && isClient) {
      const sync = createTabSync(
        options.crossTab.channel,
        options.crossTab.lockTimeout,
        onTabMessage,
      )
      tabs = sync
      cleanups.push(() => sync.close())
      // A live tab answers with its token, which may arrive before this tab's own restore.
      post({ type: 'request' })
    }
  }

  function stop() {
    // Unmounted: a refresh still in flight must not re-arm timers or bring anything back.
    stopped = true
    newGeneration()
    clearTimeout(timer)
    for (const arrival of arrivals) arrival.resolve()
    for (const cleanup of cleanups.splice(0)) cleanup()
    tabs = null
  }

  /**
   * Testing kit: puts a session in place (`set` null: none), as if a restore had found it, with no
   * request; a settled status settles `ready`.
   */
  function seed(set: TokenSet<TClaims> | null, seededUser: TUser | null, seededStatus: AuthStatus) {
    newGeneration()
    tokens.value = set
    user.value = seededUser
    status.value = seededStatus
    error.value = null
    expiredNotified = false
    if (seededStatus !== 'unknown' && seededStatus !== 'restoring') resolveReady()
  }

  /** Testing kit: the session ends as a rejected refresh would end it (onSessionExpired, guards). */
  function end(code: AuthErrorCode) {
    expire(new AuthError(code, 'The session ended (endSession() of the testing kit).'))
    resolveReady()
  }

  /** Devtools action: treat the token as expired now, to watch the refresh flow happen. */
  function expireLocally() {
    const set = tokens.value
    if (!set) return
    const now = Date.now()
    tokens.value = {
      ...set,
      expiresAt: now,
      receivedAt: Math.min(set.receivedAt, now),
      roundTrip: 0,
    }
    check()
  }

  /** The roles `meta.roles` and `hasRole` check. */
  function roles(): string[] {
    return options.roles(tokens.value?.claims ?? null, user.value)
  }

  const api = {
    options,
    tokens,
    status,
    user,
    error,
    backoff,
    ready,
    get tabs() {
      return tabs?.state ?? null
    },
    fetch: $fetch,
    fetchWithAuth,
    door,
    get refreshing() {
      return inflight !== null
    },
    get waiting() {
      return waiting
    },
    nextCheckAt,
    expireLocally,
    seed,
    end,
    login,
    logout,
    refresh,
    restore,
    fetchUser,
    roles,
    /** Set by the guards: navigates after a successful login. */
    afterLogin: null as (() => Promise<void>) | null,
    loggingIn: false,
    /** Outside a browser there is no cookie to restore from: the session is known to be empty. */
    settle() {
      resolveReady()
    },
    report,
    emit,
    check,
    start,
    stop,
    /** Adds a listener of session events; returns its removal. */
    onEvent(listener: (event: AuthEvent) => void): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
  return api
}
