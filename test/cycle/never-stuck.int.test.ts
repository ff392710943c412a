// Over the wire at fleet scale: a 20,000-step execution, a 5,000-target rate-control run and a 6,000-execution backlog beside small executions, SSM throttled at 3 TPS, cycles killed near their deadline.
import { describe, expect, it } from 'vitest';
import { runStress, type StressFigures } from '../../bench/stress';

/** One period plus one cycle (the Lambda's 55 s): the latest a small execution's change may reach the bus. */
const PERIOD_PLUS_CYCLE_SECONDS = 60 + 55;

/** What every run must show, killed cycles or not: nothing lost, nothing out of order, all done. */
function expectExact(figures: StressFigures): void {
  expect({
    finished: figures.finished,
    lost: figures.lost,
    outOfOrder: figures.outOfOrder,
    finalBeforeSteps: figures.finalBeforeSteps,
  }).toEqual({ finished: true, lost: 0, outOfOrder: 0, finalBeforeSteps: 0 });
  expect(figures.maxStateItemBytes).toBeLessThan(350_000);
}

describe('Function: runPollCycle at fleet scale, over the wire', () => {
  it('reads a 20,000-step execution to its end while 50 small executions change every period, cycles killed near their deadline', {
    timeout: 900_000,
  }, async () => {
    // Act: first seen with 10,000 steps done; every fourth cycle dies before it saves.
    const figures = await runStress({
      bigSteps: 20_000,
      rateControlTargets: 0,
      backlog: 0,
      small: 50,
      firstCycleAt: 1000,
      killEvery: 4,
      maxCycles: 80,
    });

    // Assess
    expectExact(figures);
    expect(figures.killedCycles).toBeGreaterThan(0);
    expect(figures.cyclesToFirstCompleteRead).not.toBeNull();
    expect(figures.otherExecutionsLatencyMaxSeconds).toBeLessThanOrEqual(2 * PERIOD_PLUS_CYCLE_SECONDS);
    expect(figures.otherExecutionsLatencyP99Seconds).toBeLessThanOrEqual(PERIOD_PLUS_CYCLE_SECONDS);
  });

  it('follows a rate-control parent over 5,000 targets to its end, every child and step once, the small runs served every period', {
    timeout: 900_000,
  }, async () => {
    // Act: 100 children at a time, 20 s each; SSM changes faster than 2 calls a second can follow,
    // so the run is read behind and caught up after its end.
    const figures = await runStress({
      bigSteps: 0,
      rateControlTargets: 5000,
      backlog: 0,
      small: 10,
      firstCycleAt: 120,
      maxCycles: 120,
    });

    // Assess
    expectExact(figures);
    expect(figures.duplicates).toBe(0);
    expect(figures.otherExecutionsLatencyP99Seconds).toBeLessThanOrEqual(PERIOD_PLUS_CYCLE_SECONDS);
  });

  it('follows a 3,000-target run whose children SSM lists only on request, every third cycle killed, every child once', {
    timeout: 900_000,
  }, async () => {
    // Act: the children are found only through the parent's steps (U4), so a cycle killed after it
    // saved the parent must not lose the children those steps named.
    const figures = await runStress({
      bigSteps: 0,
      rateControlTargets: 3000,
      backlog: 0,
      small: 5,
      firstCycleAt: 120,
      maxCycles: 90,
      killEvery: 3,
      seed: 3,
      behaviour: { childListing: 'onRequest' },
    });

    // Assess
    expectExact(figures);
    expect(figures.duplicates).toBe(0);
    expect(figures.killedCycles).toBeGreaterThan(0);
  });

  it('drains a 6,000-execution backlog near the rate bound while small executions are served every period, cycles killed near their deadline', {
    timeout: 900_000,
  }, async () => {
    // Act: the poller was down for three hours while 6,000 runs started and ended.
    const figures = await runStress({
      bigSteps: 0,
      rateControlTargets: 0,
      backlog: 6000,
      small: 50,
      firstCycleAt: 3 * 3600,
      killEvery: 5,
      maxCycles: 200,
    });

    // Assess
    expectExact(figures);
    expect(figures.cyclesToDrainBacklog).not.toBeNull();
    // Killed cycles lose what they had not saved; the rest of the bound is the figure the bench holds to 1.2.
    expect(figures.drainRatioToBound).toBeLessThanOrEqual(1.5);
    expect(figures.otherExecutionsLatencyP99Seconds).toBeLessThanOrEqual(PERIOD_PLUS_CYCLE_SECONDS);
  });
});
