// @vitest-environment node
// The testing kit in a project without msw (an optional peer). In a file of its own, in Node: the
// module registry is reset to load the kit without msw, and nothing else of the kit's tests, nor
// an app's lazily loaded devtools module, may be left to load from that reset registry.
import { describe, expect, it, vi } from 'vitest'

describe('createFakeAuthServer without msw installed', () => {
  it('answers through server.fetch, and tells what to install when asked for handlers', async () => {
    vi.doMock('msw', () => {
      throw new Error("Cannot find package 'msw'")
    })
    vi.resetModules()
    try {
      const { createFakeAuthServer } = await import('../src/testing')
      const server = createFakeAuthServer()
      const login = await server.fetch('/auth/login', {
        method: 'POST',
        body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
      })
      expect(login.status).toBe(200)
      expect(() => server.handlers).toThrowError(
        expect.objectContaining({
          code: 'misconfigured',
          message: expect.stringMatching(/npm i -D msw/),
        }),
      )
    } finally {
      vi.doUnmock('msw')
      vi.resetModules()
    }
  })
})
