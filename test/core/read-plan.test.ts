// Tests of the step-read plan: full reads where they are due, filtered windows in between.
import { describe, expect, it } from 'vitest';
import {
  endedViewOf,
  isLoopPlaceKey,
  isNotStarted,
  isPlannedStepKey,
  isSettled,
  loopPlaceKey,
  mayStillChange,
  needsStepRead,
  plannedStepKey,
  planStepReads,
  resumeListing,
  type StepPlanOptions,
  snapshotKeyOf,
  windowQuery,
} from '../../lambda/core/read-plan';
import type { ParentStep, StepSnapshot } from '../../lambda/core/types';
import {
  EPOCH,
  executionSnapshot,
  executionState,
  executionView,
  isoAt,
  stepSnapshot,
  stepView,
} from '../helpers/builders';

const WINDOW: StepPlanOptions = { strategy: 'window', visibilityLagSeconds: 60 };

/** Whole-second ISO time `seconds` after the test epoch, as the plan writes filter values. */
function isoSeconds(seconds: number): string {
  return `${isoAt(seconds).slice(0, 19)}Z`;
}

/** Snapshots of steps started at the given seconds; `open` names the ones still in progress. */
function started(starts: readonly number[], open: readonly number[] = []): StepSnapshot[] {
  return starts.map((start, i) =>
    stepSnapshot({
      stepExecutionId: `step-${i + 1}`,
      stepName: `step${i + 1}`,
      startTime: isoAt(start),
      status: open.includes(start) ? 'InProgress' : 'Success',
    }),
  );
}

/** Snapshots of steps listed up front and not started yet. */
function planned(count: number, from = 1000): StepSnapshot[] {
  return Array.from({ length: count }, (_, i) =>
    stepSnapshot({
      stepExecutionId: `planned-${from + i}`,
      stepName: `target${from + i}`,
      startTime: null,
      status: 'Pending',
      transitions: 0,
    }),
  );
}

describe('Function: needsStepRead', () => {
  it('reads an execution never seen', () => {
    expect(needsStepRead(null, executionView())).toBe(true);
  });

  it('reads an execution still in flight', () => {
    expect(needsStepRead(executionState(), executionView())).toBe(true);
  });

  it('reads a finished execution whose steps were last read before it ended', () => {
    const previous = executionState({ status: 'Success', stepsReadAt: isoAt(4) });

    expect(needsStepRead(previous, executionView({ status: 'Success', endTime: isoAt(5) }))).toBe(true);
  });

  it('skips a finished execution read completely once the visibility lag after its end passed', () => {
    const previous = executionState({
      status: 'Success',
      endTime: isoAt(5),
      settledAfter: isoAt(65),
      stepsReadAt: isoAt(66),
    });

    expect(needsStepRead(previous, executionView({ status: 'Success', endTime: isoAt(5) }))).toBe(false);
  });

  it('reads a finished execution again while a step SSM shows late may still show up', () => {
    const previous = executionState({
      status: 'Success',
      endTime: isoAt(5),
      settledAfter: isoAt(65),
      stepsReadAt: isoAt(6),
    });

    expect(needsStepRead(previous, executionView({ status: 'Success', endTime: isoAt(5) }))).toBe(true);
  });

  it('reads a settled execution while a listing, names held back or an unannounced status say its read is not over', () => {
    // Prepare: settled, so nothing else calls for a read.
    const settled = { status: 'Success', endTime: isoAt(5), settledAfter: isoAt(65), stepsReadAt: isoAt(66) };
    const view = executionView({ status: 'Success', endTime: isoAt(5) });
    const listing = { since: isoAt(60), after: isoAt(0), widthSeconds: 10 };

    // Act
    const reads = [
      executionState(settled),
      executionState({ ...settled, listing }),
      executionState({ ...settled, listing: null }),
      executionState({ ...settled, heldNames: ['target'] }),
      executionState({ ...settled, heldNames: [] }),
      executionState({ ...settled, announced: false }),
      executionState({ ...settled, announced: true }),
    ].map((previous) => needsStepRead(previous, view));

    // Assess
    expect(reads).toEqual([false, true, false, true, false, true, false]);
  });

  it('settles a snapshot written before settledAfter existed by its end time', () => {
    const previous = executionState({ status: 'Success', endTime: isoAt(5), stepsReadAt: isoAt(6) });

    expect(isSettled(previous.execution)).toBe(true);
    expect(isSettled({ ...previous.execution, status: 'InProgress' })).toBe(false);
  });
});

