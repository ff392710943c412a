// 500 shards of small fleets through the real dispatcher, work queue and poll function, over the multi-account sandbox on a virtual clock.
//
// One Organization (the poller's management account and 249 members, two regions each) behind the
// multi-account sandbox; the real dispatcher (`createDispatcher`) runs every minute and queues one
// work item per shard to the sandbox's SQS; a modelled event source mapping hands them, one per
// invocation and at most `maxConcurrency` at once, to the real poll function (`createHandler`,
// SQS form), which assumes each member's role and reads its SSM. Everything shares a virtual
// clock (bench/virtual-clock.ts); each SDK call takes a modelled latency (CALL_LATENCY_MS).
import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import type { SQSEvent } from 'aws-lambda';
import { createTable } from '../lambda/adapters/dynamodb/create-table';
import { DynamoFanOutStore } from '../lambda/adapters/dynamodb/fan-out-store';
import { DEFAULT_MEMBER_ROLE_NAME } from '../lambda/core/defaults';
import { createDispatcher } from '../lambda/handlers/dispatcher';
import { createHandler } from '../lambda/handlers/poll';
import { startDynamo } from '../sandbox/dynamo';
import { EventBridgeRecorder } from '../sandbox/event-recorder';
import { lambdaContext } from '../sandbox/hint-queue';
import { MultiAccountSandbox, type SandboxQueueRecord } from '../sandbox/multi-account';
import { OrganizationModel } from '../sandbox/organization';
import type { ScenarioExecution, ScenarioStep } from '../sandbox/scenario';
import { DOCUMENTED_BEHAVIOUR } from '../sandbox/ssm-behaviour';
import { benchId, seededRandom } from './fleets';
import {
  LIST_PRICES,
  percentile,
  type ShardCycleUsage,
  type ShardMonthlyCost,
  shardMonthlyCost,
  stalenessAt,
} from './organization-accounting';
import { VirtualClock } from './virtual-clock';

/** The Organization and the run: 250 accounts x 2 regions = 500 shards at the one-minute schedule. */
export const ORGANIZATION_BENCH = {
  accounts: 250,
  regions: ['us-east-1', 'eu-west-1'],
  /** The construct's default event source `maxConcurrency`. */
  maxConcurrency: 20,
  periodSeconds: 60,
  /** Virtual seconds the schedule runs (one dispatch a period). */
  runSeconds: 360,
  /** Staleness is sampled this often, from `firstSampleSeconds` to the end of the run. */
  sampleEverySeconds: 10,
  firstSampleSeconds: 70,
  /** As lib/step-watch.ts deploys them (Arm). */
  pollMemoryMb: 512,
  dispatcherMemoryMb: 256,
  /** The poll function's timeout at the one-minute schedule (period - 5 s). */
  pollTimeoutMs: 55_000,
  dispatcherTimeoutMs: 55_000,
} as const;

/** Virtual time one SDK call takes (typical in-region latencies), per service. */
export const CALL_LATENCY_MS = {
  ssm: 120,
  dynamodb: 10,
  eventBridge: 40,
  sqs: 20,
  organizations: 150,
  sts: 40,
} as const;

/**
 * The modelled parts around the handlers, in ms: EventBridge Scheduler invoking the dispatcher; the
 * event source mapping handing a received item to a function (its long poll returns at once when
 * items wait); a cold start, the first `maxConcurrency` invocations. Not billed: billed time is the
 * handler's own.
 */
export const INVOKE_MS = { scheduled: 300, eventSource: 100, coldStart: 1500 } as const;

/** How often an idle worker of the event source mapping looks at the queue again. */
const IDLE_POLL_MS = 250;
const HOME = '999999999999';
const HOME_REGION = 'us-east-1';
/**
 * The virtual clock starts at the current real minute: virtual time only runs ahead of real time, so
 * code that compares a work item's `dispatchedAt` with the real clock never sees it as stale.
 */
const T0 = Math.floor(Date.now() / 60_000) * 60_000;
const TABLE = 'step-watch-organization-bench';

