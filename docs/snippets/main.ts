import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { createAuth } from 'vue-refresh-auth'
import App from './App.vue'
import { router } from './router'

export const auth = createAuth({
  baseURL: '/api', // where useAuthFetch() sends relative URLs
  router, // installs the route guards
})

// Pinia first: the plugin keeps its store there.
createApp(App).use(createPinia()).use(router).use(auth).mount('#app')
