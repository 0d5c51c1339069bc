// A timer that runs while something on screen is still counting (elapsed times, ETAs) and
// stops by itself when nothing is.

export const TICK_MS = 200;

/**
 * @param {() => boolean} tick redraws; returns whether another tick is needed
 * @param {number} [intervalMs]
 */
export function createTicker(tick, intervalMs = TICK_MS) {
  let timer = null;
  const stop = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
  return {
    /** Start ticking unless already ticking. */
    ensure() {
      if (timer !== null) return;
      timer = setInterval(() => {
        if (!tick()) stop();
      }, intervalMs);
    },
    stop,
    get running() {
      return timer !== null;
    },
  };
}
