// Tests of runPollCycle over in-memory fakes of its three ports: transitions, batching, retries, crashes, rivals, deadline, strategy, long reads, backlogs.
import { describe, expect, it, vi } from 'vitest';
import { ServiceError } from '../../lambda/core/errors';
import {
  CURSOR_LIMIT,
  type EventPublisher,
  type ExecutionPage,
  type ExecutionSource,
  type NamedExecution,
  type PollerState,
  type PublishFailure,
  type RecordResult,
  type SnapshotStore,
  type StartedPageRequest,
  type StepPage,
  type StepPageRequest,
  type TrackedExecution,
  type UnreadableRecord,
} from '../../lambda/core/ports';
import { isSettled, type StepReadStrategy } from '../../lambda/core/read-plan';
import { isTerminal } from '../../lambda/core/status';
import type { ExecutionState, ExecutionView, OutboxEvent, StepView } from '../../lambda/core/types';
import { type CycleSummary, type PollCycleOptions, runPollCycle } from '../../lambda/cycle/poll-cycle';
import {
  detailOf,
  EPOCH,
  executionSnapshot,
  executionView,
  isoAt,
  stepSnapshot,
  stepView,
} from '../helpers/builders';

/** SSM's largest page of step executions. */
const PAGE_SIZE = 50;

/** SSM over a mutable list of executions and their steps (kept in start order), paging by 50. */
class FakeSource implements ExecutionSource {
  readonly executions = new Map<string, ExecutionView>();
  readonly steps = new Map<string, StepView[]>();
  readonly stepPageRequests: StepPageRequest[] = [];
  /** Every execution listing asked for, in order: `inFlight`, `startedAfter`, `children`, or the ids. */
  readonly listings: string[] = [];
  /** Runs on every step page read, e.g. to let time pass. */
  onStepPage: () => void = () => {};

  /** Adds or replaces an execution and some of its steps (new steps go last, as the newest). */
  put(execution: ExecutionView, ...steps: StepView[]): void {
    this.executions.set(execution.executionId, execution);
    const list = this.steps.get(execution.executionId) ?? [];
    for (const step of steps) {
      const index = list.findIndex((s) => s.stepExecutionId === step.stepExecutionId);
      if (index >= 0) list[index] = step;
      else list.push(step);
    }
    this.steps.set(execution.executionId, list);
  }

  async listInFlight(): Promise<ExecutionView[]> {
    this.listings.push('inFlight');
    return [...this.executions.values()].filter((e) => !isTerminal(e.status));
  }

  async listStartedPage(request: StartedPageRequest): Promise<ExecutionPage> {
    this.listings.push('startedAfter');
    const executions = [...this.executions.values()].filter(
      (e) =>
        e.startTime !== null &&
        e.startTime > request.after &&
        (request.before === null || e.startTime < request.before),
    );
    const offset = Number(request.nextToken ?? '0');
    const end = offset + PAGE_SIZE;
    return {
      executions: executions.slice(offset, end),
      nextToken: end < executions.length ? String(end) : null,
    };
  }

  async describeExecutions(executionIds: readonly string[]): Promise<ExecutionView[]> {
    this.listings.push(executionIds.join(','));
    return executionIds.flatMap((id) => {
      const execution = this.executions.get(id);
      return execution ? [execution] : [];
    });
  }

  async takeUnreadable(): Promise<UnreadableRecord[]> {
    return [];
  }

  async readStepPage(request: StepPageRequest): Promise<StepPage> {
    this.stepPageRequests.push(request);
    this.onStepPage();
    const { startedAfter, startedBefore, stepExecutionIds, stepNames, statuses } = request.query;
    const ordered = (this.steps.get(request.executionId) ?? []).filter(
      (s) =>
        (startedAfter === undefined || (s.startTime !== null && s.startTime > startedAfter)) &&
        (startedBefore === undefined || (s.startTime !== null && s.startTime < startedBefore)) &&
        (stepExecutionIds === undefined || stepExecutionIds.includes(s.stepExecutionId)) &&
        (stepNames === undefined || stepNames.includes(s.stepName)) &&
        (statuses === undefined || statuses.includes(s.status)),
    );
    const offset = Number(request.nextToken ?? '0');
    const end = offset + PAGE_SIZE;
    return { steps: ordered.slice(offset, end), nextToken: end < ordered.length ? String(end) : null };
  }

  /** Step pages read so far for one execution. */
  pagesOf(executionId: string): number {
    return this.stepPageRequests.filter((r) => r.executionId === executionId).length;
  }
}

interface OutboxRecord {
  readonly event: OutboxEvent;
  readonly shard: string;
  sentAt: string | null;
}

interface StoredExecution {
  readonly shard: string;
  /** When tracking began; null once the execution is final. */
  readonly trackedAt: string | null;
  readonly state: ExecutionState;
}

/** The table in memory, with the conditional semantics of the DynamoDB adapter. */
class FakeStore implements SnapshotStore {
  readonly executions = new Map<string, StoredExecution>();
  readonly outbox = new Map<string, OutboxRecord>();
  readonly pollers = new Map<string, PollerState>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  async knownExecutions(executionIds: readonly string[]): Promise<Set<string>> {
    return new Set(executionIds.filter((id) => this.executions.has(id)));
  }

  async loadPollerState(shard: string): Promise<PollerState> {
    return (
      this.pollers.get(shard) ?? {
        watermark: null,
        cursor: [],
        lastCompleteAt: null,
        reportedRecords: [],
        version: 0,
      }
    );
  }

  async savePollerState(
    shard: string,
    state: Parameters<SnapshotStore['savePollerState']>[1],
    expected: PollerState,
  ): Promise<boolean> {
    if ((this.pollers.get(shard)?.version ?? 0) !== expected.version) return false;
    this.pollers.set(shard, {
      watermark: state.watermark,
      cursor: [...state.cursor],
      backlogFrom: state.backlogFrom ?? null,
      backlogWindowSeconds: state.backlogWindowSeconds ?? null,
      lastCompleteAt: state.lastCompleteAt,
      leaseUntil: state.leaseUntil ?? null,
      reportedRecords: [...(state.reportedRecords ?? expected.reportedRecords)],
      version: expected.version + 1,
    });
    return true;
  }

  /** Marks of executions a parent named before they were recorded, by id. */
  readonly named = new Map<string, { shard: string; tracked: TrackedExecution }>();

