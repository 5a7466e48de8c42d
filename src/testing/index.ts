/**
 * The testing kit: `createTestingAuth()` for component tests, and `createFakeAuthServer()`, an
 * in-memory backend for tests that run the real session.
 *
 * @module vue-refresh-auth/testing
 */
export { createTestingAuth } from './createTestingAuth'
export { createFakeAuthServer } from './createFakeAuthServer'

export type { TestingAuthOptions, TestingAuthPlugin, TestingAuthState } from './createTestingAuth'
export type {
  FakeAuthServer,
  FakeAuthServerOptions,
  FakeAuthServerStats,
  FakeClient,
  FakeEndpoint,
  FakeFault,
  FakeRequest,
  FakeRouteHandler,
  FakeTokenClaims,
  FakeUser,
} from './types'
