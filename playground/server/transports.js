// @ts-check
import { deleteCookie, getCookie, getRequestProtocol, setCookie } from 'h3'
import { readJsonObject } from './http.js'

/** @typedef {import('h3').H3Event} H3Event */

/**
 * Where a refresh token travels between server and client.
 *
 * @typedef {object} RefreshTransport
 * @property {(event: H3Event) => Promise<string | undefined>} read
 * @property {(event: H3Event, token: import('./store.js').RefreshTokenRecord, body: object) => object} send
 *   Hands the token to the client and returns the JSON body to answer with.
 * @property {(event: H3Event) => void} clear
 */

const REFRESH_COOKIE = 'refresh_token'
// Only the refresh and logout endpoints need the cookie, so API requests never carry it.
const REFRESH_COOKIE_PATH = '/auth'

/**
 * The refresh token in an HttpOnly cookie, which page scripts cannot read.
 *
 * @param {number} refreshTtl - Seconds: the cookie's Max-Age, so the browser forgets it when the
 *   server would.
 * @returns {RefreshTransport}
 */
export function createCookieTransport(refreshTtl) {
  return {
    async read(event) {
      return getCookie(event, REFRESH_COOKIE)
    },
    send(event, token, body) {
      setCookie(event, REFRESH_COOKIE, token.token, {
        ...refreshCookieAttributes(event),
        maxAge: refreshTtl,
      })
      return body
    },
    clear(event) {
      deleteCookie(event, REFRESH_COOKIE, refreshCookieAttributes(event))
    },
  }
}

/**
 * The refresh token in the JSON bodies (`refresh_token`), for the plugin's body mode.
 *
 * @type {RefreshTransport}
 */
export const bodyTransport = {
  async read(event) {
    const { refresh_token: token } = await readJsonObject(event)
    return typeof token === 'string' ? token : undefined
  },
  send(_event, token, body) {
    return { ...body, refresh_token: token.token }
  },
  clear() {},
}

/** @param {H3Event} event */
function refreshCookieAttributes(event) {
  return {
    httpOnly: true,
    sameSite: /** @type {const} */ ('strict'),
    path: REFRESH_COOKIE_PATH,
    // Not every browser keeps a Secure cookie set over plain http, even on localhost. Behind a
    // TLS-terminating proxy, getRequestProtocol() reads x-forwarded-proto.
    secure: getRequestProtocol(event) === 'https',
  }
}
