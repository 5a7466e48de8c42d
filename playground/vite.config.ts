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
      // The demo's authenticated WebSocket at /ws; Vite's own HMR socket is left alone.
      server.httpServer?.on('upgrade', demo.sockets.handleUpgrade)
    },
  }
}

export default defineConfig(({ mode }) => ({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [vue(), vueDevTools(), demoServer()],
  // As for an app using the published package: `vite build` of the playground is a production
  // build without devtools or warnings, and `npm run dev` has them.
  define: { __DEV__: JSON.stringify(mode !== 'production') },
  resolve: {
    // The package and its subpath entries (vue-refresh-auth/axios) from the source.
    alias: [
      {
        find: /^vue-refresh-auth$/,
        replacement: fileURLToPath(new URL('../src/index.ts', import.meta.url)),
      },
      {
        find: /^vue-refresh-auth\/(\w+)$/,
        replacement: fileURLToPath(new URL('../src/$1.ts', import.meta.url)),
      },
    ],
  },
  build: { outDir: 'dist', emptyOutDir: true },
  server: { port: 5173, strictPort: false },
}))
