// Tests of StepReader over an in-memory step listing: chunks, held-back names, windows and follow-ups.
import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../lambda/core/errors';
import type {
  ExecutionPage,
  ExecutionSource,
  StepPage,
  StepPageRequest,
  UnreadableRecord,
} from '../../lambda/core/ports';
import { plannedStepKey, resumeListing, type StepQuery, snapshotKeyOf } from '../../lambda/core/read-plan';
import type { ExecutionView, StepView } from '../../lambda/core/types';
import { StepReader } from '../../lambda/cycle/step-reader';
import { executionState, isoAt, stepSnapshot, stepView } from '../helpers/builders';

/** Whole-second ISO time `seconds` after the test epoch, as start-time filters are written. */
function isoSeconds(seconds: number): string {
  return `${isoAt(seconds).slice(0, 19)}Z`;
}

/**
 * SSM's step listing of one execution over an in-memory list (in SSM's order), filtered by the query
 * (start-time bounds exclusive) and paged `pageSize` steps a page with numeric tokens.
 */
class FakeSource implements ExecutionSource {
  readonly requests: StepPageRequest[] = [];
  readonly #steps: readonly StepView[];
  readonly #pageSize: number;

  constructor(steps: readonly StepView[], pageSize = 2) {
    this.#steps = steps;
    this.#pageSize = pageSize;
  }

  async readStepPage(request: StepPageRequest): Promise<StepPage> {
    this.requests.push(request);
    const { startedAfter, startedBefore, stepExecutionIds, stepNames, statuses } = request.query;
    const start = (step: StepView): number =>
      step.startTime === null ? Number.NaN : Date.parse(step.startTime);
    const listed = this.#steps.filter(
      (s) =>
        (startedAfter === undefined || start(s) > Date.parse(startedAfter)) &&
        (startedBefore === undefined || start(s) < Date.parse(startedBefore)) &&
        (stepExecutionIds === undefined || stepExecutionIds.includes(s.stepExecutionId)) &&
        (stepNames === undefined || stepNames.includes(s.stepName)) &&
        (statuses === undefined || statuses.includes(s.status)),
    );
    const offset = Number(request.nextToken ?? '0');
    const end = offset + this.#pageSize;
    return { steps: listed.slice(offset, end), nextToken: end < listed.length ? String(end) : null };
  }

  /** The queries asked, one per page read. */
  queries(): StepQuery[] {
    return this.requests.map((r) => r.query);
  }

  async listInFlight(): Promise<ExecutionView[]> {
    throw new ServiceError('not used by the step reader');
  }

  async listStartedPage(): Promise<ExecutionPage> {
    throw new ServiceError('not used by the step reader');
  }

  async describeExecutions(): Promise<ExecutionView[]> {
    throw new ServiceError('not used by the step reader');
  }

  async takeUnreadable(): Promise<UnreadableRecord[]> {
    return [];
  }
}

/** A finished step `id` started `start` seconds after the epoch. */
function done(id: string, start: number, name = id): StepView {
  return stepView({ stepExecutionId: id, stepName: name, startTime: isoAt(start), status: 'Success' });
}

/** A step listed up front, not started yet. */
function notStarted(id: string, name = id): StepView {
  return stepView({ stepExecutionId: id, stepName: name, startTime: null, status: 'Pending' });
}

const never = (): boolean => false;
const always = (): boolean => true;
const LIST_ALL = { complete: true, queries: [{}] };

