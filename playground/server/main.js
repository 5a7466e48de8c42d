// @ts-check
// Starts the demo server: `node playground/server/main.js`.
// Env: PORT (default 3001), ACCESS_TTL and REFRESH_TTL in seconds, STATIC_DIR to serve a built SPA,
// REDIS_URL to keep sessions in Redis instead of memory, JWT_SECRET to sign access tokens with a
// fixed key instead of a random one. Several servers behind one origin need both, the same for all.
import { createDemoServer } from './app.js'

const demo = createDemoServer({
  staticDir: process.env.STATIC_DIR || undefined,
  secret: process.env.JWT_SECRET || undefined,
})
const { url, close } = await demo.listen({ port: Number(process.env.PORT || 3001) })
console.log(
  `vue-refresh-auth demo server on ${url} (access token ${demo.config.accessTtl}s, refresh token ${demo.config.refreshTtl}s, sessions in ${process.env.REDIS_URL ? 'Redis' : 'memory'})`,
)

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    close()
      .then(() => demo.store.close())
      .then(
        () => process.exit(0),
        (error) => {
          console.error(error)
          process.exit(1)
        },
      )
  })
}
