// @ts-check
// Refresh-token sessions on top of a token store: login starts one, refresh rotates it, logout ends
// it. The docs' server examples use this module as it is.

/** @typedef {import('./store.js').TokenStore} TokenStore */
/** @typedef {import('./store.js').RefreshTokenRecord} RefreshTokenRecord */

/** @type {Record<import('./store.js').RotateRejection, string>} */
const REJECTIONS = {
  unknown: 'Unknown refresh token.',
  revoked: 'The session was revoked; sign in again.',
  reused: 'Refresh token reuse detected; the session was revoked.',
  expired: 'The refresh token expired; sign in again.',
}

/**
 * @typedef {object} Sessions
 * @property {(userId: string) => Promise<RefreshTokenRecord>} start - A new family with its first
 *   token.
 * @property {(presented: string | undefined) => Promise<RefreshTokenRecord | { rejected: string, reuse?: true }>} rotate
 *   The next token of the presented one's family, or why not. `reuse`: the token had been used
 *   before, so its family is revoked now.
 * @property {(presented: string | undefined, everywhere?: boolean) => Promise<void>} revoke - Ends
 *   the token's family, or with `everywhere` every family of its user. Unknown tokens are ignored.
 */

/**
 * @param {object} options
 * @param {TokenStore} options.store
 * @param {number} options.refreshTtl - Seconds.
 * @returns {Sessions}
 */
export function createSessions({ store, refreshTtl }) {
  return {
    async start(userId) {
      const family = await store.createFamily(userId)
      return store.issueToken(family.id, refreshTtl)
    },

    async rotate(presented) {
      if (!presented) return { rejected: 'No refresh token was sent.' }
      // One store operation, so that two refreshes with one token cannot both win, even on two
      // servers sharing the store.
      const result = await store.rotate(presented, refreshTtl)
      if (!('rejected' in result)) return result
      const rejected = REJECTIONS[result.rejected]
      return result.rejected === 'reused' ? { rejected, reuse: true } : { rejected }
    },

    async revoke(presented, everywhere = false) {
      const found = presented ? await store.findToken(presented) : undefined
      if (found && everywhere) await store.revokeUserFamilies(found.record.userId)
      else if (found) await store.revokeFamily(found.family.id)
    },
  }
}