/** The figures `npm run bench` reports under `organization`. */
export interface OrganizationReport {
  readonly shards: number;
  readonly accounts: number;
  readonly regions: readonly string[];
  readonly maxConcurrency: number;
  readonly periodSeconds: number;
  readonly virtualSeconds: number;
  readonly dispatches: number;
  /** Poll function invocations, and of them: cycles run, stale items dropped, lease held elsewhere, failed. */
  readonly invocations: number;
  readonly shardCycles: number;
  readonly droppedStale: number;
  readonly leaseSkipped: number;
  readonly failedItems: number;
  readonly executions: number;
  readonly events: number;
  /** Per shard cycle (means over every cycle of the run). */
  readonly perShardCycle: {
    /** Billed poll function time (virtual: the handler's own span, modelled call latencies). */
    readonly lambdaMs: number;
    readonly lambdaMsP99: number;
    /** Host CPU of the whole bench process (simulated SSM, SQS and DynamoDB included) / cycles: an upper bound of the handler's own. */
    readonly hostCpuMs: number;
    readonly ssmCalls: number;
    readonly stsCalls: number;
    readonly dynamoReadCalls: number;
    readonly dynamoWriteCalls: number;
    /** DynamoDB request units, as the local DynamoDB reports consumed capacity. */
    readonly readUnits: number;
    readonly writeUnits: number;
    readonly putEvents: number;
    readonly logBytes: number;
  };
  /** Per dispatcher run: its billed time and calls (shared by every shard). */
  readonly dispatcher: {
    readonly lambdaMs: number;
    readonly readUnits: number;
    readonly writeUnits: number;
    readonly sqsCalls: number;
    readonly organizationsCalls: number;
    readonly logBytes: number;
  };
  /** Seconds from a dispatch to the end of the last cycle it queued (rounds after the first). */
  readonly roundSeconds: { readonly p50: number; readonly max: number };
  /** Across shards, sampled every `sampleEverySeconds`. */
  readonly staleness: {
    readonly p50Seconds: number;
    readonly p99Seconds: number;
    readonly maxSeconds: number;
    readonly samples: number;
  };
  readonly usagePerShardCycle: ShardCycleUsage;
  /** USD per shard per month (30 days) at us-east-1 list prices. */
  readonly costPerShardMonth: ShardMonthlyCost;
  readonly wallSeconds: number;
  readonly targets: { readonly stalenessP99AtMost90s: boolean };
}

/** Counts of one kind of actor (`poll`, `dispatcher`, `sampler`). */
interface Tally {
  calls: Map<string, number>;
  readUnits: number;
  writeUnits: number;
  putEvents: number;
  logBytes: number;
}

const READ_COMMANDS = new Set(['GetItemCommand', 'QueryCommand', 'BatchGetItemCommand']);

/**
 * A small fleet of one shard: 1–3 sequential runs of 2–4 planned steps, each step 5–60 s, a sixth of
 * them failing at a step, starting over the first four minutes. Seeded by the shard's index.
 */
export function shardFleet(index: number): ScenarioExecution[] {
  const random = seededRandom(0x0a9 * 1000 + index);
  const block = `0a${index.toString(16).padStart(6, '0')}`;
  const runs = 1 + Math.floor(random() * 3);
  const executions: ScenarioExecution[] = [];
  for (let n = 1; n <= runs; n++) {
    let t = Math.round(random() * 2400) / 10;
    const start = t;
    const count = 2 + Math.floor(random() * 3);
    const failAt = random() < 1 / 6 ? Math.floor(random() * count) : -1;
    const steps: ScenarioStep[] = [];
    let ended = false;
    for (let i = 0; i < count; i++) {
      const id = benchId(block, n * 100 + i);
      if (ended) {
        steps.push({ id, name: `step${i + 1}`, action: 'aws:executeScript', timeline: [] });
        continue;
      }
      const end = Math.round((t + 5 + random() * 55) * 10) / 10;
      const fails = i === failAt;
      steps.push({
        id,
        name: `step${i + 1}`,
        action: i % 2 === 0 ? 'aws:executeScript' : 'aws:executeAwsApi',
        timeline: [
          { at: t, status: 'InProgress' },
          fails
            ? { at: end, status: 'Failed', failureMessage: 'Step failed.' }
            : { at: end, status: 'Success' },
        ],
      });
      t = end;
      ended = fails;
    }
    executions.push({
      id: benchId(block, n),
      documentName: 'Org-Maintenance',
      documentVersion: '1',
      parentId: null,
      timeline: [
        { at: start, status: 'InProgress' },
        failAt >= 0
          ? { at: t, status: 'Failed', failureMessage: 'Step fails when it is executing.' }
          : { at: t, status: 'Success' },
      ],
      steps,
    });
  }
  return executions;
}

