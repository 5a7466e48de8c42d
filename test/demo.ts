// The demo server on a free port for the tests of one file, with clients that talk to it from Node.
// Node's fetch keeps no cookies, so fetch-cookie (with tough-cookie) plays the browser's cookie jar
// for the HttpOnly refresh cookie; real-browser cookie behaviour is covered by test/browser/.
import makeFetchCookie from 'fetch-cookie'
import { CookieJar } from 'tough-cookie'
import { afterAll, beforeAll, beforeEach, vi } from 'vitest'
import type { AuthOptions } from '../src'
import { createDemoServer } from '../playground/server/app.js'
import { setupAuth } from './utils'

export const alice = { username: 'alice', password: 'alice-password' }

/**
 * Starts the demo server before the file's tests and stops it after; before each test, resets its
 * counters and faults and gives the test a fresh cookie jar. `onFetch` sees every request sent.
 */
export function useDemoServer(
  options: Parameters<typeof createDemoServer>[0] = { accessTtl: 60 },
  onFetch?: (url: string, response: Promise<Response>) => void,
) {
  const demo = createDemoServer(options)
  let close = async () => {}
  const server = {
    demo,
    url: '',
    /** A real app with the plugin, pointed at the demo server (nothing restored at start-up). */
    client(more: AuthOptions = {}) {
      const { url } = server
      return setupAuth({
        baseURL: `${url}/api`,
        restore: false,
        endpoints: {
          login: `POST ${url}/auth/login`,
          refresh: `POST ${url}/auth/refresh`,
          logout: `POST ${url}/auth/logout`,
        },
        ...more,
      })
    },
    /** A client signed in as alice. */
    async signedIn(more: AuthOptions = {}) {
      const ctx = server.client(more)
      await ctx.store.login(alice)
      return ctx
    },
  }
  const realFetch = globalThis.fetch
  beforeAll(async () => {
    ;({ url: server.url, close } = await demo.listen())
  })
  afterAll(() => close())
  beforeEach(() => {
    demo.resetStats()
    demo.faults.refresh.length = 0
    demo.faults.api.length = 0
    const cookieFetch = makeFetchCookie(realFetch, new CookieJar())
    vi.stubGlobal('fetch', (input: string, init?: RequestInit) => {
      const response = cookieFetch(input, init)
      onFetch?.(String(input), response)
      return response
    })
  })
  return server
}
