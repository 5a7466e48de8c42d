import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { toNodeListener } from 'h3'
import { defineConfig, type Plugin } from 'vite'
import vueDevTools from 'vite-plugin-vue-devtools'
import { createDemoServer } from './server/app.js'

/**
 * Serves the demo auth server from Vite's own dev server, so the app and its API share one origin
 * (as they would behind a reverse proxy) and `npm run dev` is a single process.
 */
function demoServer(): Plugin {
  return {
    name: 'vue-refresh-auth:demo-server',
    configureServer(server) {
      const demo = createDemoServer({ accessTtl: Number(process.env.ACCESS_TTL || 30) })
      const handle = toNodeListener(demo.app)
      server.middlewares.use((req, res, next) => {
        if (/^\/(api|auth|body)(\/|$)/.test(req.url ?? '')) void handle(req, res)
        else next()
      })
    },
  }
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [vue(), vueDevTools(), demoServer()],
  define: { __DEV__: 'true' },
  resolve: {
    alias: { 'vue-refresh-auth': fileURLToPath(new URL('../src/index.ts', import.meta.url)) },
  },
  build: { outDir: 'dist', emptyOutDir: true },
  server: { port: 5173, strictPort: false },
})
