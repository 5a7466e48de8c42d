// @vitest-environment happy-dom
import { effectScope, nextTick } from 'vue'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { useAuthSocket, type UseAuthSocketOptions } from '../src'
import { credentials, setupAuth, useFakeServer, withoutGlobal } from './utils'

/** A WebSocket stand-in the test opens and closes by hand. */
class FakeSocket {
  static all: FakeSocket[] = []
  readyState = 0
  sent: unknown[] = []
  closedWith: number | null = null
  onopen: (() => void) | null = null
  onclose: ((event: { code: number }) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onerror: (() => void) | null = null
  constructor(readonly url: string) {
    FakeSocket.all.push(this)
  }
  send(data: unknown) {
    this.sent.push(data)
  }
  close(code = 1000) {
    this.readyState = 3
    this.closedWith = code
  }
  // What the server does:
  accept() {
    this.readyState = 1
    this.onopen?.()
  }
  serverClose(code: number) {
    this.readyState = 3
    this.onclose?.({ code })
  }
  get token() {
    return new URL(this.url).searchParams.get('access_token')
  }
}

const last = () => FakeSocket.all.at(-1)!

beforeEach(() => {
  // A whole second, so JWT iat/exp (whole seconds) line up with the clock exactly.
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
  FakeSocket.all = []
  vi.stubGlobal('WebSocket', FakeSocket)
})
afterEach(() => {
  vi.useRealTimers()
})

async function connected(options: UseAuthSocketOptions = {}, url = '/ws') {
  const { server } = useFakeServer()
  const ctx = setupAuth({ restore: false, refreshLeeway: 0 })
  await ctx.store.login(credentials)
  const scope = effectScope()
  const socket = scope.run(() => useAuthSocket(url, options))!
  await vi.advanceTimersByTimeAsync(0)
  return { server, scope, socket, ...ctx }
}

describe('useAuthSocket', () => {
  it('connects with the access token once signed in', async () => {
    const { socket, store } = await connected()
    expect(FakeSocket.all).toHaveLength(1)
    expect(last().url.startsWith('ws://app.test/ws?')).toBe(true)
    expect(last().token).toBe(store.accessToken)
    expect(socket.status.value).toBe('CONNECTING')
    last().accept()
    expect(socket.status.value).toBe('OPEN')
    last().onmessage!({ data: 'hello' })
    expect(socket.data.value).toBe('hello')
  })

  it('never puts the token in the URL of another origin', async () => {
    await connected({}, 'wss://elsewhere.example/ws')
    expect(last().url).toBe('wss://elsewhere.example/ws')
  })

  it('does not connect while signed out', async () => {
    useFakeServer()
    setupAuth({ restore: false })
    effectScope().run(() => useAuthSocket('/ws'))
    await vi.advanceTimersByTimeAsync(0)
    expect(FakeSocket.all).toHaveLength(0)
  })

  it.each([1008, 4001])(
    'refreshes once on close code %i, then reconnects with the new token',
    async (code) => {
      const { server, store } = await connected()
      last().accept()
      const old = store.accessToken
      last().serverClose(code)
      await vi.advanceTimersByTimeAsync(0)
      expect(server.stats.refreshes).toBe(1)
      expect(FakeSocket.all).toHaveLength(2)
      expect(last().token).toBe(store.accessToken)
      expect(last().token).not.toBe(old)
    },
  )

  it('reconnects after 1006 with backoff, not at once', async () => {
    const { server } = await connected({ backoff: () => 1000 })
    last().accept()
    last().serverClose(1006)
    await vi.advanceTimersByTimeAsync(900)
    expect(FakeSocket.all).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(200)
    expect(FakeSocket.all).toHaveLength(2)
    expect(server.stats.refreshes).toBe(0)
  })

  it('does not reconnect after a clean close or close()', async () => {
    const { socket } = await connected()
    last().accept()
    last().serverClose(1000)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(FakeSocket.all).toHaveLength(1)
    socket.open()
    await vi.advanceTimersByTimeAsync(0)
    last().accept()
    socket.close()
    expect(last().closedWith).toBe(1000)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(FakeSocket.all).toHaveLength(2)
    expect(socket.status.value).toBe('CLOSED')
  })

  it('gives up after maxReconnects failed attempts in a row', async () => {
    await connected({ maxReconnects: 3, backoff: () => 100 })
    for (let i = 0; i < 10; i++) {
      last().serverClose(1006)
      await vi.advanceTimersByTimeAsync(100)
    }
    expect(FakeSocket.all).toHaveLength(4)
  })

  it('caps the default backoff at 30 s', async () => {
    await connected({ maxReconnects: 20 })
    const at: number[] = []
    for (let i = 0; i < 12; i++) {
      const before = FakeSocket.all.length
      last().serverClose(1006)
      while (FakeSocket.all.length === before) await vi.advanceTimersByTimeAsync(100)
      at.push(Date.now())
    }
    const gaps = at.slice(1).map((t, i) => t - at[i]!)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30_100)
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(15_000)
  })

  it('closes with 1000 on logout, stays closed, and reconnects after the next login', async () => {
    const { store } = await connected()
    last().accept()
    await store.logout()
    await nextTick()
    expect(last().closedWith).toBe(1000)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(FakeSocket.all).toHaveLength(1)
    await store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    expect(FakeSocket.all).toHaveLength(2)
    expect(last().token).toBe(store.accessToken)
  })

  it('moves to the new token after a refresh, before the old one expires', async () => {
    const { store } = await connected()
    last().accept()
    await store.refresh()
    await nextTick()
    expect(FakeSocket.all).toHaveLength(2)
    expect(FakeSocket.all[0]!.closedWith).toBe(1000)
    expect(last().token).toBe(store.accessToken)
  })

  it('calls onTokenRefreshed instead of reconnecting when given', async () => {
    const onTokenRefreshed = vi.fn((token: string, ws: WebSocket) => ws.send(`auth ${token}`))
    const { store } = await connected({ onTokenRefreshed })
    last().accept()
    await store.refresh()
    await nextTick()
    expect(FakeSocket.all).toHaveLength(1)
    expect(onTokenRefreshed).toHaveBeenCalledOnce()
    expect(last().sent).toEqual([`auth ${store.accessToken}`])
  })

  it('queues sends until open', async () => {
    const { socket } = await connected()
    expect(socket.send('early')).toBe(false)
    last().accept()
    expect(last().sent).toEqual(['early'])
    expect(socket.send('now')).toBe(true)
  })

  it('stays closed when the refresh after an auth close is rejected', async () => {
    const { server, store } = await connected()
    last().accept()
    server.fail('refresh', { status: 401, body: { error: 'invalid_grant' } })
    last().serverClose(4001)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(store.status).toBe('unauthenticated')
    expect(FakeSocket.all).toHaveLength(1)
  })

  it('closes when its scope is disposed', async () => {
    const { scope } = await connected()
    last().accept()
    scope.stop()
    expect(last().closedWith).toBe(1000)
  })

  it('does nothing where there is no WebSocket (SSR, Node 20)', async () => {
    withoutGlobal('WebSocket')
    const { socket } = await connected()
    expect(socket.status.value).toBe('CLOSED')
  })
})

