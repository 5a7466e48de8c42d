import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, type DefaultTheme } from 'vitepress'

/**
 * The API sidebar, from the pages typedoc generates (`npm run docs:api`) for each entry point of the
 * package, so it lists exactly what they export.
 */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const root = fileURLToPath(new URL('../api/', import.meta.url))
  const modules = ['vue-refresh-auth', 'vue-refresh-auth/axios', 'vue-refresh-auth/testing']
  const groups: [dir: string, title: string][] = [
    ['functions', 'Functions'],
    ['classes', 'Classes'],
    ['interfaces', 'Interfaces'],
    ['type-aliases', 'Type aliases'],
  ]
  return [
    { text: 'Overview', link: '/api/' },
    ...modules
      .filter((module) => existsSync(join(root, module)))
      .map((module) => ({
        text: module,
        collapsed: module !== 'vue-refresh-auth',
        items: groups
          .filter(([dir]) => existsSync(join(root, module, dir)))
          .map(([dir, title]) => ({
            text: title,
            collapsed: false,
            items: readdirSync(join(root, module, dir))
              .filter((file) => file.endsWith('.md'))
              .sort()
              .map((file) => ({
                text: file.slice(0, -3),
                link: `/api/${module}/${dir}/${file.slice(0, -3)}`,
              })),
          })),
      })),
  ]
}

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: 'Introduction',
    items: [
      { text: 'Getting started', link: '/guide/getting-started' },
      { text: 'How it works', link: '/guide/how-it-works' },
    ],
  },
  {
    text: 'Guide',
    items: [
      { text: 'The store', link: '/guide/store' },
      { text: 'The fetch instance', link: '/guide/fetch' },
      { text: 'Other HTTP clients', link: '/guide/doors' },
      { text: 'Routing and guards', link: '/guide/routing' },
      { text: 'Errors and failures', link: '/guide/errors' },
      { text: 'Proactive refresh and tabs', link: '/guide/tabs' },
      { text: 'WebSockets', link: '/guide/websockets' },
      { text: 'Body mode', link: '/guide/body-mode' },
      { text: 'Devtools', link: '/guide/devtools' },
    ],
  },
  {
    text: 'Backend',
    items: [
      { text: 'The backend contract', link: '/backend/' },
      { text: 'h3 server', link: '/backend/h3' },
      { text: 'Express server', link: '/backend/express' },
      { text: 'OAuth-style body mode', link: '/backend/oauth' },
      { text: 'More than one instance', link: '/backend/redis' },
    ],
  },
  { text: 'Security', items: [{ text: 'Security model', link: '/security' }] },
  {
    text: 'Cookbook',
    items: [
      { text: 'Testing', link: '/cookbook/testing' },
      { text: 'SSR and Nuxt', link: '/cookbook/ssr-nuxt' },
      { text: 'Migrating', link: '/cookbook/migrating' },
    ],
  },
  { text: 'API reference', link: '/api/' },
]

export default defineConfig({
  title: 'vue-refresh-auth',
  description:
    'Short-lived access tokens in memory, refresh tokens in HttpOnly cookies, one shared refresh: a Vue 3 + Pinia auth plugin.',
  lang: 'en-US',
  cleanUrls: true,
  lastUpdated: false,
  // Dead links fail the build (the VitePress default, kept on purpose).
  ignoreDeadLinks: false,
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/logo.svg' }]],
  markdown: {
    theme: { light: 'github-light', dark: 'github-dark' },
  },
  themeConfig: {
    logo: '/logo.svg',
    nav: [
      { text: 'Guide', link: '/guide/getting-started', activeMatch: '^/guide/' },
      { text: 'Backend', link: '/backend/', activeMatch: '^/backend/' },
      { text: 'Security', link: '/security' },
      { text: 'Cookbook', link: '/cookbook/testing', activeMatch: '^/cookbook/' },
      { text: 'API', link: '/api/', activeMatch: '^/api/' },
    ],
    sidebar: {
      '/api/': [
        { text: '← Guide', link: '/guide/getting-started' },
        { text: 'API reference', items: apiSidebar() },
      ],
      '/': guide,
    },
    outline: { level: [2, 3] },
    search: { provider: 'local' },
    footer: { message: 'Released under the MIT License.' },
  },
})
