import { parse as parseCookies } from 'cookie-es'

// Every browser global the library touches is read here, behind a check, so SSR and Node tests
// run without them (the vueuse `_configurable.ts` habit).

/**
 * A page: a DOM to listen on and a cookie jar to restore from. `document` alone says so (a runtime
 * with a global `window` but no DOM, as Deno 1 had, is no page).
 */
export const isClient = typeof document !== 'undefined'

/** `fetch`, read at call time so a test or a polyfill installed later is honoured. */
export const lazyFetch: typeof fetch = (input, init) => globalThis.fetch(input, init)

/** The page's origin, or `undefined` outside a browser (SSR, Node). */
export function pageOrigin(): string | undefined {
  const origin = globalThis.location?.origin
  return origin && origin !== 'null' ? origin : undefined
}

/** True only when the browser says it is offline; unknown counts as online. */
export function isOffline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false
}

/** Adds a listener to `window` or `document` when they exist; returns its removal. */
export function listen(
  target: 'window' | 'document',
  event: string,
  handler: () => void,
): () => void {
  const el = target === 'window' ? globalThis.window : globalThis.document
  if (!el?.addEventListener) return () => {}
  el.addEventListener(event, handler)
  return () => el.removeEventListener(event, handler)
}

/** Reads one cookie the page can see (a CSRF token, never an auth token). */
export function readCookie(name: string): string | undefined {
  if (typeof document === 'undefined') return undefined
  return parseCookies(document.cookie)[name]
}

export function getBroadcastChannel(): typeof BroadcastChannel | undefined {
  return typeof BroadcastChannel === 'undefined' ? undefined : BroadcastChannel
}

export function getLocks(): LockManager | undefined {
  return typeof navigator === 'undefined' ? undefined : navigator.locks
}

export function getWebSocket(): typeof WebSocket | undefined {
  return typeof WebSocket === 'undefined' ? undefined : WebSocket
}
