// Latency from an SSM change to its event on the bus: hints (SSM's own events) vs the one-minute schedule, on a virtual clock.
//
// Three runs of one fleet over the real local stack: every hint delivered, 10% of hints lost, no
// hints. The real scheduled and hint handlers run concurrently on a virtual clock (bench/virtual-clock.ts);
// the Lambda, SQS and network parts around them are modelled (see HINT_PATH and CALL_LATENCY_MS, and
// docs/scaling.md "Latency"); nothing sleeps.
import { pathToFileURL } from 'node:url';
import { DEFAULT_SSM_DESCRIBE_TPS } from '../lambda/core/defaults';
import { DETAIL_TYPES } from '../lambda/core/types';
import { createHintHandler } from '../lambda/handlers/hints';
import { createHandler } from '../lambda/handlers/poll';
import type { RecordedEvent } from '../sandbox/event-recorder';
import { type HintBatch, HintQueue, lambdaContext } from '../sandbox/hint-queue';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalStack, startLocalStack } from '../sandbox/local-stack';
import type { NativeEventOptions } from '../sandbox/native-events';
import { rateControlRun, rateControlTargets } from '../sandbox/rate-control';
import { type Scenario, type ScenarioExecution, type ScenarioStep, scenarioEnd } from '../sandbox/scenario';
import type { GroundTruthEntry } from '../sandbox/ssm-simulator';
import { BenchError } from './errors';
import { benchId, seededRandom } from './fleets';
import { VirtualClock } from './virtual-clock';

/** Epoch ms of the fleet's `at: 0`. */
const LATENCY_T0 = Date.parse('2026-11-25T06:00:00.000Z');
/** The default schedule: one scheduled cycle a minute. */
export const SCHEDULE_PERIOD_SECONDS = 60;
/** Seconds after `at: 0` of the first scheduled cycle: the schedule does not know when runs start. */
const FIRST_SCHEDULE_SECONDS = 17;
/** Seconds the run goes on after the fleet's last change, so the schedule settles everything. */
const SETTLE_SECONDS = 3 * SCHEDULE_PERIOD_SECONDS;
/** The bench's clock tick: native events are taken and batches formed once a virtual second. */
const TICK_MS = 1000;
/** The bus the benchmark's pollers send to (the recorder takes any). */
const LATENCY_BUS = 'latency-bus';

/**
 * Virtual time one SDK call takes, from sending to the answer, per service: typical in-region
 * latencies (SSM's Describe calls are the slow ones). The token bucket's waits come on top.
 */
export const CALL_LATENCY_MS: Readonly<Record<'ssm' | 'dynamodb' | 'eventBridge', number>> = {
  ssm: 120,
  dynamodb: 10,
  eventBridge: 40,
};

/**
 * The modelled parts of the hint path and of the scheduled invocation, in ms (docs/scaling.md,
 * "Latency"). SSM → default bus → rule → queue is the native events' own delay (the simulator's
 * `delaySeconds`, 0–5 s here); then the event source mapping gathers a batch for its batching
 * window (or until `batchSize` messages), the function is invoked (a cold start on a new
 * execution environment); what follows (lease, hand-off, reads) is the handlers' own code.
 */
export const HINT_PATH = {
  /** The construct's event source mapping: 1 s batching window, batches of up to 100, two at once. */
  batchingWindowMs: 1000,
  batchSize: 100,
  maxConcurrency: 2,
  invokeMs: 150,
  coldStartMs: 1500,
  /** Function timeout of the hint function: the lease it takes lasts this long. */
  timeoutMs: 30_000,
  /** A record returned as a batch item failure is received again after this (6 x the timeout, as AWS advises). */
  visibilityTimeoutMs: 180_000,
  /** The scheduled invocation: EventBridge Scheduler's start, then the function's own. */
  scheduledInvokeMs: 300,
  scheduledTimeoutMs: 55_000,
} as const;

/** The three runs the issue asks for. */
export const LATENCY_RUNS = {
  withHints: { delaySeconds: [0, 5], lossRate: 0, seed: 12 },
  lossyHints: { delaySeconds: [0, 5], lossRate: 0.1, seed: 12 },
  scheduleOnly: undefined,
} as const satisfies Record<string, NativeEventOptions | undefined>;

