// @ts-check
import { WebSocketServer } from 'ws'

/**
 * @typedef {object} SocketStats
 * @property {number} connections - Upgrades accepted with a valid token.
 * @property {number} rejected - Connections closed at once for a missing or invalid token.
 * @property {number} expired - Connections closed with 4001 because their token expired.
 */

/**
 * @typedef {object} SocketServer
 * @property {(req: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void} handleUpgrade
 *   Handles `upgrade` requests for `/ws`; other paths are left alone (Vite's HMR socket, say).
 * @property {SocketStats} stats
 * @property {(tickMs: number) => void} setTick - How often every client gets a tick message.
 * @property {() => void} close
 */

// 4001: an application close code (4000–4999, RFC 6455 §7.4.2) that tells the client its token is
// no longer good; the client refreshes and reconnects. 1008 (policy violation) means the same.
const TOKEN_EXPIRED = 4001

/**
 * The demo's authenticated WebSocket at `/ws?access_token=…`: checks the token at connect, closes
 * with 4001 when it expires while connected, echoes messages and pushes a tick every few seconds.
 *
 * @param {{ verify: (token: string) => Promise<{ claims: { sub: string, exp: number } } | { rejected: string }>, tickMs?: number, now?: () => number }} options
 * @returns {SocketServer}
 */
export function createSocketServer({ verify, tickMs = 3000, now = Date.now }) {
  const wss = new WebSocketServer({ noServer: true })
  /** @type {SocketStats} */
  const stats = { connections: 0, rejected: 0, expired: 0 }
  let tick = 0
  let interval = setInterval(broadcastTick, tickMs)
  interval.unref()

  function broadcastTick() {
    tick++
    const message = JSON.stringify({ type: 'tick', n: tick, at: new Date().toISOString() })
    for (const client of wss.clients) client.send(message)
  }

  /** @type {SocketServer['handleUpgrade']} */
  function handleUpgrade(req, socket, head) {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== '/ws') return
    wss.handleUpgrade(req, socket, head, async (ws) => {
      // Messages can arrive while the token is being checked: hold them until it is.
      /** @type {string | null} */
      let user = null
      /** @type {string[]} */
      const early = []
      const echo = (/** @type {string} */ text) =>
        ws.send(JSON.stringify({ type: 'echo', data: text, user }))
      ws.on('message', (data) => (user ? echo(data.toString()) : early.push(data.toString())))

      const result = await verify(url.searchParams.get('access_token') ?? '')
      if ('rejected' in result) {
        stats.rejected++
        ws.close(TOKEN_EXPIRED, result.rejected)
        return
      }
      stats.connections++
      const { sub, exp } = result.claims
      user = sub
      const expiry = setTimeout(
        () => {
          stats.expired++
          ws.close(TOKEN_EXPIRED, 'The access token expired.')
        },
        Math.max(0, exp * 1000 - now()),
      )
      ws.on('close', () => clearTimeout(expiry))
      ws.send(JSON.stringify({ type: 'welcome', user: sub, tick }))
      for (const text of early.splice(0)) echo(text)
    })
  }

  return {
    handleUpgrade,
    stats,
    setTick(ms) {
      clearInterval(interval)
      interval = setInterval(broadcastTick, ms)
      interval.unref()
    },
    close() {
      clearInterval(interval)
      for (const client of wss.clients) client.terminate()
      wss.close()
    },
  }
}
