// Bundle size, minified + gzip, of production app builds (Vite build(), tree-shaken, NODE_ENV
// defined), of the built package (dist/) and of the peers' equivalents.
import {
  DEPS,
  DEVTOOLS_MARKERS,
  LIBRARY_ENTRY,
  PEERS,
  bundle,
  measureLibrary,
} from '../scripts/bundle-size.mjs'
import { log, section } from './helpers.mjs'

const appEntry = (options) => `
import { createAuth } from 'vue-refresh-auth'
export const auth = createAuth({ baseURL: '/api'${options} })
`

const AXIOS_ENTRY = `
import axios from 'axios'
import createAuthRefreshInterceptor from 'axios-auth-refresh'
export const api = axios.create({ baseURL: '/api' })
createAuthRefreshInterceptor(api, (failedRequest) =>
  axios.post('/auth/refresh').then((response) => {
    failedRequest.response.config.headers.Authorization = 'Bearer ' + response.data.access_token
  }),
)
`

const OIDC_ENTRY = `
import { UserManager } from 'oidc-client-ts'
export const userManager = new UserManager({
  authority: 'https://id.example.com',
  client_id: 'app',
  redirect_uri: 'https://app.example.com/callback',
})
`

const FETCH_DOOR = '`fetchWithAuth` (the fetch door)'
/** The parts of the main entry an app could do without, and the stand-ins that measure them. */
const PARTS = [
  [
    '`useAuthSocket` (the WebSocket helper)',
    { useAuthSocket: 'export const useAuthSocket = () => {}' },
  ],
  [
    'cross-tab sync and the refresh lock (`crossTab: false` for good)',
    {
      crossTab: 'export const createTabSync = () => null; export const isTabMessage = () => false',
      tabMessages: 'export const onTabMessage = () => () => {}',
    },
  ],
  ['route guards (`router` option)', { guards: 'export const installGuards = () => () => {}' }],
  [
    FETCH_DOOR,
    {
      fetchWithAuth:
        'export const createFetchWithAuth = () => fetch; export const useFetchWithAuth = () => fetch',
    },
  ],
  [
    'the server-clock model, against `expiresAt = sent + expires_in` (or `exp`)',
    {
      expiry: `
export const observeOffset = () => null
export const combineOffsets = (known, seen) => seen
export const secondsLeft = (at, now = Date.now()) => at == null ? null : Math.max(0, Math.ceil((at - now) / 1000))
export const usableUntil = (t) => t.expiresAt ?? Infinity
export const refreshDueAt = (t, leeway) => t.expiresAt === null || !leeway ? null : t.expiresAt - leeway
export function tokenTiming({ expiresIn, exp }, sentAt, receivedAt) {
  const expiresAt = expiresIn !== null ? sentAt + expiresIn * 1000 : exp !== null ? exp * 1000 : null
  return { expiresAt, deadBy: expiresAt, receivedAt, lifetime: null, roundTrip: 0 }
}`,
    },
  ],
]

const markersIn = (code) => DEVTOOLS_MARKERS.filter((marker) => code.includes(marker))
const figures = ({ bytes, gzip, chunks }) => ({ bytes, gzip, chunks })

section(async () => {
  const library = await measureLibrary()
  const libraryDev = await bundle(LIBRARY_ENTRY, {
    external: [...PEERS, ...DEPS],
    env: 'development',
  })
  const withDeps = await bundle(LIBRARY_ENTRY, { external: PEERS })

  // What devtools adds to a production app: the same app entry with the option left to its
  // default and with `devtools: false`. Apart from the option literal in the entry itself, the two
  // outputs must be the same code, and no devtools string may be left. Measured twice: with
  // @vue/devtools-api external like the other peers, and bundled, as an app's bundler resolves it
  // (its package.json says "sideEffects": false).
  const devtools = {}
  for (const [name, external] of [
    ['peersExternal', PEERS],
    ['devtoolsApiBundled', PEERS.filter((peer) => peer !== '@vue/devtools-api')],
  ]) {
    const byDefault = await bundle(appEntry(''), { external })
    const disabled = await bundle(appEntry(', devtools: false'), { external })
    const development = await bundle(appEntry(''), { external, env: 'development' })
    devtools[name] = {
      default: figures(byDefault),
      disabled: figures(disabled),
      development: figures(development),
      gzipDifference: byDefault.gzip - disabled.gzip,
      sameCode: disabled.code.replace(/,?devtools:(!1|false)/g, '') === byDefault.code,
      markersInProduction: markersIn(byDefault.code),
      devtoolsImports: byDefault.code.match(/import[^;]*?["']@vue\/devtools-api["'];?/g) ?? [],
      markersInDevelopment: markersIn(development.code),
    }
  }

  // What each part of the main entry costs: the main entry from src/, against the same with that
  // part's modules replaced by stand-ins that do nothing (or, for the clock model, the naive
  // arithmetic it replaced). The axios door is an entry of its own: the main entry and it, against
  // the main entry alone (they share a chunk).
  const external = [...PEERS, ...DEPS, 'axios']
  const fromSource = await bundle(LIBRARY_ENTRY, { external, fromSource: true })
  const parts = []
  for (const [name, stubs] of PARTS) {
    const without = await bundle(LIBRARY_ENTRY, { external, fromSource: true, stubs })
    parts.push({ name, gzip: fromSource.gzip - without.gzip })
  }
  const allStubs = Object.assign({}, ...PARTS.map(([, stubs]) => stubs))
  const rest = await bundle(LIBRARY_ENTRY, { external, fromSource: true, stubs: allStubs })
  const withAxiosDoor = await bundle(`${LIBRARY_ENTRY}\nexport * from 'vue-refresh-auth/axios'`, {
    external,
  })
  const doors = {
    fetchWithAuthGzip: parts.find((part) => part.name === FETCH_DOOR).gzip,
    axiosEntryGzip: withAxiosDoor.gzip - library.gzip,
  }
  log(parts.map((part) => `${part.name} ${part.gzip} B`).join(', '))
  log(`axios entry ${doors.axiosEntryGzip} B, all parts replaced ${rest.gzip} B`)

  const axios = await bundle(AXIOS_ENTRY)
  const oidc = await bundle(OIDC_ENTRY)
  log(
    `library ${library.gzip} B, with deps ${withDeps.gzip} B, axios ${axios.gzip} B, oidc ${oidc.gzip} B`,
  )

  return {
    library: figures(library),
    libraryDev: figures(libraryDev),
    withDeps: figures(withDeps),
    devtools,
    doors,
    parts: { parts, rest: figures(rest) },
    axios: figures(axios),
    oidc: figures(oidc),
  }
})
