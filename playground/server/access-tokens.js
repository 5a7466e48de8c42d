// @ts-check
import { randomUUID } from 'node:crypto'
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose'

/** @typedef {import('./users.js').DemoUser} DemoUser */

/**
 * @typedef {import('jose').JWTPayload & { sub: string, jti: string, exp: number, name: string, roles: string[] }} AccessClaims
 */

/** @typedef {{ claims: AccessClaims } | { rejected: string, expired?: boolean }} VerifyResult */

/**
 * @typedef {object} AccessTokenResponse
 * @property {string} access_token
 * @property {'Bearer'} token_type
 * @property {number} expires_in - Seconds.
 */

/**
 * @typedef {object} AccessTokens
 * @property {(user: DemoUser) => Promise<AccessTokenResponse>} issue - The body of a login or
 *   refresh answer.
 * @property {(token: string) => Promise<VerifyResult>} verify
 */

/**
 * Short-lived HS256 JWTs, issued and checked on the server's clock.
 *
 * @param {object} options
 * @param {Uint8Array} options.key
 * @param {string} options.issuer
 * @param {number} options.accessTtl - Seconds.
 * @param {() => number} options.now - The server's clock, in ms.
 * @param {(jti: string) => Promise<boolean>} options.isRevoked
 * @returns {AccessTokens}
 */
export function createAccessTokens({ key, issuer, accessTtl, now, isRevoked }) {
  return {
    async issue(user) {
      const seconds = Math.floor(now() / 1000)
      const accessToken = await new SignJWT({ name: user.name, roles: user.roles })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(user.id)
        .setIssuer(issuer)
        .setIssuedAt(seconds)
        .setExpirationTime(seconds + accessTtl)
        // A jti lets the demo revoke one access token before it expires.
        .setJti(randomUUID())
        .sign(key)
      return { access_token: accessToken, token_type: 'Bearer', expires_in: accessTtl }
    },

    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer,
          currentDate: new Date(now()),
          // Pinning the algorithm keeps a token signed some other way from being accepted.
          algorithms: ['HS256'],
          requiredClaims: ['sub', 'jti', 'exp'],
        })
        const claims = /** @type {AccessClaims} */ (payload)
        if (await isRevoked(claims.jti)) return { rejected: 'The access token was revoked.' }
        return { claims }
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) {
          return { rejected: 'The access token expired.', expired: true }
        }
        return { rejected: 'Invalid access token.' }
      }
    },
  }
}
