import type { IncomingMessage } from 'node:http'
import { jwtVerify } from 'jose'
import { WebSocketServer, type WebSocket } from 'ws'

const key = new TextEncoder().encode(process.env.JWT_SECRET)
const allowedOrigins = new Set(['https://app.example.com'])
const wss = new WebSocketServer({ port: 8080, path: '/ws' })

wss.on('connection', async (socket: WebSocket, request: IncomingMessage) => {
  // Browsers send Origin on the upgrade; checking it stops other sites from opening sockets.
  if (!allowedOrigins.has(request.headers.origin ?? ''))
    return socket.close(4003, 'origin not allowed')
  const token = new URL(request.url ?? '', 'ws://localhost').searchParams.get('access_token')
  try {
    const { payload } = await jwtVerify(token ?? '', key, { algorithms: ['HS256'] })
    // Close with an auth code when the token expires: the client refreshes and reconnects.
    const left = (payload.exp ?? 0) * 1000 - Date.now()
    const expiry = setTimeout(() => socket.close(4001, 'token expired'), left)
    socket.on('close', () => clearTimeout(expiry))
    socket.send(JSON.stringify({ kind: 'notice', text: `hello ${payload.sub}` }))
  } catch {
    socket.close(4001, 'invalid token')
  }
})
