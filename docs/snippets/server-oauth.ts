import {
  createApp,
  createRouter,
  defineEventHandler,
  handleCors,
  readBody,
  setResponseStatus,
  type H3Event,
} from 'h3'
import { createAccessTokens, createRefreshTokens, type User } from './server-sessions'

export interface TokenServerOptions {
  secret: Uint8Array
  checkPassword(username: string, password: string): Promise<User | null>
  findUser(id: string): Promise<User | null>
  /** The app's origins: this server is on another one, so it answers CORS without cookies. */
  appOrigins: string[]
}

export function createTokenServer(options: TokenServerOptions) {
  const access = createAccessTokens(options.secret)
  const refresh = createRefreshTokens()
  const router = createRouter()

  // OAuth error bodies: { error, error_description } (RFC 6749, section 5.2).
  function oauthError(event: H3Event, status: number, error: string, description: string) {
    setResponseStatus(event, status)
    return { error, error_description: description }
  }

  // #region login
  router.post(
    '/oauth/login',
    defineEventHandler(async (event) => {
      const { username, password } = (await readBody(event)) ?? {}
      const user =
        typeof username === 'string' && typeof password === 'string'
          ? await options.checkPassword(username, password)
          : null
      if (!user) return oauthError(event, 401, 'invalid_credentials', 'Wrong username or password.')
      return { ...(await access.issue(user)), refresh_token: (await refresh.start(user.id)).token }
    }),
  )
  // #endregion login

  // #region token
  router.post(
    '/oauth/token',
    defineEventHandler(async (event) => {
      // readBody parses JSON and application/x-www-form-urlencoded alike.
      const body = (await readBody(event)) ?? {}
      if (body.grant_type !== 'refresh_token') {
        return oauthError(event, 400, 'unsupported_grant_type', 'Only refresh_token is supported.')
      }
      const result = await refresh.rotate(body.refresh_token)
      const user = 'userId' in result ? await options.findUser(result.userId) : null
      // 400 invalid_grant: the app ends the session (as it does for 401 and 403).
      if ('rejected' in result) return oauthError(event, 400, 'invalid_grant', result.rejected)
      if (!user) return oauthError(event, 400, 'invalid_grant', 'The user no longer exists.')
      // The rotated refresh token goes back in the body; the app always uses the newest one.
      return { ...(await access.issue(user)), refresh_token: result.token }
    }),
  )
  // #endregion token

  // #region revoke
  router.post(
    '/oauth/revoke',
    defineEventHandler(async (event) => {
      const body = (await readBody(event)) ?? {}
      await refresh.revoke(body.refresh_token, body.everywhere === true)
      return {} // RFC 7009: 200 even for an unknown token
    }),
  )
  // #endregion revoke

  const app = createApp()
  // #region cors
  app.use(
    defineEventHandler((event) => {
      // No credentials: nothing here relies on cookies, so no CSRF either.
      if (
        handleCors(event, {
          origin: options.appOrigins,
          methods: ['POST'],
          allowHeaders: ['content-type'],
        })
      ) {
        return // a preflight, answered with 204
      }
    }),
  )
  // #endregion cors
  return app.use(router)
}
