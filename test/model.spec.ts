// @vitest-environment happy-dom
// Model-based tests: fast-check generates sequences of user actions, server answers, clock jumps and
// browser events, runs them against the real store and fetch instance on a fake clock, and checks
// the session's invariants after every step. A failure prints the seed and the shrunk sequence.
//
// Invariants (see World): at most one refresh request on the wire; no Authorization header to
// another origin; no API request with a token past the library's own expiresAt or already answered
// 401; no request with a token of a session that ended; every request settles (an AuthError or, for
// non-auth failures, an ofetch FetchError) within 120 s once held answers are released; the session
// ends only by logout or a refresh answered 400/401/403, and no later answer revives it;
// onSessionExpired runs exactly once for a session ended by the server, never for a logout; status
// agrees with the token; a refresh never hands back the session of an earlier login; refreshes
// respect the backoff after a transient failure; nothing is replayed more than once.
import axios from 'axios'
import fc from 'fast-check'
import { effectScope, watch, type EffectScope } from 'vue'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isAuthError, type AuthError } from '../src'
import { withAuth } from '../src/axios'
import { createLockManager, credentials, setupAuth } from './utils'
import {
  createModelServer,
  seededRandom,
  type ModelServer,
  type RefreshOutcome,
  type SentRequest,
} from './model-utils'

/** What the browser reports; the stubs below read it. */
const browser = {
  online: true,
  visibility: 'visible' as DocumentVisibilityState,
  locks: null as LockManager | null,
}

beforeEach(() => {
  vi.useFakeTimers()
  browser.online = true
  browser.visibility = 'visible'
  browser.locks = null
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => browser.online })
  Object.defineProperty(navigator, 'locks', { configurable: true, get: () => browser.locks })
  Object.defineProperty(document, 'visibilityState', {
    configurable: true,
    get: () => browser.visibility,
  })
})
afterEach(() => {
  delete (navigator as { onLine?: boolean }).onLine
  delete (navigator as { locks?: unknown }).locks
  delete (document as { visibilityState?: string }).visibilityState
  vi.useRealTimers()
})

interface RunConfig {
  /** Access-token lifetime in seconds. */
  ttl: number
  /** `refreshLeeway`; 0 turns proactive refresh off, so tokens really run out. */
  leeway: number
  /** Whether the browser has Web Locks (the refresh then runs under a lock). */
  locks: boolean
  /** Seeds Math.random, which the backoff jitter uses, so a failure replays exactly. */
  seed: number
}

type Target = 'api' | 'cdn' | 'cdn-private' | 'evil-base'
/** The door a request goes through: the ofetch instance, fetchWithAuth or axios with withAuth. */
type Door = 'ofetch' | 'fetch' | 'axios'

/** The HTTP status a door's own error carries (FetchError, AxiosError), if any. */
const doorStatus = (error: unknown) => {
  const e = error as { status?: number; response?: { status?: number } } | null
  return e?.status ?? e?.response?.status
}

let runs = 0

/** One tab: the real app, store and fetch instance, the fake server, and the evidence gathered. */
class World {
  readonly violations: string[] = []
  private readonly pending = new Map<number, string>()
  /** How often each logical request went on the wire. */
  private readonly attempts = new Map<string, number>()
  private nextRequest = 0
  /** Every access token the library has held → its `expiresAt` as the library knew it. */
  private readonly knownExpiry = new Map<string, number | null>()
  /** Checkpoints passed; evidence is dated with it. */
  private steps = 0
  /** Tokens the library learnt were refused (a first attempt answered 401) → at which step. */
  private readonly refused = new Map<string, number>()
  /** Requests that already had a 401: a 401 on the replay does not mark the token dead. */
  private readonly had401 = new Set<string>()
  /** Tokens of sessions that ended (logout or rejection): none may leave again. */
  private readonly dead = new Set<string>()
  /** Sessions, numbered from 1; a session runs from a token appearing to the token going away. */
  private session = 0
  private readonly expiredCalls = new Map<number, number>()
  private readonly endedBy = new Map<number, 'logout' | 'rejected'>()
  private loggingOut = false
  /**
   * Logins with the right password still running that were started after the last logout: only
   * they may start a session. A logout cancels the ones already running.
   */
  private readonly logins = new Set<Promise<unknown>>()
  /** The server-side login session (token family) of the newest login the library accepted. */
  private family: string | null = null
  private readonly scope: EffectScope
  readonly server: ModelServer
  readonly app: ReturnType<typeof setupAuth>
  /** axios on its fetch adapter, which the model's server answers, with withAuth. */
  readonly axios: ReturnType<typeof withAuth>

