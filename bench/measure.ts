// Runs one fleet with one step-read strategy and one SSM behaviour over the real local stack on a virtual clock, and measures it.
import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CallCounter } from '../lambda/adapters/call-counter';
import type { Timer } from '../lambda/adapters/token-bucket';
import { DEFAULT_EVENT_SOURCE, DEFAULT_MAX_ENTRY_BYTES } from '../lambda/core/defaults';
import type { ExecutionSource, StartedPageRequest, StepPage, StepPageRequest } from '../lambda/core/ports';
import type { StepQuery, StepReadStrategy } from '../lambda/core/read-plan';
import { runPollCycle } from '../lambda/cycle/poll-cycle';
import { createPoller } from '../lambda/runtime/poller';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalStack, startLocalStack } from '../sandbox/local-stack';
import type { SsmBehaviour } from '../sandbox/ssm-behaviour';
import {
  type CycleBound,
  checkDelivery,
  cycleBound,
  type DeliveryCheck,
  type ExecutionBound,
} from './accounting';
import { type Fleet, POLL_INTERVAL_SECONDS } from './fleets';

/** Epoch ms of the scenarios' `at: 0`. */
export const BENCH_T0 = Date.parse('2026-11-25T00:00:00.000Z');

/**
 * Token-bucket rate of the benchmark poller: high enough that no cycle ever waits, so the virtual
 * clock stands still within a cycle and every read sees SSM as it is at the poll time. The quota is
 * applied afterwards, from the measured calls (see `largestFleet`).
 */
export const BENCH_DESCRIBE_TPS = 5_000;

/** The poller's step visibility lag (its default `stepVisibilityLagSeconds`), set explicitly. */
export const BENCH_VISIBILITY_LAG_SECONDS = 60;

/**
 * The SSM behaviours a fleet is measured under: where `ReverseOrder` puts steps that have not started
 * (`first`, `last`), everything else as documented (`DOCUMENTED_BEHAVIOUR`); and `childrenOnRequest`,
 * `first` with child executions listed only on request (a `ParentExecutionId` or `ExecutionId` filter).
 */
export const PLACEMENTS = {
  first: { reverseOrderUnstarted: 'first' },
  last: { reverseOrderUnstarted: 'last' },
  childrenOnRequest: { reverseOrderUnstarted: 'first', childListing: 'onRequest' },
} as const satisfies Record<string, Partial<SsmBehaviour>>;

/** A key of {@link PLACEMENTS}. */
export type Placement = keyof typeof PLACEMENTS;

/** `DescribeAutomationExecutions` pages of one cycle, by the listing that made them. */
export interface ListCalls {
  readonly inFlight: number;
  readonly startedAfter: number;
  readonly byId: number;
}

/** What one cycle did. */
export interface CycleFigures {
  /** Seconds after the scenario start. */
  readonly at: number;
  readonly listCalls: number;
  readonly listCallsBy: ListCalls;
  readonly stepCalls: number;
  readonly dynamoReads: number;
  readonly dynamoWrites: number;
  readonly putEventsCalls: number;
  readonly events: number;
  readonly executionsPolled: number;
  /** The data bound from the scenario (counts only); absent for the warm-up cycle. */
  readonly bound: (Omit<CycleBound, 'perExecution' | 'lagSweeps'> & { readonly lagSweeps: number }) | null;
  /** Virtual time the token bucket made the cycle wait. */
  readonly waitedMs: number;
  readonly wallMs: number;
}

/** Step calls against the bound, summed over the measured cycles for one kind of execution read. */
export interface ExcessGroup {
  /**
   * `<documentName> <reason>`: reason `first`, `ended` or `open` as in the bound; `lag sweep` for the
   * read after an end that came within the visibility lag (see `CycleBound.lagSweeps`; bound 0);
   * `unbounded` for any other read of an execution the bound has nothing for.
   */
  readonly group: string;
  readonly reads: number;
  readonly calls: number;
  readonly bound: number;
}

/** One execution read that cost more than its bound, with the queries the plan issued. */
export interface ExcessSample {
  readonly at: number;
  readonly executionId: string;
  readonly documentName: string;
  readonly reason: string;
  readonly boundSteps: number;
  readonly boundPages: number;
  readonly calls: number;
  /**
   * Each query with its pages, e.g. `after 00:41:07 x2`, `range 00:38:10..00:39:55 x1`, `ids(10) x1`,
   * `names(2) x1`, `all x2`.
   */
  readonly queries: readonly string[];
}

/** The result of one (fleet, strategy, placement) run. */
export interface RunFigures {
  readonly fleet: string;
  readonly strategy: StepReadStrategy;
  readonly placement: Placement;
  readonly cycles: CycleFigures[];
  readonly delivery: DeliveryCheck;
  /** Where the step calls of the measured cycles went, against the bound, by kind of read. */
  readonly excess: readonly ExcessGroup[];
  /** The reads that exceeded their bound by the most calls (a few). */
  readonly excessSamples: readonly ExcessSample[];
  /** SSM requests the simulator received, to cross-check the poller's own counts. */
  readonly simulatorCalls: Record<string, number>;
}

