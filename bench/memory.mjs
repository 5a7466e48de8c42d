// Memory: heap after 10,000 refresh cycles against heap after 100 (run with --expose-gc). One cycle
// is what a revoked token costs in real use: a request answered 401, the shared refresh, the replay.
// The API is in process (canned responses), so the heap holds nothing but client state.
import { createCannedApi, log, section, signedInClient } from './helpers.mjs'

// 30,000 shows whether any growth from 100 to 10,000 keeps going (a leak) or levels off (JIT, caches).
const CHECKPOINTS = [100, 1000, 10_000, 30_000]

async function settledHeap() {
  // Several passes with turns of the event loop between them, so finalizers and weak refs settle.
  for (let i = 0; i < 4; i++) {
    globalThis.gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().heapUsed
}

section(async () => {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc')
  const canned = createCannedApi()
  globalThis.fetch = canned.fetch
  const { api } = await signedInClient({
    baseURL: 'http://api.test/api',
    restore: false,
    endpoints: {
      login: 'POST http://api.test/auth/login',
      refresh: 'POST http://api.test/auth/refresh',
      logout: 'POST http://api.test/auth/logout',
    },
  })
  const heap = {}
  let cycles = 0
  for (const checkpoint of CHECKPOINTS) {
    for (; cycles < checkpoint; cycles++) {
      canned.revoke()
      await api('/data')
    }
    heap[checkpoint] = await settledHeap()
    log(`heap after ${checkpoint} cycles: ${(heap[checkpoint] / 2 ** 20).toFixed(2)} MB`)
  }
  if (canned.counts.refresh !== cycles || canned.counts.api401 !== cycles) {
    throw new Error(`expected ${cycles} refreshes and 401s, got ${JSON.stringify(canned.counts)}`)
  }
  return {
    cycles,
    refreshes: canned.counts.refresh,
    heapMB: Object.fromEntries(Object.entries(heap).map(([k, v]) => [k, v / 2 ** 20])),
    ratio: heap[10_000] / heap[100],
    growthMB: (heap[10_000] - heap[100]) / 2 ** 20,
  }
})
