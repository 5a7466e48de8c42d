// Knobs read from the page's URL at start-up, for trying (and testing) edge cases:
// `?leeway=0` turns the proactive refresh off, so an idle tab really holds an expired token;
// `?lockTimeout=3000` shortens the cross-tab lock timeout, to watch a frozen tab being overtaken;
// `?crossTab=off` turns cross-tab sync off, to watch tabs under rotation log each other out.

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
