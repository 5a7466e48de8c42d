import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { createAuth } from 'vue-refresh-auth'
import App from './App.vue'
import { logEvent } from './eventLog'
import { router } from './router'
import { crossTabOff, lockTimeout, refreshLeeway } from './settings'
import './style.css'

const auth = createAuth({
  baseURL: '/api',
  router,
  routes: { login: '/login', home: '/', forbidden: '/forbidden' },
  onEvent: logEvent,
  ...(refreshLeeway === undefined ? {} : { refreshLeeway }),
  ...(lockTimeout === undefined ? {} : { crossTab: { lockTimeout } }),
  ...(crossTabOff ? { crossTab: false } : {}),
})

createApp(App).use(createPinia()).use(router).use(auth).mount('#app')
