// Replaced at library build time by `(process.env.NODE_ENV !== 'production')`, so the app's
// bundler decides and drops development-only code (devtools, warnings) from production builds.
declare const __DEV__: boolean
