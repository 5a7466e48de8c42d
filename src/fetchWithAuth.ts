import type { Door } from './door'
import { AuthError } from './errors'
import { lazyFetch } from './env'

/**
 * `fetch` as a door to the session (door.ts), for code and clients that take a fetch function.
 *
 * A replay needs the body again. `(input, init)` is sent as given each time, which replays a string,
 * `FormData`, `Blob`, `URLSearchParams` or `ArrayBuffer` body intact; a `Request` is cloned before
 * it is sent. A `ReadableStream` body can be read only once, so it is not replayed: its 401 rejects
 * with `unauthorized`.
 */
export function createFetchWithAuth(door: Door): typeof fetch {
  return async function fetchWithAuth(input, init) {
    const request = input instanceof Request ? input : null
    const url = request ? request.url : String(input)
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase()
    // A stream by its shape: a realm's ReadableStream class need not be the global one.
    const oneShot = typeof (init?.body as ReadableStream | undefined)?.getReader === 'function'
    let attempt = await door.begin(method, url)
    // A Request's body is read by the send: keep a copy for the replay.
    const spare = attempt && request && !oneShot ? request.clone() : null
    const send = (from: RequestInfo | URL) => {
      if (!attempt?.token) return lazyFetch(from, init)
      const headers = new Headers(init?.headers ?? (from instanceof Request ? from.headers : {}))
      headers.set('Authorization', `Bearer ${attempt.token}`)
      return lazyFetch(from, { ...init, headers })
    }
    const response = await send(input)
    if (attempt && oneShot && response.status === 401) {
      throw door.report(
        new AuthError(
          'unauthorized',
          __DEV__
            ? `${method} ${url} was answered 401, and its body is a ReadableStream, which can be sent only once: it was not replayed. Send a string, Blob, FormData or URLSearchParams body to have it replayed after a refresh.`
            : '',
          { status: 401 },
        ),
      )
    }
    if (!attempt || !(await door.replay(attempt, response.status))) return response
    // The 401's body is not going to be read; let its connection go.
    void response.body?.cancel().catch(() => {})
    attempt = door.allows(url) ? attempt : null
    return send(spare ?? input)
  }
}
