import type { AxiosError, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios'
import type { AuthPlugin } from './createAuth'
import type { Attempt, Door } from './door'
import { AuthError, withCause } from './errors'
import { currentSession, doorOf } from './store'

/** A replay's config carries the attempt it replays: a function, which axios' config merge keeps. */
const REPLAY = 'vueRefreshAuthReplay'
type Config = InternalAxiosRequestConfig & { [REPLAY]?: () => Attempt }

const installed = new WeakMap<AxiosInstance, { request: number; response: number }>()
const attempts = new WeakMap<InternalAxiosRequestConfig, Attempt | null>()

/**
 * Puts an axios instance through the session: `Authorization: Bearer` to allowed origins only, a
 * known-expired token refreshed before the request leaves, a 401 shared with every other door's
 * refresh and replayed once. Session failures, and a 401 still 401 after the replay
 * (`unauthorized`), reject with an `AuthError` whose `cause` is the `AxiosError`; every other error
 * stays an `AxiosError`. Installing twice is harmless; {@link ejectAuth} takes it off again.
 *
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

  const request = instance.interceptors.request.use(async (config: Config) => {
    const session = door()
    const url = instance.getUri(config)
    const replaying = config[REPLAY]?.()
    const attempt = replaying
      ? session.allows(url)
        ? replaying
        : null
      : await session.begin((config.method ?? 'get').toUpperCase(), url)
    attempts.set(config, attempt)
    if (attempt?.token) config.headers.set('Authorization', `Bearer ${attempt.token}`)
    // The replay of a request moved elsewhere by an interceptor must not take the header along.
    else if (replaying) config.headers.delete('Authorization')
    return config
  })

  const response = instance.interceptors.response.use(
    (answer: AxiosResponse) => answer,
    async (error: AxiosError) => {
      const config = error?.config as Config | undefined
      const attempt = config && attempts.get(config)
      if (!config || !attempt || error.response?.status !== 401) throw error
      const session = door()
      let again: boolean
      try {
        again = await session.replay(attempt, 401)
      } catch (cause) {
        if (!(cause instanceof AuthError)) throw cause
        throw session.report(withCause(cause, error))
      }
      if (!again) throw session.refused(attempt, error)
      const replay: Config = { ...config, [REPLAY]: () => attempt }
      return instance.request(replay)
    },
  )

  installed.set(instance, { request, response })
  return instance
}

/**
 * Takes {@link withAuth} off an axios instance again.
 *
 * @returns `instance`
 */
export function ejectAuth<T extends AxiosInstance>(instance: T): T {
  const ids = installed.get(instance)
  if (ids) {
    instance.interceptors.request.eject(ids.request)
    instance.interceptors.response.eject(ids.response)
    installed.delete(instance)
  }
  return instance
}
