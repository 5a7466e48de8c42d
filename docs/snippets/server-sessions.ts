// Framework-free pieces of an auth server: access tokens, and refresh tokens in families with
// rotation and reuse detection. The refresh-token modules are this repository's demo server's
// (playground/server/): copy sessions.js, store.js and a store next to this file.
import { SignJWT, jwtVerify, type JWTPayload } from 'jose'
import { createMemoryStore } from '../../playground/server/memory-store.js'
import { createSessions } from '../../playground/server/sessions.js'
import type { TokenStore } from '../../playground/server/store.js'

export interface User {
  id: string
  name: string
  roles: string[]
}

export const ACCESS_TTL = 5 * 60 // seconds: short, it cannot be revoked before it expires
export const REFRESH_TTL = 14 * 24 * 60 * 60

// #region access
export function createAccessTokens(secret: Uint8Array, issuer = 'my-app') {
  return {
    /** The body of a login or refresh answer: what the plugin reads by default. */
    async issue(user: User) {
      const access_token = await new SignJWT({ name: user.name, roles: user.roles })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.id)
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime(`${ACCESS_TTL}s`)
        .sign(secret)
      return { access_token, token_type: 'Bearer', expires_in: ACCESS_TTL }
    },
    /** The claims of a valid `Authorization: Bearer …` header, or null (answer 401 then). */
    async verify(header: string | undefined): Promise<(JWTPayload & { sub: string }) | null> {
      const token = /^Bearer (\S+)$/i.exec(header ?? '')?.[1]
      if (!token) return null
      try {
        // Pin the algorithm and the issuer; jose checks exp.
        const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], issuer })
        return payload.sub ? { ...payload, sub: payload.sub } : null
      } catch {
        return null
      }
    },
  }
}
// #endregion access

// #region refresh
/**
 * Refresh tokens in families, stored hashed, single-use: `start` at login, `rotate` on refresh,
 * `revoke` at logout. This is the demo server's own session code; the rotation itself is one
 * operation of the store: in memory for one process, in Redis for several (see "More than one
 * instance").
 */
export function createRefreshTokens(store: TokenStore = createMemoryStore()) {
  return createSessions({ store, refreshTtl: REFRESH_TTL })
}
// #endregion refresh
