// @ts-check
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { once } from 'node:events'
import { readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  createApp,
  createRouter,
  defineEventHandler,
  deleteCookie,
  getCookie,
  getRequestHeader,
  getRequestProtocol,
  readBody,
  send,
  serveStatic,
  setCookie,
  setResponseHeader,
  setResponseStatus,
  toNodeListener,
} from 'h3'
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose'
import { createSocketServer } from './socket.js'
import { createMemoryStore } from './store.js'
import { findUserById, findUserByUsername, toPublicUser } from './users.js'

/** @typedef {import('h3').H3Event} H3Event */
/** @typedef {import('./store.js').TokenStore} TokenStore */
/** @typedef {import('./store.js').RefreshTokenRecord} RefreshTokenRecord */
/** @typedef {import('./users.js').DemoUser} DemoUser */

/**
 * @typedef {object} DemoServerOptions
 * @property {number} [accessTtl] - Access-token lifetime in seconds. Default: env `ACCESS_TTL`, else 60.
 * @property {number} [refreshTtl] - Refresh-token lifetime in seconds. Default: env `REFRESH_TTL`,
 *   else 7 days.
 * @property {string | Uint8Array} [secret] - HS256 signing key. Default: 32 random bytes, so tokens
 *   do not survive a restart.
 * @property {string} [staticDir] - Serve a built SPA from this folder; unknown non-API GET paths get
 *   its `index.html`.
 * @property {string} [issuer] - The `iss` claim. Default: `'vue-refresh-auth-demo'`.
 * @property {TokenStore} [store] - Default: a new in-memory store.
 * @property {number} [clockOffset] - Milliseconds the server's clock is ahead of the machine's (negative:
 *   behind), for trying clock skew: `iat`, `exp`, the token checks and the `Date` header all use it.
 *   Default: env `CLOCK_OFFSET`, else 0.
 */

/**
 * A misbehaviour queued for the next matching request: answer with an error status, hang up
 * without answering, answer late, or send only half of the (real) answer.
 *
 * @typedef {{ status: number, retryAfter?: number } | { drop: true } | { delayMs: number } | { truncate: true }} Fault
 */

/**
 * @typedef {object} DemoStats
 * @property {number} logins
 * @property {number} loginFailures
 * @property {number} refreshes - Every refresh request, including those answered by a fault.
 * @property {number} refreshRejected
 * @property {number} reuseDetections
 * @property {number} logouts
 * @property {number} apiRequests - Requests to the protected `/api` routes (not the demo stats).
 * @property {number} api401
 * @property {number} expiredTokenRequests - API requests whose bearer token was genuine but already
 *   past its `exp` on the server's clock: each one is a request the client should not have sent.
 */

/**
 * @typedef {object} ListeningServer
 * @property {string} url - e.g. `http://127.0.0.1:3001`, without a trailing slash.
 * @property {number} port
 * @property {() => Promise<void>} close - Stops the server and cuts keep-alive connections.
 */

/**
 * @typedef {object} DemoServer
 * @property {import('h3').App} app
 * @property {(options?: { port?: number, host?: string }) => Promise<ListeningServer>} listen -
 *   Defaults: port 0 (any free port), host `127.0.0.1`.
 * @property {DemoStats} stats - Live counters, mutated in place.
 * @property {() => void} resetStats
 * @property {{ refresh: Fault[], api: Fault[] }} faults - Queues, one entry consumed per request.
 * @property {TokenStore} store
 * @property {import('./socket.js').SocketServer} sockets - The `/ws` endpoint; also mountable on
 *   another HTTP server's `upgrade` event (the playground's Vite server).
 * @property {{ accessTtl: number, refreshTtl: number, issuer: string }} config
 * @property {import('node:http').Server | undefined} nodeServer - Set by `listen()`.
 */

/**
 * @typedef {import('jose').JWTPayload & { sub: string, jti: string, exp: number, name: string, roles: string[] }} AccessClaims
 */

/**
 * Where a refresh token travels between server and client.
 *
 * @typedef {object} RefreshTransport
 * @property {(event: H3Event) => Promise<string | undefined>} read
 * @property {(event: H3Event, token: RefreshTokenRecord, body: object) => object} send - Hands the
 *   token to the client and returns the JSON body to answer with.
 * @property {(event: H3Event) => void} clear
 */

const REFRESH_COOKIE = 'refresh_token'
// Only the refresh and logout endpoints need the cookie, so API requests never carry it.
const REFRESH_COOKIE_PATH = '/auth'

