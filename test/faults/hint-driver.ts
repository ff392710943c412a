// Drives SSM's own events of a chaos run, with hint faults, through the modelled queue to the real hint handler between cycles.

import { createHintHandler, type HintHandler } from '../../lambda/handlers/hints';
import type { PollerClients } from '../../lambda/runtime/poller';
import { HintQueue, lambdaContext } from '../../sandbox/hint-queue';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../sandbox/local-stack';
import type { NativeEvent } from '../../sandbox/native-events';
import { idFromSeed } from '../../sandbox/ssm-behaviour';
import type { SsmSimulator } from '../../sandbox/ssm-simulator';
import type { HintPlan } from './generators';
import type { Observation } from './invariants';
import { ObservingClient } from './observing-client';

/** Hint faults counted in the chaos report, and what each counts. */
export const HINT_FAULT_UNITS = {
  'hint.lost': 'status changes no native event reached the queue for (lost, or none sent)',
  'hint.duplicated': 'native events delivered twice',
  'hint.late': 'hints delivered 6–150 s later than SSM sent them',
  'hint.malformed':
    'hints that are not SSM Automation events (bad JSON, other source or detail-type, bad or no ExecutionId)',
  'hint.otherShard': 'hints from another account or region (not polled here)',
  'hint.unknown': 'hints naming executions SSM does not know',
} as const;

/** Names of {@link HINT_FAULT_UNITS}. */
export type HintFaultName = keyof typeof HINT_FAULT_UNITS;

/** What the hint path did in a run (not faults): batches handled, records returned, inbox reads. */
export const HINT_ACTIVITY = ['hint.batches', 'hint.redelivered', 'hint.inboxReads'] as const;

/** The ways a hint's body can be broken. */
export const MALFORMATIONS = [
  'notJson',
  'otherSource',
  'otherDetailType',
  'badExecutionId',
  'noDetail',
] as const;
/** One way a hint's body can be broken. */
export type Malformation = (typeof MALFORMATIONS)[number];

/** Options of {@link HintDriver}. */
export interface HintDriverOptions {
  readonly sim: SsmSimulator;
  readonly plan: HintPlan;
  readonly clock: { now: number };
  readonly tableName: string;
  readonly busName: string;
  readonly maxEntryBytes: number;
  /** Seconds between scheduled cycles: the hinted cycles give the schedule way. */
  readonly intervalSeconds: number;
  /** DynamoDB and EventBridge clients of the hint function (SSM's is its own, observed). */
  readonly clients: PollerClients;
  /** Called with the reads of each hint invocation that committed them. */
  readonly observe: (observations: readonly Observation[]) => void;
  /** Counts a fault or an activity. */
  readonly count: (name: string, by?: number) => void;
  /** Records an error no fault explains. */
  readonly error: (message: string) => void;
}

/**
 * Plays the hint path of one run: every virtual second it takes the simulator's native events (lost
 * and duplicated by the simulator's own settings), makes some late, malformed, from another shard or
 * about unknown executions, queues them as the rule and queue would, and hands each ready batch to
 * the real hint handler ({@link createHintHandler}) with no fault injected (they strike the
 * scheduled cycles only). Records it returns come back after the visibility timeout.
 */
export class HintDriver {
  readonly #options: HintDriverOptions;
  readonly #queue = new HintQueue({ batchingWindowMs: 1000, batchSize: 100, visibilityTimeoutMs: 180_000 });
  readonly #ssm: ObservingClient;
  readonly #handler: HintHandler;
  readonly #ids = new Set<string>();
  #copies = 0;
  #extras = 0;
  #invocations = 0;

