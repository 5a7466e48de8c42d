// @ts-check
// The demo server, composed from its parts: access tokens, a token store, refresh sessions, the auth
// and API routes, faults and stats, and optionally a built SPA.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:http'
import {
  createApp,
  createRouter,
  defineEventHandler,
  handleCors,
  send,
  setResponseHeader,
  toNodeListener,
} from 'h3'
import { createAccessTokens } from './access-tokens.js'
import { addApiRoutes } from './api-routes.js'
import { addAuthRoutes } from './auth-routes.js'
import { errorCode } from './http.js'
import { createMemoryStore } from './memory-store.js'
import { createRedisStore } from './redis-store.js'
import { createSessions } from './sessions.js'
import { createSocketServer } from './socket.js'
import { createSpaHandler } from './spa.js'
import { createStats } from './stats.js'
import { bodyTransport, createCookieTransport } from './transports.js'

/** @typedef {import('./store.js').TokenStore} TokenStore */
/** @typedef {import('./faults.js').Fault} Fault */
/** @typedef {import('./stats.js').DemoStats} DemoStats */

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
 * @property {TokenStore} [store] - Default: a Redis store when env `REDIS_URL` is set, else a new
 *   in-memory store.
 * @property {number} [clockOffset] - Milliseconds the server's clock is ahead of the machine's (negative:
 *   behind), for trying clock skew: `iat`, `exp`, the token checks and the `Date` header all use it.
 *   Default: env `CLOCK_OFFSET`, else 0.
 * @property {string[]} [corsOrigins] - Other origins whose pages may call the `/api` routes with
 *   credentials (a second API origin, as a real deployment often has). Default: none, same origin only.
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
 * @property {import('./faults.js').FaultQueues} faults - Queues, one entry consumed per request.
 * @property {TokenStore} store
 * @property {import('./socket.js').SocketServer} sockets - The `/ws` endpoint; also mountable on
 *   another HTTP server's `upgrade` event (the playground's Vite server).
 * @property {{ accessTtl: number, refreshTtl: number, issuer: string }} config
 * @property {import('node:http').Server | undefined} nodeServer - Set by `listen()`.
 */

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
    clockOffset = Number(process.env.CLOCK_OFFSET) || 0,
    corsOrigins = [],
  } = options
  /** The server's clock, in ms. */
  const now = () => Date.now() + clockOffset
  const store = options.store ?? defaultStore(now)
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret

  const { stats, reset: resetStats } = createStats()
  /** @type {DemoServer['faults']} */
  const faults = { refresh: [], api: [] }
  const tokens = createAccessTokens({
    key,
    issuer,
    accessTtl,
    now,
    isRevoked: (jti) => store.isAccessTokenRevoked(jti),
  })
  const sessions = createSessions({ store, refreshTtl })

  const router = createRouter()
  const auth = { sessions, tokens, stats, faults }
  addAuthRoutes(router, { ...auth, prefix: '/auth', transport: createCookieTransport(refreshTtl) })
  addAuthRoutes(router, { ...auth, prefix: '/body/auth', transport: bodyTransport })
  addApiRoutes(router, { tokens, store, stats, resetStats, faults })

  const app = createApp({
    onRequest(event) {
      // The Date header on the server's own clock, as a server with a skewed clock would send it.
      if (clockOffset) setResponseHeader(event, 'date', new Date(now()).toUTCString())
    },
    // h3's own errors (malformed JSON, unknown route) get the same { error, message } shape as ours.
    onError(error, event) {
      if (error.unhandled) console.error(error)
      const body = { error: errorCode(error.statusCode), message: error.message }
      return send(event, JSON.stringify(body), 'application/json')
    },
  })
  if (corsOrigins.length) app.use(createCorsHandler(corsOrigins))
  app.use(router)
  if (staticDir) app.use(createSpaHandler(staticDir))

  const sockets = createSocketServer({ verify: tokens.verify, now })

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
 * CORS for the `/api` routes, with credentials, for the given page origins: a preflight for the
 * `Authorization` header, and `Date` exposed so that a client can read the server's clock.
 * https://fetch.spec.whatwg.org/#http-cors-protocol
 *
 * @param {string[]} origins
 */
function createCorsHandler(origins) {
  return defineEventHandler((event) => {
    if (!event.path.startsWith('/api/')) return
    if (
      handleCors(event, {
        origin: origins,
        credentials: true,
        methods: ['GET', 'POST'],
        allowHeaders: ['authorization', 'content-type', 'x-requested-with'],
        exposeHeaders: ['date'],
        preflight: { statusCode: 204 },
      })
    ) {
      // The preflight is answered.
      return null
    }
  })
}

/**
 * Sessions in Redis when `REDIS_URL` is set, so that several demo servers can share them; else in
 * this process's memory. Either way on the server's clock, which the access tokens' `exp` (and so
 * the revoked `jti`s' lifetimes) are on.
 *
 * @param {() => number} now
 * @returns {TokenStore}
 */
function defaultStore(now) {
  const url = process.env.REDIS_URL
  return url ? createRedisStore({ url, now }) : createMemoryStore({ now })
}

/**
 * @param {string} name
 * @param {number} fallback
 */
function envSeconds(name, fallback) {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value > 0 ? value : fallback
}
