// A discrete-event virtual clock for concurrent invocations: time moves only when every one of them waits on it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Timer } from '../lambda/adapters/token-bucket';

/** One wait on the clock: when it ends, and who waits (ties wake in actor order, then in order of waiting). */
interface Waiter {
  readonly at: number;
  readonly actor: number;
  readonly seq: number;
  readonly wake: () => void;
}

/**
 * A clock shared by concurrent actors (invocations, the driver). Each actor runs as real async code
 * with real I/O to the in-process stack, which it wraps in {@link VirtualClock.track} (the SDK
 * clients do, by middleware); the clock moves to the earliest wake-up only once no tracked I/O is in
 * flight and every microtask has run, that is, once every actor waits on the clock. Modelled
 * durations (SDK call latency, token-bucket waits, lease retries) so overlap as they would in
 * parallel processes, and nothing sleeps in real time. Anything an actor awaits must be a clock
 * wait, tracked I/O, or another actor.
 *
 * @example
 * const clock = new VirtualClock(t0);
 * await clock.spawn('driver', async () => { await clock.sleep(1000); });
 */
export class VirtualClock {
  /** Current virtual time, epoch ms. */
  now: number;
  /** The clock as the poller's timer: `now` and `sleep` on virtual time. */
  readonly timer: Timer;
  readonly #label = new AsyncLocalStorage<{ actor: number; kind: string }>();
  readonly #waiting: Waiter[] = [];
  #inFlight = 0;
  #checking = false;
  #actors = 0;
  #seq = 0;

  constructor(start: number) {
    this.now = start;
    this.timer = { now: () => this.now, sleep: (ms) => this.sleep(ms) };
  }

  /** The kind of the actor the caller runs in (as given to {@link VirtualClock.spawn}), if any. */
  get kind(): string | undefined {
    return this.#label.getStore()?.kind;
  }

  /** The id of the actor the caller runs in (1, 2, … in order of spawning), if any. */
  get actor(): number | undefined {
    return this.#label.getStore()?.actor;
  }

  /** Runs `work` as one more actor; its promise settles when the work does. */
  spawn<T>(kind: string, work: () => Promise<T>): Promise<T> {
    const actor = ++this.#actors;
    return this.#label.run({ actor, kind }, async () => {
      try {
        return await work();
      } finally {
        this.#check();
      }
    });
  }

  /** Runs real I/O: the clock stands still until it settles. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      return await work();
    } finally {
      this.#inFlight--;
      this.#check();
    }
  }

  /** Waits `ms` of virtual time (the clock moves once every actor waits). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const actor = this.#label.getStore()?.actor ?? 0;
      this.#waiting.push({ at: this.now + Math.max(0, ms), actor, seq: this.#seq++, wake: resolve });
      this.#check();
    });
  }

  /** Looks, once the microtasks queued by now have run (two turns of the event loop), whether to move. */
  #check(): void {
    if (this.#checking) return;
    this.#checking = true;
    setImmediate(() =>
      setImmediate(() => {
        this.#checking = false;
        this.#advance();
      }),
    );
  }

  #advance(): void {
    if (this.#inFlight !== 0 || this.#waiting.length === 0) return;
    this.#waiting.sort((a, b) => a.at - b.at || a.actor - b.actor || a.seq - b.seq);
    const next = this.#waiting.shift() as Waiter;
    this.now = Math.max(this.now, next.at);
    next.wake();
    // The woken actor may end without waiting again: look again once it ran.
    this.#check();
  }
}