  constructor(readonly config: RunConfig) {
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
    vi.spyOn(Math, 'random').mockImplementation(seededRandom(config.seed))
    this.server = createModelServer({ ttl: config.ttl })
    this.server.onSend = (request) => this.checkSent(request)
    this.server.onAnswer = (request, status) => this.answered(request, status)
    vi.stubGlobal('fetch', this.server.fetch)
    browser.locks = config.locks ? (createLockManager() as unknown as LockManager) : null
    this.app = setupAuth({
      baseURL: '/api',
      restore: false,
      refreshLeeway: config.leeway,
      crossTab: { channel: `model-${++runs}` },
      onSessionExpired: (error) => this.sessionExpired(error),
    })
    this.axios = withAuth(axios.create({ adapter: 'fetch', baseURL: '/api' }), this.app.auth)
    const { store } = this.app
    this.scope = effectScope(true)
    this.scope.run(() =>
      watch(
        () => [store.accessToken, store.expiresAt] as const,
        ([token, expiresAt], previous) =>
          this.tokenChanged(token, expiresAt, previous?.[0] ?? null),
        { flush: 'sync' },
      ),
    )
  }

  get store() {
    return this.app.store
  }

  private violate(message: string) {
    this.violations.push(`${message} (at t=${Date.now() - Date.UTC(2030, 0, 1)} ms)`)
  }

  // --- evidence, gathered synchronously as things happen ----------------------------------------

  private checkSent(request: SentRequest) {
    const { token } = request
    if (request.kind === 'elsewhere' && request.authorization !== null) {
      this.violate(`${request.method} ${request.url} carried Authorization to another origin`)
    }
    if (request.kind === 'refresh' && this.server.state.refreshInFlight > 0) {
      this.violate('a second refresh request left while one was still in flight')
    }
    if (
      request.kind === 'refresh' &&
      this.server.state.backoffUntil !== null &&
      request.at < this.server.state.backoffUntil
    ) {
      this.violate(
        `a refresh left ${this.server.state.backoffUntil - request.at} ms before the backoff allows`,
      )
    }
    if (request.requestId) {
      // One attempt and one replay, each retried once by ofetch on a network error (GET only).
      const attempts = (this.attempts.get(request.requestId) ?? 0) + 1
      this.attempts.set(request.requestId, attempts)
      if (attempts > (request.method === 'GET' ? 4 : 2)) {
        this.violate(`${request.method} ${request.url} was sent ${attempts} times`)
      }
    }
    if (!token) return
    if (this.dead.has(token)) {
      this.violate(`${request.method} ${request.url} carried a token of a session that ended`)
    }
    if (request.kind === 'api') {
      const expiresAt = this.knownExpiry.get(token)
      const refusedAt = this.refused.get(token)
      if (expiresAt === undefined) {
        this.violate(`${request.method} ${request.url} carried a token the library never held`)
      } else if (refusedAt !== undefined && refusedAt < this.steps) {
        this.violate(`${request.method} ${request.url} carried a token already answered 401`)
      } else if (expiresAt !== null && request.at >= expiresAt) {
        // The library counts a token as expired from its expiresAt on (now >= expiresAt), so a
        // request sent at exactly that millisecond is already late.
        this.violate(
          `${request.method} ${request.url} left with a token expired ${request.at - expiresAt} ms earlier by the library's own expiresAt`,
        )
      }
    }
  }

  private answered(request: SentRequest, status: number) {
    if (status !== 401 || !request.requestId || this.had401.has(request.requestId)) return
    this.had401.add(request.requestId)
    // A first attempt's 401 for the current token tells the library the token is dead.
    if (request.token && request.token === this.store.accessToken) {
      this.refused.set(request.token, this.steps)
    }
  }

