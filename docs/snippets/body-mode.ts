import { createAuth } from 'vue-refresh-auth'

// #region config
export const auth = createAuth({
  baseURL: '/api',
  endpoints: {
    login: 'POST /body/auth/login',
    refresh: 'POST /body/auth/refresh',
    logout: 'POST /body/auth/logout',
  },
  tokens: {
    refresh: {
      // Where the refresh token is in the login and refresh responses.
      read: (body) => body.refresh_token,
      // The JSON body of the refresh and logout requests.
      send: (token) => ({ refresh_token: token }),
    },
  },
})
// #endregion config

// #region oauth
// An OAuth-style token endpoint that accepts JSON.
export const oauth = createAuth({
  endpoints: {
    login: 'POST /oauth/login',
    refresh: 'POST /oauth/token',
    logout: 'POST /oauth/revoke',
  },
  credentials: 'omit', // no cookies are involved
  tokens: {
    access: (body) => body.access_token,
    expiresIn: (body) => body.expires_in,
    refresh: {
      read: (body) => body.refresh_token,
      send: (token) => ({ grant_type: 'refresh_token', refresh_token: token }),
    },
  },
})
// #endregion oauth