/**
 * Creates the demo backend: cookie-mode auth under `/auth`, body-mode auth under `/body/auth`, and
 * a small protected API under `/api`.
 *
 * @param {DemoServerOptions} [options]
 * @returns {DemoServer}
 * @example
 * const demo = createDemoServer({ accessTtl: 5 })
 * const { url, close } = await demo.listen()
 * demo.faults.refresh.push({ status: 503, retryAfter: 1 })
 */
export function createDemoServer(options = {}) {
  const {
    accessTtl = envSeconds('ACCESS_TTL', 60),
    refreshTtl = envSeconds('REFRESH_TTL', 7 * 24 * 60 * 60),
    secret = randomBytes(32),
    staticDir,
    issuer = 'vue-refresh-auth-demo',
    store = createMemoryStore(),
    clockOffset = Number(process.env.CLOCK_OFFSET) || 0,
  } = options
  /** The server's clock, in ms. */
  const now = () => Date.now() + clockOffset
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret

  const stats = emptyStats()
  /** @type {DemoServer['faults']} */
  const faults = { refresh: [], api: [] }

  /** @param {DemoUser} user */
  async function accessTokenResponse(user) {
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
  }

  /**
   * @param {H3Event} event
   * @returns {Promise<{ claims: AccessClaims } | { rejected: string, expired?: boolean }>}
   */
  async function verifyAccessToken(event) {
    const match = /^Bearer\s+(\S+)$/i.exec(getRequestHeader(event, 'authorization') ?? '')
    if (!match) return { rejected: 'Missing bearer token.' }
    return verifyToken(match[1])
  }

  /**
   * @param {string} token
   * @returns {Promise<{ claims: AccessClaims } | { rejected: string, expired?: boolean }>}
   */
  async function verifyToken(token) {
    try {
      const { payload } = await jwtVerify(token, key, {
        issuer,
        currentDate: new Date(now()),
        // Pinning the algorithm keeps a token signed some other way from being accepted.
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'jti', 'exp'],
      })
      const claims = /** @type {AccessClaims} */ (payload)
      if (await store.isAccessTokenRevoked(claims.jti)) {
        return { rejected: 'The access token was revoked.' }
      }
      return { claims }
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        return { rejected: 'The access token expired.', expired: true }
      }
      return { rejected: 'Invalid access token.' }
    }
  }

  /**
   * Exchanges a refresh token for a new one in the same family (rotation).
   *
   * @param {string | undefined} presented
   * @returns {Promise<{ user: DemoUser, refreshToken: RefreshTokenRecord } | { rejected: string }>}
   */
  async function rotate(presented) {
    if (!presented) return { rejected: 'No refresh token was sent.' }
    const found = await store.findToken(presented)
    if (!found) return { rejected: 'Unknown refresh token.' }
    const { record, family } = found
    if (family.revoked) return { rejected: 'The session was revoked; sign in again.' }
    if (record.used) return reuseDetected(family.id)
    if (record.expiresAt <= Date.now()) {
      return { rejected: 'The refresh token expired; sign in again.' }
    }
    // Two refreshes sent with the same token may both get this far: only one of them wins.
    if (!(await store.markUsed(presented))) return reuseDetected(family.id)
    const user = findUserById(record.userId)
    if (!user) return { rejected: 'The user no longer exists.' }
    return { user, refreshToken: await store.issueToken(family.id, refreshTtl) }
  }

  /**
   * A used token coming back means two parties hold it: the client and whoever copied it. There is
   * no telling which is which, so neither keeps the session (RFC 9700, refresh token rotation).
   *
   * @param {string} familyId
   */
  async function reuseDetected(familyId) {
    await store.revokeFamily(familyId)
    stats.reuseDetections++
    return { rejected: 'Refresh token reuse detected; the session was revoked.' }
  }

  /** @type {RefreshTransport} */
  const cookieTransport = {
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

  /** @type {RefreshTransport} */
  const bodyTransport = {
    async read(event) {
      const { refresh_token: token } = await readJsonObject(event)
      return typeof token === 'string' ? token : undefined
    },
    send(_event, token, body) {
      return { ...body, refresh_token: token.token }
    },
    clear() {},
  }

  /**
   * @param {import('h3').Router} router
   * @param {string} prefix
   * @param {RefreshTransport} transport
   */
  function addAuthRoutes(router, prefix, transport) {
    router.post(
      `${prefix}/login`,
      defineEventHandler(async (event) => {
        const { username, password } = await readJsonObject(event)
        if (!isFilledString(username) || !isFilledString(password)) {
          return fail(event, 400, 'invalid_request', 'Send JSON with "username" and "password".')
        }
        const user = findUserByUsername(username)
        if (!user || !passwordMatches(password, user.password)) {
          stats.loginFailures++
          return fail(event, 401, 'invalid_credentials', 'Wrong username or password.')
        }
        stats.logins++
        const family = await store.createFamily(user.id)
        const refreshToken = await store.issueToken(family.id, refreshTtl)
        return transport.send(event, refreshToken, {
          ...(await accessTokenResponse(user)),
          user: toPublicUser(user),
        })
      }),
    )

    router.post(
      `${prefix}/refresh`,
      defineEventHandler(async (event) => {
        stats.refreshes++
        return withFault(event, faults.refresh.shift(), async () => {
          const result = await rotate(await transport.read(event))
          if ('rejected' in result) {
            stats.refreshRejected++
            transport.clear(event)
            return fail(event, 401, 'invalid_grant', result.rejected)
          }
          return transport.send(event, result.refreshToken, await accessTokenResponse(result.user))
        })
      }),
    )

    router.post(
      `${prefix}/logout`,
      defineEventHandler(async (event) => {
        stats.logouts++
        const { everywhere } = await readJsonObject(event)
        const presented = await transport.read(event)
        const found = presented ? await store.findToken(presented) : undefined
        if (found && everywhere === true) await store.revokeUserFamilies(found.record.userId)
        else if (found) await store.revokeFamily(found.family.id)
        transport.clear(event)
        return { ok: true }
      }),
    )
  }

  /**
   * Counts the request, applies a queued API fault, and runs `handler` only for a valid access token.
   *
   * @param {(event: H3Event, claims: AccessClaims) => unknown} handler
   */
  function protectedRoute(handler) {
    return defineEventHandler(async (event) => {
      stats.apiRequests++
      return withFault(event, faults.api.shift(), async () => {
        const result = await verifyAccessToken(event)
        if ('rejected' in result) {
          stats.api401++
          if (result.expired) stats.expiredTokenRequests++
          // RFC 6750, section 3: a 401 for a bearer token says so in WWW-Authenticate.
          setResponseHeader(event, 'www-authenticate', 'Bearer error="invalid_token"')
          return fail(event, 401, 'invalid_token', result.rejected)
        }
        return handler(event, result.claims)
      })
    })
  }

  const router = createRouter()
  addAuthRoutes(router, '/auth', cookieTransport)
  addAuthRoutes(router, '/body/auth', bodyTransport)

  router.get(
    '/api/me',
    protectedRoute((_event, claims) => ({
      id: claims.sub,
      name: claims.name,
      roles: claims.roles,
    })),
  )
  router.get(
    '/api/data',
    protectedRoute((_event, claims) => ({
      items: ['Quarterly report', 'Roadmap', 'Team photos'],
      at: new Date().toISOString(),
      user: claims.sub,
    })),
  )
  router.post(
    '/api/echo',
    protectedRoute(async (event, claims) => ({
      body: (await readBody(event)) ?? null,
      user: claims.sub,
    })),
  )
  router.post(
    '/api/demo/expire-token',
    protectedRoute(async (_event, claims) => {
      await store.revokeAccessToken(claims.jti, claims.exp * 1000)
      return { ok: true }
    }),
  )
  router.get(
    '/api/demo/stats',
    defineEventHandler(() => ({ ...stats })),
  )
  router.post(
    '/api/demo/stats/reset',
    defineEventHandler(() => {
      resetStats()
      return { ...stats }
    }),
  )

  const app = createApp({
    // The Date header on the server's own clock, as a server with a skewed clock would send it.
    onRequest: clockOffset
      ? (event) => setResponseHeader(event, 'date', new Date(now()).toUTCString())
      : undefined,
    // h3's own errors (malformed JSON, unknown route) get the same { error, message } shape as ours.
    onError(error, event) {
      if (error.unhandled) console.error(error)
      const body = { error: errorCode(error.statusCode), message: error.message }
      return send(event, JSON.stringify(body), 'application/json')
    },
  })
  app.use(router)
  if (staticDir) app.use(createSpaHandler(staticDir))

  function resetStats() {
    Object.assign(stats, emptyStats())
  }

  const sockets = createSocketServer({ verify: verifyToken, now })

  /** @type {import('node:http').Server | undefined} */
  let nodeServer

  /** @type {DemoServer['listen']} */
  async function listen({ port = 0, host = '127.0.0.1' } = {}) {
    const server = createServer(toNodeListener(app))
    server.on('upgrade', sockets.handleUpgrade)
    server.listen(port, host)
    await once(server, 'listening')
    nodeServer = server
    const address = /** @type {import('node:net').AddressInfo} */ (server.address())
    return {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
      port: address.port,
      close: () =>
        new Promise((resolvePromise, reject) => {
          sockets.close()
          server.close((error) => (error ? reject(error) : resolvePromise()))
          // Idle keep-alive sockets would otherwise hold close() open until they time out.
          server.closeAllConnections()
        }),
    }
  }

  return {
    app,
    listen,
    stats,
    resetStats,
    faults,
    store,
    sockets,
    config: { accessTtl, refreshTtl, issuer },
    get nodeServer() {
      return nodeServer
    },
  }
}

