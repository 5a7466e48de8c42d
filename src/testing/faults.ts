import { json } from './http'
import type { FakeEndpoint, FakeFault } from './types'

/** The fake server's queued faults, one consumed per request (`times` requests each). */
export function createFaults() {
  const queues = new Map<string, (FakeFault & { times: number })[]>()
  return {
    add(endpoint: FakeEndpoint, fault: FakeFault) {
      const queue = queues.get(endpoint) ?? []
      queue.push({ ...fault, times: fault.times ?? 1 })
      queues.set(endpoint, queue)
    },
    clear: () => queues.clear(),
    /** Answers as the first queued fault of `keys` says, or with `answer()` when there is none. */
    async apply(keys: string[], answer: () => Promise<Response>): Promise<Response> {
      const queue = keys.map((key) => queues.get(key)).find((q) => q?.length)
      const fault = queue?.[0]
      if (!fault) return answer()
      if (--fault.times <= 0) queue!.shift()
      if (fault.delay) await new Promise((resolve) => setTimeout(resolve, fault.delay))
      if (fault.drop) throw new TypeError('Failed to fetch')
      if (fault.status === undefined) return answer()
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) }
      const body =
        fault.body !== undefined
          ? fault.body
          : fault.status >= 400
            ? { error: 'unavailable', message: `Injected fault: HTTP ${fault.status}.` }
            : {}
      return json(fault.status, body, headers)
    },
  }
}
