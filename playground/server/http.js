// @ts-check
// Small pieces every route module uses: the error answer and the JSON body.
import { readBody, setResponseStatus } from 'h3'

/** @typedef {import('h3').H3Event} H3Event */

/**
 * Sets the status and returns the `{ error, message }` body every error answer has.
 *
 * @param {H3Event} event
 * @param {number} status
 * @param {string} error
 * @param {string} message
 */
export function fail(event, status, error, message) {
  setResponseStatus(event, status)
  return { error, message }
}

/**
 * The `error` code for one of h3's own errors (malformed JSON, unknown route).
 *
 * @param {number} status
 */
export function errorCode(status) {
  if (status === 404) return 'not_found'
  if (status >= 500) return 'server_error'
  return 'invalid_request'
}

/**
 * The request's JSON body when it is an object, else `{}` (no body at all is fine).
 *
 * @param {H3Event} event
 * @returns {Promise<Record<string, unknown>>}
 */
export async function readJsonObject(event) {
  const body = await readBody(event)
  return body && typeof body === 'object' && !Array.isArray(body) ? body : {}
}
