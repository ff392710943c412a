// Tests of the lease holder's side of the hint inbox: what a cycle owes hinted executions without delaying its queue, and when the inbox is looked into and closed.
import { describe, expect, it } from 'vitest';
import type { HintInbox } from '../../lambda/core/ports';
import type { ExecutionView } from '../../lambda/core/types';
import { HintedWork, InboxReader } from '../../lambda/cycle/hinted-reads';
import { executionView } from '../helpers/builders';

const SHARD = '123456789012#us-east-1';
const id = (n: number): string => `eeeeeeee-0000-4000-8000-${String(n).padStart(12, '0')}`;
const view = (n: number, status = 'InProgress'): ExecutionView =>
  executionView({ executionId: id(n), status });
const ids = (queue: readonly ExecutionView[]): string[] => queue.map((v) => v.executionId.slice(-2));

describe('Class: HintedWork', () => {
  it('leaves a hinted execution still ahead in the queue in its place, owing nothing once read with an unchanged status', () => {
    const queue = [view(1), view(2), view(3)];
    const work = new HintedWork();
    work.note([id(3)], queue, 1);
    work.served(view(2));
    work.served(view(3));
    expect(work.owed()).toEqual([id(3)]);
    expect(ids(work.select([view(3)]))).toEqual([]);
    expect(work.owed()).toEqual([]);
  });

  it('reads again an execution read in turn whose status moved since its queued view', () => {
    const queue = [view(1), view(2)];
    const work = new HintedWork();
    work.note([id(2)], queue, 0);
    work.served(view(2));
    expect(ids(work.select([view(2, 'Success')]))).toEqual(['02']);
  });

  it('owes an execution already read this cycle, or not in the queue, as extra work', () => {
    const queue = [view(1), view(2)];
    const work = new HintedWork();
    work.note([id(1), id(9)], queue, 1);
    expect(work.extra().sort()).toEqual([id(1), id(9)]);
    expect(ids(work.select([view(1), view(9)]))).toEqual(['01', '09']);
  });

  it('turns a hint for an execution read in turn into extra work when it comes after that read', () => {
    const queue = [view(1), view(2)];
    const work = new HintedWork();
    work.note([id(1)], queue, 0);
    work.served(view(1));
    work.note([id(1)], queue, 1);
    expect(work.extra()).toEqual([id(1)]);
    expect(ids(work.select([view(1)]))).toEqual(['01']);
  });

  it('gives the extra executions to whoever reads them now, owing them no more', () => {
    const work = new HintedWork();
    const queue = [view(1), view(2)];
    work.note([id(1), id(3)], queue, 1);

    const taken = work.takeExtra();

    expect(taken.sort()).toEqual([id(1), id(3)]);
    expect(work.owed()).toEqual([]);
  });

  it('forgets what it owes when cleared', () => {
    const work = new HintedWork();
    work.note([id(5)], [view(1)], 1);
    work.clear();
    expect(work.owed()).toEqual([]);
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

describe('Class: InboxReader', () => {
  it('looks into the inbox at most once a second while executions are queued', async () => {
    const inbox = new MemoryInbox();
    let now = 0;
    const reader = await InboxReader.open(inbox, SHARD, () => now, 30_000);
    inbox.waiting.push(id(1));
    const first = await reader.look(() => false);
    inbox.waiting.push(id(2));
    now = 999;
    const tooSoon = await reader.look(() => false);
    now = 1000;
    const second = await reader.look(() => false);
    expect([first, tooSoon, second]).toEqual([[id(1)], [], [id(2)]]);
    expect(reader.taken).toBe(2);
    expect(inbox.calls).toEqual(['open', 'take', 'take']);
  });

  it('does not look into the inbox out of time', async () => {
    const inbox = new MemoryInbox();
    const reader = await InboxReader.open(inbox, SHARD, () => 0, 30_000);
    inbox.waiting.push(id(1));
    expect(await reader.look(() => true)).toEqual([]);
    expect(inbox.calls).toEqual(['open']);
  });

  it('at the end of the queue takes what still waits before it closes, then closes once', async () => {
    const inbox = new MemoryInbox();
    const reader = await InboxReader.open(inbox, SHARD, () => 0, 30_000);
    inbox.waiting.push(id(3));
    const waiting = await reader.drain(() => false);
    const done = await reader.drain(() => false);
    const after = await reader.drain(() => false);
    expect([waiting, done, after]).toEqual([[id(3)], [], []]);
    expect(inbox.calls).toEqual(['open', 'close', 'take', 'close']);
  });

  it('hands back what it could not read, for the next holder, once each', async () => {
    const inbox = new MemoryInbox();
    const reader = await InboxReader.open(inbox, SHARD, () => 0, 30_000);
    await reader.stop();

    await reader.handBack([id(5), id(6), id(5)]);
    await reader.handBack([]);

    expect(inbox.waiting).toEqual([id(5), id(6)]);
  });

  it('out of time closes the inbox whatever waits, leaving it to the next holder', async () => {
    const inbox = new MemoryInbox();
    const reader = await InboxReader.open(inbox, SHARD, () => 0, 30_000);
    inbox.waiting.push(id(4));
    const late = await reader.drain(() => true);
    expect(late).toEqual([]);
    expect(inbox.waiting).toEqual([id(4)]);
    expect(inbox.calls).toEqual(['open', 'forceClose']);
  });
});
