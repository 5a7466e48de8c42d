import {
  createApp,
  createRouter,
  defineEventHandler,
  deleteCookie,
  getCookie,
  getRequestHeader,
  readBody,
  setCookie,
  setResponseHeader,
  setResponseStatus,
  type H3Event,
} from 'h3'
import type { TokenStore } from '../../playground/server/store.js'
import { createAccessTokens, createRefreshTokens, REFRESH_TTL, type User } from './server-sessions'

export interface AuthServerOptions {
  secret: Uint8Array
  /** Your password check (argon2, bcrypt…): the user, or null. */
  checkPassword(username: string, password: string): Promise<User | null>
  /** Your user lookup, for refreshes. */
  findUser(id: string): Promise<User | null>
  /** The origins your app is served from; other origins may not call /auth/*. */
  appOrigins: string[]
  /** false only for plain-http development on localhost. */
  secureCookies?: boolean
  /** Where the refresh tokens live. Default: this process's memory. */
  store?: TokenStore
}

export function createAuthServer(options: AuthServerOptions) {
  const access = createAccessTokens(options.secret)
  const refresh = createRefreshTokens(options.store)
  const router = createRouter()

  // #region cookie
  const cookie = {
    httpOnly: true, // page scripts cannot read it
    secure: options.secureCookies ?? true, // https only
    sameSite: 'strict', // not sent on requests started by other sites
    path: '/auth', // sent to /auth/refresh and /auth/logout, never to the API
  } as const

  function setRefreshCookie(event: H3Event, token: string) {
    setCookie(event, 'refresh_token', token, { ...cookie, maxAge: REFRESH_TTL })
  }
  // #endregion cookie

  // #region csrf
  // Browsers send Origin on every POST; refuse the auth endpoints to other origins.
  function fromOtherOrigin(event: H3Event): boolean {
    const origin = getRequestHeader(event, 'origin')
    return origin !== undefined && !options.appOrigins.includes(origin)
  }

  function fail(event: H3Event, status: number, error: string, message: string) {
    setResponseStatus(event, status)
    return { error, message }
  }
  // #endregion csrf

  // #region login
  router.post(
    '/auth/login',
    defineEventHandler(async (event) => {
      if (fromOtherOrigin(event)) return fail(event, 403, 'forbidden', 'Cross-origin request.')
      const { username, password } = (await readBody(event)) ?? {}
      const user =
        typeof username === 'string' && typeof password === 'string'
          ? await options.checkPassword(username, password)
          : null
      if (!user) return fail(event, 401, 'invalid_credentials', 'Wrong username or password.')
      setRefreshCookie(event, (await refresh.start(user.id)).token)
      return { ...(await access.issue(user)), user } // `user` fills useAuth().user
    }),
  )
  // #endregion login

  // #region refresh
  router.post(
    '/auth/refresh',
    defineEventHandler(async (event) => {
      if (fromOtherOrigin(event)) return fail(event, 403, 'forbidden', 'Cross-origin request.')
      const result = await refresh.rotate(getCookie(event, 'refresh_token'))
      const user = 'userId' in result ? await options.findUser(result.userId) : null
      if ('rejected' in result || !user) {
        deleteCookie(event, 'refresh_token', cookie)
        // 401 (or 400 invalid_grant) ends the session in the app. Never 5xx for a bad token:
        // the app would keep retrying it.
        return fail(event, 401, 'invalid_grant', 'rejected' in result ? result.rejected : 'gone')
      }
      setRefreshCookie(event, result.token)
      return access.issue(user)
    }),
  )
  // #endregion refresh

  // #region logout
  router.post(
    '/auth/logout',
    defineEventHandler(async (event) => {
      if (fromOtherOrigin(event)) return fail(event, 403, 'forbidden', 'Cross-origin request.')
      const body = (await readBody(event)) ?? {}
      await refresh.revoke(getCookie(event, 'refresh_token'), body.everywhere === true)
      deleteCookie(event, 'refresh_token', cookie)
      return { ok: true }
    }),
  )
  // #endregion logout

  // #region api
  router.get(
    '/api/items',
    defineEventHandler(async (event) => {
      const claims = await access.verify(getRequestHeader(event, 'authorization'))
      if (!claims) {
        // RFC 6750: say it is the bearer token that failed.
        setResponseHeader(event, 'www-authenticate', 'Bearer error="invalid_token"')
        return fail(event, 401, 'invalid_token', 'Missing or expired access token.')
      }
      return [`an item for ${claims.sub}`]
    }),
  )
  // #endregion api

  return createApp().use(router)
}
