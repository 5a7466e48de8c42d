// Knobs read from the page's URL at start-up, for trying (and testing) edge cases:
// `?leeway=0` turns the proactive refresh off, so an idle tab really holds an expired token;
// `?leeway=10` refreshes 10 s before expiry instead of the library's default;
// `?lockTimeout=3000` shortens the cross-tab lock timeout, to watch a frozen tab being overtaken;
// `?crossTab=off` turns cross-tab sync off, to watch tabs under rotation log each other out;
// `?soak=20` makes the soak card ("Keep requesting") run for 20 s instead of 30 s;
// `?every=100` paces the soak card: one request every 100 ms, each sent on schedule whether or not
// the ones before it have answered (as independent parts of an app would), instead of one request
// after another.
// `?api=http://127.0.0.1:3002` is a second API origin: it is added to allowedOrigins, and the doors
// card calls it with axios (withCredentials), across origins;
// `?elsewhere=http://127.0.0.1:3003` is an origin that is not allowed: the card calls it too, and it
// must never see the token;
// `?refresh=body` runs the session in body mode (`/body/auth/*`, the refresh token in memory).
// They are read once, when the app starts, so they hold across in-app navigation (login → home).

const params = new URLSearchParams(globalThis.location?.search ?? '')
const leeway = params.get('leeway')

/** `refreshLeeway` from `?leeway=<seconds>`, or `undefined` for the library's default. */
export const refreshLeeway: number | undefined =
  leeway !== null && leeway.trim() !== '' && Number(leeway) >= 0 ? Number(leeway) : undefined

const lock = params.get('lockTimeout')

/** The cross-tab lock timeout in ms from `?lockTimeout=<ms>`, or `undefined` for the default. */
export const lockTimeout: number | undefined =
  lock !== null && Number(lock) > 0 ? Number(lock) : undefined

/** `?crossTab=off` turns cross-tab sync and the refresh lock off. */
export const crossTabOff = params.get('crossTab') === 'off'

const soak = Number(params.get('soak'))

/** How long the soak card requests, in seconds, from `?soak=<seconds>`. @default 30 */
export const soakSeconds: number = soak > 0 ? soak : 30

const every = Number(params.get('every'))

/**
 * The soak card's pace from `?every=<ms>`: one request every that many ms, or `undefined` for one
 * request after another (the default).
 */
export const soakEvery: number | undefined = every > 0 ? every : undefined

const origin = (value: string | null) => {
  try {
    return value ? new URL(value).origin : undefined
  } catch {
    return undefined
  }
}

/** A second API origin from `?api=<origin>`, allowed to receive the token. */
export const apiOrigin: string | undefined = origin(params.get('api'))

/** An origin from `?elsewhere=<origin>` that is not allowed to receive the token. */
export const elsewhereOrigin: string | undefined = origin(params.get('elsewhere'))

/** `?refresh=body`: body mode against the demo server's `/body/auth/*` endpoints. */
export const bodyMode = params.get('refresh') === 'body'
