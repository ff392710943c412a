// Property tests over the wire, fixed seeds: generated scenarios under generated faults keep the delivery guarantee under every SSM switch value.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEHAVIOUR_PAIRWISE, behaviourLabel } from '../../sandbox/ssm-behaviour';
import { type FaultCase, faultCaseArbFor, hintPlanFor, hugeCaseArbFor } from './generators';
import { HINT_FAULT_UNITS } from './hint-driver';
import { violationsOf } from './invariants';
import { FAULT_NAMES, FaultRunner } from './runner';

/** The seed of the i-th combination's cases is SEED + i; `npm run chaos` plays many more. */
const SEED = 20261125;
/** Cases per combination: the pairwise combinations hold every value of every switch. */
const RUNS_PER_COMBINATION = 2;
/** Steps of the one huge execution here (`npm run chaos` plays 800–3,000), read over several cycles. */
const HUGE_STEPS = 600;

describe('Property: runPollCycle under generated faults, per SSM switch combination', () => {
  let runner: FaultRunner;

  beforeAll(async () => {
    runner = await FaultRunner.start();
  });
  afterAll(async () => {
    await runner.stop();
  });

  it('delivers every observable transition, in order per step, nothing phantom, duplicates with one eventId', async () => {
    const injected: Record<string, number> = Object.fromEntries(FAULT_NAMES.map((name) => [name, 0]));
    const failures: string[] = [];
    for (const [index, behaviour] of BEHAVIOUR_PAIRWISE.entries()) {
      let problems: string[] = [];
      const details = await fc.check(
        fc.asyncProperty(faultCaseArbFor(behaviour), async (faultCase) => {
          const result = await runner.run(faultCase);
          for (const [name, n] of Object.entries(result.faults)) injected[name] = (injected[name] ?? 0) + n;
          problems = [
            ...violationsOf(result.report).map((v) => `${v.invariant}: ${v.entity}: ${v.message}`),
            ...result.errors.map((e) => `error: ${e.split('\n')[0]}`),
          ];
          return problems.length === 0;
        }),
        // A run takes about a second over the wire: report the failing case, do not shrink it.
        { seed: SEED + index, numRuns: RUNS_PER_COMBINATION, endOnFailure: true },
      );
      // The case replays as fc.sample(faultCaseArbFor(behaviour), { seed, numRuns }) at the failing index.
      if (details.failed) {
        failures.push(
          `${behaviourLabel(behaviour)}, seed ${details.seed}, run ${details.numRuns}: ${problems.slice(0, 5).join('; ')}`,
        );
      }
    }

    // One small huge execution, its listing spanning cycles on a budget, cycles killed mid-listing.
    const behaviour = BEHAVIOUR_PAIRWISE[0];
    if (behaviour === undefined) throw new Error('no pairwise combination');
    const [sampled] = fc.sample(
      hugeCaseArbFor(behaviour, {
        steps: { min: HUGE_STEPS, max: HUGE_STEPS },
        targets: null,
        budget: { tps: 4, seconds: 2 },
      }),
      { seed: SEED, numRuns: 1 },
    );
    if (sampled === undefined) throw new Error('no huge case');
    // Polled from the run's start, so its first listing begins while the run is young and is read over
    // several cycles while steps keep starting; two early cycles die near their deadline.
    const huge: FaultCase = {
      ...sampled,
      faults: sampled.pollSeconds.map((_, k) =>
        k === 1 || k === 2 ? [{ kind: 'kill', at: 0.75 }] : (sampled.faults[k] ?? []),
      ),
    };
    const result = await runner.run(huge);
    for (const [name, n] of Object.entries(result.faults)) injected[name] = (injected[name] ?? 0) + n;
    failures.push(
      ...violationsOf(result.report).map((v) => `huge: ${v.invariant}: ${v.entity}: ${v.message}`),
      ...result.errors.map((e) => `huge: error: ${e.split('\n')[0]}`),
    );

    expect(result.deferredCycles).toBeGreaterThan(1);
    expect(failures).toEqual([]);
    // The fixed seeds must keep exercising every fault kind.
    expect(FAULT_NAMES.filter((name) => (injected[name] ?? 0) === 0)).toEqual([]);
  });

  it('keeps the guarantee with SSM’s own events as hints, lost, duplicated, late, malformed, for other shards', async () => {
    // Prepare: three chaos indexes whose hint plans together strike every hint fault.
    const injected: Record<string, number> = {};
    const problems: string[] = [];

    // Act
    for (const index of [3, 6, 12]) {
      const behaviour = BEHAVIOUR_PAIRWISE[index % BEHAVIOUR_PAIRWISE.length];
      if (behaviour === undefined) throw new Error('no pairwise combination');
      const [faultCase] = fc.sample(faultCaseArbFor(behaviour), { seed: SEED + index, numRuns: 1 });
      const hints = hintPlanFor(SEED, index);
      if (faultCase === undefined || hints === undefined) throw new Error(`no hinted case at ${index}`);
      const result = await runner.run({ ...faultCase, hints });
      for (const [name, n] of Object.entries(result.faults)) injected[name] = (injected[name] ?? 0) + n;
      problems.push(
        ...violationsOf(result.report).map((v) => `${index}: ${v.invariant}: ${v.entity}: ${v.message}`),
        ...result.errors.map((e) => `${index}: error: ${e.split('\n')[0]}`),
      );
    }

    // Assess
    expect(problems).toEqual([]);
    expect(Object.keys(HINT_FAULT_UNITS).filter((name) => (injected[name] ?? 0) === 0)).toEqual([]);
    expect(injected['hint.batches'] ?? 0).toBeGreaterThan(0);
  });
});