/** A key of {@link LATENCY_RUNS}. */
export type LatencyRun = keyof typeof LATENCY_RUNS;

/** Figures of one run: seconds from each SSM status change to the first event that tells it. */
export interface LatencyFigures {
  readonly p50Seconds: number;
  readonly p90Seconds: number;
  readonly p99Seconds: number;
  /** SSM Describe calls the hinted (targeted) cycles made, per minute of the run. */
  readonly hintCallsPerMinute: number;
  readonly maxSeconds: number;
  readonly meanSeconds: number;
  /** SSM status changes of steps and executions measured. */
  readonly changes: number;
  /** Changes whose own event never came because a later status of the entity came first (collapsed). */
  readonly collapsed: number;
  /** Changes no event ever told (neither theirs nor a later one): should be 0. */
  readonly untold: number;
  /** SSM Describe calls of the scheduled cycles, per minute. */
  readonly scheduleCallsPerMinute: number;
  readonly scheduledCycles: number;
  readonly hintedCycles: number;
  /** Hint invocations (a batch each); those without a targeted cycle handed over or gave back. */
  readonly hintInvocations: number;
  /** Executions the cycles holding the lease read because a hint invocation handed them over. */
  readonly inboxExecutions: number;
  /** Native events taken from the queue (duplicates included), and batch items returned for retry. */
  readonly hintsReceived: number;
  readonly hintsRetried: number;
  /** Longest scheduled cycle, virtual seconds. */
  readonly longestScheduledCycleSeconds: number;
  /** Per change key, seconds (for comparing runs; not printed). */
  readonly perChange: Readonly<Record<string, number>>;
  /** Per change key, epoch ms of the change and its execution id (for comparing runs; not printed). */
  readonly changeAt: Readonly<Record<string, { readonly at: number; readonly executionId: string }>>;
  /**
   * Epoch ms of each scheduled cycle's reads of each execution's steps, by `<cycle>#<executionId>`
   * (the cycle counted from the first schedule): where the schedule read what (not printed).
   */
  readonly scheduledReads: Readonly<Record<string, readonly number[]>>;
}

/** What {@link measureLatency} reports. */
export interface LatencyReport {
  readonly withHints: LatencyFigures;
  readonly lossyHints: LatencyFigures;
  readonly scheduleOnly: LatencyFigures;
  /**
   * Changes told later with 10% of hints lost than with the schedule alone, and the worst excess;
   * split by where the lossy run's scheduled cycle read the change's execution, against the cycle
   * of the schedule-only run that told it (see {@link compareToScheduleOnly}).
   */
  readonly lossyLaterThanScheduleOnly: LaterThanScheduleOnly;
  /**
   * Reads of an execution by a scheduled cycle of the lossy run that came later than the same
   * cycle's read of it with the schedule alone (a hint costing the schedule time), and the worst.
   */
  readonly lossyScheduledReadsLater: { readonly reads: number; readonly worstSeconds: number };
  readonly fleet: { readonly executions: number; readonly steps: number; readonly spanSeconds: number };
  readonly targets: {
    readonly withHintsP50AtMost5s: boolean;
    readonly withHintsP99AtMost15s: boolean;
    readonly lossyHintsP50AtMost5s: boolean;
    readonly lossyHintsNeverLaterThanScheduleOnly: boolean;
    /** Schedule only: every change told within one period plus the longest scheduled cycle and its start. */
    readonly scheduleOnlyWithinOnePeriodAndACycle: boolean;
    readonly nothingUntold: boolean;
  };
}

/**
 * The fleet: 36 sequential runs of 3–8 planned steps, each step 2–90 s, a fifth of them failing at
 * a random step (the steps after it never run), starting over ten minutes; and one rate-control run
 * of 8 targets, 3 at a time, a quarter failing. Seeded: always the same fleet.
 */