/**
 * Runs `respond` as the fault says, or plainly when there is none.
 *
 * @param {H3Event} event
 * @param {Fault | undefined} fault
 * @param {() => Promise<unknown>} respond
 */
async function withFault(event, fault, respond) {
  if (!fault) return respond()
  if ('status' in fault) {
    if (fault.retryAfter !== undefined) {
      setResponseHeader(event, 'retry-after', fault.retryAfter)
    }
    return fail(event, fault.status, 'unavailable', `Injected fault: HTTP ${fault.status}.`)
  }
  if ('drop' in fault) {
    event.node.req.socket.destroy()
    // Returning the Node response tells h3 the request is dealt with, so it writes nothing more.
    return event.node.res
  }
  if ('delayMs' in fault) {
    await sleep(fault.delayMs)
    return respond()
  }
  return sendTruncated(event, await respond())
}

/**
 * Promises the whole JSON body in Content-Length, sends half of it, then hangs up: a response cut
 * off mid-body, after the server has already acted on the request.
 *
 * @param {H3Event} event
 * @param {unknown} body
 */
function sendTruncated(event, body) {
  const json = JSON.stringify(body)
  const res = event.node.res
  res.writeHead(res.statusCode, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
  })
  // Destroy only once the half is flushed, or it might never leave the process.
  res.write(json.slice(0, Math.floor(json.length / 2)), () => res.socket?.destroy())
  return res
}

