// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  createLockManager,
  credentials,
  FakeChannel,
  nearlyDeadRefreshes,
  setupAuth,
  useFakeServer,
} from './utils'

/** A stand-in for the devtools API that records what the plugin does with it. */
const devtools = vi.hoisted(() => {
  const state = {
    registrations: 0,
    connect: null as null | (() => void),
    treeHandlers: [] as ((payload: any) => void)[],
    stateHandlers: [] as ((payload: any) => void)[],
    inspectors: [] as any[],
    layers: [] as any[],
    events: [] as any[],
    sent: 0,
  }
  const api = {
    now: () => Date.now(),
    addTimelineLayer: (layer: any) => state.layers.push(layer),
    addTimelineEvent: (event: any) => state.events.push(event),
    addInspector: (inspector: any) => state.inspectors.push(inspector),
    sendInspectorTree: () => state.sent++,
    sendInspectorState: () => state.sent++,
    on: {
      getInspectorTree: (fn: any) => state.treeHandlers.push(fn),
      getInspectorState: (fn: any) => state.stateHandlers.push(fn),
    },
  }
  return { state, api }
})

vi.mock('@vue/devtools-api', () => ({
  setupDevtoolsPlugin: (_descriptor: unknown, setup: (api: unknown) => void) => {
    devtools.state.registrations++
    // The real API arrives only once a devtools client connects; the test decides when.
    devtools.state.connect = () => setup(devtools.api)
  },
}))

function reset() {
  Object.assign(devtools.state, {
    registrations: 0,
    connect: null,
    treeHandlers: [],
    stateHandlers: [],
    inspectors: [],
    layers: [],
    events: [],
    sent: 0,
  })
}

function inspect(nodeId = 'session', inspectorId = 'vue-refresh-auth') {
  const tree = { inspectorId, rootNodes: [] as any[] }
  const state = { inspectorId, nodeId, state: {} as Record<string, { key: string; value: any }[]> }
  for (const fn of devtools.state.treeHandlers) fn(tree)
  for (const fn of devtools.state.stateHandlers) fn(state)
  const value = (section: string, key: string) =>
    state.state[section]?.find((entry) => entry.key === key)?.value
  return { tree: tree.rootNodes, state: state.state, value }
}