describe('Function: endedViewOf', () => {
  it('gives an ended execution the view its snapshot has, with no alarm to raise again', () => {
    const snapshot = executionSnapshot({
      status: 'Failed',
      parentExecutionId: 'parent-1',
      endTime: isoAt(50),
      alarms: ['HighCPU'],
    });

    expect(endedViewOf(snapshot)).toEqual({
      executionId: 'exec-1',
      documentName: snapshot.documentName,
      documentVersion: snapshot.documentVersion,
      status: 'Failed',
      parentExecutionId: 'parent-1',
      startTime: snapshot.startTime,
      endTime: isoAt(50),
      failureMessage: null,
      triggeredAlarms: [],
    });
  });

  it('gives none for an execution that still runs', () => {
    expect(endedViewOf(executionSnapshot({ status: 'Waiting' }))).toBeNull();
  });
});

describe('Function: isNotStarted', () => {
  it('is true only for Pending without a start time', () => {
    expect(isNotStarted({ status: 'Pending', startTime: null })).toBe(true);
    expect(isNotStarted({ status: 'Pending', startTime: isoAt(1) })).toBe(false);
    expect(isNotStarted({ status: 'InProgress', startTime: null })).toBe(false);
  });
});

describe('Function: mayStillChange', () => {
  it('keeps started, non-final steps in view', () => {
    expect(mayStillChange(stepSnapshot({ status: 'InProgress' }))).toBe(true);
    expect(mayStillChange(stepSnapshot({ status: 'SomethingNew' }))).toBe(true);
  });

  it('treats a failed step with attempts left as final, as SSM retries it under InProgress', () => {
    expect(mayStillChange(stepSnapshot({ status: 'Failed', maxAttempts: 3 }))).toBe(false);
  });

  it('leaves out steps that have not started', () => {
    expect(mayStillChange(stepSnapshot({ status: 'Pending', startTime: null }))).toBe(false);
  });
});

