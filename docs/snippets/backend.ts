import { createAuth } from 'vue-refresh-auth'

// #region endpoints
export const auth = createAuth({
  baseURL: '/api',
  endpoints: {
    login: 'POST /session', // 'METHOD /path', a path (POST), { url, method }, or false
    refresh: { url: '/session/refresh', method: 'PUT' },
    logout: 'DELETE /session',
    user: 'GET /session/user', // off by default
  },
  tokens: {
    access: (body) => body.data?.jwt, // default: access_token, accessToken, access, token
    expiresIn: (body) => body.data?.ttl, // default: expires_in, else the JWT's exp
  },
})
// #endregion endpoints

// #region csrf
// Double-submit: the server sets a readable csrf_token cookie and compares it with the header.
export const withCsrf = createAuth({
  csrf: { header: 'x-csrf-token', cookie: 'csrf_token' },
})

// Or a value from anywhere, e.g. a <meta> tag the server renders.
export const withCsrfMeta = createAuth({
  csrf: {
    header: 'x-csrf-token',
    value: () => document.querySelector<HTMLMetaElement>('meta[name=csrf-token]')?.content,
  },
})
// #endregion csrf
