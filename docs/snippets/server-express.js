// Express 5 (async handlers) with cookie-parser; the same pieces as the h3 example.
import cookieParser from 'cookie-parser'
import express from 'express'
import { createAccessTokens, createRefreshTokens, REFRESH_TTL } from './server-sessions.js'

export function createAuthServer({ secret, checkPassword, findUser, appOrigins, secureCookies }) {
  const access = createAccessTokens(secret)
  const refresh = createRefreshTokens()
  // HttpOnly, https only, never sent by other sites, and only to /auth/*.
  const cookie = {
    httpOnly: true,
    secure: secureCookies ?? true,
    sameSite: 'strict',
    path: '/auth',
  }
  const app = express()
  app.use(express.json(), cookieParser())

  // Browsers send Origin on every POST; refuse the auth endpoints to other origins.
  app.use('/auth', (req, res, next) => {
    const origin = req.get('origin')
    if (origin !== undefined && !appOrigins.includes(origin)) {
      return res.status(403).json({ error: 'forbidden', message: 'Cross-origin request.' })
    }
    next()
  })

  app.post('/auth/login', async (req, res) => {
    const { username, password } = req.body ?? {}
    const user =
      typeof username === 'string' && typeof password === 'string'
        ? await checkPassword(username, password)
        : null
    if (!user) {
      return res.status(401).json({ error: 'invalid_credentials', message: 'Wrong password.' })
    }
    const { token } = await refresh.start(user.id)
    res.cookie('refresh_token', token, { ...cookie, maxAge: REFRESH_TTL * 1000 })
    res.json({ ...(await access.issue(user)), user })
  })

  app.post('/auth/refresh', async (req, res) => {
    const result = await refresh.rotate(req.cookies.refresh_token)
    const user = 'userId' in result ? await findUser(result.userId) : null
    if ('rejected' in result || !user) {
      res.clearCookie('refresh_token', cookie)
      // 401 (or 400 invalid_grant) ends the session in the app; never 5xx for a bad token.
      return res.status(401).json({ error: 'invalid_grant', message: result.rejected ?? 'gone' })
    }
    res.cookie('refresh_token', result.token, { ...cookie, maxAge: REFRESH_TTL * 1000 })
    res.json(await access.issue(user))
  })

  app.post('/auth/logout', async (req, res) => {
    await refresh.revoke(req.cookies.refresh_token, req.body?.everywhere === true)
    res.clearCookie('refresh_token', cookie)
    res.json({ ok: true })
  })

  app.get('/api/items', async (req, res) => {
    const claims = await access.verify(req.get('authorization'))
    if (!claims) {
      res.set('www-authenticate', 'Bearer error="invalid_token"')
      return res.status(401).json({ error: 'invalid_token', message: 'Missing or expired token.' })
    }
    res.json([`an item for ${claims.sub}`])
  })

  return app
}