const READS = ['GetItem', 'Query', 'BatchGetItem'] as const;
const WRITES = ['PutItem', 'UpdateItem', 'BatchWriteItem', 'DeleteItem'] as const;
const LIST_OPERATION = 'DescribeAutomationExecutions';
const EXCESS_SAMPLES = 6;

/** Describes a step query in a few characters (times as HH:MM:SS of the virtual day). */
function describeQuery(query: StepQuery): string {
  const time = (iso: string): string => iso.slice(11, 19);
  if (query.stepExecutionIds) return `ids(${query.stepExecutionIds.length})`;
  if (query.stepNames) return `names(${query.stepNames.length})`;
  if (query.startedAfter && query.startedBefore) {
    return `range ${time(query.startedAfter)}..${time(query.startedBefore)}`;
  }
  if (query.startedAfter) return `after ${time(query.startedAfter)}`;
  return 'all';
}

/**
 * An `ExecutionSource` that passes every call on and notes, per cycle, the list pages each listing
 * made and the step pages and queries of each execution.
 */
class MeteredSource implements ExecutionSource {
  readonly #inner: ExecutionSource;
  readonly #calls: CallCounter;
  list = { inFlight: 0, startedAfter: 0, byId: 0 };
  /** Per execution: query description -> pages, in first-use order. */
  steps = new Map<string, Map<string, number>>();

  constructor(inner: ExecutionSource, calls: CallCounter) {
    this.#inner = inner;
    this.#calls = calls;
  }

  /** Starts a new cycle's notes. */
  reset(): void {
    this.list = { inFlight: 0, startedAfter: 0, byId: 0 };
    this.steps = new Map();
  }

  async #listing<T>(kind: keyof ListCalls, call: () => Promise<T>): Promise<T> {
    const before = this.#calls.get(LIST_OPERATION);
    try {
      return await call();
    } finally {
      this.list[kind] += this.#calls.get(LIST_OPERATION) - before;
    }
  }

  listInFlight(): ReturnType<ExecutionSource['listInFlight']> {
    return this.#listing('inFlight', () => this.#inner.listInFlight());
  }

  listStartedPage(request: StartedPageRequest): ReturnType<ExecutionSource['listStartedPage']> {
    return this.#listing('startedAfter', () => this.#inner.listStartedPage(request));
  }

  describeExecutions(ids: readonly string[]): ReturnType<ExecutionSource['describeExecutions']> {
    return this.#listing('byId', () => this.#inner.describeExecutions(ids));
  }

  readStepPage(request: StepPageRequest): Promise<StepPage> {
    const queries = this.steps.get(request.executionId) ?? new Map<string, number>();
    this.steps.set(request.executionId, queries);
    const key = describeQuery(request.query);
    queries.set(key, (queries.get(key) ?? 0) + 1);
    return this.#inner.readStepPage(request);
  }

  takeUnreadable(): ReturnType<ExecutionSource['takeUnreadable']> {
    return this.#inner.takeUnreadable();
  }
}

/**
 * SDK clients for the stack whose idle keep-alive sockets close after a second. The servers run in
 * the same process and close idle sockets after 5 s; on a busy machine a timer can fire late enough
 * that a request goes out on a socket the server is closing (ECONNRESET). Closing them much earlier
 * on the client side avoids that race.
 */
function benchClients(stack: LocalStack): {
  ssm: SSMClient;
  dynamodb: DynamoDBClient;
  eventBridge: EventBridgeClient;
} {
  const common = {
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 50, timeout: 1000 }) },
  };
  return {
    ssm: new SSMClient({ ...common, endpoint: stack.env.AWS_ENDPOINT_URL_SSM }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: stack.env.AWS_ENDPOINT_URL_DYNAMODB }),
    eventBridge: new EventBridgeClient({ ...common, endpoint: stack.env.AWS_ENDPOINT_URL_EVENTBRIDGE }),
  };
}

/** Adds one cycle's per-execution step calls to the groups and samples. */
function account(
  at: number,
  perExecution: readonly ExecutionBound[],
  lagSweeps: ReadonlySet<string>,
  reads: ReadonlyMap<string, ReadonlyMap<string, number>>,
  groups: Map<string, { reads: number; calls: number; bound: number }>,
  samples: ExcessSample[],
  documentOf: ReadonlyMap<string, string>,
): void {
  const add = (group: string, calls: number, bound: number): void => {
    const entry = groups.get(group) ?? { reads: 0, calls: 0, bound: 0 };
    entry.reads++;
    entry.calls += calls;
    entry.bound += bound;
    groups.set(group, entry);
  };
  const pagesOf = (queries: ReadonlyMap<string, number> | undefined): number =>
    [...(queries ?? new Map<string, number>()).values()].reduce((a, b) => a + b, 0);
  const bounded = new Set<string>();
  for (const bound of perExecution) {
    bounded.add(bound.executionId);
    const queries = reads.get(bound.executionId);
    const calls = pagesOf(queries);
    add(`${documentOf.get(bound.executionId) ?? bound.documentName} ${bound.reason}`, calls, bound.pages);
    if (calls > bound.pages) {
      samples.push({
        at,
        executionId: bound.executionId,
        documentName: documentOf.get(bound.executionId) ?? bound.documentName,
        reason: bound.reason,
        boundSteps: bound.steps,
        boundPages: bound.pages,
        calls,
        queries: [...(queries ?? [])].map(([query, pages]) => `${query} x${pages}`),
      });
    }
  }
  for (const [executionId, queries] of reads) {
    if (bounded.has(executionId)) continue;
    const reason = lagSweeps.has(executionId) ? 'lag sweep' : 'unbounded';
    add(`${documentOf.get(executionId) ?? '?'} ${reason}`, pagesOf(queries), 0);
  }
  // Keep only the worst few.
  samples.sort((x, y) => y.calls - y.boundPages - (x.calls - x.boundPages));
  samples.splice(EXCESS_SAMPLES);
}

