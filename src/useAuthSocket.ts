import { getCurrentScope, onScopeDispose, shallowRef, watch, type ShallowRef } from 'vue'
import { BACKOFF_CAP, exponential, jitter } from './backoff'
import { getWebSocket, isOffline, listen, pageOrigin } from './env'
import { isAuthError } from './errors'
import type { Attempt } from './door'
import { currentSession } from './store'

/** Where the socket is. */
export type AuthSocketStatus = 'CONNECTING' | 'OPEN' | 'CLOSED'

/** Options of {@link useAuthSocket}. */
export interface UseAuthSocketOptions {
  /** Connect whenever the session becomes authenticated, again after a later login. @default true */
  immediate?: boolean
  /** The query parameter that carries the token (allowed origins only). @default 'access_token' */
  tokenParam?: string
  /** Close codes that mean "your token is no longer good": refresh, then reconnect. @default [1008, 4001] */
  authCloseCodes?: number[]
  /** Reconnect attempts in a row before giving up. @default 5 */
  maxReconnects?: number
  /**
   * Milliseconds to wait before reconnect attempt `attempt` (1, 2, …).
   * @default exponential from 500 ms, capped at 30 s, scaled by a random 0.5–1
   */
  backoff?: (attempt: number) => number
  /**
   * Called when the token was refreshed (in this tab or another) while connected. Without it the
   * socket reconnects with the new token; with it, re-authenticate in band (e.g. `ws.send(...)`).
   */
  onTokenRefreshed?: (token: string, ws: WebSocket) => void
  /** Called for every message; `data` holds only the last one. */
  onMessage?: (event: MessageEvent, ws: WebSocket) => void
  /** WebSocket sub-protocols. */
  protocols?: string | string[]
}

/** What {@link useAuthSocket} returns. */
export interface UseAuthSocketReturn<T = unknown> {
  status: ShallowRef<AuthSocketStatus>
  /** The last message received. */
  data: ShallowRef<T | null>
  /** Sends now when open, else queues until the next open; returns whether it was sent now. */
  send(data: Parameters<WebSocket['send']>[0]): boolean
  /** Connects (or reconnects) now. */
  open(): void
  /** Closes without reconnecting. @param code - @default 1000 */
  close(code?: number, reason?: string): void
  ws: ShallowRef<WebSocket | null>
}

const defaultBackoff = (attempt: number) => jitter(exponential(attempt, 500, BACKOFF_CAP))

/** The socket's URL: absolute, or a path on the page's host. */
const socketUrl = (url: string) => new URL(url, pageOrigin()?.replace(/^http/, 'ws'))

/**
 * Reconnect attempts in a row, up to `max`, each after `backoff(attempt)`, or when the browser is
 * back online; `reset()` after a connection opened.
 */
function createReconnects(
  max: number,
  backoff: (attempt: number) => number,
  reconnect: () => void,
) {
  let attempts = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopOnline: (() => void) | null = null
  const cancel = () => {
    clearTimeout(timer)
    stopOnline?.()
    stopOnline = null
  }
  return {
    reset: () => (attempts = 0),
    cancel,
    /** Counts an attempt; false when they are used up. */
    take: () => attempts < max && ++attempts > 0,
    later() {
      if (attempts >= max) return
      attempts++
      if (isOffline()) {
        stopOnline ??= listen('window', 'online', () => {
          cancel()
          reconnect()
        })
        return
      }
      timer = setTimeout(reconnect, backoff(attempts))
    },
  }
}

/** Closes `socket` with none of its handlers left to run. */
function closeQuietly(socket: WebSocket, code: number, reason?: string) {
  socket.onclose = socket.onmessage = socket.onopen = null
  // Closing a socket that is still connecting fails it with an error event: a handler keeps
  // Node's `ws` (and its kin) from throwing that as uncaught.
  socket.onerror = () => {}
  if (socket.readyState <= 1) socket.close(code, reason)
}

/**
 * A WebSocket that follows the session: it carries the access token, refreshes on an auth close code
 * before reconnecting, reconnects with backoff after other abnormal closes, moves to the new token
 * after every refresh, and closes on logout. Closed when the calling scope is disposed.
 *
 * @param url - an absolute `ws://` / `wss://` URL, or a path on the page's host
 * @example
 * ```ts
 * const { status, data, send } = useAuthSocket<string>('/ws')
 * ```
 */