export function latencyFleet(): Scenario {
  const random = seededRandom(0x1a7e);
  const executions: ScenarioExecution[] = [];
  for (let n = 1; n <= 36; n++) {
    const id = benchId('1a7e0000', n);
    const start = Math.round(random() * 600 * 10) / 10;
    const count = 3 + Math.floor(random() * 6);
    const failAt = random() < 0.2 ? Math.floor(random() * count) : -1;
    let t = start;
    let ended = false;
    const steps: ScenarioStep[] = [];
    for (let i = 0; i < count; i++) {
      // Mostly short steps, some long ones: 2 s to 90 s, skewed short.
      const seconds = Math.round((2 + 88 * random() ** 2) * 10) / 10;
      const stepId = benchId('1a7e5000', n * 100 + i);
      if (ended) {
        steps.push({ id: stepId, name: `step${i + 1}`, action: 'aws:runCommand', timeline: [] });
        continue;
      }
      const fails = i === failAt;
      steps.push({
        id: stepId,
        name: `step${i + 1}`,
        action: i % 3 === 2 ? 'aws:executeScript' : 'aws:runCommand',
        timeline: [
          { at: t, status: 'InProgress' },
          fails
            ? { at: round1(t + seconds), status: 'Failed', failureMessage: `step${i + 1} failed.` }
            : { at: round1(t + seconds), status: 'Success' },
        ],
      });
      t = round1(t + seconds);
      ended = fails;
    }
    executions.push({
      id,
      documentName: 'Custom-Latency',
      documentVersion: '1',
      parentId: null,
      timeline: [
        { at: start, status: 'InProgress' },
        failAt >= 0
          ? { at: t, status: 'Failed', failureMessage: `Step fails when it is executing.` }
          : { at: t, status: 'Success' },
      ],
      steps,
    });
  }
  executions.push(
    ...rateControlRun({
      parentId: benchId('1a7ec000', 1),
      targets: rateControlTargets(8, 0x1a7e, { minSeconds: 10, maxSeconds: 80, failureRate: 0.25 }),
      maxConcurrency: 3,
      startAt: 120,
    }),
  );
  return { name: 'latency fleet', executions };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * SDK middleware that waits `ms` of virtual time in each call before it goes out, then makes the
 * call as tracked I/O (the clock stands still meanwhile).
 */
function callLatency(ms: number, clock: VirtualClock) {
  return <A, R>(next: (args: A) => Promise<R>) =>
    async (args: A): Promise<R> => {
      await clock.sleep(ms);
      return clock.track(() => next(args));
    };
}

/** SDK middleware that counts SSM Describe calls by the kind of actor making them, and by actor. */
function countDescribes(clock: VirtualClock, counts: Map<string | number, number>) {
  return <A, R>(next: (args: A) => Promise<R>, context: { commandName?: string }) =>
    async (args: A): Promise<R> => {
      if (DESCRIBE_COMMANDS.has(context.commandName ?? '')) {
        for (const key of [clock.kind ?? 'other', clock.actor ?? 0])
          counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return next(args);
    };
}

/**
 * SDK middleware that records when a scheduled cycle reads an execution's steps, by cycle (counted
 * from the first schedule) and execution: where the schedule read what, to compare runs.
 */
function recordScheduledReads(clock: VirtualClock, firstSchedule: number, reads: Map<string, number[]>) {
  return <A, R>(next: (args: A) => Promise<R>, context: { commandName?: string }) =>
    async (args: A): Promise<R> => {
      const input = (args as { input?: { AutomationExecutionId?: string } }).input;
      if (
        clock.kind === 'scheduled' &&
        context.commandName === 'DescribeAutomationStepExecutionsCommand' &&
        input?.AutomationExecutionId !== undefined
      ) {
        const cycle = Math.floor((clock.now - firstSchedule) / (SCHEDULE_PERIOD_SECONDS * 1000));
        const key = `${cycle}#${input.AutomationExecutionId}`;
        reads.set(key, [...(reads.get(key) ?? []), clock.now]);
      }
      return next(args);
    };
}

/** Where {@link callLatency} goes in a client's middleware stack. */
const CALL_LATENCY_STEP = { step: 'initialize', name: 'virtualCallLatency' } as const;
const DESCRIBE_COMMANDS = new Set([
  'DescribeAutomationExecutionsCommand',
  'DescribeAutomationStepExecutionsCommand',
]);

/** The timing of one run and what its invocations did. */
interface RunLog {
  scheduledCycles: number;
  /** Hint invocations, and those that read SSM themselves (the rest handed over or gave back). */
  hintInvocations: number;
  hintedCycles: number;
  hintsReceived: number;
  hintsRetried: number;
  /** Executions the cycles holding the lease read because a hint invocation handed them over. */
  inboxExecutions: number;
  longestScheduledCycleMs: number;
  scheduledCalls: number;
  hintCalls: number;
  /** Step reads of the scheduled cycles: `<cycle>#<executionId>` to epoch ms. */
  scheduledReads: Map<string, number[]>;
}

/** Warm execution environments of one function: an invocation without a free one starts cold. */
class Environments {
  #idle = 0;
  /** Takes an environment; true when it is a cold start. */
  take(): boolean {
    if (this.#idle === 0) return true;
    this.#idle--;
    return false;
  }
  give(): void {
    this.#idle++;
  }
}

/**
 * Plays the fleet on a virtual clock shared by concurrent invocations, as Lambda runs them: the
 * real scheduled handler (`createHandler`) invoked every minute, and, with hints, the real hint
 * handler (`createHintHandler`) invoked by the modelled event source mapping with each batch of the
 * queue, at most {@link HINT_PATH}`.maxConcurrency` at once. They run at the same time; the shard
 * lease, the lease waits, the schedule's turn and the hint inbox are the handlers' own code.
 */
async function play(stack: LocalStack, clock: VirtualClock, hints: boolean, endsAt: number): Promise<RunLog> {
  const log: RunLog = {
    scheduledCycles: 0,
    hintInvocations: 0,
    hintedCycles: 0,
    hintsReceived: 0,
    hintsRetried: 0,
    inboxExecutions: 0,
    longestScheduledCycleMs: 0,
    scheduledCalls: 0,
    hintCalls: 0,
    scheduledReads: new Map(),
  };
  const env = {
    TABLE_NAME: stack.tableName,
    EVENT_BUS_NAME: LATENCY_BUS,
    SSM_DESCRIBE_TPS: String(DEFAULT_SSM_DESCRIBE_TPS),
    SCHEDULE_PERIOD_SECONDS: String(SCHEDULE_PERIOD_SECONDS),
    AWS_REGION: LOCAL_REGION,
  };
  const scheduled = createHandler({ env, clients: stack.clients, timer: clock.timer });
  const hinted = createHintHandler({ env, clients: stack.clients, timer: clock.timer });
  const queue = new HintQueue({
    batchingWindowMs: HINT_PATH.batchingWindowMs,
    batchSize: HINT_PATH.batchSize,
    visibilityTimeoutMs: HINT_PATH.visibilityTimeoutMs,
  });
  const calls = new Map<string | number, number>();
  stack.clients.ssm.middlewareStack.add(countDescribes(clock, calls), {
    step: 'initialize',
    name: 'countDescribes',
  });
  const firstSchedule = LATENCY_T0 + FIRST_SCHEDULE_SECONDS * 1000;
  stack.clients.ssm.middlewareStack.add(recordScheduledReads(clock, firstSchedule, log.scheduledReads), {
    step: 'initialize',
    name: 'recordScheduledReads',
  });
  const scheduledEnvs = new Environments();
  const hintEnvs = new Environments();
  let running = 0;
  let hintsRunning = 0;
  let invocations = 0;

  const context = (functionName: string, timeoutMs: number) =>
    lambdaContext({
      functionName,
      account: LOCAL_ACCOUNT,
      region: LOCAL_REGION,
      timeoutMs,
      invokedAt: clock.now,
      clock: () => clock.now,
      requestId: `latency-${++invocations}`,
    });
  const invokeScheduled = (due: number): void => {
    running++;
    void clock.spawn('scheduled', async () => {
      const cold = scheduledEnvs.take();
      await clock.sleep(HINT_PATH.scheduledInvokeMs + (cold ? HINT_PATH.coldStartMs : 0));
      const result = await scheduled({}, context('step-watch-poller', HINT_PATH.scheduledTimeoutMs));
      log.scheduledCycles += result.leaseHeldElsewhere ? 0 : 1;
      log.inboxExecutions += result.inboxExecutions;
      log.longestScheduledCycleMs = Math.max(log.longestScheduledCycleMs, clock.now - due);
      scheduledEnvs.give();
      running--;
    });
  };
  const invokeHints = (batch: HintBatch): void => {
    running++;
    hintsRunning++;
    log.hintsReceived += batch.messages.length;
    void clock.spawn('hint', async () => {
      const cold = hintEnvs.take();
      await clock.sleep(HINT_PATH.invokeMs + (cold ? HINT_PATH.coldStartMs : 0));
      const response = await hinted(batch.event, context('step-watch-hints', HINT_PATH.timeoutMs));
      log.hintInvocations++;
      if ((calls.get(clock.actor ?? 0) ?? 0) > 0) log.hintedCycles++;
      log.hintsRetried += queue.settle(batch, response, clock.now).length;
      hintEnvs.give();
      hintsRunning--;
      running--;
    });
  };

  await clock.spawn('driver', async () => {
    let nextSchedule = firstSchedule;
    while (clock.now < endsAt || running > 0) {
      if (clock.now < endsAt && clock.now >= nextSchedule) {
        invokeScheduled(nextSchedule);
        nextSchedule += SCHEDULE_PERIOD_SECONDS * 1000;
      }
      if (hints && clock.now < endsAt) {
        queue.push(stack.ssm.takeNativeEvents(clock.now));
        while (hintsRunning < HINT_PATH.maxConcurrency) {
          const batch = queue.take(clock.now);
          if (batch === undefined) break;
          invokeHints(batch);
        }
      }
      // The next moment anything can start: a tick (native events are taken once a virtual
      // second), a batch getting ready, the next schedule.
      const ready = hints ? queue.readyAt(clock.now) : undefined;
      const wakes = [(Math.floor(clock.now / TICK_MS) + 1) * TICK_MS];
      if (clock.now < endsAt) wakes.push(nextSchedule);
      if (ready !== undefined && ready > clock.now && hintsRunning < HINT_PATH.maxConcurrency)
        wakes.push(ready);
      await clock.sleep(Math.min(...wakes) - clock.now);
    }
  });
  log.scheduledCalls = calls.get('scheduled') ?? 0;
  log.hintCalls = calls.get('hint') ?? 0;
  return log;
}

/** The entity a ground-truth entry or an event is about: a step id, or an execution id. */
function entityOf(entry: Pick<GroundTruthEntry, 'kind' | 'executionId' | 'stepExecutionId'>): string {
  return entry.kind === 'step' ? `step:${entry.stepExecutionId}` : `execution:${entry.executionId}`;
}

/**
 * Seconds from each status change (ground truth) to the first arrival on the bus of an event that
 * tells it or a later status of the same step or execution (a consumer then knows the change
 * happened). Events are matched to changes in order, per entity, by status.
 */
export function changeLatencies(
  truth: readonly GroundTruthEntry[],
  events: readonly RecordedEvent[],
): {
  perChange: Map<string, number>;
  changeAt: Map<string, { at: number; executionId: string }>;
  collapsed: number;
  untold: number;
} {
  const changes = new Map<string, GroundTruthEntry[]>();
  for (const entry of truth) {
    if (entry.kind === 'alarm') continue;
    const key = entityOf(entry);
    changes.set(key, [...(changes.get(key) ?? []), entry]);
  }
  const arrivals = new Map<string, { status: string; at: number }[]>();
  const seen = new Set<string>();
  for (const event of events) {
    if (seen.has(event.eventId)) continue;
    const d = event.detail as {
      eventId?: string;
      executionId: string;
      executionStatus: string;
      step?: { stepExecutionId: string; status: string } | null;
    };
    if (d.eventId !== undefined) {
      if (seen.has(d.eventId)) continue;
      seen.add(d.eventId);
    }
    const key =
      event.detailType === DETAIL_TYPES.step && d.step
        ? `step:${d.step.stepExecutionId}`
        : event.detailType === DETAIL_TYPES.execution
          ? `execution:${d.executionId}`
          : undefined;
    if (key === undefined) continue;
    const status = event.detailType === DETAIL_TYPES.step ? (d.step?.status ?? '') : d.executionStatus;
    arrivals.set(key, [...(arrivals.get(key) ?? []), { status, at: event.receivedAt }]);
  }
  const perChange = new Map<string, number>();
  const changeAt = new Map<string, { at: number; executionId: string }>();
  let collapsed = 0;
  let untold = 0;
  for (const [key, list] of changes) {
    // Which change each arrival tells: the next one, in order, with its status.
    const told: { index: number; at: number }[] = [];
    let from = 0;
    for (const arrival of arrivals.get(key) ?? []) {
      const index = list.findIndex((c, i) => i >= from && c.status === arrival.status);
      if (index < 0) continue;
      told.push({ index, at: arrival.at });
      from = index + 1;
    }
    list.forEach((change, i) => {
      const first = told.find((t) => t.index >= i);
      if (first === undefined) {
        untold++;
        return;
      }
      if (first.index !== i) collapsed++;
      perChange.set(`${key}#${i}`, Math.max(0, first.at - change.at) / 1000);
      changeAt.set(`${key}#${i}`, { at: change.at, executionId: change.executionId });
    });
  }
  return { perChange, changeAt, collapsed, untold };
}

/** A count of changes and the worst excess in seconds. */
export interface Excess {
  readonly changes: number;
  readonly worstSeconds: number;
}

/** Changes told later in one run than with the schedule alone, by why. */
export interface LaterThanScheduleOnly extends Excess {
  /**
   * The run's scheduled cycle read the change's execution *before the change happened*, while the
   * schedule-only run's same cycle read it after: that cycle was ahead (it had less left to read,
   * because hinted reads did some of it), not behind, and the change's own hint was lost or came
   * after the schedule-only read. Two runs whose state differs read at different moments; no read
   * was later.
   */
  readonly scheduleAhead: Excess;
  /** The run's scheduled cycle read the execution later than the schedule alone did: hints delayed the schedule. */
  readonly delayed: Excess;
  /** Any other reason (no scheduled read in the schedule-only run told it, or none of that cycle in this run). */
  readonly other: Excess;
}

/**
 * Compares a hinted run with the schedule-only run change by change (same fleet, same schedule,
 * same modelled timings): every change told later, split by where that run's scheduled cycle read
 * the change's execution against the schedule-only cycle whose read told it.
 */
export function compareToScheduleOnly(run: LatencyFigures, alone: LatencyFigures): LaterThanScheduleOnly {
  const tally = {
    all: [] as number[],
    scheduleAhead: [] as number[],
    delayed: [] as number[],
    other: [] as number[],
  };
  for (const [key, seconds] of Object.entries(run.perChange)) {
    const aloneSeconds = alone.perChange[key];
    const change = alone.changeAt[key];
    if (aloneSeconds === undefined || change === undefined)
      throw new BenchError(`latency: change ${key} has no schedule-only figure`);
    if (seconds <= aloneSeconds + 1e-9) continue;
    const excess = seconds - aloneSeconds;
    tally.all.push(excess);
    const toldAt = change.at + aloneSeconds * 1000;
    // The schedule-only cycle whose read told the change: its first read of the execution since the change.
    let told: { cycle: string; at: number } | undefined;
    for (const [readKey, times] of Object.entries(alone.scheduledReads)) {
      const [cycle, executionId] = readKey.split('#') as [string, string];
      if (executionId !== change.executionId) continue;
      for (const at of times) {
        if (at >= change.at && at <= toldAt && (told === undefined || at < told.at)) told = { cycle, at };
      }
    }
    const runRead = told && run.scheduledReads[`${told.cycle}#${change.executionId}`]?.[0];
    if (told === undefined || runRead === undefined) tally.other.push(excess);
    else if (runRead < change.at) tally.scheduleAhead.push(excess);
    else if (runRead > told.at) tally.delayed.push(excess);
    else tally.other.push(excess);
  }
  const excessOf = (list: readonly number[]): Excess => ({
    changes: list.length,
    worstSeconds: round2(Math.max(0, ...list)),
  });
  return {
    ...excessOf(tally.all),
    scheduleAhead: excessOf(tally.scheduleAhead),
    delayed: excessOf(tally.delayed),
    other: excessOf(tally.other),
  };
}

/**
 * Reads of an execution's steps by a scheduled cycle of `run` that came later than the same
 * cycle's first read of it with the schedule alone: hints costing the schedule time.
 */
export function scheduledReadsLater(
  run: LatencyFigures,
  alone: LatencyFigures,
): { readonly reads: number; readonly worstSeconds: number } {
  let reads = 0;
  let worst = 0;
  for (const [key, times] of Object.entries(run.scheduledReads)) {
    const first = times[0];
    const aloneFirst = alone.scheduledReads[key]?.[0];
    if (first === undefined || aloneFirst === undefined || first <= aloneFirst) continue;
    reads++;
    worst = Math.max(worst, (first - aloneFirst) / 1000);
  }
  return { reads, worstSeconds: round2(worst) };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** One run of the fleet with the given native events (none: the schedule alone). */
export async function measureLatencyRun(
  scenario: Scenario,
  nativeEvents: NativeEventOptions | undefined,
): Promise<LatencyFigures> {
  const clock = new VirtualClock(LATENCY_T0);
  const stack = await startLocalStack({
    scenario,
    startEpochMs: LATENCY_T0,
    clock: () => clock.now,
    behaviour: {},
    ...(nativeEvents !== undefined && { nativeEvents }),
  });
  try {
    stack.clients.ssm.middlewareStack.add(callLatency(CALL_LATENCY_MS.ssm, clock), CALL_LATENCY_STEP);
    stack.clients.dynamodb.middlewareStack.add(
      callLatency(CALL_LATENCY_MS.dynamodb, clock),
      CALL_LATENCY_STEP,
    );
    stack.clients.eventBridge.middlewareStack.add(
      callLatency(CALL_LATENCY_MS.eventBridge, clock),
      CALL_LATENCY_STEP,
    );
    const endsAt = LATENCY_T0 + (scenarioEnd(scenario) + SETTLE_SECONDS) * 1000;
    const log = await play(stack, clock, nativeEvents !== undefined, endsAt);

    const { perChange, changeAt, collapsed, untold } = changeLatencies(
      stack.ssm.groundTruth(),
      stack.recorder.events(),
    );
    const values = [...perChange.values()].sort((a, b) => a - b);
    const minutes = (endsAt - LATENCY_T0) / 60_000;
    return {
      p50Seconds: round2(percentile(values, 50)),
      p90Seconds: round2(percentile(values, 90)),
      p99Seconds: round2(percentile(values, 99)),
      hintCallsPerMinute: round2(log.hintCalls / minutes),
      maxSeconds: round2(values.at(-1) ?? 0),
      meanSeconds: round2(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)),
      changes: values.length + untold,
      collapsed,
      untold,
      scheduleCallsPerMinute: round2(log.scheduledCalls / minutes),
      scheduledCycles: log.scheduledCycles,
      hintedCycles: log.hintedCycles,
      hintInvocations: log.hintInvocations,
      inboxExecutions: log.inboxExecutions,
      hintsReceived: log.hintsReceived,
      hintsRetried: log.hintsRetried,
      longestScheduledCycleSeconds: round2(log.longestScheduledCycleMs / 1000),
      perChange: Object.fromEntries(perChange),
      changeAt: Object.fromEntries(changeAt),
      scheduledReads: Object.fromEntries(log.scheduledReads),
    };
  } finally {
    await stack.stop();
  }
}

/**
 * Runs `work` with the hint handler's Powertools logs (below errors) and metrics off: they read
 * `process.env` only, and would bury the bench's output. The variables are put back afterwards.
 */
async function quietHandlers<T>(work: () => Promise<T>): Promise<T> {
  const quiet = { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' };
  const saved = Object.fromEntries(Object.keys(quiet).map((key) => [key, process.env[key]]));
  Object.assign(process.env, quiet);
  try {
    return await work();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** Runs the three runs of {@link LATENCY_RUNS} on {@link latencyFleet} and checks the targets. */
export async function measureLatency(): Promise<LatencyReport> {
  const scenario = latencyFleet();
  const [withHints, lossyHints, scheduleOnly] = await quietHandlers(async () => [
    await measureLatencyRun(scenario, LATENCY_RUNS.withHints),
    await measureLatencyRun(scenario, LATENCY_RUNS.lossyHints),
    await measureLatencyRun(scenario, LATENCY_RUNS.scheduleOnly),
  ]);
  const later = compareToScheduleOnly(lossyHints, scheduleOnly);
  const readsLater = scheduledReadsLater(lossyHints, scheduleOnly);
  const bound = SCHEDULE_PERIOD_SECONDS + scheduleOnly.longestScheduledCycleSeconds;
  return {
    withHints,
    lossyHints,
    scheduleOnly,
    lossyLaterThanScheduleOnly: later,
    lossyScheduledReadsLater: readsLater,
    fleet: {
      executions: scenario.executions.length,
      steps: scenario.executions.reduce((n, e) => n + e.steps.length, 0),
      spanSeconds: Math.ceil(scenarioEnd(scenario)),
    },
    targets: {
      withHintsP50AtMost5s: withHints.p50Seconds <= 5,
      withHintsP99AtMost15s: withHints.p99Seconds <= 15,
      lossyHintsP50AtMost5s: lossyHints.p50Seconds <= 5,
      lossyHintsNeverLaterThanScheduleOnly: later.delayed.changes === 0 && later.other.changes === 0,
      scheduleOnlyWithinOnePeriodAndACycle: scheduleOnly.maxSeconds <= bound,
      nothingUntold: [withHints, lossyHints, scheduleOnly].every((f) => f.untold === 0),
    },
  };
}

/** The figures of one run as the last JSON line carries them. */
export function latencyJson(
  figures: LatencyFigures,
): Pick<LatencyFigures, 'p50Seconds' | 'p90Seconds' | 'p99Seconds' | 'hintCallsPerMinute'> {
  const { p50Seconds, p90Seconds, p99Seconds, hintCallsPerMinute } = figures;
  return { p50Seconds, p90Seconds, p99Seconds, hintCallsPerMinute };
}

function describeExcess(excess: Excess): string {
  return `${excess.changes} changes (worst +${excess.worstSeconds} s)`;
}

/** Prints the latency table; returns the `latency` value of the bench's last JSON line. */
export function printLatency(report: LatencyReport): Record<LatencyRun, ReturnType<typeof latencyJson>> {
  const runs = Object.keys(LATENCY_RUNS) as LatencyRun[];
  const row = (label: string, pick: (f: LatencyFigures) => string): string =>
    [label.padEnd(36), ...runs.map((r) => pick(report[r]).padStart(22))].join('');
  console.log(
    `\nLatency: SSM change -> event on the bus, ${report.fleet.executions} executions (${report.fleet.steps} steps) over ${report.fleet.spanSeconds} s, schedule every ${SCHEDULE_PERIOD_SECONDS} s, virtual clock with ${TICK_MS / 1000} s ticks`,
  );
  console.log(
    [
      [''.padEnd(36), ...runs.map((r) => r.padStart(22))].join(''),
      row('p50 / p90 / p99 s', (f) => `${f.p50Seconds}/${f.p90Seconds}/${f.p99Seconds}`),
      row('mean / max s', (f) => `${f.meanSeconds}/${f.maxSeconds}`),
      row('changes (collapsed, untold)', (f) => `${f.changes} (${f.collapsed}, ${f.untold})`),
      row(
        'SSM calls / min: hinted, scheduled',
        (f) => `${f.hintCallsPerMinute}, ${f.scheduleCallsPerMinute}`,
      ),
      row('cycles: scheduled, hinted', (f) => `${f.scheduledCycles}, ${f.hintedCycles}`),
      row('hint invocations, inbox reads', (f) => `${f.hintInvocations}, ${f.inboxExecutions}`),
      row('hints received (retried)', (f) => `${f.hintsReceived} (${f.hintsRetried})`),
      row('longest scheduled cycle s', (f) => String(f.longestScheduledCycleSeconds)),
    ].join('\n'),
  );
  console.log(
    `lossyHints later than scheduleOnly: ${describeExcess(report.lossyLaterThanScheduleOnly)} — its schedule read the execution before the change, the schedule alone after it: ${describeExcess(report.lossyLaterThanScheduleOnly.scheduleAhead)}; its schedule read it later: ${describeExcess(report.lossyLaterThanScheduleOnly.delayed)}; other: ${describeExcess(report.lossyLaterThanScheduleOnly.other)}`,
  );
  console.log(
    `lossyHints scheduled reads later than scheduleOnly's: ${report.lossyScheduledReadsLater.reads} (worst +${report.lossyScheduledReadsLater.worstSeconds} s); latency targets ${JSON.stringify(report.targets)}`,
  );
  return Object.fromEntries(runs.map((r) => [r, latencyJson(report[r])])) as Record<
    LatencyRun,
    ReturnType<typeof latencyJson>
  >;
}

// `tsx bench/latency.ts` runs the latency bench alone and prints its JSON last.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  measureLatency()
    .then((report) => {
      const latency = printLatency(report);
      console.log(JSON.stringify({ latency, targets: report.targets }));
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