/**
 * Runs `cycles` poll cycles 60 virtual seconds apart against the simulator with the given SSM
 * behaviour, compares each measured cycle with its data bound, and checks every event against the
 * ground truth.
 */
export async function measureFleet(
  fleet: Fleet,
  strategy: StepReadStrategy,
  placement: Placement,
  cycles: number,
): Promise<RunFigures> {
  let now = BENCH_T0;
  const timer: Timer = {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
  const stack = await startLocalStack({
    scenario: fleet.scenario,
    startEpochMs: BENCH_T0,
    clock: () => now,
    behaviour: PLACEMENTS[placement],
  });
  const clients = benchClients(stack);
  try {
    const poller = createPoller(
      {
        tableName: stack.tableName,
        eventBusName: 'bench-bus',
        eventSource: DEFAULT_EVENT_SOURCE,
        historyRetentionDays: 30,
        maxEntryBytes: DEFAULT_MAX_ENTRY_BYTES,
        ssmDescribeTps: BENCH_DESCRIBE_TPS,
      },
      { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
      { clients, timer },
    );
    const source = new MeteredSource(poller.deps.source, poller.calls);
    const deps = { ...poller.deps, source };
    const documentOf = new Map(
      fleet.scenario.executions.map((e) => [e.id, `${e.documentName}${e.parentId ? ' (child)' : ''}`]),
    );
    const groups = new Map<string, { reads: number; calls: number; bound: number }>();
    const samples: ExcessSample[] = [];
    const figures: CycleFigures[] = [];
    const pollTimes: number[] = [];
    for (let k = 0; k < cycles; k++) {
      const at = fleet.firstPollAt + k * POLL_INTERVAL_SECONDS;
      now = BENCH_T0 + at * 1000;
      pollTimes.push(now);
      source.reset();
      const before = poller.calls.toJSON();
      const waitedBefore = poller.ssm.waitedMs;
      const started = performance.now();
      const summary = await runPollCycle(deps, {
        ...poller.options,
        strategy,
        stepVisibilityLagSeconds: BENCH_VISIBILITY_LAG_SECONDS,
      });
      const wallMs = performance.now() - started;
      const after = poller.calls.toJSON();
      const delta = (ops: readonly string[]): number =>
        ops.reduce((n, op) => n + (after[op] ?? 0) - (before[op] ?? 0), 0);
      let bound: CycleFigures['bound'] = null;
      if (k > 0) {
        const { perExecution, lagSweeps, ...totals } = cycleBound(
          fleet.scenario,
          at - POLL_INTERVAL_SECONDS,
          at,
          BENCH_VISIBILITY_LAG_SECONDS,
        );
        account(at, perExecution, new Set(lagSweeps), source.steps, groups, samples, documentOf);
        bound = { ...totals, lagSweeps: lagSweeps.length };
      }
      figures.push({
        at,
        listCalls: delta([LIST_OPERATION]),
        listCallsBy: { ...source.list },
        stepCalls: delta(['DescribeAutomationStepExecutions']),
        dynamoReads: delta(READS),
        dynamoWrites: delta(WRITES),
        putEventsCalls: delta(['PutEvents']),
        events: summary.eventsEmitted + summary.eventsResent,
        executionsPolled: summary.executionsPolled,
        bound,
        waitedMs: poller.ssm.waitedMs - waitedBefore,
        wallMs,
      });
    }
    // The ground truth as of the last poll.
    now = pollTimes.at(-1) ?? now;
    const delivery = checkDelivery(stack.ssm.groundTruth(), stack.recorder.events(), pollTimes);
    const excess = [...groups]
      .map(([group, g]) => ({ group, ...g }))
      .sort((x, y) => y.calls - y.bound - (x.calls - x.bound) || x.group.localeCompare(y.group));
    return {
      fleet: fleet.key,
      strategy,
      placement,
      cycles: figures,
      delivery,
      excess,
      excessSamples: samples,
      simulatorCalls: stack.ssm.callCounts(),
    };
  } finally {
    for (const client of Object.values(clients)) client.destroy();
    await stack.stop();
  }
}
