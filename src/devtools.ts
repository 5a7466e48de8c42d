// Development only: createAuth reaches this file behind `__DEV__`, so production bundles drop it
// together with @vue/devtools-api (both are side-effect free).
import { setupDevtoolsPlugin } from '@vue/devtools-api'
import type { App } from 'vue'
import { secondsLeft } from './expiry'
import type { Session } from './session'
import type { AuthEvent } from './types'

type DevtoolsApi = Parameters<Parameters<typeof setupDevtoolsPlugin>[1]>[0]
type StateSection = { key: string; value: unknown }[]

const INSPECTOR_ID = 'vue-refresh-auth'
const LAYER_ID = 'vue-refresh-auth'
// devtools-kit pushes inspector updates through one shared ~120 ms debounce where the last caller
// wins; a 1 s tick was seen to freeze the countdown for seconds, 500 ms was not.
const TICK = 500
// Timeline events are dropped until recording is switched on, so the inspector keeps the last ones.
const RECENT = 50

/** The first characters and the length: enough to tell tokens apart, never enough to use one. */
export function maskToken(token: string): string {
  return `${token.slice(0, 6)}… (${token.length} chars)`
}

const time = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : '—')

function describe(event: AuthEvent): { title: string; subtitle: string; data: object } {
  switch (event.type) {
    case 'login':
      return { title: 'login', subtitle: '', data: {} }
    case 'logout':
      return { title: 'logout', subtitle: event.everywhere ? 'everywhere' : '', data: event }
    case 'unauthorized':
    case 'replay':
      return {
        title: event.type === 'unauthorized' ? '401 intercepted' : 'request replayed',
        subtitle: `${event.method} ${event.url}`,
        data: { method: event.method, url: event.url },
      }
    case 'refresh:start':
      return { title: 'refresh start', subtitle: event.reason, data: { reason: event.reason } }
    case 'refresh:success':
      return {
        title: 'refresh success',
        subtitle: `${event.duration} ms`,
        data: { duration: `${event.duration} ms` },
      }
    case 'refresh:failure':
    case 'session:expired': {
      const data = { code: event.error.code, reason: event.error.message }
      return event.type === 'refresh:failure'
        ? {
            title: 'refresh failure',
            subtitle: event.error.code,
            data: { ...data, duration: `${event.duration} ms` },
          }
        : { title: 'session expired', subtitle: event.error.code, data }
    }
    case 'tab:sent':
    case 'tab:received':
      return {
        title: event.type === 'tab:sent' ? 'tab message sent' : 'tab message received',
        subtitle: event.message,
        data: { message: event.message },
      }
    case 'socket:reauth':
      return { title: 'socket re-authenticated', subtitle: event.url, data: event }
  }
}

/** What the inspector shows of the events so far. */
interface EventLog {
  recent: { at: number; title: string; subtitle: string }[]
  failures: { network: number; server: number; rejected: number }
  lastRefresh: { at: number; outcome: string; duration: number } | null
}

/** The inspector's tree: the countdown on the root node, so it shows while collapsed. */
function inspectorTree(session: Session<any, any>, log: EventLog) {
  const set = session.held.value
  const left = secondsLeft(set?.expiresAt)
  return [
    {
      id: 'session',
      // The countdown sits on the root node so it shows while the tree is collapsed.
      label: !set
        ? 'Session · signed out'
        : left === null
          ? 'Session · no expiry'
          : `Session · expires in ${left} s`,
      tags: [{ label: session.status.value, textColor: 0xffffff, backgroundColor: 0x42b883 }],
      children: [
        {
          id: 'token',
          label: !set
            ? 'Access token: none'
            : left === null
              ? 'Access token: no expiry'
              : `Access token: expires in ${left} s`,
        },
        { id: 'refresh', label: session.inspect().refreshing ? 'Refresh: in flight' : 'Refresh' },
        { id: 'tabs', label: 'Cross-tab' },
        { id: 'events', label: `Recent events (${log.recent.length})` },
      ],
    },
  ]
}

