// Tests of the bench's virtual clock: concurrent actors' waits overlap, and tracked I/O holds time still.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../bench/virtual-clock';

describe('Class: VirtualClock', () => {
  it('overlaps the waits of concurrent actors, as parallel processes', async () => {
    const clock = new VirtualClock(0);
    const log: string[] = [];
    const actor = (name: string, waits: number[]) =>
      clock.spawn(name, async () => {
        for (const ms of waits) {
          await clock.sleep(ms);
          log.push(`${name}@${clock.now}`);
        }
      });

    await Promise.all([actor('a', [300, 300]), actor('b', [500])]);

    expect(log).toEqual(['a@300', 'b@500', 'a@600']);
    expect(clock.now).toBe(600);
  });

  it('stands still while an actor awaits tracked I/O, and names the actor it runs in', async () => {
    const clock = new VirtualClock(1000);
    const seen: (string | number | undefined)[] = [];
    const io = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

    await Promise.all([
      clock.spawn('io', async () => {
        await clock.track(() => io(30));
        seen.push(clock.now, clock.kind);
      }),
      clock.spawn('waiter', async () => {
        await clock.sleep(100);
        seen.push(clock.now, clock.kind);
      }),
    ]);

    expect(seen).toEqual([1000, 'io', 1100, 'waiter']);
  });
});
