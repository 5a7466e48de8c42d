/**
 * The refresh's single flight, aware of the session's turns. Callers while a run is on share it.
 * `next(reason)` starts a new turn (a login, a logout, the session's end): the current run's callers
 * reject with `reason` at once, without waiting for its answer, and `superseded(turn)` tells the
 * run itself that whatever it brings back belongs to a turn that is over.
 */
export function createSingleFlight(onSettled: () => void) {
  let turn = 0
  let current: Promise<void> | null = null
  let abandon: ((reason: unknown) => void) | null = null
  return {
    /** The current turn; stale when `superseded(turn)`. */
    get turn() {
      return turn
    },
    get running() {
      return current !== null
    },
    superseded: (asOf: number) => asOf !== turn,
    run(start: (turn: number) => Promise<void>): Promise<void> {
      if (current) return current
      // Each run gets its own "abandoned" promise: one long-lived promise raced by every run would
      // collect a reaction per run for as long as the turn lasts.
      const abandoned = new Promise<never>((_, reject) => (abandon = reject))
      const run: Promise<void> = Promise.race([start(turn), abandoned]).finally(() => {
        if (current !== run) return
        current = abandon = null
        onSettled()
      })
      return (current = run)
    },
    next(reason: unknown) {
      turn++
      abandon?.(reason)
      current = abandon = null
    },
  }
}

export type SingleFlight = ReturnType<typeof createSingleFlight>
