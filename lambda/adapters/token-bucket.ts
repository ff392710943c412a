// A token bucket that keeps the SSM Describe calls under their per-account quota.

/** Clock and sleep, injectable so benchmarks and tests run on virtual time. */
export interface Timer {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const realTimer: Timer = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Hands out `ratePerSecond` tokens a second with bursts up to `burst`; `take()` waits for one.
 *
 * @example
 * const bucket = new TokenBucket({ ratePerSecond: 2, burst: 2 });
 * await bucket.take(); // resolves at once, then twice a second
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #timer: Timer;
  #tokens: number;
  #last: number;
  #waitedMs = 0;

  constructor(options: { ratePerSecond: number; burst?: number; timer?: Timer }) {
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst ?? Math.max(1, Math.floor(options.ratePerSecond));
    this.#timer = options.timer ?? realTimer;
    this.#tokens = this.#burst;
    this.#last = this.#timer.now();
  }

  /** Milliseconds spent waiting for tokens so far. */
  get waitedMs(): number {
    return this.#waitedMs;
  }

  /** Waits until a token is available and takes it. */
  async take(): Promise<void> {
    this.#refill();
    if (this.#tokens < 1) {
      // Whole milliseconds, rounded up, but not past float noise: 363.0000001 ms is 363, not 364.
      const wait = Math.ceil(((1 - this.#tokens) / this.#rate) * 1000 - 1e-6);
      this.#waitedMs += wait;
      await this.#timer.sleep(wait);
      this.#refill();
    }
    this.#tokens -= 1;
  }

  #refill(): void {
    const now = this.#timer.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
  }
}