export function useAuthSocket<T = unknown>(
  url: string,
  options: UseAuthSocketOptions = {},
): UseAuthSocketReturn<T> {
  const {
    immediate = true,
    tokenParam = 'access_token',
    authCloseCodes = [1008, 4001],
    maxReconnects = 5,
    backoff = defaultBackoff,
    onTokenRefreshed,
    onMessage,
    protocols,
  } = options
  const door = currentSession('useAuthSocket()').door
  const status = shallowRef<AuthSocketStatus>('CLOSED')
  const data = shallowRef<T | null>(null)
  const ws = shallowRef<WebSocket | null>(null)
  const queue: Parameters<WebSocket['send']>[0][] = []
  let wanted = immediate
  // What the current socket carried: null for an origin that may not carry the token.
  let socketAttempt: Attempt | null = null
  const reconnects = createReconnects(maxReconnects, backoff, () => void connectWithFreshToken())

  /** Closes the current socket without its close handler scheduling a reconnect. */
  function drop(code = 1000, reason?: string) {
    if (ws.value) closeQuietly(ws.value, code, reason)
    ws.value = null
    socketAttempt = null
    status.value = 'CLOSED'
  }

  function connect(attempt: Attempt | null) {
    const Socket = getWebSocket()
    if (!Socket) return
    drop(1000, 'reconnecting')
    const resolved = socketUrl(url)
    if (attempt?.token) resolved.searchParams.set(tokenParam, attempt.token)
    const socket = new Socket(resolved.href, protocols)
    ws.value = socket
    socketAttempt = attempt
    status.value = 'CONNECTING'
    socket.onopen = () => {
      status.value = 'OPEN'
      reconnects.reset()
      for (const message of queue.splice(0)) socket.send(message)
    }
    socket.onmessage = (event) => {
      data.value = event.data as T
      onMessage?.(event, socket)
    }
    socket.onclose = (event) => {
      if (ws.value !== socket) return
      ws.value = null
      status.value = 'CLOSED'
      onClosed(event.code, socket)
    }
  }

  async function connectWithFreshToken() {
    reconnects.cancel()
    if (!wanted || !door.currentToken()) return
    try {
      // Waits for a refresh first when the token is already known to be expired.
      // The session's origin policy judges the socket by its http(s) twin.
      const attempt = await door.begin('GET', socketUrl(url).href.replace(/^ws/, 'http'))
      if (wanted && door.currentToken()) connect(attempt)
    } catch (error) {
      // A rejected refresh ends the session, and with it the socket; a blip retries.
      if (!isAuthError(error, 'session_expired')) reconnects.later()
    }
  }

  function onClosed(code: number, socket: WebSocket) {
    const attempt = socketAttempt
    if (!wanted || !door.currentToken() || code === 1000) return
    if (!attempt || !authCloseCodes.includes(code)) return reconnects.later()
    if (!reconnects.take()) return
    door.emit({ type: 'socket:reauth', url: socket.url.split('?')[0]!, reason: String(code) })
    // An auth close is the socket's 401: the shared single-flight refresh, then the replay.
    door.replay(attempt, 401).then(
      (again) => {
        if (!wanted) return
        if (again) connect(attempt)
        else reconnects.later()
      },
      (error) => {
        if (!isAuthError(error, 'session_expired')) reconnects.later()
      },
    )
  }

  const stopWatching = watch(
    () => door.currentToken(),
    (token, previous) => {
      if (!token) {
        // Logged out (here or in another tab): close cleanly and wait for the next login. Nothing
        // queued for this user may reach the next one's socket.
        reconnects.cancel()
        drop(1000, 'logged out')
        queue.length = 0
        return
      }
      if (!previous) {
        reconnects.reset()
        if (wanted && !ws.value) void connectWithFreshToken()
        return
      }
      const socket = ws.value
      const attempt = socketAttempt
      // Nothing to move for a socket without the token (another origin).
      if (!socket || !attempt || token === attempt.token) return
      if (onTokenRefreshed && status.value === 'OPEN') {
        attempt.token = token
        onTokenRefreshed(token, socket)
      } else {
        // Move to the new token now, before the server closes the old one at its expiry: the old
        // socket goes at once, the new one as soon as the token is handed out.
        drop(1000, 'new token')
        void connectWithFreshToken()
      }
    },
  )

  if (wanted && door.currentToken()) void connectWithFreshToken()

  function close(code = 1000, reason?: string) {
    wanted = false
    reconnects.cancel()
    drop(code, reason)
  }

  if (getCurrentScope()) {
    onScopeDispose(() => {
      close()
      stopWatching()
    })
  }

  return {
    status,
    data,
    ws,
    send(message) {
      // readyState, not status: a socket the server is closing still reads OPEN until onclose.
      if (ws.value?.readyState === 1) {
        ws.value.send(message)
        return true
      }
      queue.push(message)
      return false
    },
    open() {
      wanted = true
      reconnects.reset()
      void connectWithFreshToken()
    },
    close,
  }
}
