// A throwaway redis-server (Debian's, from PATH) on a free 127.0.0.1 port, for the tests of one
// file: nothing saved to disk, stopped after the file's tests.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'

/** A port nothing listens on just now: the system's pick for port 0, let go again. */
export async function freePort() {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as import('node:net').AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

export async function startRedisServer() {
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let exited: Error | undefined
  child.once('error', (error) => {
    exited = new Error(
      `redis-server did not start (apt-get install redis-server): ${error.message}`,
    )
  })
  child.once('exit', (code) => {
    exited ??= new Error(`redis-server exited with ${code}`)
  })
  // Up once it answers PING; a client that does not retry on its own, so each try is one attempt.
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null })
  probe.on('error', () => {})
  for (let attempt = 0; ; attempt++) {
    if (exited) throw exited
    try {
      await probe.connect()
      if ((await probe.ping()) === 'PONG') break
    } catch (error) {
      if (attempt >= 200)
        throw new Error(`redis-server on port ${port} never answered`, { cause: error })
      await sleep(25)
    }
  }
  probe.disconnect()
  return {
    url,
    port,
    async stop() {
      if (child.exitCode !== null) return
      const exit = once(child, 'exit')
      child.kill('SIGTERM')
      await exit
    },
  }
}

/** Starts a redis-server before the file's tests and stops it after; `url` is set in between. */
export function useRedisServer() {
  const redis = { url: '', port: 0 }
  let stop = async () => {}
  beforeAll(async () => {
    ;({ url: redis.url, port: redis.port, stop } = await startRedisServer())
  })
  afterAll(() => stop())
  return redis
}