/** The inspector's state, by section. */
function inspectorState(session: Session<any, any>, log: EventLog): Record<string, StateSection> {
  const set = session.held.value
  const claims = set?.claims as { iat?: number } | null | undefined
  const { tabs, refreshing, parked, nextCheckAt, backoff } = session.inspect()
  const { options } = session
  return {
    Session: [
      { key: 'status', value: session.status.value },
      { key: 'user', value: session.user.value },
      { key: 'roles', value: session.roles() },
      { key: 'error', value: session.error.value?.message ?? null },
    ],
    'Access token': [
      { key: 'token', value: set ? maskToken(set.token) : null },
      { key: 'claims', value: claims ?? null },
      { key: 'issued at', value: time(claims?.iat ? claims.iat * 1000 : set?.receivedAt) },
      { key: 'expires at', value: time(set?.expiresAt) },
      { key: 'seconds left', value: secondsLeft(set?.expiresAt) },
    ],
    Refresh: [
      { key: 'mode', value: options.bodyMode ? 'body' : 'cookie' },
      { key: 'in flight', value: refreshing },
      { key: 'requests waiting', value: parked },
      {
        key: 'last refresh',
        value: log.lastRefresh ? { ...log.lastRefresh, at: time(log.lastRefresh.at) } : null,
      },
      { key: 'next check', value: time(nextCheckAt) },
      {
        key: 'backoff',
        value: { failures: backoff.failures, retryAt: time(backoff.retryAt) },
      },
      { key: 'failures by kind', value: { ...log.failures } },
    ],
    'Cross-tab': [
      { key: 'enabled', value: Boolean(options.crossTab && tabs) },
      { key: 'holds refresh lock', value: tabs?.holdsLock ?? false },
      {
        key: 'last sent',
        value: tabs?.lastSent ? { ...tabs.lastSent, at: time(tabs.lastSent.at) } : null,
      },
      {
        key: 'last received',
        value: tabs?.lastReceived ? { ...tabs.lastReceived, at: time(tabs.lastReceived.at) } : null,
      },
    ],
    'Recent events': log.recent.map((e) => ({
      key: time(e.at).slice(11, 23),
      value: e.subtitle ? `${e.title} · ${e.subtitle}` : e.title,
    })),
  }
}

/**
 * Registers the "Auth" inspector and timeline layer. The devtools API arrives only once a client
 * connects; until then events cost a push onto a short ring buffer.
 */
export function setupDevtools(
  app: App,
  session: Session<any, any>,
  early: { at: number; event: AuthEvent }[] = [],
): () => void {
  let api: DevtoolsApi | null = null
  let timer: ReturnType<typeof setInterval> | undefined
  const log: EventLog = {
    recent: [],
    failures: { network: 0, server: 0, rejected: 0 },
    lastRefresh: null,
  }
  const { recent, failures } = log
  let refreshGroup = 0
  let disposed = false

  function record(event: AuthEvent, now = Date.now()) {
    if (event.type === 'refresh:start') refreshGroup++
    if (event.type === 'refresh:success') {
      log.lastRefresh = { at: now, outcome: 'success', duration: event.duration }
    }
    if (event.type === 'refresh:failure') {
      log.lastRefresh = { at: now, outcome: event.error.code, duration: event.duration }
      const kind =
        event.error.code === 'network'
          ? 'network'
          : event.error.code === 'server'
            ? 'server'
            : 'rejected'
      failures[kind]++
    }
    const { title, subtitle, data } = describe(event)
    recent.unshift({ at: now, title, subtitle })
    recent.length = Math.min(recent.length, RECENT)
    api?.addTimelineEvent({
      layerId: LAYER_ID,
      event: {
        time: api.now(),
        title,
        subtitle,
        data,
        logType:
          event.type === 'refresh:failure' || event.type === 'session:expired'
            ? 'error'
            : event.type === 'unauthorized'
              ? 'warning'
              : 'default',
        groupId: event.type.startsWith('refresh:') ? `refresh-${refreshGroup}` : undefined,
      },
    })
  }

  for (const { at, event } of early) record(event, at)
  const stopListening = session.onEvent((event) => record(event))

  const sections: Record<string, string[]> = {
    token: ['Access token'],
    refresh: ['Refresh'],
    tabs: ['Cross-tab'],
    events: ['Recent events'],
  }

  setupDevtoolsPlugin(
    {
      id: 'vue-refresh-auth',
      label: 'Auth',
      packageName: 'vue-refresh-auth',
      homepage: 'https://github.com/vue-refresh-auth/vue-refresh-auth',
      app,
    },
    (devtoolsApi) => {
      // A client may connect after the app was unmounted.
      if (disposed) return
      api = devtoolsApi
      api.addTimelineLayer({ id: LAYER_ID, label: 'Auth', color: 0x42b883 })
      api.addInspector({
        id: INSPECTOR_ID,
        label: 'Auth',
        icon: 'lock',
        treeFilterPlaceholder: 'Filter',
        actions: [
          {
            icon: 'refresh',
            tooltip: 'Refresh now',
            action: () => void session.refresh().catch(() => {}),
          },
          {
            icon: 'timer_off',
            tooltip: 'Expire the access token locally',
            action: () => session.expireLocally(),
          },
          {
            icon: 'logout',
            tooltip: 'Logout',
            action: () => void session.logout().catch(() => {}),
          },
        ],
      })
      // These handlers are shared by every plugin: answer only for our inspector.
      api.on.getInspectorTree((payload) => {
        if (payload.inspectorId === INSPECTOR_ID) payload.rootNodes = inspectorTree(session, log)
      })
      api.on.getInspectorState((payload) => {
        if (payload.inspectorId !== INSPECTOR_ID) return
        const all = inspectorState(session, log)
        const only = sections[payload.nodeId]
        payload.state = only ? Object.fromEntries(only.map((name) => [name, all[name]!])) : all
      })
      timer = setInterval(() => {
        api!.sendInspectorTree(INSPECTOR_ID)
        api!.sendInspectorState(INSPECTOR_ID)
      }, TICK)
    },
  )

  return () => {
    disposed = true
    // No more events reach record(), so nothing more reaches the timeline.
    stopListening()
    clearInterval(timer)
  }
}