describe('Function: planStepReads', () => {
  it('lists every step on first sight', () => {
    expect(planStepReads(null, executionView(), WINDOW)).toEqual({ complete: true, queries: [{}] });
  });

  it('lists every step once the execution has ended, to reconcile', () => {
    const previous = executionState({ stepsReadAt: isoAt(8) }, started([1, 2], [2]));

    expect(planStepReads(previous, executionView({ status: 'Failed', endTime: isoAt(9) }), WINDOW)).toEqual({
      complete: true,
      queries: [{}],
    });
  });

  it('reads the window once more after the reconciliation, and counts it complete', () => {
    // Read completely at 10 s, after the end at 9 s: what may still show up started in the last lag.
    const previous = executionState({ stepsReadAt: isoAt(10) }, started([1, 2]));

    expect(planStepReads(previous, executionView({ status: 'Failed', endTime: isoAt(9) }), WINDOW)).toEqual({
      complete: true,
      queries: [{ startedAfter: isoSeconds(-59) }],
    });
  });

  it('lists every step each cycle with the full strategy', () => {
    const previous = executionState({}, started([1, 2], [2]));

    expect(planStepReads(previous, executionView(), { ...WINDOW, strategy: 'full' })).toEqual({
      complete: true,
      queries: [{}],
    });
  });

  it('reads one window from the newest start less the lag when every open step is inside it', () => {
    // Prepare: 100 finished steps, the last one open, and 900 more not started.
    const starts = Array.from({ length: 100 }, (_, i) => i * 10);
    const previous = executionState({}, [...started(starts, [990]), ...planned(900)]);

    // Act
    const plan = planStepReads(previous, executionView(), WINDOW);

    // Assess: 990 s − 60 s lag − 1 s margin.
    expect(plan).toEqual({ complete: false, queries: [{ startedAfter: isoSeconds(929) }] });
  });

  it('starts the window at the execution start when no step has started yet', () => {
    const previous = executionState({ startTime: isoAt(0) }, planned(5));

    expect(planStepReads(previous, executionView(), WINDOW).queries).toEqual([
      { startedAfter: isoSeconds(-61) },
    ]);
  });

  it('reaches the window back to old open steps when one range is cheapest', () => {
    // 40 steps a second apart, those started at 0..9 still open, the newest at 39.
    const starts = Array.from({ length: 40 }, (_, i) => i);
    const previous = executionState({}, started(starts, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));

    const plan = planStepReads(previous, executionView(), { ...WINDOW, visibilityLagSeconds: 5 });

    expect(plan.queries).toEqual([{ startedAfter: isoSeconds(-1) }]);
  });

  it('covers a lone old straggler with a narrow range around its start', () => {
    // One step open since second 0, then 500 finished steps, the newest at 500.
    const starts = Array.from({ length: 501 }, (_, i) => i);
    const previous = executionState({}, started(starts, [0, 500]));

    const plan = planStepReads(previous, executionView(), WINDOW);

    expect(plan.queries).toEqual([
      { startedAfter: isoSeconds(-1), startedBefore: isoSeconds(1) },
      { startedAfter: isoSeconds(439) },
    ]);
  });

  it('fetches scattered old stragglers by id instead of paging through everything between them', () => {
    // Steps open at 0, 100, 200 and 300 among 600 finished steps a second apart, the newest at 600.
    const starts = Array.from({ length: 601 }, (_, i) => i);
    const previous = executionState({}, started(starts, [0, 100, 200, 300, 600]));

    const plan = planStepReads(previous, executionView(), WINDOW);

    expect(plan.queries).toEqual([
      { stepExecutionIds: ['step-1', 'step-101', 'step-201', 'step-301'] },
      { startedAfter: isoSeconds(539) },
    ]);
  });

  it('covers a dense cluster of old open steps with one bounded range', () => {
    // 30 steps open at 0..29, 300 finished at 100..399, the newest at 399.
    const cluster = Array.from({ length: 30 }, (_, i) => i);
    const later = Array.from({ length: 300 }, (_, i) => 100 + i);
    const previous = executionState({}, started([...cluster, ...later], [...cluster, 399]));

    const plan = planStepReads(previous, executionView(), WINDOW);

    expect(plan.queries).toEqual([
      { startedAfter: isoSeconds(-1), startedBefore: isoSeconds(30) },
      { startedAfter: isoSeconds(338) },
    ]);
  });

  it('fetches open steps without a start time by id', () => {
    const odd = stepSnapshot({ stepExecutionId: 'odd', status: 'InProgress', startTime: null });
    const previous = executionState({}, [...started([1]), odd]);

    expect(planStepReads(previous, executionView(), WINDOW).queries).toEqual([
      { startedAfter: isoSeconds(-60) },
      { stepExecutionIds: ['odd'] },
    ]);
  });

  it('never plans a query that could return steps without a start time', () => {
    // A rate-control parent: 50 targets open, 100 done, 850 not started.
    const starts = Array.from({ length: 150 }, (_, i) => i * 2);
    const open = starts.slice(100);
    const previous = executionState({}, [...started(starts, open), ...planned(850)]);

    const plan = planStepReads(previous, executionView(), WINDOW);

    expect(plan.complete).toBe(false);
    for (const query of plan.queries) {
      expect(query.startedAfter !== undefined || query.stepExecutionIds !== undefined).toBe(true);
    }
  });
});

describe('Function: planStepReads, names held back and listings under way', () => {
  it('reads the names a cut read held back after the planned queries, ten a query', () => {
    // Prepare: the window plan of one open step, and twelve names held back.
    const names = Array.from({ length: 12 }, (_, i) => `name${i + 1}`);
    const previous = executionState({ heldNames: names }, started([1], [1]));

    // Act
    const plan = planStepReads(previous, executionView(), WINDOW);

    // Assess
    expect(plan).toEqual({
      complete: false,
      queries: [
        { startedAfter: isoSeconds(-60) },
        { stepNames: names.slice(0, 10) },
        { stepNames: names.slice(10) },
      ],
      heldNames: names,
    });
  });

  it('goes on with a listing under way, then reads the names held back', () => {
    const listing = { since: isoAt(60), after: isoAt(20), widthSeconds: 15 };
    const previous = executionState({ listing, heldNames: ['target'] }, started([1, 2]));

    const plan = planStepReads(previous, executionView(), WINDOW);

    expect(plan).toEqual({
      complete: true,
      queries: [{ stepNames: ['target'] }],
      since: isoAt(60),
      resume: listing,
      heldNames: ['target'],
    });
  });
});

describe('Function: resumeListing', () => {
  it('plans a complete read, as of the listing’s start, that goes on where the listing stands', () => {
    const listing = { since: isoAt(60), after: isoAt(20), widthSeconds: 15 };

    expect(resumeListing(listing)).toEqual({
      complete: true,
      queries: [],
      since: isoAt(60),
      resume: listing,
    });
  });
});