/** A member account id: 12 digits, `100000000000 + n`. */
function memberAccount(n: number): string {
  return String(100_000_000_000 + n);
}

/** Set while an instrumented SDK call is in flight (a nested call, AssumeRole while SSM signs, is part of it). */
const inCall = new AsyncLocalStorage<boolean>();

function round(n: number, digits = 2): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

/**
 * Takes over `process.stdout.write` until the returned function is called: each chunk goes to
 * `onChunk` and not to the terminal (the functions' log lines and EMF metrics, a few thousand a
 * minute).
 */
function captureStdout(onChunk: (chunk: string) => void): () => void {
  const original = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    onChunk(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  return () => {
    process.stdout.write = original;
  };
}

/**
 * Makes every DynamoDB call ask for its consumed capacity (the local DynamoDB computes it as
 * DynamoDB does: 4 KB read units, 1 KB write units) and adds it to the caller's tally.
 */
function addConsumedCapacity(client: DynamoDBClient, tally: () => Tally): void {
  const stack = client.middlewareStack as unknown as {
    add: (middleware: unknown, options: Record<string, unknown>) => void;
  };
  stack.add(
    (
      next: (args: { request: { body?: unknown } }) => Promise<{ output: Record<string, unknown> }>,
      context: { commandName?: string },
    ) =>
      async (args: { request: { body?: unknown } }) => {
        const raw = args.request.body;
        if (raw !== undefined && raw !== null) {
          // The serialised JSON body: a string, or bytes.
          const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw as Uint8Array);
          const body = JSON.parse(text) as Record<string, unknown>;
          body.ReturnConsumedCapacity = 'TOTAL';
          args.request.body = JSON.stringify(body);
        }
        const result = await next(args);
        const consumed = result.output.ConsumedCapacity;
        const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
          (n: number, c: { CapacityUnits?: number }) => n + (c.CapacityUnits ?? 0),
          0,
        );
        const entry = tally();
        if (READ_COMMANDS.has(context.commandName ?? '')) entry.readUnits += units;
        else entry.writeUnits += units;
        return result;
      },
    // Before the body's length is set and the request signed.
    { step: 'build', priority: 'high', name: 'organizationBenchCapacity' },
  );
}

