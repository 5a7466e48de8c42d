import { shallowReactive } from 'vue'
import type { AuthEvent } from 'vue-refresh-auth'

/** How the log colours an entry. */
export type LogTone = 'ok' | 'info' | 'warn' | 'error'

/** One line of the event log. */
export interface LogEntry {
  id: number
  at: Date
  type: AuthEvent['type']
  detail: string
  tone: LogTone
  /** How many identical events in a row this entry stands for (20 parallel 401s make one line). */
  count: number
}

/** The log keeps the newest entries only. */
export const LOG_LIMIT = 100

/** Auth events as they happen, newest first; pages render it (see `components/EventLog.vue`). */
export const eventLog = shallowReactive<LogEntry[]>([])

let serial = 0

const tones: Partial<Record<AuthEvent['type'], LogTone>> = {
  login: 'ok',
  logout: 'info',
  unauthorized: 'warn',
  'refresh:start': 'info',
  'refresh:success': 'ok',
  'refresh:failure': 'error',
  replay: 'info',
  'session:expired': 'error',
}

function nameOf(user: unknown): string {
  const name = (user as { name?: unknown } | null)?.name
  return typeof name === 'string' ? name : 'someone'
}

// Why the running refresh started: a restore rejected at start-up only means "no session yet", so
// the log says that instead of showing an error.
let refreshReason = ''

const isEmptyRestore = (event: AuthEvent) =>
  event.type === 'refresh:failure' &&
  refreshReason === 'restore' &&
  event.error.code === 'session_expired'

/** A one-line summary of an event (events never carry a token). */
export function describeEvent(event: AuthEvent): string {
  switch (event.type) {
    case 'login':
      return `signed in as ${nameOf(event.user)}`
    case 'logout':
      return event.everywhere ? 'signed out everywhere' : 'signed out'
    case 'unauthorized':
      return `401 on ${event.method} ${event.url}`
    case 'refresh:start':
      return event.reason === 'restore' ? 'restoring the session' : 'refreshing the access token'
    case 'refresh:success':
      return `new access token in ${event.duration} ms`
    case 'refresh:failure':
      return isEmptyRestore(event)
        ? 'no session to restore: sign in'
        : `${event.error.code} after ${event.duration} ms`
    case 'replay':
      return `replaying ${event.method} ${event.url}`
    case 'session:expired':
      return `session ended (${event.error.code})`
    default:
      return describeOther(event as { type: string } & Record<string, unknown>)
  }
}

/** Cross-tab and socket events, read loosely so the log keeps up as the library grows. */
function describeOther({ type, ...fields }: { type: string } & Record<string, unknown>): string {
  if (type === 'tab:sent') return `told the other tabs: ${String(fields.message)}`
  if (type === 'tab:received') return `heard from another tab: ${String(fields.message)}`
  if (type === 'socket:reauth') return `socket re-authenticates (${String(fields.reason)})`
  // Plain fields only: events never hold a token.
  return Object.entries(fields)
    .filter(([, value]) => value !== null && typeof value !== 'object')
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join(', ')
}

/** Records an auth event; pass it as the `onEvent` option of `createAuth`. */
export function logEvent(event: AuthEvent): void {
  const detail = describeEvent(event)
  const tone = isEmptyRestore(event) ? 'info' : (tones[event.type] ?? 'info')
  if (event.type === 'refresh:start') refreshReason = event.reason
  const last = eventLog[0]
  if (last && last.type === event.type && last.detail === detail) {
    eventLog[0] = { ...last, at: new Date(), count: last.count + 1 }
    return
  }
  eventLog.unshift({
    id: ++serial,
    at: new Date(),
    type: event.type,
    detail,
    tone,
    count: 1,
  })
  if (eventLog.length > LOG_LIMIT) eventLog.splice(LOG_LIMIT)
}

export function clearEventLog(): void {
  eventLog.splice(0)
}
