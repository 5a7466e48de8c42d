import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { createAuth } from 'vue-refresh-auth'
import App from './App.vue'

const auth = createAuth({ baseURL: '/api' })

createApp(App).use(createPinia()).use(auth).mount('#app')