describe('what the app asked for', () => {
  it('waits for open() with immediate: false, also across a refresh', async () => {
    const { socket, store } = await connected({ immediate: false })
    expect(FakeSocket.all).toHaveLength(0)
    await store.refresh()
    await vi.advanceTimersByTimeAsync(0)
    expect(FakeSocket.all).toHaveLength(0)
    socket.open()
    await vi.advanceTimersByTimeAsync(0)
    expect(FakeSocket.all).toHaveLength(1)
    expect(last().token).toBe(store.accessToken)
  })

  it('stays closed after close(), through a refresh and a new login, until open()', async () => {
    const { socket, store } = await connected()
    last().accept()
    socket.close()
    await store.refresh()
    await vi.advanceTimersByTimeAsync(0)
    await store.logout()
    await store.login(credentials)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(FakeSocket.all).toHaveLength(1)
    expect(socket.status.value).toBe('CLOSED')
    socket.open()
    await vi.advanceTimersByTimeAsync(0)
    expect(FakeSocket.all).toHaveLength(2)
  })

  it('counts auth closes among the reconnects in a row, and gives up when they are used up', async () => {
    // The server closes each socket before it opens: with 4001 (refresh, then reconnect), once
    // with 1006 (reconnect after the backoff), then 4001 again.
    const { server } = await connected({ maxReconnects: 2, backoff: () => 100 })
    for (const code of [4001, 1006, 4001, 4001, 4001]) {
      last().serverClose(code)
      await vi.advanceTimersByTimeAsync(100)
    }
    expect(FakeSocket.all).toHaveLength(3)
    expect(server.stats.refreshes).toBe(1)
  })

  it('leaves no timer behind where there is no WebSocket', async () => {
    withoutGlobal('WebSocket')
    useFakeServer()
    const { store } = setupAuth({ restore: false, refreshLeeway: 0 })
    await store.login(credentials)
    const timers = vi.getTimerCount()
    const scope = effectScope()
    const socket = scope.run(() => useAuthSocket('/ws'))!
    await vi.advanceTimersByTimeAsync(0)
    expect(socket.status.value).toBe('CLOSED')
    expect(vi.getTimerCount()).toBe(timers)
    scope.stop()
  })
})

describe('found in review', () => {
  it('starts over after a new login: reconnect attempts reset, nothing queued for the previous user', async () => {
    const { socket, store } = await connected({ maxReconnects: 1, backoff: () => 100 })
    last().serverClose(1006)
    await vi.advanceTimersByTimeAsync(100)
    last().serverClose(1006) // attempts used up
    await vi.advanceTimersByTimeAsync(1_000)
    const sockets = FakeSocket.all.length
    socket.send('for alice only')
    await store.logout()
    await nextTick()
    await store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    expect(FakeSocket.all.length).toBe(sockets + 1)
    last().accept()
    expect(last().sent).toEqual([])
    last().serverClose(1006)
    await vi.advanceTimersByTimeAsync(100)
    expect(FakeSocket.all.length).toBe(sockets + 2)
  })
})