/**
 * @param {H3Event} event
 * @param {number} status
 * @param {string} error
 * @param {string} message
 */
function fail(event, status, error, message) {
  setResponseStatus(event, status)
  return { error, message }
}

/**
 * The request's JSON body when it is an object, else `{}` (no body at all is fine).
 *
 * @param {H3Event} event
 * @returns {Promise<Record<string, unknown>>}
 */
async function readJsonObject(event) {
  const body = await readBody(event)
  return body && typeof body === 'object' && !Array.isArray(body) ? body : {}
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

/**
 * @param {string} given
 * @param {string} expected
 */
function passwordMatches(given, expected) {
  // timingSafeEqual needs equal lengths; hashing both sides gives that without leaking the length.
  const digest = (/** @type {string} */ value) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(given), digest(expected))
}

/** @param {number} status */
function errorCode(status) {
  if (status === 404) return 'not_found'
  if (status >= 500) return 'server_error'
  return 'invalid_request'
}

/**
 * @param {unknown} value
 * @returns {value is string}
 */
function isFilledString(value) {
  return typeof value === 'string' && value.length > 0
}

/**
 * @param {string} name
 * @param {number} fallback
 */
function envSeconds(name, fallback) {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value > 0 ? value : fallback
}

/** @returns {DemoStats} */
function emptyStats() {
  return {
    logins: 0,
    loginFailures: 0,
    refreshes: 0,
    refreshRejected: 0,
    reuseDetections: 0,
    logouts: 0,
    apiRequests: 0,
    api401: 0,
    expiredTokenRequests: 0,
  }
}

/** @type {Record<string, string>} */
const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

/**
 * Serves a built SPA; paths it does not know belong to the client-side router, so they get
 * `index.html`. API paths are left alone and end in a JSON 404.
 *
 * @param {string} staticDir
 */
function createSpaHandler(staticDir) {
  const root = resolve(staticDir)

  /** @param {string} id */
  async function getMeta(id) {
    const file = join(root, id)
    // serveStatic already refuses `..`; this also keeps encoded tricks inside the folder.
    if (!file.startsWith(root + sep)) return undefined
    const info = await stat(file).catch(() => undefined)
    if (!info?.isFile()) return undefined
    return { size: info.size, mtime: info.mtime, type: MIME_TYPES[extname(file)] }
  }

  /** @param {string} id */
  const getContents = (id) => readFile(join(root, id))

  return defineEventHandler(async (event) => {
    if (/^\/(api|auth|body)(\/|$)/.test(event.path)) return
    const served = await serveStatic(event, { getMeta, getContents, fallthrough: true })
    if (served !== false || (event.method !== 'GET' && event.method !== 'HEAD')) return
    return serveStatic(event, {
      getMeta: () => getMeta('/index.html'),
      getContents: () => getContents('/index.html'),
    })
  })
}
