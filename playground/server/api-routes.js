// @ts-check
import {
  defineEventHandler,
  getRequestHeader,
  parseCookies,
  readBody,
  setCookie,
  setResponseHeader,
} from 'h3'
import { withFault } from './faults.js'
import { fail } from './http.js'

/** @typedef {import('h3').H3Event} H3Event */
/** @typedef {import('./access-tokens.js').AccessClaims} AccessClaims */

/**
 * @typedef {object} ApiRouteOptions
 * @property {import('./access-tokens.js').AccessTokens} tokens
 * @property {import('./store.js').TokenStore} store - For `/api/demo/expire-token`.
 * @property {import('./stats.js').DemoStats} stats
 * @property {() => void} resetStats
 * @property {import('./faults.js').FaultQueues} faults - `faults.api` applies to protected routes.
 */

/**
 * The protected API under `/api`, and the demo's own controls under `/api/demo`.
 *
 * @param {import('h3').Router} router
 * @param {ApiRouteOptions} options
 */
export function addApiRoutes(router, { tokens, store, stats, resetStats, faults }) {
  /**
   * Counts the request, applies a queued API fault, and runs `handler` only for a valid access
   * token.
   *
   * @param {(event: H3Event, claims: AccessClaims) => unknown} handler
   */
  function protectedRoute(handler) {
    return defineEventHandler(async (event) => {
      stats.apiRequests++
      return withFault(event, faults.api.shift(), async () => {
        const token = bearerToken(event)
        const result = token ? await tokens.verify(token) : { rejected: 'Missing bearer token.' }
        if ('rejected' in result) {
          stats.api401++
          if ('expired' in result && result.expired) stats.expiredTokenRequests++
          // RFC 6750, section 3: a 401 for a bearer token says so in WWW-Authenticate.
          setResponseHeader(event, 'www-authenticate', 'Bearer error="invalid_token"')
          return fail(event, 401, 'invalid_token', result.rejected)
        }
        return handler(event, result.claims)
      })
    })
  }

  router.get(
    '/api/me',
    protectedRoute((_event, claims) => ({
      id: claims.sub,
      name: claims.name,
      roles: claims.roles,
    })),
  )
  router.get(
    '/api/data',
    protectedRoute((_event, claims) => ({
      items: ['Quarterly report', 'Roadmap', 'Team photos'],
      at: new Date().toISOString(),
      user: claims.sub,
    })),
  )
  router.post(
    '/api/echo',
    protectedRoute(async (event, claims) => ({
      body: (await readBody(event)) ?? null,
      user: claims.sub,
    })),
  )
  router.post(
    '/api/demo/expire-token',
    protectedRoute(async (_event, claims) => {
      await store.revokeAccessToken(claims.jti, claims.exp * 1000)
      return { ok: true }
    }),
  )
  // What credentials a cross-origin caller sends (withCredentials): a cookie set here comes back.
  router.post(
    '/api/demo/cookie',
    protectedRoute((event) => {
      setCookie(event, 'demo_visit', '1', { path: '/api', httpOnly: true, sameSite: 'lax' })
      return { ok: true }
    }),
  )
  router.get(
    '/api/demo/cookies',
    protectedRoute((event) => ({ names: Object.keys(parseCookies(event)).sort() })),
  )
  // Whether a request arrived with an Authorization header: an origin that is not allowed must
  // never see one. Unprotected, so it answers either way.
  router.get(
    '/api/demo/authorization',
    defineEventHandler((event) => ({
      sent: getRequestHeader(event, 'authorization') !== undefined,
    })),
  )
  router.get(
    '/api/demo/stats',
    defineEventHandler(() => ({ ...stats })),
  )
  router.post(
    '/api/demo/stats/reset',
    defineEventHandler(() => {
      resetStats()
      return { ...stats }
    }),
  )
}

/**
 * The token of an `Authorization: Bearer …` header (RFC 6750, section 2.1).
 *
 * @param {H3Event} event
 */
function bearerToken(event) {
  return /^Bearer\s+(\S+)$/i.exec(getRequestHeader(event, 'authorization') ?? '')?.[1]
}