/** Runs the Organization for {@link ORGANIZATION_BENCH}`.runSeconds` of virtual time and measures it. */
export async function measureOrganization(): Promise<OrganizationReport> {
  const bench = ORGANIZATION_BENCH;
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  const clock = new VirtualClock(T0);
  const organization = new OrganizationModel({ managementAccount: HOME, clock: () => clock.now });
  for (let n = 1; n < bench.accounts; n++) organization.addAccount({ id: memberAccount(n) });
  const sandbox = new MultiAccountSandbox({
    organization,
    startEpochMs: T0,
    clock: () => clock.now,
    behaviour: DOCUMENTED_BEHAVIOUR,
    throttleTps: 3,
  });
  const accounts = [HOME, ...Array.from({ length: bench.accounts - 1 }, (_, i) => memberAccount(i + 1))];
  let executions = 0;
  accounts.forEach((account, a) => {
    bench.regions.forEach((region, r) => {
      for (const execution of shardFleet(a * bench.regions.length + r)) {
        sandbox.addExecution(account, region, execution);
        executions++;
      }
    });
  });
  const recorder = new EventBridgeRecorder({ clock: () => clock.now });
  const dynamo = await startDynamo();
  await sandbox.start();
  await recorder.start();

  const tallies = new Map<string, Tally>();
  const tally = (): Tally => {
    const kind = clock.kind ?? 'other';
    let entry = tallies.get(kind);
    if (entry === undefined) {
      entry = { calls: new Map(), readUnits: 0, writeUnits: 0, putEvents: 0, logBytes: 0 };
      tallies.set(kind, entry);
    }
    return entry;
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 1000 });
  const credentials = MultiAccountSandbox.credentialsOf(HOME);
  const common = { region: HOME_REGION, credentials, maxAttempts: 3, requestHandler: { httpAgent: agent } };
  const dynamodb = instrument(
    new DynamoDBClient({ ...common, endpoint: dynamo.endpoint }),
    CALL_LATENCY_MS.dynamodb,
  );
  addConsumedCapacity(dynamodb, tally);
  const clients = {
    dynamodb,
    eventBridge: instrument(
      new EventBridgeClient({ ...common, endpoint: recorder.endpoint }),
      CALL_LATENCY_MS.eventBridge,
    ),
    sts: instrument(new STSClient({ ...common, endpoint: sandbox.endpoint }), CALL_LATENCY_MS.sts),
    sqs: instrument(new SQSClient({ ...common, endpoint: sandbox.endpoint }), CALL_LATENCY_MS.sqs),
    organizations: instrument(
      new OrganizationsClient({ ...common, endpoint: sandbox.endpoint }),
      CALL_LATENCY_MS.organizations,
    ),
  };
  const ssmClients: SSMClient[] = [];
  const ssmFor = (config: SSMClientConfig): SSMClient => {
    const client = instrument(
      new SSMClient({
        ...config,
        endpoint: sandbox.endpoint,
        credentials: config.credentials ?? credentials,
        requestHandler: { httpAgent: agent },
      }),
      CALL_LATENCY_MS.ssm,
    );
    ssmClients.push(client);
    return client;
  };

  function instrument<C extends { middlewareStack: { add: (...args: never[]) => void } }>(
    client: C,
    latencyMs: number,
  ): C {
    const stack = client.middlewareStack as unknown as {
      add: (middleware: unknown, options: Record<string, unknown>) => void;
    };
    stack.add(
      (
        next: (args: { input: Record<string, unknown> }) => Promise<unknown>,
        context: { commandName?: string },
      ) =>
        async (args: { input: Record<string, unknown> }) => {
          const entry = tally();
          const name = context.commandName ?? '?';
          entry.calls.set(name, (entry.calls.get(name) ?? 0) + 1);
          if (name === 'PutEventsCommand' && Array.isArray(args.input.Entries))
            entry.putEvents += args.input.Entries.length;
          // A call made while another is in flight (AssumeRole while SSM signs) is covered by it.
          if (inCall.getStore() === true) return next(args);
          await clock.sleep(latencyMs);
          return clock.track(() => inCall.run(true, () => next(args)));
        },
      { step: 'initialize', priority: 'high', name: 'organizationBenchCall' },
    );
    return client;
  }

  const store = new DynamoFanOutStore({ tableName: TABLE, client: dynamodb });
  const logs = { poll: 0, dispatcher: 0 };
  const logLines: string[] = [];
  const releaseLogs = captureStdout((chunk) => {
    const kind = clock.kind;
    if (kind === 'poll' || kind === 'dispatcher') logs[kind] += Buffer.byteLength(chunk, 'utf8');
    for (const line of chunk.split('\n')) {
      const message = /"message":"([^"]*)"/.exec(line)?.[1];
      if (message !== undefined) logLines.push(message);
    }
  });

  const baseEnv = {
    TABLE_NAME: TABLE,
    POWERTOOLS_SERVICE_NAME: 'ssm-step-watch',
    POWERTOOLS_METRICS_NAMESPACE: 'SsmStepWatch',
    POLL_PERIOD_SECONDS: String(bench.periodSeconds),
    AWS_REGION: HOME_REGION,
  };
  // The dispatcher and the poll function share the scope, as the construct deploys them.
  const scope = JSON.stringify({ regions: bench.regions, memberRoleName: DEFAULT_MEMBER_ROLE_NAME });
  const dispatch = createDispatcher({
    env: {
      ...baseEnv,
      WORK_QUEUE_URL: sandbox.queue('work').url,
      ORGANIZATION: scope,
    },
    clients: { dynamodb, sqs: clients.sqs, organizations: clients.organizations },
    now: () => clock.now,
  });
  const poll = createHandler({
    env: {
      ...baseEnv,
      EVENT_BUS_NAME: 'step-watch',
      MEMBER_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME,
      ORGANIZATION: scope,
    },
    clients: { dynamodb, eventBridge: clients.eventBridge, sts: clients.sts, ssmFor },
    timer: clock.timer,
  });

  const end = T0 + bench.runSeconds * 1000;
  const queue = sandbox.queue('work');
  const waiting: SandboxQueueRecord[] = [];
  const pollMs: number[] = [];
  const dispatcherMs: number[] = [];
  const roundEnds = new Map<number, number>();
  const samples: number[] = [];
  let invocations = 0;
  let failedItems = 0;
  let cold = bench.maxConcurrency;
  let dispatches = 0;
  let requestIds = 0;
  const context = (functionName: string, timeoutMs: number) =>
    lambdaContext({
      functionName,
      account: HOME,
      region: HOME_REGION,
      timeoutMs,
      invokedAt: clock.now,
      clock: () => clock.now,
      requestId: `org-bench-${++requestIds}`,
    });

  await (async () => {
    await createTable(dynamodb, TABLE);
    const worker = async (): Promise<void> => {
      while (clock.now < end || waiting.length > 0 || queue.depth > 0) {
        waiting.push(...queue.takeAll());
        const record = waiting.shift();
        if (record === undefined) {
          if (clock.now >= end) return;
          await clock.sleep(IDLE_POLL_MS);
          continue;
        }
        const dispatchedAt = (JSON.parse(record.body) as { dispatchedAt: number }).dispatchedAt;
        await clock.sleep(INVOKE_MS.eventSource + (cold-- > 0 ? INVOKE_MS.coldStart : 0));
        const started = clock.now;
        const response = await poll(
          { Records: [record] } as unknown as SQSEvent,
          context('step-watch-poller', bench.pollTimeoutMs),
        );
        pollMs.push(clock.now - started);
        invocations++;
        failedItems += response.batchItemFailures.length;
        roundEnds.set(dispatchedAt, Math.max(roundEnds.get(dispatchedAt) ?? 0, clock.now));
      }
    };
    const scheduler = async (): Promise<void> => {
      for (let at = T0; at < end; at += bench.periodSeconds * 1000) {
        await clock.sleep(at + INVOKE_MS.scheduled - clock.now);
        const started = clock.now;
        await dispatch({}, context('step-watch-dispatcher', bench.dispatcherTimeoutMs));
        dispatcherMs.push(clock.now - started);
        dispatches++;
      }
    };
    const sampler = async (): Promise<void> => {
      const keys = accounts.flatMap((account) => bench.regions.map((region) => `${account}#${region}`));
      for (let at = T0 + bench.firstSampleSeconds * 1000; at <= end; at += bench.sampleEverySeconds * 1000) {
        await clock.sleep(at - clock.now);
        samples.push(...stalenessAt(await store.lastCompleteTimes(keys), clock.now, T0));
      }
    };
    await Promise.all([
      clock.spawn('dispatcher', scheduler),
      clock.spawn('sampler', sampler),
      ...Array.from({ length: bench.maxConcurrency }, () => clock.spawn('poll', worker)),
    ]);
  })().finally(async () => {
    releaseLogs();
    for (const client of [...Object.values(clients), ...ssmClients]) client.destroy();
    agent.destroy();
    await Promise.allSettled([sandbox.stop(), recorder.stop(), dynamo.stop()]);
  });

  const cpu = process.cpuUsage(cpuStart);
  const shards = accounts.length * bench.regions.length;
  const pollTally = tallies.get('poll') ?? {
    calls: new Map(),
    readUnits: 0,
    writeUnits: 0,
    putEvents: 0,
    logBytes: 0,
  };
  const dispatcherTally = tallies.get('dispatcher') ?? {
    calls: new Map(),
    readUnits: 0,
    writeUnits: 0,
    putEvents: 0,
    logBytes: 0,
  };
  const count = (t: Tally, names: readonly string[]): number =>
    names.reduce((n, name) => n + (t.calls.get(name) ?? 0), 0);
  const dynamoCalls = (t: Tally, read: boolean): number =>
    [...t.calls]
      .filter(
        ([name]) =>
          READ_COMMANDS.has(name) === read &&
          /^(Get|Put|Update|Delete|Query|BatchGet|BatchWrite)/.test(name) &&
          !name.startsWith('PutEvents'),
      )
      .reduce((n, [, calls]) => n + calls, 0);
  const lines = (message: string): number => logLines.filter((line) => line === message).length;
  const droppedStale = lines('dropped a stale work item; a fresher one is queued');
  const leaseSkipped = lines('skipped: another cycle holds the lease');
  const shardCycles = Math.max(1, invocations - droppedStale - leaseSkipped);
  const per = (n: number, digits = 2): number => round(n / shardCycles, digits);
  const mean = (values: readonly number[]): number =>
    values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
  const runs = Math.max(1, dispatches);
  const sqsDispatcher = count(dispatcherTally, ['SendMessageBatchCommand', 'SendMessageCommand']);
  const usage: ShardCycleUsage = {
    pollSeconds: mean(pollMs) / 1000,
    pollInvocations: invocations / shardCycles,
    pollMemoryMb: bench.pollMemoryMb,
    dispatcherSeconds: mean(dispatcherMs) / 1000,
    dispatcherMemoryMb: bench.dispatcherMemoryMb,
    shards,
    readUnits: pollTally.readUnits / shardCycles + dispatcherTally.readUnits / runs / shards,
    writeUnits: pollTally.writeUnits / shardCycles + dispatcherTally.writeUnits / runs / shards,
    // The dispatcher's batch sends, and per invocation the event source's receive and delete.
    sqsRequests: sqsDispatcher / runs / shards + (2 * invocations) / shardCycles,
    putEvents: pollTally.putEvents / shardCycles,
    logBytes: logs.poll / shardCycles + logs.dispatcher / runs / shards,
  };
  const rounds = [...roundEnds]
    .filter(([dispatchedAt]) => dispatchedAt > T0)
    .map(([dispatchedAt, last]) => (last - dispatchedAt) / 1000);
  const p99 = round(percentile(samples, 99), 1);
  return {
    shards,
    accounts: accounts.length,
    regions: bench.regions,
    maxConcurrency: bench.maxConcurrency,
    periodSeconds: bench.periodSeconds,
    virtualSeconds: bench.runSeconds,
    dispatches,
    invocations,
    shardCycles,
    droppedStale,
    leaseSkipped,
    failedItems,
    executions,
    events: recorder.events().length,
    perShardCycle: {
      lambdaMs: Math.round(mean(pollMs)),
      lambdaMsP99: Math.round(percentile(pollMs, 99)),
      hostCpuMs: per((cpu.user + cpu.system) / 1000, 1),
      ssmCalls: per(
        count(pollTally, ['DescribeAutomationExecutionsCommand', 'DescribeAutomationStepExecutionsCommand']),
      ),
      stsCalls: per(count(pollTally, ['AssumeRoleCommand'])),
      dynamoReadCalls: per(dynamoCalls(pollTally, true)),
      dynamoWriteCalls: per(dynamoCalls(pollTally, false)),
      readUnits: per(pollTally.readUnits),
      writeUnits: per(pollTally.writeUnits),
      putEvents: per(pollTally.putEvents),
      logBytes: Math.round(logs.poll / shardCycles),
    },
    dispatcher: {
      lambdaMs: Math.round(mean(dispatcherMs)),
      readUnits: round(dispatcherTally.readUnits / runs, 1),
      writeUnits: round(dispatcherTally.writeUnits / runs, 1),
      sqsCalls: round(sqsDispatcher / runs, 1),
      organizationsCalls: round(
        [...dispatcherTally.calls]
          .filter(([name]) => /^(List|DescribeOrganization)/.test(name))
          .reduce((n, [, calls]) => n + calls, 0) / runs,
        2,
      ),
      logBytes: Math.round(logs.dispatcher / runs),
    },
    roundSeconds: { p50: round(percentile(rounds, 50), 1), max: round(Math.max(0, ...rounds), 1) },
    staleness: {
      p50Seconds: round(percentile(samples, 50), 1),
      p99Seconds: p99,
      maxSeconds: round(Math.max(0, ...samples), 1),
      samples: samples.length,
    },
    usagePerShardCycle: usage,
    costPerShardMonth: shardMonthlyCost(usage, bench.periodSeconds, LIST_PRICES),
    wallSeconds: Math.round((performance.now() - wallStart) / 1000),
    targets: { stalenessP99AtMost90s: p99 <= 90 },
  };
}