describe('Function: windowQuery', () => {
  it('widens a window by the one-second margin to whole seconds on both sides', () => {
    // 10.5 s for 20 s: from 9.5 s down to 9 s, to 31.5 s up to 32 s.
    expect(windowQuery(EPOCH + 10_500, 20_000)).toEqual({
      startedAfter: isoSeconds(9),
      startedBefore: isoSeconds(32),
    });
  });

  it('keeps bounds that fall on whole seconds', () => {
    expect(windowQuery(EPOCH + 10_000, 20_000)).toEqual({
      startedAfter: isoSeconds(9),
      startedBefore: isoSeconds(31),
    });
  });

  it('has no end for a window without width', () => {
    expect(windowQuery(EPOCH + 10_500, null)).toEqual({ startedAfter: isoSeconds(9) });
  });
});

describe('Function: loopPlaceKey', () => {
  const parent = (overrides: Partial<ParentStep> = {}): ParentStep => ({
    stepExecutionId: 'loop-1',
    stepName: 'stopAll',
    action: 'aws:loop',
    iteration: 3,
    iteratorValue: 'i-0aaa',
    ...overrides,
  });

  it('names a loop step by the loop step’s name, the iteration and its own name', () => {
    expect(loopPlaceKey({ stepName: 'stopOne', parentStep: parent() })).toBe(
      'planned-iteration:stopAll/3/stopOne',
    );
  });

  it('gives the same place whatever id the loop step is listed under, and another to each iteration', () => {
    const a = loopPlaceKey({ stepName: 'stopOne', parentStep: parent({ stepExecutionId: 'pending-1' }) });
    const b = loopPlaceKey({ stepName: 'stopOne', parentStep: parent({ stepExecutionId: null }) });
    const c = loopPlaceKey({ stepName: 'stopOne', parentStep: parent({ iteration: 4 }) });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('keeps names apart that a plain separator would run together', () => {
    const a = loopPlaceKey({ stepName: 'c', parentStep: parent({ stepName: 'a/3/b' }) });
    const b = loopPlaceKey({ stepName: 'b/3/c', parentStep: parent({ stepName: 'a' }) });
    expect(a).not.toBe(b);
  });

  it('gives no place to a step outside a loop, or one whose loop name or iteration SSM left out', () => {
    expect(loopPlaceKey({ stepName: 'stopOne', parentStep: null })).toBeNull();
    expect(loopPlaceKey({ stepName: 'stopOne', parentStep: parent({ iteration: null }) })).toBeNull();
    expect(loopPlaceKey({ stepName: 'stopOne', parentStep: parent({ stepName: null }) })).toBeNull();
  });
});

describe('Function: snapshotKeyOf', () => {
  const inLoop: ParentStep = {
    stepExecutionId: null,
    stepName: 'stopAll',
    action: 'aws:loop',
    iteration: 1,
    iteratorValue: null,
  };

  it('keeps a not-started loop step under its place, whatever id SSM lists it with', () => {
    for (const id of ['pending-abc', plannedStepKey('stopOne'), 'abc']) {
      const step = stepView({
        stepExecutionId: id,
        stepName: 'stopOne',
        status: 'Pending',
        startTime: null,
        parentStep: inLoop,
      });
      expect(snapshotKeyOf(step)).toBe('planned-iteration:stopAll/1/stopOne');
    }
  });

  it('keeps a started loop step and every step outside a loop under the id SSM lists it with', () => {
    const started = stepView({ stepExecutionId: 'abc', stepName: 'stopOne', parentStep: inLoop });
    const planned = stepView({
      stepExecutionId: plannedStepKey('x'),
      stepName: 'x',
      status: 'Pending',
      startTime: null,
    });
    expect(snapshotKeyOf(started)).toBe('abc');
    expect(snapshotKeyOf(planned)).toBe('planned:x');
  });
});

describe('Function: isPlannedStepKey', () => {
  it('knows the keys the poller makes, by name and by place, from ids SSM gives', () => {
    expect(isPlannedStepKey(plannedStepKey('stopOne'))).toBe(true);
    expect(isPlannedStepKey('planned-iteration:stopAll/1/stopOne')).toBe(true);
    expect(isPlannedStepKey('8e2f8f0e-0d3c-4c43-9c3e-6b0f3d1c2a11')).toBe(false);
    expect(isLoopPlaceKey('planned-iteration:stopAll/1/stopOne')).toBe(true);
    expect(isLoopPlaceKey(plannedStepKey('stopOne'))).toBe(false);
  });
});
