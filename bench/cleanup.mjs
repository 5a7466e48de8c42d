// Cleanup: in a happy-dom Window, count the listeners on window and document, the pending timers
// and the open BroadcastChannels before mount, while mounted, and after app.unmount(). Everything
// the app added must be gone after unmount (run once with NODE_ENV=production, once development).
import { Window } from 'happy-dom'
import { createCannedApi, log, section } from './helpers.mjs'

const ORIGIN = 'http://app.test'

// --- counters, installed before Vue or the library is loaded -------------------------------------

const DIST = new URL('../dist/', import.meta.url).href
const HERE = import.meta.url

/** Who adds a listener or a timer: this library (dist/), a package in node_modules, or this file. */
function creator() {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 50
  const frames = (new Error().stack ?? '').split('\n').slice(2)
  Error.stackTraceLimit = limit
  // ESM frames are file:// URLs, CommonJS frames (Vue's Node build) plain paths.
  const frame = frames.find((line) => /\(?(file:\/\/)?\//.test(line) && !line.includes(HERE))
  if (!frame) return 'bench'
  if (frame.includes(DIST)) return 'vue-refresh-auth'
  return /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame)?.[1] ?? 'other'
}

const listeners = new Map() // "window focus" → Map of listener → creator
function trackListeners(target, name) {
  const add = target.addEventListener.bind(target)
  const remove = target.removeEventListener.bind(target)
  const key = (type, options) =>
    `${name} ${type}${(typeof options === 'boolean' ? options : options?.capture) ? ' capture' : ''}`
  target.addEventListener = (type, listener, options) => {
    const added = listeners.get(key(type, options)) ?? new Map()
    listeners.set(key(type, options), added.set(listener, creator()))
    return add(type, listener, options)
  }
  target.removeEventListener = (type, listener, options) => {
    listeners.get(key(type, options))?.delete(listener)
    return remove(type, listener, options)
  }
}

const timers = new Map() // handle → { what, by }
function trackTimers() {
  const { setTimeout, clearTimeout, setInterval, clearInterval } = globalThis
  globalThis.setTimeout = (fn, ms, ...args) => {
    const handle = setTimeout(
      (...a) => {
        timers.delete(handle)
        fn(...a)
      },
      ms,
      ...args,
    )
    timers.set(handle, { what: `timeout ${Math.round(ms ?? 0)} ms`, by: creator() })
    return handle
  }
  globalThis.clearTimeout = (handle) => {
    timers.delete(handle)
    return clearTimeout(handle)
  }
  globalThis.setInterval = (fn, ms, ...args) => {
    const handle = setInterval(fn, ms, ...args)
    timers.set(handle, { what: `interval ${Math.round(ms ?? 0)} ms`, by: creator() })
    return handle
  }
  globalThis.clearInterval = (handle) => {
    timers.delete(handle)
    return clearInterval(handle)
  }
}

const channels = new Map() // channel → creator
function trackChannels() {
  const Native = globalThis.BroadcastChannel
  if (!Native) return
  globalThis.BroadcastChannel = class BroadcastChannel extends Native {
    constructor(name) {
      super(name)
      channels.set(this, creator())
    }
    close() {
      channels.delete(this)
      return super.close()
    }
  }
}

/** Counts, in total and of those this library added, with what each one is and who added it. */
function snapshot() {
  const items = [
    ...[...listeners].flatMap(([name, added]) =>
      [...added.values()].map((by) => ({ kind: 'listeners', what: name, by })),
    ),
    ...[...timers.values()].map(({ what, by }) => ({ kind: 'timers', what, by })),
    ...[...channels.values()].map((by) => ({ kind: 'channels', what: 'BroadcastChannel', by })),
  ]
  const count = (kind, ours) =>
    items.filter((i) => i.kind === kind && (!ours || i.by === 'vue-refresh-auth')).length
  return {
    listeners: count('listeners'),
    timers: count('timers'),
    channels: count('channels'),
    ours: {
      listeners: count('listeners', true),
      timers: count('timers', true),
      channels: count('channels', true),
    },
    detail: items.map(({ what, by }) => `${what} (${by})`),
  }
}

section(async () => {
  const window = new Window({ url: `${ORIGIN}/` })
  trackListeners(window, 'window')
  trackListeners(window.document, 'document')
  Object.assign(globalThis, {
    window,
    document: window.document,
    location: window.location,
    // Vue's mount() asks which namespace its container is in.
    SVGElement: window.SVGElement,
    MathMLElement: window.MathMLElement ?? class MathMLElement {},
    Element: window.Element,
  })
  // Node 20 has no navigator; later versions have one without onLine.
  Object.defineProperty(globalThis, 'navigator', { value: window.navigator, configurable: true })
  trackTimers()
  trackChannels()
  const canned = createCannedApi()
  globalThis.fetch = canned.fetch

  // Loaded only now, so Vue's DOM renderer and the library's client check see the window.
  const [vue, { createPinia }, lib] = await Promise.all([
    import('vue'),
    import('pinia'),
    import('vue-refresh-auth'),
  ])
  const before = snapshot()

  // Everything a page uses: restore at start-up, cross-tab sync, the countdown when it exists.
  const Root = vue.defineComponent({
    setup() {
      const expiry = lib.useTokenExpiry?.()
      const api = lib.useAuthFetch()
      return () => vue.h('div', [expiry ? String(expiry.secondsLeft.value) : '', String(!!api)])
    },
  })
  const app = vue.createApp(Root)
  const auth = lib.createAuth({
    baseURL: `${ORIGIN}/api`,
    endpoints: {
      login: 'POST /auth/login',
      refresh: 'POST /auth/refresh',
      logout: 'POST /auth/logout',
    },
  })
  app.use(createPinia()).use(auth)
  app.mount(window.document.createElement('div'))
  await auth.ready
  await auth.store.login({ username: 'alice', password: 'alice-password' })
  await auth.fetch('/data')
  canned.revoke()
  await auth.fetch('/data') // 401 → refresh → replay, which re-arms the proactive timer
  window.dispatchEvent(new window.Event('focus'))
  const mounted = snapshot()

  app.unmount()
  const unmounted = snapshot()
  await new Promise((resolve) => setImmediate(resolve))
  const afterTick = snapshot()
  log(`${process.env.NODE_ENV}: mounted`, mounted.detail, 'unmounted', unmounted.detail)
  await window.happyDOM.close()
  return { mode: process.env.NODE_ENV, before, mounted, unmounted, afterTick }
})