  private tokenChanged(token: string | null, expiresAt: number | null, old: string | null) {
    if (token) {
      // The earliest expiry the library has known for this token is the one it must respect.
      const known = this.knownExpiry.get(token)
      this.knownExpiry.set(
        token,
        known === undefined || known === null || expiresAt === null
          ? (known ?? expiresAt)
          : Math.min(known, expiresAt),
      )
    }
    if (token === old) return
    const info = token ? this.server.tokenInfo(token) : undefined
    if (info?.via === 'login') this.family = info.family
    else if (info && info.family !== this.family) {
      this.violate(
        `a refresh moved the session to another login's token family (${info.family}; the app's login is ${this.family})`,
      )
    }
    if (token && !old) {
      if (this.logins.size === 0) this.violate('a session started without a login (revived)')
      this.session++
    }
    if (!token && old) {
      const reason = this.loggingOut
        ? 'logout'
        : this.server.state.rejectionDelivered
          ? 'rejected'
          : null
      if (!reason) this.violate('the session ended without a logout or a rejected refresh')
      this.endedBy.set(this.session, reason ?? 'rejected')
      for (const known of this.knownExpiry.keys()) this.dead.add(known)
    }
  }

  private sessionExpired(error: AuthError) {
    const calls = (this.expiredCalls.get(this.session) ?? 0) + 1
    this.expiredCalls.set(this.session, calls)
    if (calls > 1) this.violate(`onSessionExpired was called ${calls} times for one session`)
    if (this.store.accessToken !== null) this.violate('onSessionExpired ran with a live session')
    if (!isAuthError(error, 'session_expired')) {
      this.violate(`onSessionExpired got ${String(error)} instead of session_expired`)
    }
  }

  /**
   * Follows a promise the test does not await; it must settle the way the contract says: with an
   * AuthError, or (for a request) the door's own error for what is not the session's business.
   */
  private track(label: string, promise: Promise<unknown>, door: Door | null) {
    const id = this.nextRequest++
    this.pending.set(id, label)
    promise.then(
      () => this.pending.delete(id),
      (error: unknown) => {
        this.pending.delete(id)
        if (isAuthError(error)) return
        const name = (error as Error | null)?.name
        const own = { ofetch: 'FetchError', fetch: 'TypeError', axios: 'AxiosError' } as const
        if (!door || name !== own[door]) {
          this.violate(`${label} rejected with ${String(error)}`)
        } else if (label.includes(' /api/') && doorStatus(error) === 401) {
          this.violate(`${label} surfaced a 401 of an allowed origin as a plain ${name}`)
        }
      },
    )
  }

  // --- actions ----------------------------------------------------------------------------------

  request(method: 'GET' | 'POST', target: Target, door: Door) {
    const id = `r${this.nextRequest}`
    const path = `/items/${id}`
    const url =
      target === 'api'
        ? `/api${path}`
        : target === 'cdn'
          ? `https://cdn.example/public/${id}`
          : target === 'cdn-private'
            ? 'https://cdn.example/private'
            : `https://evil.example${path}`
    const label = `${door} ${method} ${target === 'api' ? `/api/items#${id}` : url}`
    const headers = { 'x-model-request': id }
    const body = method === 'POST' ? { id } : undefined
    const { $fetch, fetchWithAuth } = this.app
    const { axios } = this
    const promise =
      door === 'ofetch'
        ? target === 'evil-base'
          ? $fetch(path, { method, headers, body, baseURL: 'https://evil.example' })
          : $fetch(target === 'api' ? path : url, { method, headers, body })
        : door === 'fetch'
          ? fetchWithAuth(url, {
              method,
              headers: { ...headers, 'content-type': 'application/json' },
              body: body && JSON.stringify(body),
            })
          : target === 'evil-base'
            ? axios.request({
                url: path,
                method,
                headers,
                data: body,
                baseURL: 'https://evil.example',
              })
            : axios.request({ url: target === 'api' ? path : url, method, headers, data: body })
    this.track(label, promise, door)
  }

  login(password = 'secret') {
    const login = this.store.login({ username: 'alice', password })
    if (password === 'secret') {
      this.logins.add(login)
      const done = () => this.logins.delete(login)
      login.then(done, done)
    }
    this.track(`login(${password})`, login, null)
  }

