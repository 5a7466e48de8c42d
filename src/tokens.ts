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

/** An access token as the session holds it, with its expiry on the local clock. */
export interface TokenSet<TClaims = unknown> extends TokenTiming {
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

/** The claims of a JWT, or `null` for an opaque token. */
export function decodeClaims<TClaims>(token: string): TClaims | null {
  try {
    const claims = jwtDecode<TClaims>(token)
    return claims && typeof claims === 'object' ? claims : null
  } catch {
    return null // an opaque token: allowed, it just carries no claims
  }
}

function seconds(value: unknown): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : null
}

/** What a login or refresh answer carried, read but not yet placed on the clock. */
export interface TokenResponse<TClaims> extends TokenFacts {
  token: string
  claims: TClaims | null
}

/** Reads the access token of a login or refresh response and what it says about its life. */
export function readTokenResponse<TClaims>(
  options: Pick<ResolvedOptions, 'readAccess' | 'readExpiresIn'>,
  body: unknown,
  what: string,
): TokenResponse<TClaims> {
  if (!body || typeof body !== 'object') {
    throw new AuthError(
      'bad_response',
      `The ${what} response is not a JSON object. Make the endpoint answer JSON such as { "access_token": "…" }, or set tokens.access to read it.`,
    )
  }
  const token = options.readAccess(body)
  if (typeof token !== 'string' || token.trim() === '') {
    throw new AuthError(
      'bad_response',
      `The ${what} response has no access token. Return one as access_token (or accessToken, access, token), or set tokens.access to read it.`,
    )
  }
  const claims = decodeClaims<TClaims & { exp?: unknown; iat?: unknown }>(token)
  const number = (value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) ? value : null
  return {
    token,
    claims,
    expiresIn: seconds(options.readExpiresIn(body)),
    exp: number(claims?.exp),
    iat: number(claims?.iat),
  }
}

/**
 * Reads a login or refresh answer into the token the session holds, and narrows what is known of
 * the server's clock with it (its `Date` header, else the token's `iat`).
 *
 * Only a token that is past its `exp` for sure is refused (`bad_response`): accepting it would
 * refresh again at once, and again. One that may have only a moment left is accepted; the session
 * refreshes it right away.
 */
export function readTokenSet<TClaims>(
  options: Pick<ResolvedOptions, 'readAccess' | 'readExpiresIn'>,
  answer: { body: unknown; headers: Headers | undefined; sentAt: number; receivedAt: number },
  clock: ClockOffset | null,
  what: string,
): { set: TokenSet<TClaims>; clock: ClockOffset | null } {
  const { sentAt, receivedAt } = answer
  const read = readTokenResponse<TClaims>(options, answer.body, what)
  // The Date header is the answering server's "now"; an iat may be old (a cached token), so it
  // only stands in when there is no Date (a cross-origin answer that does not expose it).
  const date = answer.headers?.get('date')
  const stamp = date ? Date.parse(date) : read.iat === null ? Number.NaN : read.iat * 1000
  if (Number.isFinite(stamp))
    clock = combineOffsets(clock, observeOffset(stamp, sentAt, receivedAt))
  const timing = tokenTiming(read, sentAt, receivedAt, clock)
  if (timing.deadBy !== null && timing.deadBy <= receivedAt) {
    throw new AuthError(
      'bad_response',
      `The ${what} response carries a token that had already expired when it arrived. Check the server's clock and the token's exp and expires_in.`,
    )
  }
  return {
    set: { token: read.token, claims: read.claims, rejected: false, seq: 0, ...timing },
    clock,
  }
}