describe('reconnecting through trouble', () => {
  it('waits for the browser to be back online instead of retrying on a timer', async () => {
    const { socket } = await connected()
    last().accept()
    Object.defineProperty(navigator, 'onLine', { value: false, configurable: true })
    try {
      last().serverClose(1006)
      await vi.advanceTimersByTimeAsync(120_000)
      expect(FakeSocket.all).toHaveLength(1)
      expect(socket.status.value).toBe('CLOSED')
    } finally {
      Object.defineProperty(navigator, 'onLine', { value: true, configurable: true })
    }
    window.dispatchEvent(new Event('online'))
    await vi.advanceTimersByTimeAsync(0)
    expect(FakeSocket.all).toHaveLength(2)
    // Only once: a second online event finds nothing to do.
    window.dispatchEvent(new Event('online'))
    await vi.advanceTimersByTimeAsync(0)
    expect(FakeSocket.all).toHaveLength(2)
  })

  it('retries a reconnect whose refresh got no answer, and connects once the server is back', async () => {
    const { server, store } = await connected({ backoff: () => 1000 })
    last().accept()
    // The token is known to be expired: the reconnect refreshes first, and that refresh is lost.
    vi.setSystemTime(store.expiresAt! + 1_000)
    server.fail('refresh', { drop: true })
    last().serverClose(1006)
    await vi.advanceTimersByTimeAsync(1_500) // the first reconnect: its refresh is dropped
    expect(FakeSocket.all).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(5_000) // the next one, a second later, gets through
    expect(server.stats.refreshes).toBeGreaterThan(0)
    expect(FakeSocket.all).toHaveLength(2)
    expect(last().token).toBe(store.accessToken)
  })
})

describe('while a refresh is on its way', () => {
  it.each([
    ['for the refresh of a known-expired token', 1006, true],
    ['for the refresh after an auth close', 4001, false],
  ] as const)('stays closed when close() comes while it waits %s', async (_, code, expired) => {
    const { socket, store, server } = await connected({ backoff: () => 1_000 })
    last().accept()
    if (expired) vi.setSystemTime(store.expiresAt! + 1_000)
    server.fail('refresh', { delay: 2_000 })
    last().serverClose(code)
    // The reconnect waits for the refresh (after the backoff for a 1006); the app closes the
    // socket meanwhile.
    await vi.advanceTimersByTimeAsync(1_500)
    socket.close()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(server.stats.refreshes).toBe(1)
    expect(FakeSocket.all).toHaveLength(1)
    expect(socket.status.value).toBe('CLOSED')
  })

  it('waits for the backoff before trying again when the new token is refused too', async () => {
    const { server } = await connected({ backoff: () => 1_000 })
    last().serverClose(4001) // refreshed, and reconnected at once
    await vi.advanceTimersByTimeAsync(0)
    expect(FakeSocket.all).toHaveLength(2)
    last().serverClose(4001) // the fresh token is refused as well
    await vi.advanceTimersByTimeAsync(500)
    expect(FakeSocket.all).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(600)
    expect(FakeSocket.all).toHaveLength(3)
    expect(server.stats.refreshes).toBe(1)
  })

  it('retries an auth close whose refresh got no answer, and connects once the server is back', async () => {
    const { server, store } = await connected({ backoff: () => 1_000 })
    last().accept()
    server.fail('refresh', { drop: true })
    last().serverClose(4001)
    await vi.advanceTimersByTimeAsync(500)
    expect(FakeSocket.all).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(FakeSocket.all).toHaveLength(2)
    expect(last().token).toBe(store.accessToken)
  })

  it('opens one socket, with the new token, when created while the token is known to be expired', async () => {
    const { server } = useFakeServer()
    const ctx = setupAuth({ restore: false, refreshLeeway: 0 })
    await ctx.store.login(credentials)
    vi.setSystemTime(ctx.store.expiresAt! + 1_000)
    const scope = effectScope()
    scope.run(() => useAuthSocket('/ws'))
    await vi.advanceTimersByTimeAsync(1_000)
    expect(server.stats.refreshes).toBe(1)
    expect(FakeSocket.all).toHaveLength(1)
    expect(last().token).toBe(ctx.store.accessToken)
    scope.stop()
  })

  it('reconnects with the new token instead of calling onTokenRefreshed while still connecting', async () => {
    const onTokenRefreshed = vi.fn()
    const { store } = await connected({ onTokenRefreshed })
    await store.refresh() // the first socket has not opened yet
    await nextTick()
    expect(onTokenRefreshed).not.toHaveBeenCalled()
    expect(FakeSocket.all).toHaveLength(2)
    expect(last().token).toBe(store.accessToken)
  })

  it('is quiet outside an effect scope: no Vue warning, closed by close()', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    useFakeServer()
    const { store } = setupAuth({ restore: false })
    await store.login(credentials)
    const socket = useAuthSocket('/ws')
    await vi.advanceTimersByTimeAsync(0)
    expect(FakeSocket.all).toHaveLength(1)
    socket.close()
    expect(warn).not.toHaveBeenCalled()
  })
})