beforeEach(() => {
  reset()
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('devtools', () => {
  it('registers once per app, and not at all with devtools: false', async () => {
    useFakeServer()
    setupAuth({ restore: false })
    await vi.dynamicImportSettled()
    expect(devtools.state.registrations).toBe(1)
    setupAuth({ restore: false, devtools: false })
    await vi.dynamicImportSettled()
    expect(devtools.state.registrations).toBe(1)
  })

  it('adds the Auth inspector and timeline layer once a client connects', async () => {
    useFakeServer()
    setupAuth({ restore: false })
    expect(devtools.state.inspectors).toHaveLength(0)
    await vi.dynamicImportSettled()
    devtools.state.connect!()
    expect(devtools.state.inspectors.map((i) => i.label)).toEqual(['Auth'])
    expect(devtools.state.layers.map((l) => l.label)).toEqual(['Auth'])
  })

  it('masks the token in the state it sends', async () => {
    useFakeServer()
    const { store } = setupAuth({ restore: false })
    await vi.dynamicImportSettled()
    devtools.state.connect!()
    await store.login(credentials)
    const { state, value } = inspect()
    const token = store.accessToken!
    expect(JSON.stringify(state)).not.toContain(token)
    expect(value('Access token', 'token')).toBe(`${token.slice(0, 6)}… (${token.length} chars)`)
    expect(value('Session', 'status')).toBe('authenticated')
    expect(value('Access token', 'claims')).toMatchObject({ sub: 'alice' })
  })

  it('answers only for its own inspector', async () => {
    useFakeServer()
    setupAuth({ restore: false })
    await vi.dynamicImportSettled()
    devtools.state.connect!()
    const { tree, state } = inspect('session', 'someone-else')
    expect(tree).toEqual([])
    expect(state).toEqual({})
  })

  it('counts the expiry down live and re-sends the inspector on a tick', async () => {
    useFakeServer({ ttl: 60 })
    const { store } = setupAuth({ restore: false })
    await vi.dynamicImportSettled()
    devtools.state.connect!()
    await store.login(credentials)
    expect(inspect().tree[0].label).toBe('Session · expires in 59 s')
    expect(inspect().tree[0].children[0].label).toBe('Access token: expires in 59 s')
    const sent = devtools.state.sent
    await vi.advanceTimersByTimeAsync(12_000)
    expect(devtools.state.sent).toBeGreaterThan(sent)
    expect(inspect().tree[0].label).toBe('Session · expires in 47 s')
    expect(inspect('token').value('Access token', 'seconds left')).toBe(47)
  })

  it('puts login, 401, refresh and replay on the timeline in order, without tokens', async () => {
    const { server } = useFakeServer()
    const { store, $fetch } = setupAuth({ restore: false })
    await vi.dynamicImportSettled()
    devtools.state.connect!()
    await store.login(credentials)
    server.expireAccessTokens()
    await $fetch('/items')
    await store.logout()
    const titles = devtools.state.events
      .map((e) => e.event.title)
      .filter((t: string) => !t.startsWith('tab'))
    expect(titles).toEqual([
      'login',
      '401 intercepted',
      'refresh start',
      'refresh success',
      'request replayed',
      'logout',
    ])
    expect(
      devtools.state.events.find((e) => e.event.title === '401 intercepted').event.subtitle,
    ).toBe('GET /items')
    const all = JSON.stringify(devtools.state.events)
    expect(all).not.toMatch(/eyJ/)
  })

  it('keeps recent events in the inspector state before recording starts', async () => {
    useFakeServer()
    const { store } = setupAuth({ restore: false })
    await store.login(credentials) // before any client connects
    await vi.dynamicImportSettled()
    devtools.state.connect!()
    const events = inspect('events').state['Recent events']!
    expect(events.map((e) => e.value)).toContain('login')
  })

  it('keeps the events of the first moments, before the devtools module has loaded', async () => {
    const { earlierSession } = useFakeServer()
    await earlierSession()
    const { auth } = setupAuth() // the start-up restore begins at once
    await auth.ready
    await vi.dynamicImportSettled()
    devtools.state.connect!()
    const events = inspect('events').state['Recent events']!.map((e) => e.value)
    expect(events).toContain('refresh start · restore')
  })

  it('sets nothing up for an app unmounted before the devtools module loaded', async () => {
    useFakeServer()
    const { unmount } = setupAuth({ restore: false })
    unmount()
    await vi.dynamicImportSettled()
    expect(devtools.state.registrations).toBe(0)
  })

  it('puts nothing more on the timeline once the app is unmounted', async () => {
    useFakeServer()
    const { store, unmount } = setupAuth({ restore: false })
    await vi.dynamicImportSettled()
    devtools.state.connect!()
    await store.login(credentials)
    const recorded = devtools.state.events.length
    expect(recorded).toBeGreaterThan(0)
    unmount()
    // The store outlives the app (it is Pinia's): what it does now is no longer the app's.
    await store.logout()
    expect(store.status).toBe('unauthenticated')
    expect(devtools.state.events).toHaveLength(recorded)
  })

  it('runs its actions: refresh now, expire locally, logout', async () => {
    const { server } = useFakeServer()
    const { store } = setupAuth({ restore: false })
    await vi.dynamicImportSettled()
    devtools.state.connect!()
    await store.login(credentials)
    const actions = Object.fromEntries(
      devtools.state.inspectors[0].actions.map((a: any) => [a.tooltip, a.action]),
    )
    actions['Refresh now']()
    await vi.advanceTimersByTimeAsync(0)
    expect(server.stats.refreshes).toBe(1)
    actions['Expire the access token locally']()
    await vi.advanceTimersByTimeAsync(0)
    expect(server.stats.refreshes).toBe(2)
    expect(inspect().value('Refresh', 'last refresh')).toMatchObject({ outcome: 'success' })
    actions['Logout']()
    await vi.advanceTimersByTimeAsync(0)
    expect(store.status).toBe('unauthenticated')
  })

  it('expires locally, and refreshes, also after a run of tokens that arrived nearly dead', async () => {
    const { fetch } = useFakeServer()
    const { store } = setupAuth({ restore: false, refreshLeeway: 30 })
    await vi.dynamicImportSettled()
    devtools.state.connect!()
    await store.login(credentials)
    // Every refresh now hands out a nearly dead token: two in a row, then the timer leaves it to
    // requests.
    const counter = nearlyDeadRefreshes(fetch)
    await store.refresh()
    await vi.advanceTimersByTimeAsync(100)
    expect(counter.refreshes).toBe(2)
    await vi.advanceTimersByTimeAsync(20_000)
    expect(counter.refreshes).toBe(2)
    const actions = Object.fromEntries(
      devtools.state.inspectors[0].actions.map((a: any) => [a.tooltip, a.action]),
    )
    actions['Expire the access token locally']()
    await vi.advanceTimersByTimeAsync(0)
    expect(counter.refreshes).toBe(3)
  })

  it('counts refresh failures by kind', async () => {
    const { server } = useFakeServer()
    const { store } = setupAuth({ restore: false })
    await vi.dynamicImportSettled()
    devtools.state.connect!()
    await store.login(credentials)
    server.fail('refresh', { status: 503, body: {} })
    await store.refresh().catch(() => {})
    const { value } = inspect('refresh')
    expect(value('Refresh', 'failures by kind')).toEqual({ network: 0, server: 1, rejected: 0 })
    expect(value('Refresh', 'backoff')).toMatchObject({ failures: 1 })
  })
})

describe('devtools, requests', () => {
  it('counts the requests waiting for a refresh', async () => {
    const { server } = useFakeServer()
    const { store, $fetch } = setupAuth({ restore: false })
    await vi.dynamicImportSettled()
    devtools.state.connect!()
    await store.login(credentials)
    server.expireAccessTokens()
    server.fail('refresh', { delay: 1_000 })
    const requests = Promise.all([$fetch('/a'), $fetch('/b'), $fetch('/c')])
    await vi.advanceTimersByTimeAsync(0)
    expect(inspect().value('Refresh', 'requests waiting')).toBe(3)
    await vi.advanceTimersByTimeAsync(1_000)
    await requests
    expect(inspect().value('Refresh', 'requests waiting')).toBe(0)
  })
})

describe('devtools, without a session or tabs', () => {
  it('shows cross-tab sync as off with crossTab: false, and expiring nothing does nothing', async () => {
    const { server } = useFakeServer()
    setupAuth({ restore: false, crossTab: false })
    await vi.dynamicImportSettled()
    devtools.state.connect!()
    expect(inspect().value('Cross-tab', 'enabled')).toBe(false)
    expect(inspect().value('Cross-tab', 'holds refresh lock')).toBe(false)
    const actions = Object.fromEntries(
      devtools.state.inspectors[0].actions.map((a: any) => [a.tooltip, a.action]),
    )
    expect(() => actions['Expire the access token locally']()).not.toThrow()
    await vi.advanceTimersByTimeAsync(0)
    expect(server.requests).toEqual([])
  })
})

describe('devtools, cross-tab', () => {
  beforeEach(() => {
    vi.stubGlobal('BroadcastChannel', FakeChannel)
    Object.defineProperty(navigator, 'locks', { value: createLockManager(), configurable: true })
  })
  afterEach(() => {
    Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true })
  })

  it('shows whether the tab holds the refresh lock, and the last message it sent and received', async () => {
    const { server } = useFakeServer()
    const other = setupAuth({ restore: false })
    const { store } = setupAuth({ restore: false }) // the app devtools connects to
    await vi.dynamicImportSettled()
    devtools.state.connect!()
    expect(inspect().value('Cross-tab', 'enabled')).toBe(true)
    expect(inspect().value('Cross-tab', 'holds refresh lock')).toBe(false)
    expect(inspect().value('Cross-tab', 'last received')).toBeNull()
    await other.store.login(credentials)
    await vi.advanceTimersByTimeAsync(0)
    expect(inspect().value('Cross-tab', 'last received')).toMatchObject({ type: 'login' })
    // At start-up the tab asked the others for a token.
    expect(inspect().value('Cross-tab', 'last sent')).toMatchObject({ type: 'request' })

    server.fail('refresh', { delay: 1_000 })
    const refreshed = store.refresh()
    await vi.advanceTimersByTimeAsync(0)
    expect(inspect().value('Cross-tab', 'holds refresh lock')).toBe(true)
    await vi.advanceTimersByTimeAsync(1_000)
    await refreshed
    expect(inspect().value('Cross-tab', 'holds refresh lock')).toBe(false)
    expect(inspect().value('Cross-tab', 'last sent')).toMatchObject({ type: 'token' })
  })
})
