// Property tests over the wire, fixed seeds: generated scenarios under generated faults keep the delivery guarantee.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultCaseArb } from './generators';
import { violationsOf } from './invariants';
import { FAULT_NAMES, FaultRunner } from './runner';

/** Fixed seeds (picked so that every fault kind takes effect); `npm run chaos` plays many more. */
const SEEDS = [2, 4, 5, 1337] as const;
const RUNS_PER_SEED = 10;

describe('Property: runPollCycle under generated faults', () => {
  let runner: FaultRunner;
  const injected: Record<string, number> = Object.fromEntries(FAULT_NAMES.map((name) => [name, 0]));

  beforeAll(async () => {
    runner = await FaultRunner.start();
  });
  afterAll(async () => {
    await runner.stop();
  });

  it('delivers every observable transition, in order per step, nothing phantom, duplicates with one eventId', async () => {
    for (const seed of SEEDS) {
      await fc.assert(
        fc.asyncProperty(faultCaseArb, async (faultCase) => {
          const result = await runner.run(faultCase);
          for (const [name, n] of Object.entries(result.faults)) injected[name] = (injected[name] ?? 0) + n;
          expect({ violations: violationsOf(result.report), errors: result.errors }).toEqual({
            violations: [],
            errors: [],
          });
        }),
        // A run takes a few hundred milliseconds over the wire: report the failing case, do not shrink it.
        { seed, numRuns: RUNS_PER_SEED, endOnFailure: true },
      );
    }

    // The fixed seeds must keep exercising every fault kind.
    expect(FAULT_NAMES.filter((name) => (injected[name] ?? 0) === 0)).toEqual([]);
  });
});
