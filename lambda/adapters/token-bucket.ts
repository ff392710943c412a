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

/** What paces calls: `take()` waits until the next call may go. */
export interface Pacer {
  take(): Promise<void>;
  /** Milliseconds spent waiting so far. */
  readonly waitedMs: number;
}

/**
 * Hands out `ratePerSecond` tokens a second with bursts up to `burst`; `take()` waits for one.
 *
 * @example
 * const bucket = new TokenBucket({ ratePerSecond: 2, burst: 2 });
 * await bucket.take(); // resolves at once, then twice a second
 */
export class TokenBucket implements Pacer {
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

  /** Takes a token if one is there now, without waiting; says whether it did. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #refill(): void {
    const now = this.#timer.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
  }
}

/**
 * Paces calls that come on top of a bucket's own (hinted reads in a cycle that reads its queue at
 * the bucket's rate): a token of `spare` when one is there now, else one of `main`. So they wait for
 * nothing while spare tokens last, and never take more than both rates together.
 */
export class SpareFirst implements Pacer {
  readonly #main: TokenBucket;
  readonly #spare: TokenBucket;

  constructor(main: TokenBucket, spare: TokenBucket) {
    this.#main = main;
    this.#spare = spare;
  }

  get waitedMs(): number {
    return this.#main.waitedMs;
  }

  async take(): Promise<void> {
    if (this.#spare.tryTake()) return;
    await this.#main.take();
  }
}
