// Tests of the backlog's start-time windows: StartedListing's pages and next window, and nextBacklog.
import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../lambda/core/errors';
import type {
  ExecutionPage,
  ExecutionSource,
  StartedPageRequest,
  StepPage,
  UnreadableRecord,
} from '../../lambda/core/ports';
import type { ExecutionView } from '../../lambda/core/types';
import { nextBacklog, StartedListing } from '../../lambda/cycle/discovery';
import { EPOCH, executionView, isoAt } from '../helpers/builders';

/** SSM's started-since listing over in-memory executions (start bounds exclusive), `pageSize` a page. */
class FakeSource implements ExecutionSource {
  readonly requests: StartedPageRequest[] = [];
  readonly #executions: readonly ExecutionView[];
  readonly #pageSize: number;

  constructor(executions: readonly ExecutionView[], pageSize = 2) {
    this.#executions = executions;
    this.#pageSize = pageSize;
  }

  async listStartedPage(request: StartedPageRequest): Promise<ExecutionPage> {
    this.requests.push(request);
    const listed = this.#executions.filter(
      (e) =>
        e.startTime !== null &&
        Date.parse(e.startTime) > Date.parse(request.after) &&
        (request.before === null || Date.parse(e.startTime) < Date.parse(request.before)),
    );
    const offset = Number(request.nextToken ?? '0');
    const end = offset + this.#pageSize;
    return { executions: listed.slice(offset, end), nextToken: end < listed.length ? String(end) : null };
  }

  async listInFlight(): Promise<ExecutionView[]> {
    throw new ServiceError('not used by the started listing');
  }

  async describeExecutions(): Promise<ExecutionView[]> {
    throw new ServiceError('not used by the started listing');
  }

  async readStepPage(): Promise<StepPage> {
    throw new ServiceError('not used by the started listing');
  }

  async takeUnreadable(): Promise<UnreadableRecord[]> {
    return [];
  }
}

/** Epoch ms `seconds` after the test epoch. */
function at(seconds: number): number {
  return EPOCH + seconds * 1000;
}

/** A listing of the window from `after` to `before` (seconds), read to its end when `complete`. */
async function listing(after: number, before: number | null, complete: boolean): Promise<StartedListing> {
  const started = new StartedListing(new FakeSource([]), at(after), before === null ? null : at(before));
  if (complete) await started.page();
  return started;
}

describe('Class: StartedListing', () => {
  it('lists its window a page at a time, keeps the ids it returned and is complete after the last page', async () => {
    // Prepare: three executions in the window from 0 s to 100 s, one before it, one after it.
    const inside = [10, 20, 30].map((s) => executionView({ executionId: `e-${s}`, startTime: isoAt(s) }));
    const outside = [executionView({ executionId: 'early', startTime: isoAt(-5) })];
    const late = [executionView({ executionId: 'late', startTime: isoAt(150) })];
    const source = new FakeSource([...outside, ...inside, ...late]);
    const started = new StartedListing(source, at(0), at(100));

    // Act
    const first = await started.page();
    const completeAfterFirst = started.complete;
    const second = await started.page();

    // Assess
    expect(first).toEqual(inside.slice(0, 2));
    expect(completeAfterFirst).toBe(false);
    expect(second).toEqual(inside.slice(2));
    expect(started.complete).toBe(true);
    expect([...started.ids]).toEqual(['e-10', 'e-20', 'e-30']);
    // A second's margin each side: an execution started exactly on a bound is listed whether SSM
    // keeps one on its bound or not (in both windows, when it is on the bound between two).
    expect(source.requests).toEqual([
      { after: secondsAt(-1), before: secondsAt(101), nextToken: null },
      { after: secondsAt(-1), before: secondsAt(101), nextToken: '2' },
    ]);
  });

  it('asks for no end when its window has none', async () => {
    const source = new FakeSource([]);

    await new StartedListing(source, at(0), null).page();

    expect(source.requests).toEqual([{ after: secondsAt(-1), before: null, nextToken: null }]);
  });

  it('goes on with the window after it, twice as wide', async () => {
    const next = (await listing(0, 100, true)).next(at(1000), 60);

    expect([next.after, next.before, next.complete]).toEqual([at(100), at(300), false]);
  });

  it('gives the next window no end once it reaches the cycle’s start', async () => {
    const next = (await listing(0, 400, true)).next(at(1000), 60);

    expect([next.after, next.before]).toEqual([at(400), null]);
  });

  it('goes on from the cycle’s start less the overlap when its window ended within the overlap', async () => {
    const next = (await listing(0, 990, true)).next(at(1000), 60);

    expect([next.after, next.before]).toEqual([at(940), null]);
  });
});

describe('Function: nextBacklog', () => {
  it('lists a window not listed to its end again from the same start, half as wide', async () => {
    expect(nextBacklog(await listing(0, 100, false), true, at(1000), 60)).toEqual({
      backlogFrom: isoAt(0),
      backlogWindowSeconds: 50,
    });
  });

  it('lists a window whose executions were not all served again from the same start, half as wide', async () => {
    expect(nextBacklog(await listing(0, 100, true), false, at(1000), 60)).toEqual({
      backlogFrom: isoAt(0),
      backlogWindowSeconds: 50,
    });
  });

  it('halves a window without end from its width up to the cycle’s start', async () => {
    expect(nextBacklog(await listing(0, null, false), true, at(1000), 60)).toEqual({
      backlogFrom: isoAt(0),
      backlogWindowSeconds: 500,
    });
  });

  it('narrows a window no further than 10 s', async () => {
    expect(nextBacklog(await listing(0, 15, false), true, at(1000), 60)).toEqual({
      backlogFrom: isoAt(0),
      backlogWindowSeconds: 10,
    });
  });

  it('moves on to the window after one listed to its end and served, twice as wide', async () => {
    expect(nextBacklog(await listing(0, 100, true), true, at(1000), 60)).toEqual({
      backlogFrom: isoAt(100),
      backlogWindowSeconds: 200,
    });
  });

  it('moves on from the cycle’s start less the overlap when the window ended within the overlap', async () => {
    expect(nextBacklog(await listing(0, 990, true), true, at(1000), 60)).toEqual({
      backlogFrom: isoAt(940),
      backlogWindowSeconds: 1980,
    });
  });

  it('ends the backlog once a window without end is listed and served', async () => {
    expect(nextBacklog(await listing(0, null, true), true, at(1000), 60)).toEqual({
      backlogFrom: null,
      backlogWindowSeconds: null,
    });
  });
});

/** The whole-second ISO form SSM's start-time filters take. */
function secondsAt(seconds: number): string {
  return `${isoAt(seconds).slice(0, 19)}Z`;
}
