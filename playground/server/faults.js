// @ts-check
import { setTimeout as sleep } from 'node:timers/promises'
import { setResponseHeader } from 'h3'
import { fail } from './http.js'

/** @typedef {import('h3').H3Event} H3Event */

/**
 * A misbehaviour queued for the next matching request: answer with an error status, hang up
 * without answering, act late (`delayMs`: wait, then issue the token), answer late (`lateMs`: issue
 * the token, then hold the answer, as a slow network or proxy would, so it arrives with less life
 * left), or send only half of the (real) answer.
 *
 * @typedef {{ status: number, retryAfter?: number } | { drop: true } | { delayMs: number } | { lateMs: number } | { truncate: true }} Fault
 */

/** @typedef {{ refresh: Fault[], api: Fault[] }} FaultQueues */

/**
 * Runs `respond` as the fault says, or plainly when there is none.
 *
 * @param {H3Event} event
 * @param {Fault | undefined} fault
 * @param {() => Promise<unknown>} respond
 */
export async function withFault(event, fault, respond) {
  if (!fault) return respond()
  if ('status' in fault) {
    if (fault.retryAfter !== undefined) {
      setResponseHeader(event, 'retry-after', fault.retryAfter)
    }
    return fail(event, fault.status, 'unavailable', `Injected fault: HTTP ${fault.status}.`)
  }
  if ('drop' in fault) {
    event.node.req.socket.destroy()
    // Returning the Node response tells h3 the request is dealt with, so it writes nothing more.
    return event.node.res
  }
  if ('delayMs' in fault) {
    await sleep(fault.delayMs)
    return respond()
  }
  if ('lateMs' in fault) {
    const body = await respond()
    await sleep(fault.lateMs)
    return body
  }
  return sendTruncated(event, await respond())
}

/**
 * Promises the whole JSON body in Content-Length, sends half of it, then hangs up: a response cut
 * off mid-body, after the server has already acted on the request.
 *
 * @param {H3Event} event
 * @param {unknown} body
 */
function sendTruncated(event, body) {
  const json = JSON.stringify(body)
  const res = event.node.res
  res.writeHead(res.statusCode, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
  })
  // Destroy only once the half is flushed, or it might never leave the process.
  res.write(json.slice(0, Math.floor(json.length / 2)), () => res.socket?.destroy())
  return res
}
