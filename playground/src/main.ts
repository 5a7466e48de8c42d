import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { createAuth } from 'vue-refresh-auth'
import App from './App.vue'
import { logEvent } from './eventLog'
import { router } from './router'
import { apiOrigin, bodyMode, crossTabOff, lockTimeout, refreshLeeway } from './settings'
import './style.css'

const auth = createAuth({
  baseURL: '/api',
  router,
  routes: { login: '/login', home: '/', forbidden: '/forbidden' },
  onEvent: logEvent,
  ...(refreshLeeway === undefined ? {} : { refreshLeeway }),
  ...(lockTimeout === undefined ? {} : { crossTab: { lockTimeout } }),
  ...(crossTabOff ? { crossTab: false } : {}),
  ...(apiOrigin ? { allowedOrigins: [location.origin, apiOrigin] } : {}),
  ...(bodyMode
    ? {
        endpoints: {
          login: 'POST /body/auth/login',
          refresh: 'POST /body/auth/refresh',
          logout: 'POST /body/auth/logout',
        },
        tokens: {
          refresh: {
            read: (body: { refresh_token?: string }) => body.refresh_token,
            send: (refresh_token: string) => ({ refresh_token }),
          },
        },
      }
    : {}),
})

createApp(App).use(createPinia()).use(router).use(auth).mount('#app')
