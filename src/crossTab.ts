import type { ClockOffset, TokenTiming } from './expiry'
import { getBroadcastChannel, getLocks } from './env'

/** A token as it travels between tabs of one origin (and one machine, so one clock). */
export interface SharedToken extends TokenTiming {
  token: string
  seq: number
}

/** What tabs tell each other. Tokens cross only this same-origin channel, never any storage. */
export type TabMessage =
  | {
      type: 'login' | 'token'
      token: SharedToken
      /** What the sender knows of the server's clock. */
      clock: ClockOffset | null
      user: unknown
      refreshToken?: string | null
    }
  | { type: 'logout'; everywhere: boolean }
  | { type: 'expired'; reason: string }
  | { type: 'request' }

const isNumber = (value: unknown): value is number =>
  typeof value === 'number' && !Number.isNaN(value)
const isTime = (value: unknown) => value === null || isNumber(value)

function isSharedToken(value: unknown): value is SharedToken {
  const t = value as Partial<SharedToken> | null
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.token === 'string' &&
    t.token !== '' &&
    isNumber(t.seq) &&
    isNumber(t.receivedAt) &&
    isNumber(t.roundTrip) &&
    isTime(t.expiresAt) &&
    isTime(t.deadBy) &&
    isTime(t.lifetime)
  )
}

function isClock(value: unknown): value is ClockOffset | null {
  const c = value as Partial<ClockOffset> | null
  return c === null || (typeof c === 'object' && isNumber(c.lo) && isNumber(c.hi) && isNumber(c.at))
}

/** A message of this library's shape; anything else on the channel is not one of ours. */
export function isTabMessage(value: unknown): value is TabMessage {
  const m = value as Record<string, unknown> | null
  if (typeof m !== 'object' || m === null) return false
  switch (m.type) {
    case 'login':
    case 'token':
      return (
        isSharedToken(m.token) &&
        isClock(m.clock) &&
        (m.refreshToken == null || typeof m.refreshToken === 'string')
      )
    case 'logout':
      return typeof m.everywhere === 'boolean'
    case 'expired':
      return typeof m.reason === 'string'
    case 'request':
      return true
    default:
      return false
  }
}

/** What this tab did last on the channel and the lock, for devtools (development builds only). */
export interface TabState {
  holdsLock: boolean
  lastSent: { type: TabMessage['type']; at: number } | null
  lastReceived: { type: TabMessage['type']; at: number } | null
}

/** The newest token some other tab holds, as the lock manager shows it. */
export interface HeldElsewhere {
  seq: number
  usableUntil: number
}

export interface TabSync {
  state: TabState
  post(message: TabMessage): void
  /**
   * Runs `fn` (the refresh HTTP call, nothing else) while holding the cross-tab refresh lock. A tab
   * that has waited `lockTimeout` behind one holder steals the lock, so a frozen holder delays the
   * others by at most that long; fn's outcome stands even if the lock is then stolen from it.
   */
  withLock<T>(fn: () => Promise<T>): Promise<T>
  /**
   * Tells the other tabs, through the lock manager, which token this tab holds (`null`: none).
   * The request is queued at once, so a lock this tab releases afterwards is released after it;
   * the promise resolves when it is granted.
   */
  holding(seq: number | null, usableUntil?: number): Promise<void>
  /** The newest token another live tab holds, or `null` when none does (or there is no telling). */
  newestElsewhere(): Promise<HeldElsewhere | null>
  close(): void
}

/**
 * The cross-tab transport: a BroadcastChannel for messages and a Web Lock for the refresh. Without
 * either (old browsers, SSR, tests) it degrades to in-tab behaviour with no error.
 *
 * Chromium does not order a channel message before a lock grant: the next tab in line can get the
 * lock before the message with the token the previous holder got (issue #11). So each tab also
 * holds a shared Web Lock named after the token it holds (`<lock>:holds:<seq>:<usableUntil>`),
 * requested before the refresh lock is released. A lock manager runs the requests and releases of
 * its agents in order, on one lock task queue (https://w3c.github.io/web-locks/#lock-task-queue),
 * so the next holder's `query()` sees it, and knows to wait for that token instead of refreshing
 * again. The grant itself is not awaited: under load Chromium took up to 350 ms to grant it.
 */
