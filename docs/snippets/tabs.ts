import { createAuth } from 'vue-refresh-auth'

// #region leeway
export const auth = createAuth({
  // Refresh 60 s before expiry (capped at half the token's lifetime). 0 turns the timer off:
  // tokens are then refreshed only when a request finds them expired or gets a 401.
  refreshLeeway: 60,
})
// #endregion leeway

// #region cross-tab
export const authWithOptions = createAuth({
  baseURL: '/api',
  crossTab: {
    // The BroadcastChannel and Web Lock name. Give two apps on one origin different names.
    channel: 'shop-auth',
    // How long a tab waits for the refresh lock before taking it over. Default: 35 s.
    lockTimeout: 5_000,
  },
})

// Every tab on its own (each refreshes by itself; see the warning about rotation below).
export const authAlone = createAuth({ crossTab: false })
// #endregion cross-tab
