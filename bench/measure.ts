// Runs one fleet with one step-read strategy over the real local stack on a virtual clock, and measures it.
import type { Timer } from '../lambda/adapters/token-bucket';
import { DEFAULT_EVENT_SOURCE, DEFAULT_MAX_ENTRY_BYTES } from '../lambda/core/defaults';
import type { StepReadStrategy } from '../lambda/core/read-plan';
import { runPollCycle } from '../lambda/poll-cycle';
import { createPoller } from '../lambda/poller';
import { LOCAL_ACCOUNT, LOCAL_REGION, startLocalStack } from '../sandbox/local-stack';
import { type CycleBound, checkDelivery, cycleBound, type DeliveryCheck } from './accounting';
import { type Fleet, POLL_INTERVAL_SECONDS } from './fleets';

/** Epoch ms of the scenarios' `at: 0`. */
export const BENCH_T0 = Date.parse('2026-11-25T00:00:00.000Z');

/**
 * Token-bucket rate of the benchmark poller: high enough that no cycle ever waits, so the virtual
 * clock stands still within a cycle and every read sees SSM as it is at the poll time. The quota is
 * applied afterwards, from the measured calls (see `largestFleet`).
 */
export const BENCH_DESCRIBE_TPS = 5_000;

/** What one cycle did. */
export interface CycleFigures {
  /** Seconds after the scenario start. */
  readonly at: number;
  readonly listCalls: number;
  readonly stepCalls: number;
  readonly dynamoReads: number;
  readonly dynamoWrites: number;
  readonly putEventsCalls: number;
  readonly events: number;
  readonly executionsPolled: number;
  /** Lower bounds from the scenario; absent for the warm-up cycle. */
  readonly bound: CycleBound | null;
  /** Virtual time the token bucket made the cycle wait. */
  readonly waitedMs: number;
  readonly wallMs: number;
}

/** The result of one (fleet, strategy) run. */
export interface RunFigures {
  readonly fleet: string;
  readonly strategy: StepReadStrategy;
  readonly cycles: CycleFigures[];
  readonly delivery: DeliveryCheck;
  /** SSM requests the simulator received, to cross-check the poller's own counts. */
  readonly simulatorCalls: Record<string, number>;
}

const READS = ['GetItem', 'Query', 'BatchGetItem'] as const;
const WRITES = ['PutItem', 'UpdateItem', 'BatchWriteItem', 'DeleteItem'] as const;

/** Runs `cycles` poll cycles 60 virtual seconds apart and checks every event against the ground truth. */
export async function measureFleet(
  fleet: Fleet,
  strategy: StepReadStrategy,
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
  });
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
      { clients: stack.clients, timer },
    );
    const figures: CycleFigures[] = [];
    const pollTimes: number[] = [];
    for (let k = 0; k < cycles; k++) {
      const at = fleet.firstPollAt + k * POLL_INTERVAL_SECONDS;
      now = BENCH_T0 + at * 1000;
      pollTimes.push(now);
      const before = poller.calls.toJSON();
      const waitedBefore = poller.ssm.waitedMs;
      const started = performance.now();
      const summary = await runPollCycle(poller.deps, { ...poller.options, strategy });
      const wallMs = performance.now() - started;
      const after = poller.calls.toJSON();
      const delta = (ops: readonly string[]): number =>
        ops.reduce((n, op) => n + (after[op] ?? 0) - (before[op] ?? 0), 0);
      figures.push({
        at,
        listCalls: delta(['DescribeAutomationExecutions']),
        stepCalls: delta(['DescribeAutomationStepExecutions']),
        dynamoReads: delta(READS),
        dynamoWrites: delta(WRITES),
        putEventsCalls: delta(['PutEvents']),
        events: summary.eventsEmitted + summary.eventsResent,
        executionsPolled: summary.executionsPolled,
        bound: k === 0 ? null : cycleBound(fleet.scenario, at - POLL_INTERVAL_SECONDS, at),
        waitedMs: poller.ssm.waitedMs - waitedBefore,
        wallMs,
      });
    }
    // The ground truth as of the last poll.
    now = pollTimes.at(-1) ?? now;
    const delivery = checkDelivery(stack.ssm.groundTruth(), stack.recorder.events(), pollTimes);
    return { fleet: fleet.key, strategy, cycles: figures, delivery, simulatorCalls: stack.ssm.callCounts() };
  } finally {
    await stack.stop();
  }
}