export function createTabSync(
  channelName: string,
  lockTimeout: number,
  onMessage: (message: TabMessage) => void,
): TabSync {
  const Channel = getBroadcastChannel()
  const channel = Channel ? new Channel(channelName) : null
  const state: TabState = { holdsLock: false, lastSent: null, lastReceived: null }
  if (channel) {
    channel.onmessage = (event: MessageEvent<unknown>) => {
      const message = event.data
      // Any script of the origin can post on the channel: only well-formed messages count.
      if (!isTabMessage(message)) return
      if (__DEV__) state.lastReceived = { type: message.type, at: Date.now() }
      onMessage(message)
    }
  }
  const lockName = `${channelName}:refresh`
  const heldPrefix = `${lockName}:holds:`
  const holderPrefix = `${lockName}:by:`
  let held: { name: string; release: () => void; granted: Promise<void> } | null = null

  /** Takes a lock named after this run of `fn`, so other tabs can tell who holds the refresh lock. */
  function markHolder(locks: LockManager): () => void {
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    // Without it, other tabs only steal sooner, as they did before there were marks.
    locks.request(`${holderPrefix}${Math.random()}`, () => released).catch(() => {})
    return release
  }

  /** The marks of the refresh lock's holders, as the lock manager lists them (none with no telling). */
  async function holders(locks: LockManager): Promise<string> {
    const { held: granted = [] } = await locks.query().catch(() => ({}) as LockManagerSnapshot)
    // Listed in the order they were granted, so the same holders read the same.
    return granted
      .map((lock) => lock.name)
      .filter((name) => name?.startsWith(holderPrefix))
      .join(' ')
  }

  async function withLock<T>(fn: () => Promise<T>): Promise<T> {
    const locks = getLocks()
    if (!locks) return fn()
    let running: Promise<T> | undefined
    // Holds the lock until fn settles. fn's outcome is read from `running`, not from the lock
    // request, which rejects when the lock is stolen: a steal does not change what fn brought.
    const run = async () => {
      if (__DEV__) state.holdsLock = true
      const unmark = markHolder(locks)
      running = fn()
      await running.catch(() => {})
      unmark()
      if (__DEV__) state.holdsLock = false
    }
    const underLock = (options: LockOptions) =>
      locks.request(lockName, options, run).catch((error: unknown) => {
        if (!running) throw error
      })
    // Steal only from a holder that has held the lock for all of lockTimeout. One that took it
    // meanwhile (from a frozen tab, after its own wait) is live, and stealing from it would put two
    // refreshes in flight with one refresh token: reuse, under rotation.
    const controller = new AbortController()
    let seen = holders(locks)
    const check = () => {
      const before = seen
      seen = holders(locks)
      timer = setTimeout(check, lockTimeout) // cleared below once the lock is had
      void Promise.all([before, seen]).then(([earlier, now]) => {
        if (now === earlier) controller.abort()
      })
    }
    let timer = setTimeout(check, lockTimeout)
    try {
      await underLock({ signal: controller.signal })
    } catch {
      // Timed out: steal. Refused outright: a document whose origin is opaque (a sandboxed iframe)
      // gets a SecurityError from every request (MDN, LockManager.request(), Exceptions); then the
      // tab goes on as it does without Web Locks.
      await (controller.signal.aborted ? underLock({ steal: true }) : run())
    } finally {
      clearTimeout(timer)
    }
    return running!
  }

  function holding(seq: number | null, usableUntil = Infinity): Promise<void> {
    const locks = getLocks()
    const name = locks && seq !== null ? `${heldPrefix}${seq}:${usableUntil}` : null
    if (held && held.name === name) return held.granted
    held?.release()
    held = null
    if (!locks || name === null) return Promise.resolve()
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    const granted = new Promise<void>((resolve) => {
      // Shared, so any number of tabs can say they hold the same token. A lock that cannot be had
      // costs at most a second refresh elsewhere, so its failure is not an error here.
      locks
        .request(name, { mode: 'shared' }, () => {
          resolve()
          return released
        })
        .catch(() => resolve())
    })
    held = { name, release, granted }
    return granted
  }

  async function newestElsewhere(): Promise<HeldElsewhere | null> {
    const locks = getLocks()
    if (!locks?.query) return null
    let newest: HeldElsewhere | null = null
    try {
      const { held: granted = [], pending = [] } = await locks.query()
      for (const lock of [...granted, ...pending]) {
        const name = lock.name ?? ''
        if (!name.startsWith(heldPrefix) || name === held?.name) continue
        const [seq, usableUntil] = name.slice(heldPrefix.length).split(':').map(Number)
        if (!Number.isFinite(seq) || Number.isNaN(usableUntil)) continue
        if (!newest || seq! > newest.seq) newest = { seq: seq!, usableUntil: usableUntil! }
      }
    } catch {
      return null // no telling: the tab refreshes, as it would without the lock manager
    }
    return newest
  }

  return {
    state,
    post(message) {
      if (!channel) return
      if (__DEV__) state.lastSent = { type: message.type, at: Date.now() }
      channel.postMessage(message)
    },
    withLock,
    holding,
    newestElsewhere,
    close() {
      held?.release()
      held = null
      channel?.close()
    },
  }
}
