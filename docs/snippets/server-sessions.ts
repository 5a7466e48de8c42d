// Framework-free pieces of an auth server: access tokens, and refresh tokens in families with
// rotation and reuse detection. Keep the records in your database; a Map stands in for it here.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { SignJWT, jwtVerify, type JWTPayload } from 'jose'

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
interface RefreshRecord {
  family: string
  userId: string
  expiresAt: number
  used: boolean
}

export function createRefreshTokens() {
  const records = new Map<string, RefreshRecord>() // by SHA-256 of the token, never the token
  const revokedFamilies = new Set<string>()
  const hash = (token: string) => createHash('sha256').update(token).digest('base64url')

  function issue(family: string, userId: string): string {
    const token = randomBytes(32).toString('base64url')
    records.set(hash(token), {
      family,
      userId,
      expiresAt: Date.now() + REFRESH_TTL * 1000,
      used: false,
    })
    return token
  }

  return {
    /** A new login: a new family with its first token. */
    start: (userId: string) => issue(randomUUID(), userId),

    /** Exchanges a refresh token for the next one in its family, or says why not. */
    rotate(token: string | undefined): { userId: string; token: string } | { rejected: string } {
      const record = token ? records.get(hash(token)) : undefined
      if (!record) return { rejected: 'unknown refresh token' }
      if (revokedFamilies.has(record.family)) return { rejected: 'session revoked' }
      if (record.used) {
        // A used token came back: two parties hold it, and there is no telling which is the
        // thief. Revoke the whole family (RFC 9700, section 4.14.2).
        revokedFamilies.add(record.family)
        return { rejected: 'refresh token reuse' }
      }
      if (record.expiresAt <= Date.now()) return { rejected: 'refresh token expired' }
      record.used = true // with a database: an atomic UPDATE … WHERE used = false
      return { userId: record.userId, token: issue(record.family, record.userId) }
    },

    /** Logout: revokes the token's family, or every family of its user. */
    revoke(token: string | undefined, everywhere = false) {
      const record = token ? records.get(hash(token)) : undefined
      if (!record) return
      for (const other of everywhere ? records.values() : [record]) {
        if (other.userId === record.userId) revokedFamilies.add(other.family)
      }
    },
  }
}
// #endregion refresh
