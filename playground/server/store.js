// @ts-check
// What the demo server needs from a refresh-token store, and what every store shares. The stores
// are memory-store.js (one process) and redis-store.js (any number of processes).
import { createHash, randomBytes } from 'node:crypto'

/**
 * One login session. Every refresh token rotated out of the same login belongs to the same family,
 * so a replayed token can take the whole session down with it.
 *
 * @typedef {object} TokenFamily
 * @property {string} id
 * @property {string} userId
 * @property {boolean} revoked
 */

/**
 * @typedef {object} RefreshTokenRecord
 * @property {string} token - The opaque value the client holds. Stores keep only its hash; they
 *   return the value to whoever presented or was just issued it.
 * @property {string} familyId
 * @property {string} userId
 * @property {number} expiresAt - Milliseconds since the epoch, on the store's clock.
 * @property {boolean} used - Set once the token has been exchanged for a new one.
 */

/**
 * Why a refresh token was not exchanged. `reused`: it had been exchanged before, and its family is
 * now revoked.
 *
 * @typedef {'unknown' | 'revoked' | 'reused' | 'expired'} RotateRejection
 */

/**
 * The next token of the family, or why there is none.
 *
 * @typedef {RefreshTokenRecord | { rejected: RotateRejection }} RotateResult
 */

/**
 * Every method is async so that a shared store (Redis, SQL) can replace the in-memory one without
 * touching the routes.
 *
 * @typedef {object} TokenStore
 * @property {(userId: string) => Promise<TokenFamily>} createFamily
 * @property {(familyId: string, ttlSeconds: number) => Promise<RefreshTokenRecord>} issueToken
 * @property {(token: string) => Promise<{ record: RefreshTokenRecord, family: TokenFamily } | undefined>} findToken
 * @property {(token: string, ttlSeconds: number) => Promise<RotateResult>} rotate - Redeems `token`
 *   for the next one in its family, as one atomic step: of any number of concurrent calls with one
 *   token, exactly one gets a successor. A token that was already redeemed revokes its family.
 * @property {(familyId: string) => Promise<void>} revokeFamily
 * @property {(userId: string) => Promise<number>} revokeUserFamilies - Resolves how many were live.
 * @property {(jti: string, expiresAt: number) => Promise<void>} revokeAccessToken - `expiresAt` in
 *   ms; after it the token is rejected for being expired anyway, so a store may forget the jti.
 * @property {(jti: string) => Promise<boolean>} isAccessTokenRevoked
 * @property {() => Promise<void>} clear - Forgets everything, like a restart of an in-memory server.
 * @property {() => Promise<void>} close - Lets go of connections the store opened itself.
 */

/**
 * @typedef {object} StoreOptions
 * @property {() => number} [now] - The store's clock in ms, for token expiry. Default: `Date.now`.
 */

/** A new refresh token: 256 random bits, base64url so the value is cookie-safe without encoding. */
export function newRefreshToken() {
  return randomBytes(32).toString('base64url')
}

/**
 * What a store keys a refresh token by. Stored tokens are as good as passwords to whoever reads the
 * store; their SHA-256 is not, and 256 random bits need no salt or slow hash.
 *
 * @param {string} token
 */
export function refreshTokenHash(token) {
  return createHash('sha256').update(token).digest('base64url')
}
