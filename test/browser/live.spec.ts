// The playground's Live page: its socket follows the session across token expiries.
import { expect, it } from 'vitest'
import { signIn, usePlayground, waitForPage } from './harness'

const env = usePlayground({ accessTtl: 2 })

it('keeps the Live page connected across token expiries', async () => {
  const { page, playground, errors } = env
  await page.goto(`${playground.url}/login?redirect=/live`)
  await signIn(page, { username: 'alice', password: 'alice-password' })
  await waitForPage(page, 'live')
  const status = page.getByTestId('socket-status')
  await expect.poll(() => status.getAttribute('data-status')).toBe('OPEN')
  // Three 2 s tokens later the socket has moved to each new token and is still open.
  await expect
    .poll(async () => Number(await page.getByTestId('socket-reconnects').textContent()), {
      timeout: 15_000,
    })
    .toBeGreaterThanOrEqual(3)
  // The server's ticks (every 3 s) keep arriving through the reconnects.
  await expect.poll(() => page.getByTestId('socket-messages').textContent()).toMatch(/tick #\d+/)
  await expect.poll(() => status.getAttribute('data-status')).toBe('OPEN')
  expect(playground.demo.stats.reuseDetections).toBe(0)
  expect(errors).toEqual([])
}, 30_000)
