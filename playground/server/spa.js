// @ts-check
import { readFile, stat } from 'node:fs/promises'
import { extname, join, resolve, sep } from 'node:path'
import { defineEventHandler, serveStatic } from 'h3'

/** @type {Record<string, string>} */
const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

/**
 * Serves a built SPA; paths it does not know belong to the client-side router, so they get
 * `index.html`. API paths are left alone and end in a JSON 404.
 *
 * @param {string} staticDir
 */
export function createSpaHandler(staticDir) {
  const root = resolve(staticDir)

  /** @param {string} id */
  async function getMeta(id) {
    const file = join(root, id)
    // serveStatic already refuses `..`; this also keeps encoded tricks inside the folder.
    if (!file.startsWith(root + sep)) return undefined
    const info = await stat(file).catch(() => undefined)
    if (!info?.isFile()) return undefined
    return { size: info.size, mtime: info.mtime, type: MIME_TYPES[extname(file)] }
  }

  /** @param {string} id */
  const getContents = (id) => readFile(join(root, id))

  return defineEventHandler(async (event) => {
    if (/^\/(api|auth|body)(\/|$)/.test(event.path)) return
    const served = await serveStatic(event, { getMeta, getContents, fallthrough: true })
    if (served !== false || (event.method !== 'GET' && event.method !== 'HEAD')) return
    return serveStatic(event, {
      getMeta: () => getMeta('/index.html'),
      getContents: () => getContents('/index.html'),
    })
  })
}