  logout(everywhere: boolean) {
    for (const known of this.knownExpiry.keys()) this.dead.add(known)
    this.logins.clear()
    this.loggingOut = true
    try {
      this.track('logout', this.store.logout({ everywhere }), null)
    } finally {
      this.loggingOut = false
    }
    if (this.store.accessToken !== null || this.store.status !== 'unauthenticated') {
      this.violate(`logout left status ${this.store.status} with a token in memory`)
    }
  }

  setOnline(online: boolean) {
    browser.online = online
    this.server.state.online = online
    window.dispatchEvent(new Event(online ? 'online' : 'offline'))
  }

  setVisibility(visibility: DocumentVisibilityState) {
    browser.visibility = visibility
    document.dispatchEvent(new Event('visibilitychange'))
  }

  /** Releases every held answer and drives time until everything settles (at most 120 s). */
  async settle() {
    this.server.state.holds = false
    for (let waited = 0; this.pending.size > 0 && waited < 120_000; waited += 1_000) {
      this.server.releaseAll()
      await vi.advanceTimersByTimeAsync(1_000)
    }
    this.server.state.holds = true
    if (this.pending.size > 0) {
      this.violate(`still unsettled after 120 s: ${[...this.pending.values()].join(', ')}`)
    }
  }

  // --- checks -----------------------------------------------------------------------------------

  /** Lets every pending callback run, then checks the invariants; throws on a violation. */
  async step() {
    await vi.advanceTimersByTimeAsync(0)
    await vi.advanceTimersByTimeAsync(0)
    const { store, server } = this
    if (server.state.maxRefreshInFlight > 1) {
      this.violate(`${server.state.maxRefreshInFlight} refresh requests were in flight at once`)
      server.state.maxRefreshInFlight = 1
    }
    if (store.accessToken === null && store.status !== 'unauthenticated') {
      this.violate(`status is ${store.status} without a token`)
    }
    if (store.accessToken !== null && store.status === 'unauthenticated') {
      this.violate('status is unauthenticated with a token in memory')
    }
    if (store.status === 'refreshing' && server.state.refreshInFlight === 0) {
      this.violate('status is refreshing with no refresh request in flight')
    }
    for (const [session, reason] of this.endedBy) {
      const calls = this.expiredCalls.get(session) ?? 0
      if (reason === 'rejected' && calls !== 1) {
        this.violate(
          `session ${session} ended by a rejected refresh; onSessionExpired ran ${calls} times`,
        )
      }
      if (reason === 'logout' && calls !== 0) {
        this.violate(`session ${session} ended by logout, yet onSessionExpired ran`)
      }
    }
    // A rejection that did not end the session (an answer of an older session) explains nothing later.
    if (store.accessToken !== null) server.state.rejectionDelivered = false
    this.steps++
    if (this.violations.length) {
      throw new Error(`Invariant violated:\n  ${this.violations.join('\n  ')}`)
    }
  }

  /** The end of a sequence: everything settles, also once the browser is back online. */
  async finish() {
    await this.settle()
    await this.step()
    this.setVisibility('visible')
    if (!browser.online) this.setOnline(true)
    await vi.advanceTimersByTimeAsync(60_000)
    await this.settle()
    await this.step()
  }

  dispose() {
    this.scope.stop()
    this.app.unmount()
    vi.clearAllTimers()
    vi.mocked(Math.random).mockRestore()
  }
}

type Command = fc.AsyncCommand<object, World>

/** A step of the model: `toString` is what a failure report prints. */
function command(name: string, run: (world: World) => unknown): Command {
  return {
    check: () => true,
    async run(_model, world) {
      await run(world)
      await world.step()
    },
    toString: () => name,
  }
}

const refreshOutcomes: RefreshOutcome[] = [
  'ok',
  '400',
  '401',
  '403',
  '429',
  '500',
  '503',
  'drop',
  'hold',
]

const requestCommand = fc
  .record({
    method: fc.constantFrom<'GET' | 'POST'>('GET', 'POST'),
    target: fc.constantFrom<Target>('api', 'api', 'api', 'cdn', 'cdn-private', 'evil-base'),
    door: fc.constantFrom<Door>('ofetch', 'fetch', 'axios'),
  })
  .map(({ method, target, door }) =>
    command(`request(${door} ${method} ${target})`, (world) => world.request(method, target, door)),
  )

