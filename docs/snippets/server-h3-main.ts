import { createServer } from 'node:http'
import { toNodeListener } from 'h3'
import { createMemoryStore } from '../../playground/server/memory-store.js'
import { createRedisStore } from '../../playground/server/redis-store.js'
import { createAuthServer } from './server-h3'
import type { User } from './server-sessions'

// Your user store.
declare const users: {
  check(username: string, password: string): Promise<User | null>
  find(id: string): Promise<User | null>
}

// One process: sessions in its memory. Several behind a load balancer: in Redis, shared by all of
// them, and the same JWT_SECRET for all of them.
const redisUrl = process.env.REDIS_URL
const store = redisUrl ? createRedisStore({ url: redisUrl }) : createMemoryStore()

const app = createAuthServer({
  secret: new TextEncoder().encode(process.env.JWT_SECRET),
  checkPassword: (username, password) => users.check(username, password),
  findUser: (id) => users.find(id),
  appOrigins: ['https://app.example.com'],
  store,
})
const server = createServer(toNodeListener(app)).listen(3001)
process.once('SIGTERM', () => server.close(() => void store.close()))
