import { createServer } from 'node:http'
import { toNodeListener } from 'h3'
import { createAuthServer } from './server-h3'
import type { User } from './server-sessions'

// Your user store.
declare const users: {
  check(username: string, password: string): Promise<User | null>
  find(id: string): Promise<User | null>
}

const app = createAuthServer({
  secret: new TextEncoder().encode(process.env.JWT_SECRET),
  checkPassword: (username, password) => users.check(username, password),
  findUser: (id) => users.find(id),
  appOrigins: ['https://app.example.com'],
})
createServer(toNodeListener(app)).listen(3001)