const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary })

const commands = fc.oneof(
  weighted(6, requestCommand),
  weighted(
    2,
    fc
      .oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 2_000, max: 40_000 }))
      .map((ms) => command(`advance(${ms} ms)`, () => vi.advanceTimersByTimeAsync(ms))),
  ),
  weighted(
    2,
    fc.constantFrom(0, 1, 250).map((extra) =>
      command(`expireToken(+${extra} ms)`, async (world) => {
        const expiresAt = world.store.expiresAt
        if (expiresAt !== null) {
          await vi.advanceTimersByTimeAsync(Math.max(0, expiresAt - Date.now()) + extra)
        }
      }),
    ),
  ),
  weighted(
    4,
    fc
      .constantFrom(...refreshOutcomes, 'hold', 'hold', 'hold')
      .map((outcome) =>
        command(`queueRefresh(${outcome})`, (world) => world.server.refreshQueue.push(outcome)),
      ),
  ),
  weighted(
    1,
    fc
      .constantFrom<RefreshOutcome>('ok', '401', '503', 'drop')
      .map((outcome) =>
        command(`releaseRefresh(${outcome})`, (world) => world.server.release('refresh', outcome)),
      ),
  ),
  weighted(1, fc.constant(command('holdNextApi', (world) => world.server.apiQueue.push('hold')))),
  weighted(1, fc.constant(command('releaseApi', (world) => world.server.release('api')))),
  weighted(
    2,
    fc.constant(command('revokeAccessTokens', (world) => world.server.revokeAccessTokens())),
  ),
  weighted(1, fc.constant(command('login', (world) => world.login()))),
  weighted(1, fc.constant(command('login(wrong password)', (world) => world.login('wrong')))),
  weighted(
    1,
    fc
      .boolean()
      .map((everywhere) =>
        command(everywhere ? 'logout(everywhere)' : 'logout', (world) => world.logout(everywhere)),
      ),
  ),
  weighted(
    1,
    fc
      .constantFrom<DocumentVisibilityState>('hidden', 'visible')
      .map((state) => command(`visibility(${state})`, (world) => world.setVisibility(state))),
  ),
  weighted(
    1,
    fc
      .boolean()
      .map((online) => command(online ? 'online' : 'offline', (world) => world.setOnline(online))),
  ),
  weighted(1, fc.constant(command('settle', (world) => world.settle()))),
)

const configs: fc.Arbitrary<RunConfig> = fc.record({
  ttl: fc.constantFrom(10, 60),
  leeway: fc.constantFrom(0, 5, 30),
  locks: fc.boolean(),
  seed: fc.integer(),
})

describe('session model', () => {
  it('keeps every session invariant over random sequences of requests, answers, time and browser events', async () => {
    await fc.assert(
      fc.asyncProperty(
        configs,
        fc.commands([commands], { maxCommands: 30, size: 'max' }),
        async (config, sequence) => {
          const world = new World(config)
          try {
            await fc.asyncModelRun(async () => {
              world.login()
              await world.step()
              return { model: {}, real: world }
            }, sequence)
            await world.finish()
          } finally {
            world.dispose()
          }
        },
      ),
      { numRuns: Number(process.env.MODEL_RUNS ?? 1000) },
    )
  }, 600_000)
})

