import { getBroadcastChannel, getLocks } from './env'

/** A token as it travels between tabs of one origin (and one machine, so one clock). */
export interface SharedTokens {
  token: string
  expiresAt: number | null
  receivedAt: number
}

/** What tabs tell each other. Tokens cross only this same-origin channel, never any storage. */
export type TabMessage =
  | { type: 'login'; tokens: SharedTokens; user: unknown; refreshToken?: string | null }
  | { type: 'token'; tokens: SharedTokens; user: unknown; refreshToken?: string | null }
  | { type: 'logout'; everywhere: boolean }
  | { type: 'expired'; reason: string }
  | { type: 'request' }

/** What this tab did last on the channel and the lock, for devtools. */
export interface TabState {
  holdsLock: boolean
  lastSent: { type: TabMessage['type']; at: number } | null
  lastReceived: { type: TabMessage['type']; at: number } | null
}

export interface TabSync {
  state: TabState
  post(message: TabMessage): void
  /**
   * Runs `fn` (the refresh HTTP call, nothing else) while holding the cross-tab refresh lock. A tab
   * that cannot get the lock within `lockTimeout` steals it, so a frozen or crashed holder delays
   * the others by at most that long.
   */
  withLock<T>(fn: () => Promise<T>): Promise<T>
  close(): void
}

/**
 * The cross-tab transport: a BroadcastChannel for messages and a Web Lock for the refresh. Without
 * either (old browsers, SSR, tests) it degrades to in-tab behaviour with no error.
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
    channel.onmessage = (event: MessageEvent<TabMessage>) => {
      const message = event.data
      if (!message || typeof message !== 'object' || typeof message.type !== 'string') return
      state.lastReceived = { type: message.type, at: Date.now() }
      onMessage(message)
    }
  }
  const lockName = `${channelName}:refresh`

  async function withLock<T>(fn: () => Promise<T>): Promise<T> {
    const locks = getLocks()
    if (!locks) return fn()
    let running: Promise<T> | undefined
    const held = async () => {
      state.holdsLock = true
      running = fn()
      try {
        return await running
      } finally {
        state.holdsLock = false
      }
    }
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), lockTimeout)
    // Our own lock may be stolen while fn runs: fn's outcome still stands.
    const outcome = (error: unknown) => {
      if (running) return running
      throw error
    }
    try {
      return await locks.request(lockName, { signal: controller.signal }, held)
    } catch (error) {
      if (running || !controller.signal.aborted) return outcome(error)
      return await locks.request(lockName, { steal: true }, held).catch(outcome)
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    state,
    post(message) {
      if (!channel) return
      state.lastSent = { type: message.type, at: Date.now() }
      channel.postMessage(message)
    },
    withLock,
    close() {
      channel?.close()
    },
  }
}
