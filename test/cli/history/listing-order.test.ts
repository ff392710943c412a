// Unit tests of the executions order: trees newest first, children under their parent, streamed from the newest-first index.
import { describe, expect, it } from 'vitest';
import { compareNewestFirst, inTreeOrder, takeFirst } from '../../../cli/history/listing-order';
import type { ExecutionListing } from '../../../lambda/core/history';

function listing(
  executionId: string,
  start: number,
  parentExecutionId: string | null = null,
): ExecutionListing {
  return {
    executionId,
    documentName: 'AWS-RestartEC2Instance',
    documentVersion: '1',
    status: 'Success',
    parentExecutionId,
    startTime: new Date(Date.UTC(2026, 10, 25, 12, 0, start)).toISOString(),
    endTime: null,
    failedSteps: 0,
    alarms: 0,
    account: '123456789012',
    region: 'eu-west-1',
  };
}

/** The listings as the byStart index returns them: newest first (ties in the order given). */
async function* indexOrder(listings: readonly ExecutionListing[]): AsyncGenerator<ExecutionListing> {
  const sorted = [...listings].sort((a, b) => ((a.startTime ?? '') < (b.startTime ?? '') ? 1 : -1));
  for (const item of sorted) yield item;
}

async function order(
  listings: readonly ExecutionListing[],
  matches?: (l: ExecutionListing) => boolean,
): Promise<string[]> {
  const rows: string[] = [];
  for await (const { listing: l, depth } of inTreeOrder(indexOrder(listings), matches)) {
    rows.push(`${'  '.repeat(depth)}${l.executionId}`);
  }
  return rows;
}

describe('Function: inTreeOrder', () => {
  it('puts a rate-control parent first, its children under it newest first', async () => {
    const listings = [listing('parent', 0), listing('t1', 1, 'parent'), listing('t2', 2, 'parent')];

    expect(await order(listings)).toEqual(['parent', '  t2', '  t1']);
  });

  it('orders trees by their top execution, newest first, with executions started in between', async () => {
    // Prepare: a run started at 0 s whose children start at 5 s and 20 s, and a lone run at 10 s.
    const listings = [
      listing('run', 0),
      listing('child-a', 5, 'run'),
      listing('lone', 10),
      listing('child-b', 20, 'run'),
      listing('latest', 30),
    ];

    expect(await order(listings)).toEqual(['latest', 'lone', 'run', '  child-b', '  child-a']);
  });

  it('nests grandchildren under their parent', async () => {
    const listings = [
      listing('top', 0),
      listing('mid', 1, 'top'),
      listing('leaf-1', 2, 'mid'),
      listing('leaf-2', 3, 'mid'),
      listing('other', 4, 'top'),
    ];

    expect(await order(listings)).toEqual(['top', '  other', '  mid', '    leaf-2', '    leaf-1']);
  });

  it('breaks ties of start time by execution id, the parent still first', async () => {
    const listings = [listing('b-child', 0, 'z-root'), listing('z-root', 0), listing('a-root', 0)];

    expect(await order(listings)).toEqual(['a-root', 'z-root', '  b-child']);
  });

  it('lists a child whose parent is not read after every tree, as a top of its own', async () => {
    const listings = [
      listing('orphan', 50, 'gone'),
      listing('orphan-kid', 51, 'orphan'),
      listing('root', 10),
    ];

    expect(await order(listings)).toEqual(['root', 'orphan', '  orphan-kid']);
  });

  it('lists the matching children of a parent that does not match, at the parent’s place', async () => {
    const failed = (id: string, start: number, parent: string | null) => ({
      ...listing(id, start, parent),
      status: 'Failed',
    });
    const listings = [
      listing('old-fail-parent', 0),
      failed('old-fail', 1, 'old-fail-parent'),
      listing('new-parent', 10),
      failed('new-fail', 11, 'new-parent'),
      listing('new-ok', 12, 'new-parent'),
    ];

    expect(await order(listings, (l) => l.status === 'Failed')).toEqual(['new-fail', 'old-fail']);
  });

  it('lists every execution once when parent links loop', async () => {
    const listings = [listing('a', 1, 'b'), listing('b', 2, 'a'), listing('root', 0)];

    expect((await order(listings)).map((row) => row.trim()).sort()).toEqual(['a', 'b', 'root']);
  });

  it('streams: a root is yielded before the index is read to its end', async () => {
    // Prepare: an index that fails once it is read past the second listing.
    async function* failingAfterTwo(): AsyncGenerator<ExecutionListing> {
      yield listing('newest', 20);
      yield listing('older', 10);
      throw new Error('read too far');
    }

    // Act
    const first: string[] = [];
    for await (const { listing: l } of inTreeOrder(failingAfterTwo())) {
      first.push(l.executionId);
      break;
    }

    // Assess
    expect(first).toEqual(['newest']);
  });
});

describe('Function: compareNewestFirst', () => {
  it('sorts by start time descending, then by id, a missing start last', () => {
    const listings = [
      { ...listing('no-start', 0), startTime: null },
      listing('b', 5),
      listing('a', 5),
      listing('c', 9),
    ];

    expect(listings.sort(compareNewestFirst).map((l) => l.executionId)).toEqual(['c', 'a', 'b', 'no-start']);
  });
});

describe('Function: takeFirst', () => {
  it('stops reading once it has the first n items', async () => {
    let read = 0;
    async function* counting(): AsyncGenerator<number> {
      for (let i = 0; i < 100; i++) {
        read++;
        yield i;
      }
    }

    const taken: number[] = [];
    for await (const n of takeFirst(counting(), 3)) taken.push(n);

    expect(taken).toEqual([0, 1, 2]);
    expect(read).toBe(3);
  });

  it('passes everything through without a limit', async () => {
    async function* three(): AsyncGenerator<number> {
      yield* [1, 2, 3];
    }
    const taken: number[] = [];
    for await (const n of takeFirst(three(), undefined)) taken.push(n);

    expect(taken).toEqual([1, 2, 3]);
  });
});