describe('Class: StepReader', () => {
  it('reads at most maxPages pages a call, and one page even when late() says time is up', async () => {
    // Prepare: seven steps, two a page: four pages.
    const steps = [1, 2, 3, 4, 5, 6, 7].map((i) => done(`s-${i}`, i));
    const source = new FakeSource(steps);
    const reader = new StepReader(source, 'exec-1', LIST_ALL, isoAt(100));

    // Act
    const first = await reader.next(2, never, null);
    const second = await reader.next(3, always, null);
    const third = await reader.next(3, never, null);

    // Assess
    expect(first).toEqual({ steps: steps.slice(0, 4), pages: 2, done: false, heldNames: [] });
    expect(second).toEqual({ steps: steps.slice(4, 6), pages: 1, done: false, heldNames: [] });
    expect(third).toEqual({ steps: steps.slice(6), pages: 1, done: true, heldNames: [] });
    expect(reader.pages).toBe(4);
    expect(source.requests.map((r) => r.nextToken)).toEqual([null, '2', '4', '6']);
  });

  it('holds back a started step of unknown id named like a not-started step, then reads it by name', async () => {
    // Prepare: the snapshot holds `target` as not started under a planned id; it started as `real`.
    const previous = targetPlanned();
    const real = stepView({ stepExecutionId: 'real', stepName: 'target', startTime: isoAt(2) });
    const source = new FakeSource([done('a', 1), real, notStarted('c')]);
    const reader = new StepReader(source, 'exec-1', LIST_ALL, isoAt(100));

    // Act
    const first = await reader.next(1, never, previous);
    const rest = await reader.next(10, never, previous);

    // Assess
    expect(first).toEqual({ steps: [done('a', 1)], pages: 1, done: false, heldNames: ['target'] });
    expect(rest).toEqual({ steps: [notStarted('c'), real], pages: 2, done: true, heldNames: [] });
    expect(source.queries()).toEqual([{}, {}, { stepNames: ['target'] }]);
  });

  it('lets a held name go once a StepName query has listed it through, even in a chunk that does not end the read', async () => {
    // Prepare: an earlier read held `target` back; this one asks for it by name first, then more.
    const previous = targetPlanned();
    const real = stepView({ stepExecutionId: 'real', stepName: 'target', startTime: isoAt(2) });
    const source = new FakeSource([done('a', 1), real, done('b', 3)], 1);
    const plan = {
      complete: false,
      queries: [{ stepNames: ['target'] }, { startedAfter: isoSeconds(0) }],
      heldNames: ['target'],
    };
    const reader = new StepReader(source, 'exec-1', plan, isoAt(100));

    // Act: the name query's one page, then time is up.
    const chunk = await reader.next(1, never, previous);

    // Assess: only `target` exists by that name and it started, so it is that step: not held.
    expect(chunk).toEqual({ steps: [real], pages: 1, done: false, heldNames: [] });
  });

  it('gives a held step back with the chunk whose StepName query tells it apart, when that query spans chunks', async () => {
    // Prepare: two not-started entries named `target`; one started as `real`, the other is still
    // listed as not started. The StepName query takes two pages, one a chunk.
    const previous = executionState({}, [
      stepSnapshot({ stepExecutionId: 'p1', stepName: 'target', status: 'Pending', startTime: null }),
      stepSnapshot({ stepExecutionId: 'p2', stepName: 'target', status: 'Pending', startTime: null }),
    ]);
    const real = stepView({ stepExecutionId: 'real', stepName: 'target', startTime: isoAt(2) });
    const source = new FakeSource([real, notStarted('p2', 'target')], 1);
    const plan = { complete: false, queries: [{ stepNames: ['target'] }], heldNames: ['target'] };
    const reader = new StepReader(source, 'exec-1', plan, isoAt(100));

    // Act
    const first = await reader.next(1, never, previous);
    const second = await reader.next(1, never, previous);

    // Assess: held while its name is not read through, then given back, not dropped.
    expect(first).toEqual({ steps: [], pages: 1, done: false, heldNames: ['target'] });
    expect(second).toEqual({
      steps: [notStarted('p2', 'target'), real],
      pages: 1,
      done: true,
      heldNames: [],
    });
  });

  it('gives back a held step as the newest sight the read has of it', async () => {
    // Prepare: `real` is listed InProgress on the first page, Success by the StepName query.
    const previous = targetPlanned();
    const running = stepView({ stepExecutionId: 'real', stepName: 'target', startTime: isoAt(2) });
    const ended = { ...running, status: 'Success', endTime: isoAt(4) };
    const pages: StepView[][] = [[running], [ended]];
    const source = new FakeSource([]);
    source.readStepPage = async (request) => {
      source.requests.push(request);
      return { steps: pages.shift() ?? [], nextToken: null };
    };
    const plan = { complete: false, queries: [{}, { statuses: ['Success'] }] };
    const reader = new StepReader(source, 'exec-1', plan, isoAt(100));

    // Act
    const first = await reader.next(1, never, previous);
    const rest = await reader.next(10, never, previous);

    // Assess
    expect(first).toEqual({ steps: [], pages: 1, done: false, heldNames: ['target'] });
    expect(rest).toEqual({ steps: [ended], pages: 2, done: true, heldNames: [] });
    expect(source.queries()).toEqual([{}, { statuses: ['Success'] }, { stepNames: ['target'] }]);
  });

  it('never holds back a started step inside a loop: its place says which planned entry is its own', async () => {
    // Prepare: iterations 1 and 2 of `inner` planned under their places; iteration 1 started.
    const parent = (iteration: number) => ({
      stepExecutionId: 'loop-1',
      stepName: 'loop',
      action: 'aws:loop',
      iteration,
      iteratorValue: null,
    });
    const planned = (iteration: number) =>
      stepView({
        stepExecutionId: 'x',
        stepName: 'inner',
        status: 'Pending',
        startTime: null,
        parentStep: parent(iteration),
      });
    const previous = executionState(
      {},
      [1, 2].map((i) =>
        stepSnapshot({
          stepExecutionId: snapshotKeyOf(planned(i)),
          stepName: 'inner',
          status: 'Pending',
          startTime: null,
        }),
      ),
    );
    const started = stepView({
      stepExecutionId: 'inner-1',
      stepName: 'inner',
      startTime: isoAt(2),
      parentStep: parent(1),
    });
    const source = new FakeSource([started, done('b', 3)], 1);
    const reader = new StepReader(source, 'exec-1', LIST_ALL, isoAt(100));

    // Act
    const chunk = await reader.next(1, never, previous);

    // Assess: no StepName query either.
    expect(chunk).toEqual({ steps: [started], pages: 1, done: false, heldNames: [] });
    await reader.next(10, never, previous);
    expect(source.queries()).toEqual([{}, {}]);
  });

  it('keeps a loop’s not-started steps listed without an id apart, one each by its place', async () => {
    // Prepare: SSM lists two iterations of `inner` without an id (the adapter keys both by name).
    const parent = (iteration: number) => ({
      stepExecutionId: null,
      stepName: 'loop',
      action: 'aws:loop',
      iteration,
      iteratorValue: `i-${iteration}`,
    });
    const listed = [1, 2].map((i) =>
      stepView({
        stepExecutionId: plannedStepKey('inner'),
        stepName: 'inner',
        status: 'Pending',
        startTime: null,
        parentStep: parent(i),
      }),
    );
    const reader = new StepReader(new FakeSource(listed), 'exec-1', LIST_ALL, isoAt(100));

    // Act
    const chunk = await reader.next(10, never, null);

    // Assess
    expect(chunk.steps).toEqual(listed);
  });

  it('holds nothing back in a chunk that ends the read', async () => {
    const previous = targetPlanned();
    const real = stepView({ stepExecutionId: 'real', stepName: 'target', startTime: isoAt(2) });
    const source = new FakeSource([done('a', 1), real]);
    const reader = new StepReader(source, 'exec-1', LIST_ALL, isoAt(100));

    const chunk = await reader.next(10, never, previous);

    expect(chunk).toEqual({ steps: [done('a', 1), real], pages: 1, done: true, heldNames: [] });
    expect(source.queries()).toEqual([{}]);
  });

  it('goes on with a cut listing from the newest start it read, the first window as wide as the span it read', async () => {
    // Prepare: steps started at 10, 20, 30 and 40 s; the first page shows those of 10 and 20 s.
    const source = new FakeSource([done('a', 10), done('b', 20), done('c', 30), done('d', 40)]);
    const reader = new StepReader(source, 'exec-1', LIST_ALL, isoAt(100), [], isoAt(0));

    // Act
    await reader.next(1, never, null);

    // Assess: SSM lists by start time, so everything before 20 s was read; the read spanned 10 s.
    expect(reader.continuation()).toEqual({ since: isoAt(100), after: isoAt(20), widthSeconds: 10 });
  });

  it('goes on from the execution’s start when the cut listing read no started step', async () => {
    const source = new FakeSource([notStarted('x'), notStarted('y'), done('a', 10)]);
    const reader = new StepReader(source, 'exec-1', LIST_ALL, isoAt(100), [], isoAt(0));

    await reader.next(1, never, null);

    expect(reader.continuation()).toEqual({ since: isoAt(100), after: isoAt(0), widthSeconds: 100 });
  });

  it('has no continuation once the read is done, nor for a plan that is not a complete listing', async () => {
    const listed = new StepReader(new FakeSource([done('a', 10)]), 'exec-1', LIST_ALL, isoAt(100));
    const windowed = new StepReader(
      new FakeSource([done('a', 10), done('b', 20), done('c', 30)]),
      'exec-1',
      { complete: false, queries: [{ startedAfter: isoSeconds(5) }] },
      isoAt(100),
    );

    await listed.next(10, never, null);
    await windowed.next(1, never, null);

    expect(listed.continuation()).toBeNull();
    expect(windowed.continuation()).toBeNull();
  });

  it('reads a resumed listing window by window, each twice as wide, the last ending where it began, then the steps not started', async () => {
    // Prepare: a listing begun at 100 s that has read every step started before 0 s, next window 10 s;
    // a step started at 150 s, after the listing began, is the next window read's.
    const steps = [done('a', 5), done('b', 20), done('c', 50), done('d', 90), notStarted('e')];
    const source = new FakeSource([...steps, done('late', 150)], 50);
    const plan = resumeListing({ since: isoAt(100), after: isoAt(0), widthSeconds: 10 });
    const reader = new StepReader(source, 'exec-1', plan, isoAt(500));

    // Act
    const chunk = await reader.next(20, never, null);

    // Assess: [0, 10), [10, 30), [30, 70), then [70, 100) (70 + 80 would pass the listing's start).
    expect(source.queries()).toEqual([
      { startedAfter: isoSeconds(-1), startedBefore: isoSeconds(11) },
      { startedAfter: isoSeconds(9), startedBefore: isoSeconds(31) },
      { startedAfter: isoSeconds(29), startedBefore: isoSeconds(71) },
      { startedAfter: isoSeconds(69), startedBefore: isoSeconds(101) },
      { statuses: ['Pending'] },
    ]);
    expect(chunk).toEqual({ steps, pages: 5, done: true, heldNames: [] });
    expect(reader.startedAt).toBe(isoAt(100));
    expect(reader.resumed).toBe(true);
  });

  it('goes on from the same start with half the width when a window is cut', async () => {
    // Prepare: the 40 s window from 0 s holds four steps, two a page.
    const source = new FakeSource([done('a', 5), done('b', 10), done('c', 15), done('d', 20)]);
    const plan = resumeListing({ since: isoAt(100), after: isoAt(0), widthSeconds: 40 });
    const reader = new StepReader(source, 'exec-1', plan, isoAt(500));

    // Act
    const chunk = await reader.next(1, never, null);

    // Assess
    expect(chunk).toEqual({ steps: [done('a', 5), done('b', 10)], pages: 1, done: false, heldNames: [] });
    expect(reader.continuation()).toEqual({ since: isoAt(100), after: isoAt(0), widthSeconds: 20 });
  });

  it('goes on with the next window, twice as wide, when a chunk stops between two windows', async () => {
    // Prepare: the 10 s window from 0 s holds one step and fits one page.
    const source = new FakeSource([done('a', 5), done('b', 15)]);
    const plan = resumeListing({ since: isoAt(100), after: isoAt(0), widthSeconds: 10 });
    const reader = new StepReader(source, 'exec-1', plan, isoAt(500));

    // Act
    const chunk = await reader.next(1, never, null);

    // Assess: the first window was read to its end, so the next starts at 10 s, 20 s wide.
    expect(chunk).toEqual({ steps: [done('a', 5)], pages: 1, done: false, heldNames: [] });
    expect(reader.continuation()).toEqual({ since: isoAt(100), after: isoAt(10), widthSeconds: 20 });
  });

  it('goes on with the steps not started only, once every window was read through', async () => {
    // Prepare: the window from 0 s reaches the listing's start; three steps not started, two a page.
    const source = new FakeSource([done('a', 5), notStarted('x'), notStarted('y'), notStarted('z')]);
    const plan = resumeListing({ since: isoAt(100), after: isoAt(0), widthSeconds: 200 });
    const reader = new StepReader(source, 'exec-1', plan, isoAt(500));

    // Act
    await reader.next(2, never, null);

    // Assess: the window ends where the listing began; next time the listing goes on from there.
    expect(source.queries()).toEqual([
      { startedAfter: isoSeconds(-1), startedBefore: isoSeconds(101) },
      { statuses: ['Pending'] },
    ]);
    expect(reader.continuation()).toEqual({ since: isoAt(100), after: isoAt(100), widthSeconds: 2_592_000 });
  });

  it('asks by id for open steps of the snapshot the read did not return, and for steps named by alsoIds', async () => {
    // Prepare: `old` was open at 10 s; the plan reads from 50 s on.
    const previous = executionState({}, [
      stepSnapshot({ stepExecutionId: 'old', stepName: 'old', startTime: isoAt(10) }),
      stepSnapshot({
        stepExecutionId: 'finished',
        stepName: 'finished',
        startTime: isoAt(5),
        status: 'Success',
      }),
      stepSnapshot({ stepExecutionId: 'later', stepName: 'later', status: 'Pending', startTime: null }),
    ]);
    const steps = [
      done('finished', 5),
      done('old', 10),
      done('unsent', 20),
      done('new', 60),
      notStarted('later'),
    ];
    const source = new FakeSource(steps, 50);
    const plan = { complete: false, queries: [{ startedAfter: isoSeconds(50) }] };
    const reader = new StepReader(source, 'exec-1', plan, isoAt(100), ['new', 'planned:later', 'unsent']);

    // Act
    const chunk = await reader.next(10, never, previous);

    // Assess
    expect(source.queries()).toEqual([
      { startedAfter: isoSeconds(50) },
      { stepExecutionIds: ['unsent', 'old'] },
    ]);
    expect(chunk).toEqual({
      steps: [done('new', 60), done('old', 10), done('unsent', 20)],
      pages: 2,
      done: true,
      heldNames: [],
    });
  });

  it('asks for no open step by id after a listing of every step', async () => {
    const previous = executionState({}, [stepSnapshot({ stepExecutionId: 'gone', stepName: 'gone' })]);
    const source = new FakeSource([done('a', 1)]);
    const reader = new StepReader(source, 'exec-1', LIST_ALL, isoAt(100));

    const chunk = await reader.next(10, never, previous);

    expect(source.queries()).toEqual([{}]);
    expect(chunk).toEqual({ steps: [done('a', 1)], pages: 1, done: true, heldNames: [] });
  });
});

/** An execution snapshot holding step `target` as not started under a planned id. */
function targetPlanned() {
  return executionState({}, [
    stepSnapshot({
      stepExecutionId: 'planned-target',
      stepName: 'target',
      status: 'Pending',
      startTime: null,
    }),
  ]);
}
