// msw is an optional peer of the testing entry: loaded once if installed, so that
// `server.handlers` can be a plain property. (A top-level await: the entry is ESM only.)
type Msw = typeof import('msw')

let msw: Msw | null = null
try {
  msw = await import('msw')
} catch {
  // Not installed: server.handlers says so when it is read.
}

export const loadMsw = (): Msw | null => msw