  async watchNamed(shard: string, executions: readonly NamedExecution[]): Promise<void> {
    const trackedAt = new Date(this.#now()).toISOString();
    for (const execution of executions)
      this.named.set(execution.executionId, { shard, tracked: { ...execution, trackedAt } });
  }

  async untrack(executionId: string): Promise<void> {
    this.named.delete(executionId);
    const stored = this.executions.get(executionId);
    if (stored) this.executions.set(executionId, { ...stored, trackedAt: null });
  }

  async listTracked(shard: string): Promise<TrackedExecution[]> {
    const tracked: TrackedExecution[] = [...this.named.values()]
      .filter((m) => m.shard === shard)
      .map((m) => m.tracked);
    for (const stored of this.executions.values()) {
      if (stored.shard === shard && stored.trackedAt !== null) {
        const { executionId, parentExecutionId, startTime } = stored.state.execution;
        tracked.push({ executionId, trackedAt: stored.trackedAt, parentExecutionId, startTime });
      }
    }
    return tracked.sort((a, b) => a.trackedAt.localeCompare(b.trackedAt));
  }

  async loadExecution(executionId: string): Promise<ExecutionState | null> {
    const stored = this.executions.get(executionId);
    return stored ? { execution: { ...stored.state.execution }, steps: new Map(stored.state.steps) } : null;
  }

  async recordEvents(shard: string, events: readonly OutboxEvent[]): Promise<RecordResult> {
    const claimed: OutboxEvent[] = [];
    const alreadyRecorded: OutboxEvent[] = [];
    for (const event of events) {
      if (this.outbox.has(event.eventId)) {
        alreadyRecorded.push(event);
      } else {
        this.outbox.set(event.eventId, { event, shard, sentAt: null });
        claimed.push(event);
      }
    }
    return { claimed, alreadyRecorded };
  }

  async listPending(shard: string): Promise<OutboxEvent[]> {
    return [...this.outbox.values()]
      .filter((r) => r.shard === shard && r.sentAt === null)
      .map((r) => r.event);
  }

  async markSent(events: readonly OutboxEvent[], sentAt: string): Promise<void> {
    for (const event of events) {
      const record = this.outbox.get(event.eventId);
      if (!record) throw new ServiceError(`No transition ${event.eventId} to mark sent.`);
      record.sentAt ??= sentAt;
    }
  }

  async saveExecution(
    shard: string,
    next: ExecutionState,
    changedSteps: readonly string[],
    expectedVersion: number | null,
  ): Promise<boolean> {
    const executionId = next.execution.executionId;
    const stored = this.executions.get(executionId);
    const current = stored ? stored.state.execution.version : null;
    if (current !== expectedVersion) return false;
    // Only the changed steps are written (or deleted, when absent); the others keep what the table holds.
    const steps = new Map(stored?.state.steps ?? []);
    for (const id of changedSteps) {
      const step = next.steps.get(id);
      if (step) steps.set(id, step);
      else steps.delete(id);
    }
    const inFlight = !isSettled(next.execution);
    this.executions.set(executionId, {
      shard,
      trackedAt: inFlight ? (stored?.trackedAt ?? new Date(this.#now()).toISOString()) : null,
      state: { execution: { ...next.execution, version: (expectedVersion ?? 0) + 1 }, steps },
    });
    if (expectedVersion === null || !inFlight) this.named.delete(executionId);
    return true;
  }

  /** Events recorded and not yet marked sent, in recording order. */
  pending(): OutboxEvent[] {
    return [...this.outbox.values()].filter((r) => r.sentAt === null).map((r) => r.event);
  }
}

/** EventBridge in memory: records every call and delivery, and fails the entries a rule matches. */
class FakePublisher implements EventPublisher {
  readonly calls: OutboxEvent[][] = [];
  readonly delivered: OutboxEvent[] = [];
  #rules: { match: (event: OutboxEvent) => boolean; times: number }[] = [];

  /** Fails matching entries `times` times (forever by default). */
  fail(match: (event: OutboxEvent) => boolean, times = Number.POSITIVE_INFINITY): void {
    this.#rules.push({ match, times });
  }

  heal(): void {
    this.#rules = [];
  }

  async publishBatch(events: readonly OutboxEvent[]): Promise<readonly PublishFailure[]> {
    this.calls.push([...events]);
    const failures: PublishFailure[] = [];
    for (const event of events) {
      const rule = this.#rules.find((r) => r.times > 0 && r.match(event));
      if (rule) {
        rule.times--;
        failures.push({ eventId: event.eventId, errorCode: 'InternalFailure', errorMessage: 'injected' });
      } else {
        this.delivered.push(event);
      }
    }
    return failures;
  }
}

const OPTIONS: PollCycleOptions = {
  shard: '123456789012/eu-west-1',
  account: '123456789012',
  region: 'eu-west-1',
  eventSource: 'ssm-step-watch',
  maxEntryBytes: 262_144,
};

/** The three fakes on one virtual clock; each cycle runs a minute after the last. */
class Harness {
  time = EPOCH + 60_000;
  readonly source = new FakeSource();
  readonly store = new FakeStore(() => this.time);
  readonly publisher = new FakePublisher();
  /** What a cycle's waits do; nothing by default (virtual time stands still). */
  sleep: (ms: number) => Promise<void> = async () => {};

  async cycle(options: Partial<PollCycleOptions> = {}): Promise<CycleSummary> {
    try {
      return await runPollCycle(
        {
          source: this.source,
          store: this.store,
          publisher: this.publisher,
          now: () => this.time,
          sleep: (ms) => this.sleep(ms),
        },
        { ...OPTIONS, ...options },
      );
    } finally {
      this.time += 60_000;
    }
  }

  /** Labels of the events delivered so far, in order. */
  deliveredLabels(): string[] {
    return this.publisher.delivered.map(label);
  }
}

/** A short, readable form of an event. */
function label(event: OutboxEvent): string {
  const detail = detailOf(event);
  if (detail.alarm) return `${detail.executionId} alarm ${detail.alarm.name}`;
  if (detail.step) {
    return `${detail.executionId} ${detail.step.stepExecutionId} ${detail.step.previousStatus}->${detail.step.status}`;
  }
  return `${detail.executionId} ${detail.previousStatus}->${detail.executionStatus}`;
}

function isStep(stepExecutionId: string): (event: OutboxEvent) => boolean {
  return (event) => event.stepExecutionId === stepExecutionId;
}

/** `count` steps started one second apart, all Success but those listed in `open`. */
function stepsOf(count: number, open: readonly number[] = []): StepView[] {
  return Array.from({ length: count }, (_, i) =>
    stepView({
      stepExecutionId: `s-${i + 1}`,
      stepName: `step${i + 1}`,
      startTime: isoAt(i + 1),
      status: open.includes(i + 1) ? 'InProgress' : 'Success',
    }),
  );
}

describe('Function: runPollCycle', () => {
  it('emits every transition once over several cycles, then nothing', async () => {
    // Prepare
    const h = new Harness();
    const execution = executionView({ executionId: 'e-1' });
    h.source.put(execution, stepView({ stepExecutionId: 's-1', stepName: 'one', startTime: isoAt(1) }));

    // Act
    await h.cycle();
    h.source.put(
      execution,
      stepView({ stepExecutionId: 's-1', stepName: 'one', startTime: isoAt(1), status: 'Success' }),
      // Started and ended between two polls.
      stepView({ stepExecutionId: 's-2', stepName: 'two', startTime: isoAt(70), status: 'Success' }),
      stepView({ stepExecutionId: 's-3', stepName: 'three', startTime: isoAt(80) }),
    );
    await h.cycle();
    h.source.put(
      { ...execution, status: 'Success', endTime: isoAt(150) },
      stepView({ stepExecutionId: 's-3', stepName: 'three', startTime: isoAt(80), status: 'Success' }),
    );
    await h.cycle();
    // One more read once a step SSM might show late (60 s after the end) would have shown up.
    const sweep = await h.cycle();
    const pagesBefore = h.source.stepPageRequests.length;
    const quiet = await h.cycle();

    // Assess
    expect(h.deliveredLabels()).toEqual([
      'e-1 null->InProgress',
      'e-1 s-1 null->InProgress',
      'e-1 s-1 InProgress->Success',
      'e-1 s-2 null->Success',
      'e-1 s-3 null->InProgress',
      'e-1 s-3 InProgress->Success',
      'e-1 InProgress->Success',
    ]);
    expect(new Set(h.publisher.delivered.map((e) => e.eventId)).size).toBe(7);
    expect(h.store.pending()).toEqual([]);
    expect(sweep).toMatchObject({ transitions: 0, stepPages: 1 });
    expect(quiet).toMatchObject({ transitions: 0, eventsEmitted: 0, eventsResent: 0, complete: true });
    expect(h.source.stepPageRequests.length).toBe(pagesBefore);
  });

  it('emits the final transitions of a tracked execution that ended between polls', async () => {
    // Prepare: started long ago, so only the store's tracking finds it once it is no longer in flight.
    const h = new Harness();
    const execution = executionView({ executionId: 'e-old', startTime: isoAt(-86_400) });
    h.source.put(execution, stepView({ stepExecutionId: 's-1' }));
    await h.cycle();
    h.source.put(
      { ...execution, status: 'Failed', endTime: isoAt(90) },
      stepView({ stepExecutionId: 's-1', status: 'Failed' }),
    );

    // Act: the read after the end, then one once a step SSM might show late would have shown up.
    await h.cycle();
    const watched = (await h.store.listTracked(OPTIONS.shard)).map((t) => t.executionId);
    await h.cycle();

    // Assess
    expect(h.deliveredLabels().slice(2)).toEqual([
      'e-old s-1 InProgress->Failed',
      'e-old InProgress->Failed',
    ]);
    expect(watched).toEqual(['e-old']);
    expect(await h.store.listTracked(OPTIONS.shard)).toEqual([]);
  });

  it('sends more than ten events in batches of at most ten', async () => {
    // Prepare
    const h = new Harness();
    h.source.put(executionView({ executionId: 'e-1' }), ...stepsOf(25));

    // Act
    const summary = await h.cycle();

    // Assess
    expect(summary).toMatchObject({ transitions: 26, eventsEmitted: 26, eventsPending: 0 });
    expect(h.publisher.calls.length).toBeGreaterThanOrEqual(3);
    for (const call of h.publisher.calls) expect(call.length).toBeLessThanOrEqual(10);
    expect(new Set(h.publisher.delivered.map((e) => e.eventId)).size).toBe(26);
    expect(h.publisher.delivered).toHaveLength(26);
  });

  it('retries a failed entry within the cycle and delivers it once', async () => {
    // Prepare
    const h = new Harness();
    h.source.put(executionView({ executionId: 'e-1' }), ...stepsOf(3, [3]));
    h.publisher.fail(isStep('s-2'), 1);

    // Act
    const summary = await h.cycle();

    // Assess
    const attempts = h.publisher.calls.flat().filter(isStep('s-2'));
    expect(attempts).toHaveLength(2);
    expect(h.publisher.delivered.filter(isStep('s-2'))).toHaveLength(1);
    expect(h.publisher.delivered).toHaveLength(4);
    expect(summary).toMatchObject({ eventsEmitted: 4, eventsPending: 0 });
    expect(h.store.pending()).toEqual([]);
  });

  it('keeps a permanently failing entry pending and resends it, same id and detail, before newer events of its step', async () => {
    // Prepare
    const h = new Harness();
    const execution = executionView({ executionId: 'e-1' });
    h.source.put(execution, stepView({ stepExecutionId: 's-1' }));
    h.publisher.fail(isStep('s-1'));

    // Act: cycle 1 cannot send s-1's first event; cycle 2 cannot either, and holds back its newer one.
    const first = await h.cycle();
    const [stuck] = h.store.pending();
    h.source.put(
      execution,
      stepView({ stepExecutionId: 's-1', status: 'Success' }),
      stepView({ stepExecutionId: 's-2', startTime: isoAt(2) }),
    );
    const second = await h.cycle();
    const callsOfSecond = h.publisher.calls.length;
    h.publisher.heal();
    const third = await h.cycle();

    // Assess
    expect(first.eventsPending).toBe(1);
    expect(stuck && label(stuck)).toBe('e-1 s-1 null->InProgress');
    expect(second).toMatchObject({ eventsPending: 2, eventsEmitted: 1 });
    const newer = h.publisher.calls.slice(0, callsOfSecond).flat().filter(isStep('s-1'));
    expect(newer.map(label)).toEqual(Array(6).fill('e-1 s-1 null->InProgress'));
    expect(h.deliveredLabels()).toEqual([
      'e-1 null->InProgress',
      'e-1 s-2 null->InProgress',
      'e-1 s-1 null->InProgress',
      'e-1 s-1 InProgress->Success',
    ]);
    const resent = h.publisher.delivered[2];
    expect(resent?.eventId).toBe(stuck?.eventId);
    expect(resent?.detail).toBe(stuck?.detail);
    expect(resent?.detail).toBe(h.publisher.calls.flat().find(isStep('s-1'))?.detail);
    expect(third).toMatchObject({ eventsResent: 2, eventsPending: 0 });
    expect(h.store.pending()).toEqual([]);
  });

  it('resends with the same eventIds after a crash between sending and marking sent', async () => {
    // Prepare
    const h = new Harness();
    h.source.put(executionView({ executionId: 'e-1' }), ...stepsOf(3, [3]));
    vi.spyOn(h.store, 'markSent').mockRejectedValueOnce(new ServiceError('DynamoDB UpdateItem failed'));

    // Act
    await expect(h.cycle()).rejects.toThrow(ServiceError);
    const sentBeforeCrash = h.publisher.delivered.map((e) => e.eventId);
    const recorded = h.store.pending().map((e) => e.eventId);
    const after = await h.cycle();

    // Assess
    expect(sentBeforeCrash).toHaveLength(4);
    expect(recorded).toEqual(sentBeforeCrash);
    expect(after).toMatchObject({ eventsResent: 4, transitions: 0, eventsPending: 0 });
    expect(h.publisher.delivered.slice(4).map((e) => e.eventId)).toEqual(sentBeforeCrash);
    expect(h.store.pending()).toEqual([]);
  });

  it('sends each event once after a crash between recording and saving the snapshot', async () => {
    // Prepare
    const h = new Harness();
    h.source.put(executionView({ executionId: 'e-1' }), ...stepsOf(2, [2]));
    vi.spyOn(h.store, 'saveExecution').mockRejectedValueOnce(new ServiceError('DynamoDB PutItem failed'));

    // Act
    await expect(h.cycle()).rejects.toThrow(ServiceError);
    const after = await h.cycle();

    // Assess
    expect(h.publisher.delivered).toHaveLength(3);
    expect(new Set(h.publisher.delivered.map((e) => e.eventId)).size).toBe(3);
    // The snapshot catches up with the recorded transitions, so nothing is found (or sent) anew.
    expect(after).toMatchObject({ eventsResent: 3, transitions: 0, eventsEmitted: 0 });
    expect(h.store.pending()).toEqual([]);
  });

  it('sends nothing twice when a rival recorded the same transitions and saved its snapshot first', async () => {
    // Prepare: the rival polls first; we then read the state as it was before the rival wrote.
    const h = new Harness();
    h.source.put(executionView({ executionId: 'e-1' }), ...stepsOf(2, [2]));
    await h.cycle();
    const callsOfRival = h.publisher.calls.length;
    vi.spyOn(h.store, 'loadExecution').mockResolvedValueOnce(null);
    vi.spyOn(h.store, 'listPending').mockResolvedValueOnce([]);
    const record = vi.spyOn(h.store, 'recordEvents');
    const save = vi.spyOn(h.store, 'saveExecution');
    h.time -= 60_000;

    // Act
    const summary = await h.cycle();

    // Assess
    expect(summary).toMatchObject({ transitions: 3, eventsEmitted: 0 });
    const recorded = await record.mock.results[0]?.value;
    expect(recorded?.claimed).toEqual([]);
    expect(recorded?.alreadyRecorded).toHaveLength(3);
    expect(save).toHaveBeenCalledTimes(1);
    expect(await save.mock.results[0]?.value).toBe(false);
    expect(h.publisher.calls).toHaveLength(callsOfRival);
    expect(h.publisher.delivered).toHaveLength(3);
    expect(h.store.executions.get('e-1')?.state.execution.version).toBe(1);
  });

  it('defers executions past the deadline into the cursor and serves them first next cycle', async () => {
    // Prepare: each step page takes a second.
    const h = new Harness();
    for (let i = 1; i <= 5; i++) {
      h.source.put(
        executionView({ executionId: `e-${i}`, startTime: isoAt(i) }),
        stepView({ stepExecutionId: `s-${i}`, startTime: isoAt(i + 1) }),
      );
    }
    h.source.onStepPage = () => {
      h.time += 1000;
    };

    // Act
    const first = await h.cycle({ deadline: h.time + 2500 });
    const cursor = (await h.store.loadPollerState(OPTIONS.shard)).cursor;
    const readBefore = h.source.stepPageRequests.length;
    const second = await h.cycle({ deadline: h.time + 1500 });

    // Assess
    expect(first).toMatchObject({
      executionsSeen: 5,
      executionsPolled: 3,
      executionsDeferred: 2,
      complete: false,
    });
    expect(cursor).toEqual(['e-4', 'e-5']);
    expect(h.source.stepPageRequests.slice(0, readBefore).map((r) => r.executionId)).toEqual([
      'e-1',
      'e-2',
      'e-3',
    ]);
    expect(h.source.stepPageRequests.slice(readBefore).map((r) => r.executionId)).toEqual(['e-4', 'e-5']);
    expect(second).toMatchObject({ executionsPolled: 2, executionsDeferred: 3, complete: false });
    expect((await h.store.loadPollerState(OPTIONS.shard)).cursor).toEqual(['e-1', 'e-2', 'e-3']);
    expect(h.deliveredLabels().filter((l) => l.includes('s-'))).toEqual([
      'e-1 s-1 null->InProgress',
      'e-2 s-2 null->InProgress',
      'e-3 s-3 null->InProgress',
      'e-4 s-4 null->InProgress',
      'e-5 s-5 null->InProgress',
    ]);
  });

  it.each<[StepReadStrategy, number]>([
    ['window', 1],
    ['full', 3],
  ])(
    'reads a 120-step execution with a current snapshot with the %s strategy in %i page(s)',
    async (strategy, pages) => {
      // Prepare
      const h = new Harness();
      const execution = executionView({ executionId: 'e-1' });
      h.source.put(execution, ...stepsOf(120, [120]));
      await h.cycle({ strategy });
      h.source.put(
        execution,
        stepView({ stepExecutionId: 's-120', stepName: 'step120', startTime: isoAt(120), status: 'Success' }),
        stepView({ stepExecutionId: 's-121', stepName: 'step121', startTime: isoAt(121) }),
      );
      const delivered = h.publisher.delivered.length;

      // Act: steps start a second apart here, so a 10 s visibility lag keeps the window to one page.
      const summary = await h.cycle({ strategy, stepVisibilityLagSeconds: 10 });

      // Assess
      expect(h.source.pagesOf('e-1')).toBe(3 + pages);
      expect(summary.stepPages).toBe(pages);
      expect(h.deliveredLabels().slice(delivered)).toEqual([
        'e-1 s-120 InProgress->Success',
        'e-1 s-121 null->InProgress',
      ]);
    },
  );

  it('writes nothing for an execution that did not change', async () => {
    const h = new Harness();
    h.source.put(executionView({ executionId: 'e-1' }), ...stepsOf(2, [2]));
    await h.cycle();
    const save = vi.spyOn(h.store, 'saveExecution');
    const summary = await h.cycle();
    expect(summary.transitions).toBe(0);
    expect(save).not.toHaveBeenCalled();
  });

  it('never puts two events of one step in one batch', async () => {
    const h = new Harness();
    h.source.put(
      executionView({ executionId: 'e-1' }),
      stepView({ stepExecutionId: 's-1', triggeredAlarms: [{ name: 'HighCPU', state: 'ALARM' }] }),
    );
    await h.cycle();
    expect(h.publisher.calls.map((call) => call.map(label))).toEqual([
      ['e-1 null->InProgress', 'e-1 s-1 null->InProgress'],
      ['e-1 alarm HighCPU'],
    ]);
  });

  it('holds back a step alarm while the step status event before it is stuck', async () => {
    const h = new Harness();
    const execution = executionView({ executionId: 'e-1' });
    h.source.put(execution, stepView({ stepExecutionId: 's-1' }));
    h.publisher.fail((e) => e.stepExecutionId === 's-1' && e.detailType === 'Automation Step Status Change');
    await h.cycle();
    h.source.put(
      execution,
      stepView({ stepExecutionId: 's-1', triggeredAlarms: [{ name: 'HighCPU', state: 'ALARM' }] }),
    );
    await h.cycle();
    expect(h.deliveredLabels()).toEqual(['e-1 null->InProgress']);
  });
});

/** A 36-character execution id, as SSM makes them (children are only followed under valid ids). */
function executionIdOf(n: number): string {
  return `eeeeeeee-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

describe('Function: runPollCycle, targeted (executionIds)', () => {
  it('reads only the named executions, by id, and lists nothing', async () => {
    // Prepare
    const h = new Harness();
    for (let i = 1; i <= 3; i++) {
      h.source.put(executionView({ executionId: `e-${i}` }), stepView({ stepExecutionId: `s-${i}` }));
    }

    // Act
    const summary = await h.cycle({ executionIds: ['e-2', 'e-3', 'e-2'] });

    // Assess
    expect(h.source.listings).toEqual(['e-2,e-3']);
    expect(h.source.stepPageRequests.map((r) => r.executionId)).toEqual(['e-2', 'e-3']);
    expect(h.deliveredLabels()).toEqual([
      'e-2 null->InProgress',
      'e-2 s-2 null->InProgress',
      'e-3 null->InProgress',
      'e-3 s-3 null->InProgress',
    ]);
    expect(summary).toMatchObject({ executionsPolled: 2, complete: true, leaseHeldElsewhere: false });
  });

  it('sends what the next scheduled cycle then finds unchanged', async () => {
    // Prepare
    const h = new Harness();
    const execution = executionView({ executionId: 'e-1' });
    h.source.put(execution, stepView({ stepExecutionId: 's-1' }));
    await h.cycle();
    h.source.put(
      execution,
      stepView({ stepExecutionId: 's-1', status: 'Success' }),
      stepView({ stepExecutionId: 's-2', startTime: isoAt(70) }),
    );

    // Act
    const hinted = await h.cycle({ executionIds: ['e-1'] });
    const scheduled = await h.cycle();

    // Assess
    expect(hinted).toMatchObject({ transitions: 2, eventsEmitted: 2 });
    expect(scheduled).toMatchObject({ transitions: 0, eventsEmitted: 0, eventsResent: 0 });
    expect(h.deliveredLabels()).toEqual([
      'e-1 null->InProgress',
      'e-1 s-1 null->InProgress',
      'e-1 s-1 InProgress->Success',
      'e-1 s-2 null->InProgress',
    ]);
  });

  it('leaves the watermark, the cursor and lastCompleteAt where the scheduled cycle put them', async () => {
    // Prepare: a scheduled cycle that runs out of time leaves e-2 in the cursor.
    const h = new Harness();
    for (let i = 1; i <= 2; i++) {
      h.source.put(
        executionView({ executionId: `e-${i}`, startTime: isoAt(i) }),
        stepView({ stepExecutionId: `s-${i}` }),
      );
    }
    await h.cycle();
    h.source.put(
      executionView({ executionId: 'e-3', startTime: isoAt(100) }),
      stepView({ stepExecutionId: 's-3' }),
    );
    await h.cycle({ maxExecutions: 0 });
    const before = await h.store.loadPollerState(OPTIONS.shard);

    // Act
    const summary = await h.cycle({ executionIds: ['e-3'], leaseUntil: h.time + 30_000 });

    // Assess
    const after = await h.store.loadPollerState(OPTIONS.shard);
    expect(before.cursor).toEqual(['e-1', 'e-2', 'e-3']);
    expect(after).toMatchObject({
      watermark: before.watermark,
      cursor: before.cursor,
      lastCompleteAt: before.lastCompleteAt,
      leaseUntil: null,
    });
    expect(summary).toMatchObject({ executionsPolled: 1, complete: true });
  });

  it('does not write the poller state without a lease and with nothing to report', async () => {
    // Prepare
    const h = new Harness();
    h.source.put(executionView({ executionId: 'e-1' }), stepView({ stepExecutionId: 's-1' }));
    await h.cycle();
    const save = vi.spyOn(h.store, 'savePollerState');

    // Act
    await h.cycle({ executionIds: ['e-1'] });

    // Assess
    expect(save).not.toHaveBeenCalled();
  });

  it('resends the pending events of the shard before the hinted execution’s', async () => {
    // Prepare: e-1's step event cannot be sent by the scheduled cycle.
    const h = new Harness();
    h.source.put(executionView({ executionId: 'e-1' }), stepView({ stepExecutionId: 's-1' }));
    h.publisher.fail(isStep('s-1'));
    await h.cycle();
    h.publisher.heal();
    h.source.put(executionView({ executionId: 'e-2' }), stepView({ stepExecutionId: 's-2' }));

    // Act
    const summary = await h.cycle({ executionIds: ['e-2'] });

    // Assess
    expect(summary).toMatchObject({ eventsResent: 1, eventsEmitted: 2, eventsPending: 0 });
    expect(h.deliveredLabels()).toEqual([
      'e-1 null->InProgress',
      'e-1 s-1 null->InProgress',
      'e-2 null->InProgress',
      'e-2 s-2 null->InProgress',
    ]);
    expect(h.store.pending()).toEqual([]);
  });

  it('takes the lease and releases it', async () => {
    // Prepare
    const h = new Harness();
    h.source.put(executionView({ executionId: 'e-1' }), stepView({ stepExecutionId: 's-1' }));
    const save = vi.spyOn(h.store, 'savePollerState');
    const leaseUntil = h.time + 30_000;

    // Act
    await h.cycle({ executionIds: ['e-1'], leaseUntil });

    // Assess
    expect(save.mock.calls.map(([, state]) => state.leaseUntil ?? null)).toEqual([
      new Date(leaseUntil).toISOString(),
      null,
    ]);
    expect((await h.store.loadPollerState(OPTIONS.shard)).leaseUntil).toBeNull();
  });

  it('stands down without reading SSM while another poller holds the lease', async () => {
    // Prepare: the scheduled cycle's lease runs for another 40 s.
    const h = new Harness();
    h.source.put(executionView({ executionId: 'e-1' }), stepView({ stepExecutionId: 's-1' }));
    const state = await h.store.loadPollerState(OPTIONS.shard);
    await h.store.savePollerState(
      OPTIONS.shard,
      { ...state, leaseUntil: new Date(h.time + 40_000).toISOString() },
      state,
    );

    // Act
    const summary = await h.cycle({ executionIds: ['e-1'], leaseUntil: h.time + 30_000 });

    // Assess
    expect(summary).toMatchObject({ leaseHeldElsewhere: true, executionsPolled: 0, eventsEmitted: 0 });
    expect(h.source.listings).toEqual([]);
    expect(h.publisher.delivered).toEqual([]);
  });

  it('waits for a lease that ends within leaseWaitUntil, then reads', async () => {
    // Prepare: the other poller's lease ends 3 s from now; every wait lets time pass.
    const h = new Harness();
    h.source.put(executionView({ executionId: 'e-1' }), stepView({ stepExecutionId: 's-1' }));
    const state = await h.store.loadPollerState(OPTIONS.shard);
    const start = h.time;
    await h.store.savePollerState(
      OPTIONS.shard,
      { ...state, leaseUntil: new Date(start + 3000).toISOString() },
      state,
    );
    const waits: number[] = [];
    h.sleep = async (ms) => {
      waits.push(ms);
      h.time += ms;
    };

    // Act
    const summary = await h.cycle({
      executionIds: ['e-1'],
      leaseUntil: start + 30_000,
      leaseWaitUntil: start + 10_000,
    });

    // Assess
    expect(waits).toEqual([1000, 1000, 1000]);
    expect(summary).toMatchObject({ leaseHeldElsewhere: false, executionsPolled: 1, eventsEmitted: 2 });
  });

  it('stands down once leaseWaitUntil passes with the lease still held', async () => {
    // Prepare
    const h = new Harness();
    h.source.put(executionView({ executionId: 'e-1' }), stepView({ stepExecutionId: 's-1' }));
    const state = await h.store.loadPollerState(OPTIONS.shard);
    const start = h.time;
    await h.store.savePollerState(
      OPTIONS.shard,
      { ...state, leaseUntil: new Date(start + 50_000).toISOString() },
      state,
    );
    let waited = 0;
    h.sleep = async (ms) => {
      waited += ms;
      h.time += ms;
    };

    // Act
    const summary = await h.cycle({
      executionIds: ['e-1'],
      leaseUntil: start + 30_000,
      leaseWaitUntil: start + 5000,
    });

    // Assess
    expect(waited).toBe(5000);
    expect(summary).toMatchObject({ leaseHeldElsewhere: true, executionsPolled: 0 });
    expect(h.source.listings).toEqual([]);
  });

  it('gives the scheduled cycle its turn from shortly before it is due', async () => {
    // Prepare: the scheduled cycle ran at `start` every minute; 56 s later the next one is 4 s away.
    const h = new Harness();
    h.source.put(executionView({ executionId: 'e-1' }), stepView({ stepExecutionId: 's-1' }));
    const start = h.time;
    await h.cycle();
    h.time = start + 56_000;
    const listings = h.source.listings.length;

    // Act
    const hinted = await h.cycle({
      executionIds: ['e-1'],
      schedulePeriodSeconds: 60,
      leaseUntil: h.time + 30_000,
    });

    // Assess
    expect(hinted).toMatchObject({ leaseHeldElsewhere: true, executionsPolled: 0 });
    expect(h.source.listings.length).toBe(listings);
    expect((await h.store.loadPollerState(OPTIONS.shard)).leaseUntil).toBeNull();
  });

  it('stops reading when the scheduled cycle falls due, and leaves the rest to it', async () => {
    // Prepare: the schedule ran at `start`; the hinted cycle begins 50 s later and each page takes 2 s.
    const h = new Harness();
    for (let i = 1; i <= 5; i++)
      h.source.put(executionView({ executionId: `e-${i}` }), stepView({ stepExecutionId: `s-${i}` }));
    const start = h.time;
    await h.cycle({ maxExecutions: 0 });
    h.time = start + 50_000;
    h.source.onStepPage = () => {
      h.time += 2000;
    };

    // Act
    const hinted = await h.cycle({
      executionIds: ['e-1', 'e-2', 'e-3', 'e-4', 'e-5'],
      schedulePeriodSeconds: 60,
    });

    // Assess: pages at 50, 52, 54 s; at 56 s the scheduled cycle is 4 s away.
    expect(hinted).toMatchObject({ executionsPolled: 3, executionsDeferred: 2, complete: false });
    expect(h.source.stepPageRequests.map((r) => r.executionId)).toEqual(['e-1', 'e-2', 'e-3']);
  });

  it('goes on without the schedule once it missed two periods', async () => {
    // Prepare
    const h = new Harness();
    h.source.put(executionView({ executionId: 'e-1' }), stepView({ stepExecutionId: 's-1' }));
    const start = h.time;
    await h.cycle({ maxExecutions: 0 });
    h.time = start + 180_000;

    // Act
    const hinted = await h.cycle({ executionIds: ['e-1'], schedulePeriodSeconds: 60 });

    // Assess
    expect(hinted).toMatchObject({ leaseHeldElsewhere: false, executionsPolled: 1 });
  });

  it('follows the children the hinted parent names and its tracked children', async () => {
    // Prepare: the parent's first child is tracked; a second child starts, named by a new step.
    const h = new Harness();
    const parent = executionView({ executionId: executionIdOf(1) });
    const first = executionView({ executionId: executionIdOf(2), parentExecutionId: executionIdOf(1) });
    h.source.put(parent, stepView({ stepExecutionId: 's-1', outputs: { ExecutionId: [executionIdOf(2)] } }));
    h.source.put(first, stepView({ stepExecutionId: 's-2' }));
    await h.cycle();
    const second = executionView({
      executionId: executionIdOf(3),
      parentExecutionId: executionIdOf(1),
      startTime: isoAt(90),
    });
    h.source.put(
      parent,
      stepView({
        stepExecutionId: 's-3',
        startTime: isoAt(90),
        outputs: { ExecutionId: [executionIdOf(3)] },
      }),
    );
    h.source.put(second, stepView({ stepExecutionId: 's-4', startTime: isoAt(91) }));
    h.source.put(first, stepView({ stepExecutionId: 's-2', status: 'Success' }));
    h.source.listings.length = 0;

    // Act
    const summary = await h.cycle({ executionIds: [executionIdOf(1)] });

    // Assess
    expect(h.source.listings).toEqual([executionIdOf(1), `${executionIdOf(2)},${executionIdOf(3)}`]);
    expect(summary).toMatchObject({ executionsSeen: 3, executionsPolled: 3 });
    expect(h.deliveredLabels().slice(4)).toEqual([
      `${executionIdOf(1)} s-3 null->InProgress`,
      `${executionIdOf(2)} s-2 InProgress->Success`,
      `${executionIdOf(3)} null->InProgress`,
      `${executionIdOf(3)} s-4 null->InProgress`,
    ]);
  });

  it('keeps tracking a hinted execution SSM does not show; the scheduled cycle decides', async () => {
    // Prepare
    const h = new Harness();
    h.source.put(
      executionView({ executionId: 'e-1', startTime: isoAt(-86_400) }),
      stepView({ stepExecutionId: 's-1' }),
    );
    await h.cycle();
    h.source.executions.delete('e-1');

    // Act
    const hinted = await h.cycle({ executionIds: ['e-1'] });
    const trackedAfterHint = (await h.store.listTracked(OPTIONS.shard)).map((t) => t.executionId);
    await h.cycle();

    // Assess
    expect(hinted).toMatchObject({ executionsSeen: 0, executionsPolled: 0 });
    expect(trackedAfterHint).toEqual(['e-1']);
    expect(await h.store.listTracked(OPTIONS.shard)).toEqual([]);
  });
});

/** `count` finished steps of `executionId`, 20 ms apart from its start at 0 s (50 a second: one page each). */
function finishedSteps(executionId: string, count: number): StepView[] {
  return Array.from({ length: count }, (_, i) =>
    stepView({
      stepExecutionId: `${executionId}-s-${i + 1}`,
      stepName: `step${i + 1}`,
      startTime: isoAt((i + 1) * 0.02),
      status: 'Success',
    }),
  );
}

describe('Function: runPollCycle, long reads and backlogs', () => {
  it('serves every small execution in the first cycle and moves a 2,000-step listing on every cycle to its end', async () => {
    // Prepare: one ended execution of 2,000 steps (40 pages), started first, and five small ones; each
    // page takes a second and a cycle has 15.
    const h = new Harness();
    h.source.put(
      executionView({ executionId: 'big', status: 'Success', startTime: isoAt(0), endTime: isoAt(41) }),
      ...finishedSteps('big', 2000),
    );
    for (let i = 1; i <= 5; i++) {
      h.source.put(
        executionView({
          executionId: `small-${i}`,
          status: 'Success',
          startTime: isoAt(i),
          endTime: isoAt(i + 5),
        }),
        ...finishedSteps(`small-${i}`, 2),
      );
    }
    h.source.onStepPage = () => {
      h.time += 1000;
    };

    // Act: cycles until the big execution's read is over, at most ten.
    const afters: (string | null)[] = [];
    const firstCycle: string[] = [];
    for (let cycle = 0; cycle < 10; cycle++) {
      const read = h.source.stepPageRequests.length;
      await h.cycle({ deadline: h.time + 15_000 });
      if (cycle === 0) firstCycle.push(...h.source.stepPageRequests.slice(read).map((r) => r.executionId));
      const big = h.store.executions.get('big')?.state.execution;
      afters.push(big?.listing?.after ?? null);
      if (!big?.listing) break;
    }

    // Assess: three pages of the big one, one of each small one, then the big one's rest of the budget.
    expect(firstCycle).toEqual([
      ...Array(3).fill('big'),
      'small-1',
      'small-2',
      'small-3',
      'small-4',
      'small-5',
      ...Array(7).fill('big'),
    ]);
    for (let i = 1; i <= 5; i++) {
      expect(h.deliveredLabels().filter((l) => l.startsWith(`small-${i} `))).toEqual([
        `small-${i} small-${i}-s-1 null->Success`,
        `small-${i} small-${i}-s-2 null->Success`,
        `small-${i} null->Success`,
      ]);
    }
    // Its listing goes on from the newest start the first cycle read (SSM lists by start time), then by
    // start-time windows, further each cycle but the second (its first window was cut and halved).
    expect(afters).toEqual([
      isoAt(10),
      isoAt(10),
      isoAt(14.99),
      isoAt(19.98),
      isoAt(24.97),
      isoAt(29.96),
      isoAt(44.93),
      null,
    ]);
    expect(h.deliveredLabels().filter((l) => l.startsWith('big '))).toEqual([
      ...Array.from({ length: 2000 }, (_, i) => `big big-s-${i + 1} null->Success`),
      'big null->Success',
    ]);
    expect(h.store.executions.get('big')?.state.execution).toMatchObject({
      status: 'Success',
      listing: null,
    });
    expect(h.store.pending()).toEqual([]);
  });

  it('saves a window cut short as half as wide, from the same start, so the next cycle can read it through', async () => {
    // Prepare: a listing that went on from 0 s with a 40 s window; 2,000 steps 20 ms apart fill it,
    // 40 pages; each page takes a second and a cycle has 5.
    const h = new Harness();
    h.source.put(
      executionView({ executionId: 'big', status: 'Success', startTime: isoAt(0), endTime: isoAt(41) }),
      ...finishedSteps('big', 2000),
    );
    h.store.executions.set('big', {
      shard: OPTIONS.shard,
      trackedAt: isoAt(50),
      state: {
        execution: executionSnapshot({
          executionId: 'big',
          status: 'InProgress',
          startTime: isoAt(0),
          stepsReadAt: null,
          listing: { since: isoAt(50), after: isoAt(0), widthSeconds: 40 },
        }),
        // Every step already known as it is: a window read again changes nothing but the position.
        steps: new Map(
          finishedSteps('big', 2000).map((step) => [
            step.stepExecutionId,
            stepSnapshot({
              stepExecutionId: step.stepExecutionId,
              stepName: step.stepName,
              status: 'Success',
              startTime: step.startTime,
              transitions: 1,
            }),
          ]),
        ),
      },
    });
    h.source.onStepPage = () => {
      h.time += 1000;
    };

    // Act
    const widths: number[] = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      await h.cycle({ deadline: h.time + 5_000 });
      widths.push(h.store.executions.get('big')?.state.execution.listing?.widthSeconds ?? 0);
    }

    // Assess: cut each cycle, the window halves from the same start until one fits.
    expect(widths).toEqual([20, 10, 5]);
  });

  it('serves the executions in flight before the newcomers only a backlog’s listing found', async () => {
    // Prepare: two runs in flight (one started long ago), two that started and ended since the lookback.
    const h = new Harness();
    h.source.put(
      executionView({ executionId: 'run-old', startTime: isoAt(-86_400) }),
      stepView({ stepExecutionId: 's-old' }),
    );
    h.source.put(
      executionView({ executionId: 'run-new', startTime: isoAt(30) }),
      stepView({ stepExecutionId: 's-new' }),
    );
    for (const start of [10, 20]) {
      h.source.put(
        executionView({
          executionId: `done-${start}`,
          status: 'Success',
          startTime: isoAt(start),
          endTime: isoAt(25),
        }),
        stepView({ stepExecutionId: `s-${start}`, status: 'Success' }),
      );
    }

    // Act
    await h.cycle();

    // Assess
    expect(h.source.stepPageRequests.map((r) => r.executionId)).toEqual([
      'run-old',
      'run-new',
      'done-10',
      'done-20',
    ]);
  });

  it('lists a backlog’s newcomers again with their window when time runs out before them, not in the cursor', async () => {
    // Prepare: each page takes a second; the first cycle has time for the two runs in flight only.
    const h = new Harness();
    const start = h.time;
    h.source.put(
      executionView({ executionId: 'run-old', startTime: isoAt(-86_400) }),
      stepView({ stepExecutionId: 's-old' }),
    );
    h.source.put(
      executionView({ executionId: 'run-new', startTime: isoAt(30) }),
      stepView({ stepExecutionId: 's-new' }),
    );
    for (const at of [10, 20]) {
      h.source.put(
        executionView({
          executionId: `done-${at}`,
          status: 'Success',
          startTime: isoAt(at),
          endTime: isoAt(25),
        }),
        stepView({ stepExecutionId: `s-${at}`, status: 'Success' }),
      );
    }
    h.source.onStepPage = () => {
      h.time += 1000;
    };

    // Act
    const first = await h.cycle({ deadline: h.time + 2000 });
    const between = await h.store.loadPollerState(OPTIONS.shard);
    const read = h.source.stepPageRequests.length;
    const second = await h.cycle();

    // Assess: the 900 s lookback from the first cycle's start, half as wide next time.
    expect(first).toMatchObject({ executionsPolled: 2, executionsDeferred: 2, complete: false });
    expect(between).toMatchObject({
      cursor: [],
      backlogFrom: new Date(start - 900_000).toISOString(),
      backlogWindowSeconds: 450,
    });
    expect(h.source.stepPageRequests.slice(read).map((r) => r.executionId)).toEqual([
      'run-old',
      'run-new',
      'done-10',
      'done-20',
    ]);
    expect(second).toMatchObject({ complete: true, executionsDeferred: 0 });
    expect(await h.store.loadPollerState(OPTIONS.shard)).toMatchObject({
      cursor: [],
      backlogFrom: null,
      backlogWindowSeconds: null,
    });
    expect(h.deliveredLabels().filter((l) => l.startsWith('done-'))).toEqual([
      'done-10 s-10 null->Success',
      'done-10 null->Success',
      'done-20 s-20 null->Success',
      'done-20 null->Success',
    ]);
  });

  it('gives a parent and its children one turn among the other runs, so a big run holds none of them up', async () => {
    // Prepare: a rate-control parent with 30 children in flight, started first, and three other runs.
    const h = new Harness();
    h.source.put(
      executionView({ executionId: 'rc', startTime: isoAt(0) }),
      stepView({ stepExecutionId: 'rc-s' }),
    );
    for (let i = 1; i <= 30; i++) {
      const id = `rc-${String(i).padStart(2, '0')}`;
      h.source.put(
        executionView({ executionId: id, parentExecutionId: 'rc', startTime: isoAt(i) }),
        stepView({ stepExecutionId: `${id}-s` }),
      );
    }
    for (let i = 1; i <= 3; i++) {
      h.source.put(
        executionView({ executionId: `solo-${i}`, startTime: isoAt(40 + i) }),
        stepView({ stepExecutionId: `solo-${i}-s` }),
      );
    }

    // Act: time for six executions only.
    await h.cycle({ maxExecutions: 6 });

    // Assess: a round is the parent and each other run; then the parent's run goes on.
    expect(h.source.stepPageRequests.map((r) => r.executionId)).toEqual([
      'rc',
      'solo-1',
      'solo-2',
      'solo-3',
      'rc-01',
      'rc-02',
    ]);
  });

  it('asks SSM for the executions waiting in the cursor only as it reaches them, ten a call', async () => {
    // Prepare: 40 executions in flight that the first cycle has no time for; they end before the next.
    const h = new Harness();
    const ids = Array.from({ length: 40 }, (_, i) => `e-${String(i + 1).padStart(2, '0')}`);
    for (const [i, id] of ids.entries()) {
      h.source.put(
        executionView({ executionId: id, startTime: isoAt(-3600 + i) }),
        stepView({ stepExecutionId: `${id}-s` }),
      );
    }
    await h.cycle({ maxExecutions: 0 });
    for (const [i, id] of ids.entries()) {
      h.source.put(
        executionView({ executionId: id, status: 'Success', startTime: isoAt(-3600 + i), endTime: isoAt(0) }),
        stepView({ stepExecutionId: `${id}-s`, status: 'Success' }),
      );
    }
    const listingsBefore = h.source.listings.length;

    // Act: time for five executions.
    await h.cycle({ maxExecutions: 5 });

    // Assess: one call for the first ten ids, not four for all forty; the rest keep their place.
    const byId = h.source.listings.slice(listingsBefore).filter((l) => l.startsWith('e-'));
    expect(byId).toEqual([ids.slice(0, 10).join(',')]);
    expect(h.source.stepPageRequests.slice(-5).map((r) => r.executionId)).toEqual(ids.slice(0, 5));
    expect((await h.store.loadPollerState(OPTIONS.shard)).cursor).toEqual(ids.slice(5));
  });

  it('keeps at most CURSOR_LIMIT execution ids in the cursor', async () => {
    // Prepare: more executions in flight than the cursor keeps; none is served.
    const h = new Harness();
    const ids = Array.from({ length: CURSOR_LIMIT + 5 }, (_, i) => `e-${String(i + 1).padStart(4, '0')}`);
    for (const id of ids)
      h.source.put(executionView({ executionId: id }), stepView({ stepExecutionId: `${id}-s` }));

    // Act
    await h.cycle({ maxExecutions: 0 });
    const first = (await h.store.loadPollerState(OPTIONS.shard)).cursor;
    await h.cycle({ maxExecutions: 0 });
    const second = (await h.store.loadPollerState(OPTIONS.shard)).cursor;

    // Assess
    expect(first).toEqual(ids.slice(0, CURSOR_LIMIT));
    expect(second).toEqual(ids.slice(0, CURSOR_LIMIT));
  });
});
