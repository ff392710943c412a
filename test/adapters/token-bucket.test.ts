// Tests of the token bucket on a virtual clock: rate, burst and time waited.
import { describe, expect, it } from 'vitest';
import { SpareFirst, type Timer, TokenBucket } from '../../lambda/adapters/token-bucket';

/** A virtual clock whose sleep advances time at once. */
class FakeTimer implements Timer {
  time = 0;

  now(): number {
    return this.time;
  }

  async sleep(ms: number): Promise<void> {
    this.time += ms;
  }
}

/** Takes `count` tokens and returns the virtual time at which each take returned. */
async function takeTimes(bucket: TokenBucket, timer: FakeTimer, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    await bucket.take();
    times.push(timer.now());
  }
  return times;
}

describe('Class: TokenBucket', () => {
  it('hands out the burst at once, then one token per 1/rate seconds', async () => {
    // Prepare
    const timer = new FakeTimer();
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 2, timer });

    // Act
    const times = await takeTimes(bucket, timer, 6);

    // Assess
    expect(times).toEqual([0, 0, 500, 1000, 1500, 2000]);
    expect(bucket.waitedMs).toBe(2000);
  });

  it('keeps a fractional rate within a millisecond a call', async () => {
    // Prepare
    const timer = new FakeTimer();
    const bucket = new TokenBucket({ ratePerSecond: 3, burst: 1, timer });

    // Act
    const times = await takeTimes(bucket, timer, 31);

    // Assess: 30 tokens after the first take at 3 a second take 10 s.
    expect(times[30]).toBeGreaterThanOrEqual(10_000);
    expect(times[30]).toBeLessThanOrEqual(10_030);
    expect(bucket.waitedMs).toBe(timer.now());
  });

  it('hands out the next token on its millisecond whatever the work between takes, not one later for float noise', async () => {
    // Prepare: 2 a second; the caller works 86 ms and 1 ms between takes.
    const timer = new FakeTimer();
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 2, timer });
    await takeTimes(bucket, timer, 2);

    // Act
    const times: number[] = [];
    for (const work of [86, 1, 86, 1]) {
      timer.time += work;
      await bucket.take();
      times.push(timer.now());
    }

    // Assess: tokens come every 500 ms from the start.
    expect(times).toEqual([500, 1000, 1500, 2000]);
  });

  it('refills while idle, but never beyond the burst', async () => {
    // Prepare
    const timer = new FakeTimer();
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3, timer });
    await takeTimes(bucket, timer, 3);
    timer.time += 60_000;

    // Act
    const times = await takeTimes(bucket, timer, 4);

    // Assess
    expect(times).toEqual([60_000, 60_000, 60_000, 60_500]);
    expect(bucket.waitedMs).toBe(500);
  });

  it('defaults the burst to the whole tokens of one second, at least one', async () => {
    const slowTimer = new FakeTimer();
    const slow = new TokenBucket({ ratePerSecond: 0.5, timer: slowTimer });
    const fastTimer = new FakeTimer();
    const fast = new TokenBucket({ ratePerSecond: 2.5, timer: fastTimer });

    expect(await takeTimes(slow, slowTimer, 2)).toEqual([0, 2000]);
    expect(await takeTimes(fast, fastTimer, 3)).toEqual([0, 0, 400]);
  });

  it('reports no wait while within the burst', async () => {
    const timer = new FakeTimer();
    const bucket = new TokenBucket({ ratePerSecond: 3, burst: 3, timer });

    await takeTimes(bucket, timer, 3);

    expect(bucket.waitedMs).toBe(0);
  });
});

describe('Class: SpareFirst', () => {
  it('takes a spare token while one is there, else waits for the main bucket, never faster than both rates', async () => {
    // Prepare: main at 2 a second (burst 2), spare at 1 a second (burst 1).
    const timer = new FakeTimer();
    const main = new TokenBucket({ ratePerSecond: 2, timer });
    const spare = new TokenBucket({ ratePerSecond: 1, timer });
    const pacer = new SpareFirst(main, spare);

    // Act: five calls on top of nothing else.
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      await pacer.take();
      times.push(timer.now());
    }

    // Assess: the spare token and the main burst at once, then the main rate; the main bucket's wait is reported.
    expect(times).toEqual([0, 0, 0, 500, 1000]);
    expect(pacer.waitedMs).toBe(1000);
  });

  it('leaves the main bucket alone while spare tokens last', async () => {
    const timer = new FakeTimer();
    const main = new TokenBucket({ ratePerSecond: 2, timer });
    const pacer = new SpareFirst(main, new TokenBucket({ ratePerSecond: 1, timer }));
    await takeTimes(main, timer, 2);

    timer.time = 1000;
    await pacer.take();

    // The main bucket refilled two tokens in that second, and still has them.
    expect(await takeTimes(main, timer, 2)).toEqual([1000, 1000]);
  });
});
