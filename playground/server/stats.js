// @ts-check

/**
 * @typedef {object} DemoStats
 * @property {number} logins
 * @property {number} loginFailures
 * @property {number} refreshes - Every refresh request, including those answered by a fault.
 * @property {number} refreshRejected
 * @property {number} reuseDetections
 * @property {number} logouts
 * @property {number} apiRequests - Requests to the protected `/api` routes (not the demo stats).
 * @property {number} api401
 * @property {number} expiredTokenRequests - API requests whose bearer token was genuine but already
 *   past its `exp` on the server's clock: each one is a request the client should not have sent.
 */

/**
 * The demo's counters, one object mutated in place so that tests can hold on to it.
 *
 * @returns {{ stats: DemoStats, reset: () => void }}
 */
export function createStats() {
  const stats = emptyStats()
  return { stats, reset: () => Object.assign(stats, emptyStats()) }
}

/** @returns {DemoStats} */
function emptyStats() {
  return {
    logins: 0,
    loginFailures: 0,
    refreshes: 0,
    refreshRejected: 0,
    reuseDetections: 0,
    logouts: 0,
    apiRequests: 0,
    api401: 0,
    expiredTokenRequests: 0,
  }
}
