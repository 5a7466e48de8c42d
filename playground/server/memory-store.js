// @ts-check
import { randomUUID } from 'node:crypto'
import { newRefreshToken, refreshTokenHash } from './store.js'

/** @typedef {import('./store.js').TokenFamily} TokenFamily */
/** @typedef {import('./store.js').RefreshTokenRecord} RefreshTokenRecord */
/** @typedef {Omit<RefreshTokenRecord, 'token'>} StoredToken */

/**
 * An in-memory {@link import('./store.js').TokenStore}. Fine for a single demo process; it loses
 * every session on restart, which the playground uses on purpose. Two processes each with one of
 * these do not know each other's sessions: use the Redis store for that.
 *
 * @param {import('./store.js').StoreOptions} [options]
 * @returns {import('./store.js').TokenStore}
 */
export function createMemoryStore({ now = Date.now } = {}) {
  /** @type {Map<string, TokenFamily>} */
  const families = new Map()
  /** @type {Map<string, StoredToken>} by the token's hash */
  const tokens = new Map()
  /** @type {Map<string, number>} */
  const revokedJtis = new Map()

  /**
   * @param {TokenFamily} family
   * @param {number} ttlSeconds
   * @returns {RefreshTokenRecord}
   */
  function issue(family, ttlSeconds) {
    const token = newRefreshToken()
    /** @type {StoredToken} */
    const stored = {
      familyId: family.id,
      userId: family.userId,
      expiresAt: now() + ttlSeconds * 1000,
      used: false,
    }
    tokens.set(refreshTokenHash(token), stored)
    return { token, ...stored }
  }

  return {
    async createFamily(userId) {
      const family = { id: randomUUID(), userId, revoked: false }
      families.set(family.id, family)
      return { ...family }
    },

    async issueToken(familyId, ttlSeconds) {
      const family = families.get(familyId)
      if (!family) throw new Error(`Unknown token family ${familyId}`)
      return issue(family, ttlSeconds)
    },

    async findToken(token) {
      const stored = tokens.get(refreshTokenHash(token))
      const family = stored && families.get(stored.familyId)
      if (!stored || !family) return undefined
      return { record: { token, ...stored }, family: { ...family } }
    },

    // #region rotate
    async rotate(token, ttlSeconds) {
      // No await from here to the end: one process runs this to completion before any other
      // request's rotate starts, which makes it atomic without a lock.
      const stored = tokens.get(refreshTokenHash(token))
      const family = stored && families.get(stored.familyId)
      if (!stored || !family) return { rejected: 'unknown' }
      if (family.revoked) return { rejected: 'revoked' }
      if (stored.used) {
        // A used token coming back means two parties hold it: the client and whoever copied it.
        // There is no telling which is which, so neither keeps the session (RFC 9700, section
        // 4.14.2, refresh token rotation).
        family.revoked = true
        return { rejected: 'reused' }
      }
      if (stored.expiresAt <= now()) return { rejected: 'expired' }
      stored.used = true
      return issue(family, ttlSeconds)
    },
    // #endregion rotate

    async revokeFamily(familyId) {
      const family = families.get(familyId)
      if (family) family.revoked = true
    },

    async revokeUserFamilies(userId) {
      let count = 0
      for (const family of families.values()) {
        if (family.userId === userId && !family.revoked) {
          family.revoked = true
          count++
        }
      }
      return count
    },

    async revokeAccessToken(jti, expiresAt) {
      revokedJtis.set(jti, expiresAt)
    },

    async isAccessTokenRevoked(jti) {
      const expiresAt = revokedJtis.get(jti)
      if (expiresAt === undefined) return false
      if (expiresAt <= now()) revokedJtis.delete(jti)
      return true
    },

    async clear() {
      families.clear()
      tokens.clear()
      revokedJtis.clear()
    },

    async close() {},
  }
}
