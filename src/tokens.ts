import { jwtDecode } from 'jwt-decode'
import { AuthError } from './errors'
import {
  combineOffsets,
  observeOffset,
  tokenTiming,
  type ClockOffset,
  type TokenFacts,
  type TokenTiming,
} from './expiry'
import type { ResolvedOptions } from './options'

/** The access token the session holds, with its expiry on the local clock. */
export interface HeldToken<TClaims = unknown> extends TokenTiming {
  token: string
  claims: TClaims | null
  /**
   * Which token of the session this is across tabs: one more than the newest any tab held when it
   * arrived (see crossTab.ts), so tabs agree which of two tokens is newer.
   */
  seq: number
  /** The token was answered 401 by an allowed origin: it must not be sent again. */
  rejected: boolean
}

/** A login or refresh answer as the endpoint client hands it over. */
export interface Answer {
  body: unknown
  headers: Headers
  /** Local-clock ms when the request left and when the answer arrived. */
  sentAt: number
  receivedAt: number
}

/** The claims of a JWT, or `null` for an opaque token. */
export function decodeClaims<TClaims>(token: string): TClaims | null {
  try {
    const claims = jwtDecode<TClaims>(token)
    return claims && typeof claims === 'object' ? claims : null
  } catch {
    return null // an opaque token: allowed, it just carries no claims
  }
}

const number = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) ? value : null

function seconds(value: unknown): number | null {
  const n = number(typeof value === 'string' && value.trim() !== '' ? Number(value) : value)
  return n !== null && n > 0 ? n : null
}

/** Reads the access token of a login or refresh response and what it says about its life. */
export function readTokenResponse<TClaims>(
  options: Pick<ResolvedOptions, 'readAccess' | 'readExpiresIn'>,
  body: unknown,
  what: string,
): TokenFacts & { token: string; claims: TClaims | null } {
  const token = body && typeof body === 'object' ? options.readAccess(body) : undefined
  if (typeof token !== 'string' || token.trim() === '') {
    throw new AuthError(
      'bad_response',
      __DEV__
        ? `The ${what} response has no access token. Answer JSON such as { "access_token": "…" } (or accessToken, access, token), or set tokens.access to read it.`
        : '',
    )
  }
  const claims = decodeClaims<TClaims & { exp?: unknown; iat?: unknown }>(token)
  return {
    token,
    claims,
    expiresIn: seconds(options.readExpiresIn(body)),
    exp: number(claims?.exp),
    iat: number(claims?.iat),
  }
}

/**
 * Reads login and refresh answers into the token the session holds, and keeps what they (and the
 * other tabs) said of the server's clock: its `Date` header, else the token's `iat`.
 */
export function createTokenReader<TClaims>(
  options: Pick<ResolvedOptions, 'readAccess' | 'readExpiresIn'>,
) {
  let clock: ClockOffset | null = null
  return {
    get clock() {
      return clock
    },
    /** Evidence another tab gathered: same machine, same server. */
    narrow(shared: ClockOffset | null) {
      if (shared) clock = combineOffsets(clock, shared)
    },
    /**
     * Only a token past its `exp` for sure is refused (`bad_response`): accepting it would refresh
     * again at once, and again. One that may have only a moment left is accepted.
     */
    read(answer: Answer, what: string, seq: number): HeldToken<TClaims> {
      const { sentAt, receivedAt } = answer
      const read = readTokenResponse<TClaims>(options, answer.body, what)
      // The Date header is the answering server's "now"; an iat may be old (a cached token), so it
      // only stands in when there is no Date (a cross-origin answer that does not expose it).
      const date = answer.headers.get('date')
      const stamp = date ? Date.parse(date) : read.iat === null ? NaN : read.iat * 1000
      if (Number.isFinite(stamp)) {
        clock = combineOffsets(clock, observeOffset(stamp, sentAt, receivedAt))
      }
      const timing = tokenTiming(read, sentAt, receivedAt, clock)
      if (timing.deadBy !== null && timing.deadBy <= receivedAt) {
        throw new AuthError(
          'bad_response',
          __DEV__
            ? `The ${what} response carries a token that had already expired when it arrived. Check the server's clock and the token's exp and expires_in.`
            : '',
        )
      }
      return { token: read.token, claims: read.claims, seq, rejected: false, ...timing }
    },
  }
}
