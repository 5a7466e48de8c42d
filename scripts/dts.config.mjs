// Bundles the declarations tsc emits (into .dts/) into one file per entry point in dist/, so that
// every import in them resolves under any moduleResolution, node16 and bundler alike (checked by
// @arethetypeswrong/cli in npm test); tsc's own output has extensionless relative imports.
import { dts } from 'rollup-plugin-dts'
import pkg from '../package.json' with { type: 'json' }

const external = [...Object.keys(pkg.peerDependencies), ...Object.keys(pkg.dependencies)]

export default {
  input: {
    index: '.dts/index.d.ts',
    axios: '.dts/axios.d.ts',
    testing: '.dts/testing/index.d.ts',
  },
  output: {
    dir: 'dist',
    format: 'es',
    entryFileNames: '[name].d.ts',
    chunkFileNames: 'shared-[hash].d.ts',
  },
  external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)),
  plugins: [dts()],
}
