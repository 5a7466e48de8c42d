import { createAuth, type AuthEvent } from 'vue-refresh-auth'

// #region option
// On by default in development builds; production builds contain none of it.
export const auth = createAuth({ devtools: false })
// #endregion option

// #region events
// The same session events, in every build, for your own logs or analytics. They never carry a token.
export const logged = createAuth({
  onEvent(event: AuthEvent) {
    if (event.type === 'refresh:failure') console.warn('refresh failed', event.error.code)
    if (event.type === 'session:expired') console.info('session ended', event.error.message)
  },
})
// #endregion events