  constructor(options: HintDriverOptions) {
    this.#options = options;
    const { clock } = options;
    // The handler's Powertools logs and metrics read process.env only; a chaos worker wants neither.
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    this.#ssm = new ObservingClient(options.sim.endpoint, () => clock.now, { next: 0 });
    this.#handler = createHintHandler({
      env: {
        TABLE_NAME: options.tableName,
        EVENT_BUS_NAME: options.busName,
        EVENT_SOURCE: 'ssm-step-watch',
        HISTORY_RETENTION_DAYS: '30',
        MAX_ENTRY_BYTES: String(options.maxEntryBytes),
        SSM_DESCRIBE_TPS: '1000',
        SCHEDULE_PERIOD_SECONDS: String(options.intervalSeconds),
        AWS_REGION: LOCAL_REGION,
      },
      clients: { ...options.clients, ssm: this.#ssm.client },
      timer: { now: () => clock.now, sleep: async () => {} },
      leaseWaitMs: 0,
    });
  }

  /** Moves the clock a second at a time up to `target` (epoch ms), serving the hints due on the way. */
  async until(target: number): Promise<void> {
    const { clock } = this.#options;
    while (clock.now < target) {
      await this.#tick();
      clock.now = Math.min(target, (Math.floor(clock.now / 1000) + 1) * 1000);
    }
    await this.#tick();
  }

  /** Counts the lost and duplicated events of the run, and lets go of the SSM client. */
  finish(changes: number): void {
    this.#options.count('hint.lost', Math.max(0, changes - this.#ids.size));
    this.#options.count('hint.duplicated', this.#copies - this.#ids.size);
    this.#ssm.client.destroy();
  }

  async #tick(): Promise<void> {
    const { clock, sim } = this.#options;
    for (const native of sim.takeNativeEvents(clock.now)) this.#enqueue(native);
    for (let batch = this.#queue.take(clock.now); batch; batch = this.#queue.take(clock.now)) {
      const context = lambdaContext({
        functionName: 'step-watch-hints',
        account: LOCAL_ACCOUNT,
        region: LOCAL_REGION,
        timeoutMs: 30_000,
        invokedAt: clock.now,
        clock: () => clock.now,
        requestId: `chaos-hints-${++this.#invocations}`,
      });
      this.#ssm.begin();
      try {
        const response = await this.#handler(batch.event, context);
        this.#options.observe(this.#ssm.end(response.batchItemFailures.length === 0));
        this.#options.count('hint.batches');
        this.#options.count('hint.redelivered', this.#queue.settle(batch, response, clock.now).length);
      } catch (error) {
        this.#ssm.end(false);
        this.#queue.settle(batch, 'failed', clock.now);
        this.#options.error(`hint handler at ${clock.now}: ${String(error)}`);
      }
    }
  }

  #enqueue(native: NativeEvent): void {
    const { plan, count } = this.#options;
    const n = this.#copies++;
    this.#ids.add(String(native.event.id));
    const draw = (what: string): number => fraction(`${plan.seed}/${n}/${what}`);
    let at = native.deliverAt;
    if (draw('late') < plan.lateRate) {
      at += Math.round((6 + draw('lateBy') * 144) * 1000);
      count('hint.late');
    }
    if (draw('malformed') < plan.malformedRate) {
      const how = MALFORMATIONS[n % MALFORMATIONS.length] ?? 'notJson';
      this.#queue.pushBody(malformed(native, how), at, native.changedAt);
      count('hint.malformed');
    } else {
      this.#queue.pushBody(JSON.stringify(native.event), at, native.changedAt);
    }
    // The first events of a run also come as a copy from another shard, or naming an unknown execution.
    if (this.#extras < plan.otherShard + plan.unknown) {
      const extra = this.#extras++;
      if (extra < plan.otherShard) {
        const elsewhere = extra % 2 === 0 ? { account: '999999999999' } : { region: 'eu-west-1' };
        this.#queue.pushBody(JSON.stringify({ ...native.event, ...elsewhere }), at, native.changedAt);
        count('hint.otherShard');
      } else {
        const detail = {
          ...(native.event.detail as object),
          ExecutionId: idFromSeed(`unknown/${plan.seed}/${extra}`),
        };
        this.#queue.pushBody(JSON.stringify({ ...native.event, detail }), at + 1500, native.changedAt);
        count('hint.unknown');
      }
    }
  }
}

/** A native event's body broken one way. */
export function malformed(native: NativeEvent, how: Malformation): string {
  const event = native.event;
  const detail = event.detail as Record<string, unknown>;
  switch (how) {
    case 'notJson':
      return `{"source": "aws.ssm", "detail": ${JSON.stringify(detail).slice(0, 20)}`;
    case 'otherSource':
      return JSON.stringify({ ...event, source: 'aws.ec2' });
    case 'otherDetailType':
      return JSON.stringify({ ...event, 'detail-type': 'EC2 Command Status-change Notification' });
    case 'badExecutionId':
      return JSON.stringify({
        ...event,
        detail: { ...detail, ExecutionId: String(detail.ExecutionId).slice(0, 20) },
      });
    case 'noDetail':
      return JSON.stringify({ ...event, detail: null });
  }
}

/** A stable fraction in [0, 1) from a string (FNV-1a). */
function fraction(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 0x1_0000_0000;
}
