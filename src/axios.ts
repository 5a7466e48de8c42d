/**
 * The axios door: `withAuth(instance)`.
 *
 * @module vue-refresh-auth/axios
 */
import {
  getAdapter,
  isAxiosError,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios'
import type { AuthPlugin } from './createAuth'
import type { Door } from './door'
import { AuthError, withCause } from './errors'
import { currentSession, doorOf } from './store'

const installed = new WeakMap<AxiosInstance, number>()

const is401 = (error: unknown) => isAxiosError(error) && error.response?.status === 401

/**
 * Puts an axios instance through the session: `Authorization: Bearer` to allowed origins only, a
 * known-expired token refreshed before the request leaves, a 401 shared with every other door's
 * refresh and replayed once. Session failures, and a 401 still 401 after the replay
 * (`unauthorized`), reject with an `AuthError` (its `cause` the `AxiosError` once the request was
 * sent); every other error stays an `AxiosError`. Installing twice is harmless; {@link ejectAuth}
 * takes it off again.
 *
 * It is a request interceptor that wraps the request's adapter: the replay happens inside the
 * adapter, so your response interceptors and transforms run once per request, not once per send.
 * axios runs request interceptors last-added first, so install it before your own: theirs run
 * first, and cannot remove the header it sets.
 *
 * @param instance - an axios instance (`axios.create()`), or `axios` itself
 * @param auth - the plugin; by default the current app's, looked up when a request is sent
 * @returns `instance`
 * @example
 * ```ts
 * import axios from 'axios'
 * import { withAuth } from 'vue-refresh-auth/axios'
 * export const api = withAuth(axios.create({ baseURL: '/api' }))
 * ```
 */
export function withAuth<T extends AxiosInstance>(instance: T, auth?: AuthPlugin<any, any>): T {
  if (installed.has(instance)) return instance
  const door = (): Door => (auth ? doorOf(auth) : currentSession('withAuth()').door)

  const id = instance.interceptors.request.use(async (config: InternalAxiosRequestConfig) => {
    const session = door()
    const attempt = await session.begin(
      (config.method ?? 'get').toUpperCase(),
      instance.getUri(config),
    )
    if (!attempt) return config
    const authorize = (sent: InternalAxiosRequestConfig) => {
      if (attempt.token) sent.headers.set('Authorization', `Bearer ${attempt.token}`)
    }
    authorize(config)
    const send = getAdapter(config.adapter ?? instance.defaults.adapter, config)
    // The adapter gets the request as it leaves (data already serialized), so sending it twice
    // replays it as it was. A 401 may reject (the default validateStatus) or resolve.
    config.adapter = async (sent) => {
      let error: unknown
      try {
        const first: AxiosResponse = await send(sent)
        if (first.status !== 401) return first
      } catch (cause) {
        if (!is401(cause)) throw cause
        error = cause
      }
      try {
        if (!(await session.replay(attempt, 401))) throw session.refused(attempt, error)
      } catch (cause) {
        throw cause instanceof AuthError && error ? session.report(withCause(cause, error)) : cause
      }
      authorize(sent)
      try {
        const replayed = await send(sent)
        if (replayed.status === 401) throw session.refused(attempt)
        return replayed
      } catch (cause) {
        throw is401(cause) ? session.refused(attempt, cause) : cause
      }
    }
    return config
  })

  installed.set(instance, id)
  return instance
}

/**
 * Takes {@link withAuth} off an axios instance again.
 *
 * @returns `instance`
 */
export function ejectAuth<T extends AxiosInstance>(instance: T): T {
  const id = installed.get(instance)
  if (id !== undefined) {
    instance.interceptors.request.eject(id)
    installed.delete(instance)
  }
  return instance
}