// Minimal reproductions of what the model found, one per bug, as plain tests.
describe('regressions found by the model', () => {
  const flush = async () => {
    await vi.advanceTimersByTimeAsync(0)
    await vi.advanceTimersByTimeAsync(0)
  }
  /** Follows a promise without awaiting it. */
  function observe<T>(promise: Promise<T>) {
    const seen = { settled: false, value: undefined as T | undefined, error: undefined as unknown }
    promise.then(
      (value) => Object.assign(seen, { settled: true, value }),
      (error: unknown) => Object.assign(seen, { settled: true, error }),
    )
    return seen
  }

  async function signedIn({ locks = false } = {}) {
    const server = createModelServer({ ttl: 60 })
    vi.stubGlobal('fetch', server.fetch)
    browser.locks = locks ? (createLockManager() as unknown as LockManager) : null
    const app = setupAuth({
      baseURL: '/api',
      restore: false,
      refreshLeeway: 0,
      crossTab: locks ? { channel: 'regression' } : false,
    })
    await app.store.login(credentials)
    return { server, ...app }
  }

  it('sends no second refresh while the refresh of an earlier login is still in flight', async () => {
    const { server, store, $fetch } = await signedIn()
    server.refreshQueue.push('hold')
    server.revokeAccessTokens()
    const first = observe($fetch('/a')) // 401, then a refresh the server holds
    await flush()
    expect(server.state.refreshInFlight).toBe(1)

    const login = observe(store.login(credentials))
    await flush()
    server.revokeAccessTokens()
    const second = observe($fetch('/b')) // 401 again: the new session needs a refresh too
    await vi.advanceTimersByTimeAsync(1_000)
    expect(server.state.maxRefreshInFlight).toBe(1)

    server.releaseAll()
    await vi.advanceTimersByTimeAsync(60_000)
    expect([first.settled, login.settled, second.settled]).toEqual([true, true, true])
    expect(server.state.maxRefreshInFlight).toBe(1)
  })

  it("keeps the new login's session when a refresh sent before the login answers after it", async () => {
    const { server, store } = await signedIn()
    server.refreshQueue.push('hold')
    observe(store.refresh()) // on the wire with the first login's refresh cookie
    await flush()
    const login = observe(store.login(credentials))
    await flush()
    // The late answer's Set-Cookie lands after the login's, as it would in a browser.
    server.release('refresh')
    await flush()
    expect(login.settled).toBe(true)
    expect(login.error).toBeUndefined()
    const family = server.tokenInfo(store.accessToken!)!.family

    await store.refresh()
    expect(server.tokenInfo(store.accessToken!)!.family).toBe(family)
  })

  it('keeps the session and its running refresh when a login attempt fails', async () => {
    const { server, store, $fetch } = await signedIn()
    server.refreshQueue.push('hold')
    server.revokeAccessTokens()
    const request = $fetch('/a') // parked on the refresh the server holds
    await flush()
    expect(store.status).toBe('refreshing')

    const login = store.login({ username: 'alice', password: 'wrong' }).catch((e) => e)
    await flush()
    server.release('refresh')
    expect(isAuthError(await login, 'invalid_credentials')).toBe(true)
    await expect(request).resolves.toEqual({ ok: true, path: '/api/a' })
    expect(store.status).toBe('authenticated')
  })

  it('settles logout and the requests parked on a hanging refresh without waiting for its answer', async () => {
    const { server, store, $fetch } = await signedIn()
    server.refreshQueue.push('hold')
    server.revokeAccessTokens()
    const request = observe($fetch('/a')) // parked on the refresh the server holds
    await flush()

    const out = observe(store.logout())
    await flush()
    expect(store.status).toBe('unauthenticated')
    expect(out.settled).toBe(true)
    expect(request.settled).toBe(true)
    expect(isAuthError(request.error)).toBe(true)
    server.releaseAll()
    await flush()
    expect(store.accessToken).toBeNull()
  })

  it('never moves the session to a login it reported as failed', async () => {
    const { server, store, $fetch } = await signedIn({ locks: true })
    const initial = server.tokenInfo(store.accessToken!)!.family
    server.refreshQueue.push('hold')
    server.revokeAccessTokens()
    observe($fetch('/a')) // 401, then a refresh that holds the cross-tab lock and gets no answer
    await flush()
    // Two sign-in attempts queue for the lock; both give up waiting after lockTimeout and steal it.
    const first = store.login(credentials).then(
      () => 'signed in',
      (e: unknown) => (isAuthError(e) ? 'failed' : e),
    )
    const second = store.login({ username: 'alice', password: 'wrong' }).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(isAuthError(await second, 'invalid_credentials')).toBe(true)

    // After a refresh the app holds the session of the last login it reported as successful: the
    // first attempt's if that succeeded, else the initial one.
    const reported = await first
    await store.refresh()
    const family = server.tokenInfo(store.accessToken!)!.family
    if (reported === 'failed') {
      expect(family, 'a login reported as failed took over the session').toBe(initial)
    } else {
      expect(reported).toBe('signed in')
      expect(family).not.toBe(initial)
    }
  })
})
