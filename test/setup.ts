// Runs before every test file (vite.config.ts and vitest.mutation.config.ts `setupFiles`), also
// when files share one worker and its modules (`isolate: false`), where a hook a helper module
// registers at import would run only in the first file that imports it.
import { afterEach } from 'vitest'
import { unmountAll } from './utils'

afterEach(unmountAll)
