// @ts-check
import { createHash, timingSafeEqual } from 'node:crypto'
import { defineEventHandler } from 'h3'
import { withFault } from './faults.js'
import { fail, readJsonObject } from './http.js'
import { findUserById, findUserByUsername, toPublicUser } from './users.js'

/**
 * @typedef {object} AuthRouteOptions
 * @property {string} prefix - `/auth` for the cookie transport, `/body/auth` for the body one.
 * @property {import('./transports.js').RefreshTransport} transport
 * @property {import('./sessions.js').Sessions} sessions
 * @property {import('./access-tokens.js').AccessTokens} tokens
 * @property {import('./stats.js').DemoStats} stats
 * @property {import('./faults.js').FaultQueues} faults - `faults.refresh` applies to refreshes.
 */

/**
 * `POST {prefix}/login`, `/refresh` and `/logout`.
 *
 * @param {import('h3').Router} router
 * @param {AuthRouteOptions} options
 */
export function addAuthRoutes(router, { prefix, transport, sessions, tokens, stats, faults }) {
  router.post(
    `${prefix}/login`,
    defineEventHandler(async (event) => {
      const { username, password } = await readJsonObject(event)
      if (!isFilledString(username) || !isFilledString(password)) {
        return fail(event, 400, 'invalid_request', 'Send JSON with "username" and "password".')
      }
      const user = findUserByUsername(username)
      if (!user || !passwordMatches(password, user.password)) {
        stats.loginFailures++
        return fail(event, 401, 'invalid_credentials', 'Wrong username or password.')
      }
      stats.logins++
      const refreshToken = await sessions.start(user.id)
      return transport.send(event, refreshToken, {
        ...(await tokens.issue(user)),
        user: toPublicUser(user),
      })
    }),
  )

  router.post(
    `${prefix}/refresh`,
    defineEventHandler(async (event) => {
      stats.refreshes++
      return withFault(event, faults.refresh.shift(), async () => {
        const result = await sessions.rotate(await transport.read(event))
        const user = 'rejected' in result ? undefined : findUserById(result.userId)
        if ('rejected' in result || !user) {
          stats.refreshRejected++
          if ('reuse' in result) stats.reuseDetections++
          transport.clear(event)
          const message = 'rejected' in result ? result.rejected : 'The user no longer exists.'
          return fail(event, 401, 'invalid_grant', message)
        }
        return transport.send(event, result, await tokens.issue(user))
      })
    }),
  )

  router.post(
    `${prefix}/logout`,
    defineEventHandler(async (event) => {
      stats.logouts++
      const { everywhere } = await readJsonObject(event)
      await sessions.revoke(await transport.read(event), everywhere === true)
      transport.clear(event)
      return { ok: true }
    }),
  )
}

/**
 * @param {string} given
 * @param {string} expected
 */
function passwordMatches(given, expected) {
  // timingSafeEqual needs equal lengths; hashing both sides gives that without leaking the length.
  const digest = (/** @type {string} */ value) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(given), digest(expected))
}

/**
 * @param {unknown} value
 * @returns {value is string}
 */
function isFilledString(value) {
  return typeof value === 'string' && value.length > 0
}
