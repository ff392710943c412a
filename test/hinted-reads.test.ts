// Tests of the lease holder's side of the hint inbox: the queue order of hinted executions, and when the inbox is looked into and closed.
import { describe, expect, it } from 'vitest';
import type { ExecutionSource, HintInbox, SnapshotStore } from '../lambda/core/ports';
import type { ExecutionView } from '../lambda/core/types';
import { ExecutionFinder } from '../lambda/discovery';
import { InboxReader, queueHinted } from '../lambda/hinted-reads';
import { executionView } from './helpers/builders';

const SHARD = '123456789012#us-east-1';
const id = (n: number): string => `eeeeeeee-0000-4000-8000-${String(n).padStart(12, '0')}`;
const view = (n: number, status = 'InProgress'): ExecutionView =>
  executionView({ executionId: id(n), status });
const ids = (queue: readonly ExecutionView[]): string[] => queue.map((v) => v.executionId.slice(-2));

describe('Function: queueHinted', () => {
  it('queues hinted executions before the rest, in the order handed over', () => {
    const queue = [view(1), view(2), view(3), view(4)];
    const end = queueHinted(queue, 1, 1, [view(10), view(11)]);
    const later = queueHinted(queue, 2, end, [view(12)]);
    expect(ids(queue)).toEqual(['01', '10', '11', '12', '02', '03', '04']);
    expect([end, later]).toEqual([3, 4]);
  });

  it('gives a hinted execution still waiting the fresher view in place, and drops its older listing entry', () => {
    const queue = [view(1), view(2), view(3)];
    const end = queueHinted(queue, 0, 0, [view(3), view(9)]);
    const again = queueHinted(queue, 1, end, [view(9, 'Success'), view(2)]);
    expect(ids(queue)).toEqual(['03', '09', '02', '01']);
    expect(queue[1]?.status).toBe('Success');
    expect([end, again]).toEqual([2, 3]);
  });

  it('reads an execution again that this cycle read before it changed', () => {
    const queue = [view(1), view(2)];
    const end = queueHinted(queue, 2, 0, [view(1, 'Success')]);
    expect(ids(queue)).toEqual(['01', '02', '01']);
    expect(end).toBe(3);
  });
});

/** An inbox in memory, recording its calls. */
class MemoryInbox implements HintInbox {
  waiting: string[] = [];
  openUntil = 0;
  readonly calls: string[] = [];
  async open(_shard: string, until: number) {
    this.calls.push('open');
    this.openUntil = until;
  }
  async handOff(_shard: string, executionIds: readonly string[], now: number) {
    if (this.openUntil <= now) return false;
    this.waiting.push(...executionIds);
    return true;
  }
  async park(_shard: string, executionIds: readonly string[]) {
    this.waiting.push(...executionIds);
  }
  async take() {
    this.calls.push('take');
    return this.waiting.splice(0);
  }
  async close() {
    this.calls.push('close');
    if (this.waiting.length > 0) return false;
    this.openUntil = 0;
    return true;
  }
  async forceClose() {
    this.calls.push('forceClose');
    this.openUntil = 0;
  }
}

function finderOver(known: readonly number[]): ExecutionFinder {
  const source = {
    describeExecutions: async (wanted: readonly string[]) =>
      known.map((n) => view(n)).filter((v) => wanted.includes(v.executionId)),
  } as unknown as ExecutionSource;
  return new ExecutionFinder(source, {} as SnapshotStore, { info() {}, warn() {}, error() {} });
}

describe('Class: InboxReader', () => {
  it('looks into the inbox at most once a second while executions are queued', async () => {
    const inbox = new MemoryInbox();
    let now = 0;
    const reader = await InboxReader.open(inbox, SHARD, finderOver([1, 2]), () => now, 30_000);
    inbox.waiting.push(id(1));
    const first = await reader.next(true, () => false);
    inbox.waiting.push(id(2));
    now = 999;
    const tooSoon = await reader.next(true, () => false);
    now = 1000;
    const second = await reader.next(true, () => false);
    expect([first, tooSoon, second].map(ids)).toEqual([['01'], [], ['02']]);
    expect(reader.taken).toBe(2);
    expect(inbox.calls).toEqual(['open', 'take', 'take']);
  });

  it('at the end of the queue takes what still waits before it closes, then closes once', async () => {
    const inbox = new MemoryInbox();
    const reader = await InboxReader.open(inbox, SHARD, finderOver([3]), () => 0, 30_000);
    inbox.waiting.push(id(3));
    const waiting = await reader.next(false, () => false);
    const done = await reader.next(false, () => false);
    const after = await reader.next(false, () => false);
    expect([waiting, done, after].map(ids)).toEqual([['03'], [], []]);
    expect(inbox.calls).toEqual(['open', 'close', 'take', 'close']);
  });

  it('out of time closes the inbox whatever waits, leaving it to the next holder', async () => {
    const inbox = new MemoryInbox();
    const reader = await InboxReader.open(inbox, SHARD, finderOver([4]), () => 0, 30_000);
    inbox.waiting.push(id(4));
    const late = await reader.next(false, () => true);
    expect(late).toEqual([]);
    expect(inbox.waiting).toEqual([id(4)]);
    expect(inbox.calls).toEqual(['open', 'forceClose']);
  });
});
