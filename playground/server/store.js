// @ts-check
import { randomBytes, randomUUID } from 'node:crypto'

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
 * @property {string} token - The opaque value the client holds.
 * @property {string} familyId
 * @property {string} userId
 * @property {number} expiresAt - Milliseconds since the epoch.
 * @property {boolean} used - Set once the token has been exchanged for a new one.
 */

/**
 * What the demo server needs from a refresh-token store. Every method is async so that a shared
 * store (Redis, SQL) can replace the in-memory one without touching the routes.
 *
 * @typedef {object} TokenStore
 * @property {(userId: string) => Promise<TokenFamily>} createFamily
 * @property {(familyId: string, ttlSeconds: number) => Promise<RefreshTokenRecord>} issueToken
 * @property {(token: string) => Promise<{ record: RefreshTokenRecord, family: TokenFamily } | undefined>} findToken
 * @property {(token: string) => Promise<boolean>} markUsed - Resolves `false` when the token was
 *   already used: two concurrent refreshes with one token must not both win.
 * @property {(familyId: string) => Promise<void>} revokeFamily
 * @property {(userId: string) => Promise<number>} revokeUserFamilies - Resolves how many were live.
 * @property {(jti: string, expiresAt: number) => Promise<void>} revokeAccessToken - `expiresAt` in
 *   ms; after it the token is rejected for being expired anyway, so a store may forget the jti.
 * @property {(jti: string) => Promise<boolean>} isAccessTokenRevoked
 * @property {() => Promise<void>} clear - Forgets everything, like a restart of an in-memory server.
 */

/**
 * An in-memory {@link TokenStore}. Fine for a single demo process; it loses every session on
 * restart, which the playground uses on purpose.
 *
 * @returns {TokenStore}
 */
export function createMemoryStore() {
  /** @type {Map<string, TokenFamily>} */
  const families = new Map()
  /** @type {Map<string, RefreshTokenRecord>} */
  const tokens = new Map()
  /** @type {Map<string, number>} */
  const revokedJtis = new Map()

  return {
    async createFamily(userId) {
      const family = { id: randomUUID(), userId, revoked: false }
      families.set(family.id, family)
      return { ...family }
    },

    async issueToken(familyId, ttlSeconds) {
      const family = families.get(familyId)
      if (!family) throw new Error(`Unknown token family ${familyId}`)
      /** @type {RefreshTokenRecord} */
      const record = {
        // 256 random bits, base64url so the value is cookie-safe without encoding.
        token: randomBytes(32).toString('base64url'),
        familyId,
        userId: family.userId,
        expiresAt: Date.now() + ttlSeconds * 1000,
        used: false,
      }
      tokens.set(record.token, record)
      return { ...record }
    },

    async findToken(token) {
      const record = tokens.get(token)
      const family = record && families.get(record.familyId)
      if (!record || !family) return undefined
      return { record: { ...record }, family: { ...family } }
    },

    async markUsed(token) {
      const record = tokens.get(token)
      if (!record || record.used) return false
      record.used = true
      return true
    },

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
      if (expiresAt <= Date.now()) revokedJtis.delete(jti)
      return true
    },

    async clear() {
      families.clear()
      tokens.clear()
      revokedJtis.clear()
    },
  }
}
