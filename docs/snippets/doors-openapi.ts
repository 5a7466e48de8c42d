// #region client
import createClient from 'openapi-fetch'
import { isAuthError, useFetchWithAuth } from 'vue-refresh-auth'

// `paths` is what openapi-typescript generates from your spec:
// npx openapi-typescript openapi.yaml -o src/api.d.ts
export function useApi() {
  return createClient<paths>({ baseUrl: '/api', fetch: useFetchWithAuth() })
}

export async function loadProfile() {
  const api = useApi()
  try {
    // GET /api/me; `data` and `error` are typed from the spec
    const { data, error, response } = await api.GET('/me')
    if (error) {
      // An HTTP error, a 401 still 401 after the replay included: openapi-fetch resolves with it.
      console.warn(response.status, error.message)
      return null
    }
    return data // { id, name, roles }
  } catch (error) {
    // The session failed (session_expired, network, server), or nobody is signed in.
    if (isAuthError(error)) return null
    throw error
  }
}
// #endregion client

// #region paths
// The demo server's GET /api/me and GET /api/data in openapi-typescript's output shape, for a
// spec whose paths are relative to its server, `servers: [{ url: '/api' }]`.
export interface paths {
  '/me': {
    parameters: { query?: never; header?: never; path?: never; cookie?: never }
    get: operations['getMe']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/data': {
    parameters: { query?: never; header?: never; path?: never; cookie?: never }
    get: operations['getData']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
}

export interface components {
  schemas: {
    Error: { error: string; message: string }
    Me: { id: string; name: string; roles: string[] }
    Data: {
      items: string[]
      /** Format: date-time */
      at: string
      user: string
    }
  }
  responses: {
    /** @description Missing, expired or revoked access token. */
    Unauthorized: {
      headers: { [name: string]: unknown }
      content: { 'application/json': components['schemas']['Error'] }
    }
  }
  parameters: never
  requestBodies: never
  headers: never
  pathItems: never
}

export interface operations {
  getMe: {
    parameters: { query?: never; header?: never; path?: never; cookie?: never }
    requestBody?: never
    responses: {
      /** @description The user. */
      200: {
        headers: { [name: string]: unknown }
        content: { 'application/json': components['schemas']['Me'] }
      }
      401: components['responses']['Unauthorized']
    }
  }
  getData: {
    parameters: { query?: { i?: number }; header?: never; path?: never; cookie?: never }
    requestBody?: never
    responses: {
      /** @description The data. */
      200: {
        headers: { [name: string]: unknown }
        content: { 'application/json': components['schemas']['Data'] }
      }
      401: components['responses']['Unauthorized']
    }
  }
}
// #endregion paths

export async function loadData(i: number) {
  const { data } = await useApi().GET('/data', { params: { query: { i } } })
  return data?.items ?? []
}