/** Prints the report as a table; returns it. */
export function printOrganization(report: OrganizationReport): OrganizationReport {
  const c = report.costPerShardMonth;
  const p = report.perShardCycle;
  const d = report.dispatcher;
  const rows: [string, string][] = [
    ['shards (accounts x regions)', `${report.shards} (${report.accounts} x ${report.regions.length})`],
    ['event source maxConcurrency', String(report.maxConcurrency)],
    [
      'dispatches / cycles / stale dropped / lease skipped / failed',
      `${report.dispatches} / ${report.shardCycles} / ${report.droppedStale} / ${report.leaseSkipped} / ${report.failedItems}`,
    ],
    ['executions / events', `${report.executions} / ${report.events}`],
    [
      'staleness p50 / p99 / max, s',
      `${report.staleness.p50Seconds} / ${report.staleness.p99Seconds} / ${report.staleness.maxSeconds}`,
    ],
    [
      'round: dispatch to last cycle, p50 / max, s',
      `${report.roundSeconds.p50} / ${report.roundSeconds.max}`,
    ],
    ['per shard cycle: Lambda ms (mean / p99)', `${p.lambdaMs} / ${p.lambdaMsP99}`],
    ['  host CPU ms (bench process, upper bound)', String(p.hostCpuMs)],
    ['  SSM calls / AssumeRole calls', `${p.ssmCalls} / ${p.stsCalls}`],
    ['  DynamoDB read / write calls', `${p.dynamoReadCalls} / ${p.dynamoWriteCalls}`],
    ['  DynamoDB read / write units', `${p.readUnits} / ${p.writeUnits}`],
    ['  events / log bytes', `${p.putEvents} / ${p.logBytes}`],
    [
      'per dispatcher run: ms, RRU / WRU, SQS calls, Organizations calls',
      `${d.lambdaMs}, ${d.readUnits} / ${d.writeUnits}, ${d.sqsCalls}, ${d.organizationsCalls}`,
    ],
    [
      'USD per shard per month: Lambda / DynamoDB / SQS / Scheduler / PutEvents / Logs',
      `${c.lambda} / ${c.dynamodb} / ${c.sqs} / ${c.scheduler} / ${c.putEvents} / ${c.logs}`,
    ],
    ['  total', String(c.total)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(
    `\nOrganization: ${report.shards} shards at the ${report.periodSeconds} s schedule for ${report.virtualSeconds} virtual s ` +
      `(real dispatcher, work queue and poll function; ${report.wallSeconds} s wall)\n`,
  );
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
  console.log(`Targets: ${JSON.stringify(report.targets)}`);
  return report;
}
