// Plays a generated fault case over the wire: the local stack behind a DynamoDB fault proxy, real pollers, a manual clock.
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createTable } from '../../lambda/adapters/dynamodb/create-table';
import { StepWatchError } from '../../lambda/core/errors';
import type { ExecutionPage, PollCycleDeps, StepPage } from '../../lambda/core/ports';
import { loopPlaceKey, plannedStepKey, STEP_PAGE_SIZE, snapshotKeyOf } from '../../lambda/core/read-plan';
import type { ExecutionView } from '../../lambda/core/types';
import { type CycleSummary, type PollCycleOptions, runPollCycle } from '../../lambda/cycle/poll-cycle';
import type { PollerConfig } from '../../lambda/runtime/config';
import { createPoller, type Poller, type PollerClients } from '../../lambda/runtime/poller';
import type { EventBridgeRecorder } from '../../sandbox/event-recorder';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalStack, startLocalStack } from '../../sandbox/local-stack';
import { parseScenario, type Scenario } from '../../sandbox/scenario';
import {
  behaviourLabel,
  DOCUMENTED_BEHAVIOUR,
  pendingStepExecutionId,
  type SsmBehaviour,
} from '../../sandbox/ssm-behaviour';
import { type FaultKind, SsmSimulator } from '../../sandbox/ssm-simulator';
import {
  crashAfterSideEffects,
  DYNAMO_FAULT_KINDS,
  DynamoFaultProxy,
  deadlineAfterReads,
  InstantRetryStrategy,
  interceptPorts,
  killedAt,
  killedMidCycle,
  ProcessCrash,
  runWithRival,
} from './fault-layer';
import { type CycleBudget, type CycleFault, type FaultCase, lastChange } from './generators';
import { HintDriver } from './hint-driver';
import { checkDelivery, type DeliveryReport, type Observation, type StepAlias } from './invariants';

/** Scenario start of every run. */
export const FAULT_T0 = Date.parse('2026-11-25T12:00:00.000Z');

/** Names of the faults counted in reports. */
export const FAULT_NAMES = [
  'ssm.throttle',
  'ssm.internal',
  'ssm.reset',
  'ssm.partial',
  ...DYNAMO_FAULT_KINDS.map((k) => `dynamo.${k}`),
  'putEvents.partial',
  'putEvents.outage',
  'crash',
  'kill',
  'deadline',
  'maxExecutions',
  'rival.leased',
  'rival.unleased',
] as const;

/** What each fault count counts. */
export const FAULT_UNITS: Readonly<Record<(typeof FAULT_NAMES)[number], string>> = {
  'ssm.throttle': 'SSM calls answered 400 ThrottlingException',
  'ssm.internal': 'SSM calls answered 500 InternalServerError',
  'ssm.reset': 'SSM connections reset',
  'ssm.partial': 'SSM records served without optional fields',
  'dynamo.internal': 'DynamoDB calls answered 500 InternalServerError',
  'dynamo.throughput': 'DynamoDB calls answered ProvisionedThroughputExceeded',
  'dynamo.throttling': 'DynamoDB calls answered ThrottlingException',
  'dynamo.reset': 'DynamoDB connections reset before the call',
  'dynamo.lostReply': 'DynamoDB calls applied, reply lost',
  'putEvents.partial': 'PutEvents entries failed',
  'putEvents.outage': 'PutEvents calls refused (outage)',
  crash: 'cycles that died after a side effect',
  kill: 'cycles killed between half their budget and their deadline',
  deadline: 'cycles the deadline cut short',
  maxExecutions: 'cycles cut short by maxExecutions',
  'rival.leased': 'cycles with a leasing rival poller',
  'rival.unleased': 'cycles with a rival poller racing on every write',
};

/** What one run of a fault case did and found. */
export interface FaultRunResult {
  /** The simulator's switch combination, as `behaviourLabel` writes it. */
  readonly behaviourLabel: string;
  /** Cycles run: scheduled, rival and clean ones. */
  readonly cycles: number;
  /**
   * Cycles that returned leaving work for the next (`executionsDeferred > 0`): executions not served,
   * or a long listing that goes on next cycle.
   */
  readonly deferredCycles: number;
  /** Faults that took effect, by name (see {@link FAULT_NAMES}). */
  readonly faults: Readonly<Record<string, number>>;
  /** ConditionalCheckFailed answers DynamoDB gave (rivals, retried writes). */
  readonly conditionalCheckFailed: number;
  /** Cycles that found the shard's lease held by another poller and stood down. */
  readonly standDowns: number;
  /** Ground-truth status changes and alarm changes of the scenario. */
  readonly groundTruthChanges: number;
  readonly report: DeliveryReport;
  /** Cycles that failed in a way no fault explains (a bug), and clean cycles that failed at all. */
  readonly errors: readonly string[];
  /** The last log lines of the pollers, for reading a failure. */
  readonly log: readonly string[];
}

/** Clean cycles allowed after the schedule before a run counts as not settling. */
const MAX_CLEAN_CYCLES = 8;
/** Entry limit of the pollers: small, so huge Outputs are truncated without megabytes on the wire. */
const MAX_ENTRY_BYTES = 8192;
/** A leased cycle's process lives this share of the poll interval, as the Lambda's timeout is below its period. */
const LEASE_SHARE = 0.9;
const DUMMY_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const WRITES = ['PutItem', 'UpdateItem', 'BatchWriteItem'];

/** The SSM simulator of one switch combination, and the SSM clients of the two pollers pointed at it. */
interface SsmUnderTest {
  readonly label: string;
  readonly sim: SsmSimulator;
  readonly main: SSMClient;
  readonly rival: SSMClient;
}

/**
 * The local stack (EventBridge recorder, dynalite behind a {@link DynamoFaultProxy}) reused across
 * runs, each run with a new table and bus name; and an SSM simulator with the run's switch
 * combination, kept while the next run has the same one.
 */
export class FaultRunner {
  readonly #stack: LocalStack;
  readonly #proxy: DynamoFaultProxy;
  readonly #clients: { readonly main: PollerClients; readonly rival: PollerClients };
  readonly #clock: { now: number };
  #ssm: SsmUnderTest | null = null;
  #runs = 0;

  private constructor(
    stack: LocalStack,
    proxy: DynamoFaultProxy,
    clock: { now: number },
    clients: { main: PollerClients; rival: PollerClients },
  ) {
    this.#stack = stack;
    this.#proxy = proxy;
    this.#clock = clock;
    this.#clients = clients;
  }

  /** Starts the stack and the proxy. */
  static async start(): Promise<FaultRunner> {
    const clock = { now: FAULT_T0 };
    const stack = await startLocalStack({
      scenario: parseScenario({ name: 'empty', executions: [] }),
      startEpochMs: FAULT_T0,
      clock: () => clock.now,
      tableName: 'faults-bootstrap',
      // Runs use a simulator of their own switch combination; this one only completes the stack.
      behaviour: DOCUMENTED_BEHAVIOUR,
    });
    const proxy = new DynamoFaultProxy({ target: stack.env.AWS_ENDPOINT_URL_DYNAMODB ?? '' });
    await proxy.start();
    // Each poller its own clients (its own connections), all through the faults, retrying at once.
    const clientsOf = (): PollerClients => {
      const common = { region: LOCAL_REGION, credentials: DUMMY_CREDENTIALS };
      return {
        dynamodb: new DynamoDBClient({
          ...common,
          endpoint: proxy.endpoint,
          retryStrategy: new InstantRetryStrategy(3),
        }),
        eventBridge: new EventBridgeClient({
          ...common,
          endpoint: stack.recorder.endpoint,
          retryStrategy: new InstantRetryStrategy(2),
        }),
      };
    };
    return new FaultRunner(stack, proxy, clock, { main: clientsOf(), rival: clientsOf() });
  }

  /** The simulator of the last run, for tests that look at it directly; undefined before the first run. */
  get ssm(): SsmSimulator | undefined {
    return this.#ssm?.sim;
  }

  /** The recorder, for tests that look at it directly. */
  get recorder(): EventBridgeRecorder {
    return this.#stack.recorder;
  }

  /**
   * Plays one case under its switch combination: the scheduled cycles with their faults, then clean
   * cycles; checks the invariants.
   */
  async run(faultCase: FaultCase): Promise<FaultRunResult> {
    const n = ++this.#runs;
    const tableName = `faults-${n}`;
    const busName = `bus-${n}`;
    const admin = this.#stack.clients.dynamodb;
    await createTable(admin, tableName);
    const ssm = await this.#ssmFor(faultCase.behaviour);
    ssm.sim.setScenario(faultCase.scenario);
    const plan = faultCase.hints;
    ssm.sim.setNativeEvents(
      plan && {
        delaySeconds: [0, 5],
        lossRate: plan.lossRate,
        duplicateRate: plan.duplicateRate,
        seed: plan.seed,
        account: LOCAL_ACCOUNT,
        region: LOCAL_REGION,
      },
    );
    ssm.sim.clearFaults();
    this.#stack.recorder.reset();
    this.#proxy.clearFaults();
    this.#clock.now = FAULT_T0;
    const proxyBefore = this.#proxy.stats();

    const run = new FaultRun(
      ssm.sim,
      this.#stack.recorder,
      this.#proxy,
      this.#clock,
      {
        main: { ...this.#clients.main, ssm: ssm.main },
        rival: { ...this.#clients.rival, ssm: ssm.rival },
      },
      {
        tableName,
        eventBusName: busName,
        eventSource: 'ssm-step-watch',
        historyRetentionDays: 30,
        maxEntryBytes: MAX_ENTRY_BYTES,
        ssmDescribeTps: faultCase.budget?.tps ?? 1000,
      },
      faultCase.intervalSeconds * LEASE_SHARE * 1000,
      faultCase.budget,
    );
    // With hints, SSM's own events reach the real hint handler between the cycles, second by second.
    const hints =
      plan &&
      new HintDriver({
        sim: ssm.sim,
        plan,
        clock: this.#clock,
        tableName,
        busName,
        maxEntryBytes: MAX_ENTRY_BYTES,
        intervalSeconds: faultCase.intervalSeconds,
        clients: this.#clients.main,
        observe: (observations) => run.observations.add(observations),
        count: (name, by = 1) => {
          run.faults[name] = (run.faults[name] ?? 0) + by;
        },
        error: (message) => run.errors.push(message),
      });
    const advance = async (seconds: number): Promise<void> => {
      if (hints) await hints.until(FAULT_T0 + Math.round(seconds * 1000));
      this.#advanceTo(seconds);
    };
    for (const [index, seconds] of faultCase.pollSeconds.entries()) {
      await advance(seconds);
      await run.scheduledCycle(faultCase.faults[index] ?? [], seconds);
    }
    // Faults stop; clean cycles run once the scenario's last change is visible (its lag past) until
    // one has nothing to do.
    const lag = ssm.sim.behaviour?.visibilityLagSeconds ?? 0;
    let seconds = Math.max(lastChange(faultCase.scenario) + lag, faultCase.pollSeconds.at(-1) ?? 0);
    let settled = false;
    const maxClean = cleanCyclesFor(faultCase);
    for (let i = 0; i < maxClean && !settled; i++) {
      seconds += faultCase.intervalSeconds;
      await advance(seconds);
      settled = await run.cleanCycle(seconds);
    }
    if (!settled) run.errors.push(`no quiet cycle within ${maxClean} clean cycles`);

    const groundTruth = ssm.sim.groundTruth();
    hints?.finish(groundTruth.filter((entry) => entry.kind !== 'alarm').length);
    const report = checkDelivery({
      groundTruth,
      delivered: this.#stack.recorder.events().filter((e) => e.eventBusName === busName),
      observations: run.observations.committed,
      aliases: aliasesOf(faultCase.scenario, faultCase.behaviour),
      settled,
    });
    const proxyAfter = this.#proxy.stats();
    for (const kind of DYNAMO_FAULT_KINDS) {
      run.faults[`dynamo.${kind}`] = proxyAfter.injected[kind] - proxyBefore.injected[kind];
    }
    await admin.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    return {
      behaviourLabel: ssm.label,
      cycles: run.cycles,
      deferredCycles: run.deferredCycles,
      faults: run.faults,
      conditionalCheckFailed: proxyAfter.conditionalCheckFailed - proxyBefore.conditionalCheckFailed,
      standDowns: run.standDowns,
      groundTruthChanges: groundTruth.length,
      report,
      errors: run.errors,
      log: run.log,
    };
  }

  /** Stops the simulator, the proxy and the stack. */
  async stop(): Promise<void> {
    await this.#dropSsm();
    for (const clients of [this.#clients.main, this.#clients.rival]) {
      clients.dynamodb?.destroy();
      clients.eventBridge?.destroy();
    }
    await this.#proxy.stop();
    await this.#stack.stop();
  }

  /** The simulator of this switch combination: the current one, or a new one in its place. */
  async #ssmFor(behaviour: SsmBehaviour): Promise<SsmUnderTest> {
    const label = behaviourLabel(behaviour);
    if (this.#ssm?.label === label) return this.#ssm;
    await this.#dropSsm();
    const sim = new SsmSimulator({
      scenario: parseScenario({ name: 'empty', executions: [] }),
      startEpochMs: FAULT_T0,
      clock: () => this.#clock.now,
      behaviour,
    });
    const endpoint = await sim.start();
    const clientOf = (): SSMClient =>
      new SSMClient({
        region: LOCAL_REGION,
        credentials: DUMMY_CREDENTIALS,
        endpoint,
        retryStrategy: new InstantRetryStrategy(3),
      });
    this.#ssm = { label, sim, main: clientOf(), rival: clientOf() };
    return this.#ssm;
  }

  async #dropSsm(): Promise<void> {
    const current = this.#ssm;
    if (current === null) return;
    this.#ssm = null;
    current.main.destroy();
    current.rival.destroy();
    await current.sim.stop();
  }

  #advanceTo(seconds: number): void {
    // Never backwards: a rival may have moved the clock past the next scheduled cycle.
    this.#clock.now = Math.max(this.#clock.now, FAULT_T0 + Math.round(seconds * 1000));
  }
}

/** The pollers, counters and observations of one run. */
class FaultRun {
  readonly faults: Record<string, number> = Object.fromEntries(FAULT_NAMES.map((name) => [name, 0]));
  readonly errors: string[] = [];
  readonly log: string[] = [];
  readonly observations: ObservationLog;
  cycles = 0;
  deferredCycles = 0;
  standDowns = 0;
  readonly #ssm: SsmSimulator;
  readonly #recorder: EventBridgeRecorder;
  readonly #proxy: DynamoFaultProxy;
  readonly #clock: { now: number };
  readonly #main: Poller;
  readonly #rival: Poller;
  readonly #leaseMs: number;
  readonly #budgetMs: number | null;

  constructor(
    ssm: SsmSimulator,
    recorder: EventBridgeRecorder,
    proxy: DynamoFaultProxy,
    clock: { now: number },
    clients: { readonly main: PollerClients; readonly rival: PollerClients },
    config: PollerConfig,
    leaseMs: number,
    budget: CycleBudget | undefined,
  ) {
    this.#ssm = ssm;
    this.#recorder = recorder;
    this.#proxy = proxy;
    this.#clock = clock;
    this.#leaseMs = leaseMs;
    this.#budgetMs = budget ? budget.seconds * 1000 : null;
    this.observations = new ObservationLog(() => clock.now);
    // On a budget, waiting for an SSM token costs its time on the run's clock, so cycles end by their
    // deadline with long listings half read; without one, the clock stands still within a cycle.
    const timer = {
      now: () => clock.now,
      sleep: budget
        ? async (ms: number) => {
            clock.now += ms;
          }
        : async () => {},
    };
    const target = { account: LOCAL_ACCOUNT, region: LOCAL_REGION };
    this.#main = createPoller(config, target, { clients: clients.main, timer, logger: this.#logger('main') });
    this.#rival = createPoller(config, target, {
      clients: clients.rival,
      timer,
      logger: this.#logger('rival'),
    });
  }

  /** One scheduled cycle with its faults. */
  async scheduledCycle(planned: readonly CycleFault[], seconds: number): Promise<void> {
    const ssm = this.#ssm;
    const recorder = this.#recorder;
    const rivalPlan = planned.find((f): f is Extract<CycleFault, { kind: 'rival' }> => f.kind === 'rival');
    // The Lambda leases; a rival without a lease stands for a manual `poll` next to another one.
    const leased = rivalPlan?.leased ?? true;
    let { deps, options } = leased ? this.#leased(this.#main) : this.#main;
    const cycleStart = this.#clock.now;
    options = this.#budgeted(options);

    const ssmCalls: FaultKind[] = [];
    let partial = { entries: 0, code: 'InternalFailure' };
    let outage = false;
    let crashAt: number | null = null;
    let killAt: number | null = null;
    for (const fault of planned) {
      if (fault.kind === 'ssm') ssmCalls.push(...fault.calls);
      else if (fault.kind === 'ssmPartial')
        ssm.setPayloadMutator(dropping(fault.drop, () => this.#count('ssm.partial')));
      else if (fault.kind === 'dynamo')
        this.#proxy.injectFaults({ nextCalls: fault.calls, ...(fault.writesOnly && { operations: WRITES }) });
      else if (fault.kind === 'putEventsPartial')
        partial = { entries: partial.entries + fault.entries, code: fault.errorCode };
      else if (fault.kind === 'putEventsOutage') outage = true;
      else if (fault.kind === 'crash') crashAt = fault.afterSideEffects;
      // Without a budget the clock stands still within a cycle, and the kill never strikes.
      else if (fault.kind === 'kill') killAt = cycleStart + fault.at * (this.#budgetMs ?? this.#leaseMs);
      else if (fault.kind === 'deadline') {
        const clock = deadlineAfterReads(() => this.#clock.now, fault.afterClockReads);
        deps = { ...deps, now: clock.now };
        options = { ...options, deadline: clock.deadline };
      } else if (fault.kind === 'maxExecutions') options = { ...options, maxExecutions: fault.count };
    }
    ssm.injectFaults({ nextCalls: ssmCalls });
    let failedEntries = 0;
    if (partial.entries > 0) {
      recorder.failEntries(() => {
        if (failedEntries >= partial.entries) return false;
        failedEntries++;
        return partial.code;
      });
    }
    recorder.setOutage(outage);
    const callsBefore = recorder.callCount();
    const crashing = crashAt === null ? null : crashAfterSideEffects(deps, crashAt);
    if (crashing) deps = crashing.deps;
    const killing = killAt === null ? null : killedMidCycle(deps, () => this.#clock.now, killAt);
    if (killing) deps = killing.deps;

    const results: { who: string; result: PromiseSettledResult<CycleSummary> }[] = [];
    const mainOptions = options;
    if (rivalPlan) {
      const rival = this.#rival;
      let rivalOptions = this.#budgeted(rival.options);
      const settled = await runWithRival({
        main: (d) => this.#runCycle(d, mainOptions),
        mainDeps: deps,
        // The clock stands still once the rival runs, so its own timeout never strikes.
        rival: (d) => this.#runCycle(d, rivalOptions),
        rivalDeps: rival.deps,
        startAfterCalls: rivalPlan.startAfterCalls,
        stallFor: rivalPlan.stallFor,
        beforeRival: () => {
          this.#clock.now += Math.round(rivalPlan.advanceSeconds * 1000);
          rivalOptions = this.#budgeted(leased ? this.#leased(rival).options : rival.options);
        },
      });
      results.push({ who: 'main', result: settled.main }, { who: 'rival', result: settled.rival });
      this.#count(leased ? 'rival.leased' : 'rival.unleased');
    } else {
      const [result] = await Promise.allSettled([this.#runCycle(deps, mainOptions)]);
      if (result) results.push({ who: 'main', result });
    }

    // Count what took effect, then stop every fault before the next cycle.
    const consumed = ssmCalls.slice(0, ssmCalls.length - ssm.pendingFaults());
    for (const kind of consumed) if (kind !== 'ok') this.#count(`ssm.${kind}`);
    ssm.clearFaults();
    ssm.setPayloadMutator();
    this.#proxy.clearFaults();
    this.#count('putEvents.partial', failedEntries);
    if (outage) this.#count('putEvents.outage', recorder.callCount() - callsBefore);
    recorder.failEntries();
    recorder.setOutage(false);
    if (crashing?.crashed()) this.#count('crash');
    if (killing?.killed()) this.#count('kill');
    const main = results[0]?.result;
    if (main?.status === 'fulfilled' && !main.value.complete && !main.value.leaseHeldElsewhere) {
      if (planned.some((f) => f.kind === 'deadline')) this.#count('deadline');
      else if (planned.some((f) => f.kind === 'maxExecutions')) this.#count('maxExecutions');
    }
    for (const { who, result } of results) {
      if (result.status === 'rejected' && !isExplained(result.reason)) {
        this.errors.push(`${who} cycle at ${seconds.toFixed(2)} s failed: ${describe(result.reason)}`);
      }
    }
  }

  /** One clean cycle; true when it found nothing left to do. */
  async cleanCycle(seconds: number): Promise<boolean> {
    const { deps, options: leasedOptions } = this.#leased(this.#main);
    const options = this.#budgeted(leasedOptions);
    try {
      const summary = await this.#runCycle(deps, options);
      return (
        summary.complete &&
        summary.transitions === 0 &&
        summary.eventsResent === 0 &&
        summary.eventsEmitted === 0 &&
        summary.eventsPending === 0
      );
    } catch (error) {
      this.errors.push(`clean cycle at ${seconds.toFixed(2)} s failed: ${describe(error)}`);
      return false;
    }
  }

  /** The poller as the Lambda runs it: leasing the shard until its timeout, gone after it. */
  #leased(poller: Poller): { deps: PollCycleDeps; options: PollCycleOptions } {
    const clock = (): number => this.#clock.now;
    const leaseUntil = clock() + this.#leaseMs;
    return { deps: killedAt(poller.deps, clock, leaseUntil), options: { ...poller.options, leaseUntil } };
  }

  /** The options with the deadline of a cycle starting now, when the run has a budget. */
  #budgeted<T extends Omit<PollCycleOptions, 'deadline'>>(options: T): T & { deadline?: number } {
    return this.#budgetMs === null ? options : { ...options, deadline: this.#clock.now + this.#budgetMs };
  }

  async #runCycle(deps: PollCycleDeps, options: PollCycleOptions): Promise<CycleSummary> {
    this.cycles++;
    const tracked = this.observations.track(deps);
    const summary = await runPollCycle(tracked.deps, options);
    if (summary.complete) tracked.commit();
    if (summary.executionsDeferred > 0) this.deferredCycles++;
    if (summary.inboxExecutions > 0) this.#count('hint.inboxReads', summary.inboxExecutions);
    if (summary.leaseHeldElsewhere) this.standDowns++;
    return summary;
  }

  #count(name: string, by = 1): void {
    this.faults[name] = (this.faults[name] ?? 0) + by;
  }

  #logger(who: string) {
    const write = (level: string) => (message: string, extra?: Record<string, unknown>) => {
      this.log.push(
        `${who} ${level} @${this.#clock.now - FAULT_T0}ms ${message} ${JSON.stringify(extra ?? {})}`,
      );
      if (this.log.length > 200) this.log.shift();
    };
    return { info: write('info'), warn: write('warn'), error: write('error') };
  }
}

/**
 * Clean cycles a run may take to settle: {@link MAX_CLEAN_CYCLES}, and on a budget as many more as
 * reading every step and execution of the scenario twice over takes at its SSM calls a cycle.
 */
function cleanCyclesFor(faultCase: FaultCase): number {
  const budget = faultCase.budget;
  if (budget === undefined) return MAX_CLEAN_CYCLES;
  const { executions } = faultCase.scenario;
  const calls =
    Math.ceil(executions.length / STEP_PAGE_SIZE) +
    executions.reduce((sum, e) => sum + 1 + Math.ceil(e.steps.length / STEP_PAGE_SIZE), 0);
  return MAX_CLEAN_CYCLES + Math.ceil((2 * calls) / (budget.tps * budget.seconds));
}

/**
 * The names SSM lists the scenario's planned steps under before they start, other than their own id:
 * another id (`changeOnStart`) or none, which the poller keys by name (`absent`); and, whatever the
 * id, a loop's steps by their place (loop step, iteration, name), as the poller keeps them.
 */
function aliasesOf(scenario: Scenario, behaviour: SsmBehaviour): StepAlias[] {
  const aliases: StepAlias[] = [];
  for (const execution of scenario.executions) {
    for (const step of execution.steps) {
      const place = step.loopIteration;
      if (place !== undefined) {
        const loop = execution.steps.find((s) => s.id === place.loopStepId);
        const parentStep = {
          stepExecutionId: null,
          stepName: loop?.name ?? null,
          action: loop?.action ?? null,
          iteration: place.index + behaviour.loopIterationBase,
          iteratorValue: null,
        };
        const listedAs = loopPlaceKey({ stepName: step.name, parentStep });
        if (listedAs !== null)
          aliases.push({ executionId: execution.id, listedAs, stepExecutionId: step.id });
        continue;
      }
      if (step.plannedUpFront === false || behaviour.unstartedStepIds === 'stable') continue;
      aliases.push({
        executionId: execution.id,
        listedAs:
          behaviour.unstartedStepIds === 'changeOnStart'
            ? pendingStepExecutionId(step.id)
            : plannedStepKey(step.name),
        stepExecutionId: step.id,
      });
    }
  }
  return aliases;
}

/** A payload mutator that leaves `fields` out of every step and execution; `onDrop` counts the records. */
function dropping(fields: readonly string[], onDrop: () => void) {
  return (_operation: string, body: Record<string, unknown>): void => {
    const records = [
      ...((body.StepExecutions as Record<string, unknown>[] | undefined) ?? []),
      ...((body.AutomationExecutionMetadataList as Record<string, unknown>[] | undefined) ?? []),
    ];
    for (const record of records) {
      if (fields.some((field) => field in record)) onDrop();
      for (const field of fields) delete record[field];
    }
  };
}

/** A cycle may fail for a fault (a wrapped service error, a crash); anything else is a bug. */
function isExplained(error: unknown): boolean {
  return error instanceof ProcessCrash || error instanceof StepWatchError;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
}

/** Records what the reads of each cycle showed, and keeps those of the cycles that committed. */
class ObservationLog {
  readonly committed: Observation[] = [];
  readonly #clock: () => number;
  #order = 0;

  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /** Keeps reads observed elsewhere (a hint invocation's), in the order they come. */
  add(observations: readonly Observation[]): void {
    for (const observation of observations) this.committed.push({ ...observation, order: this.#order++ });
  }

  /** Wraps a cycle's source; `commit()` keeps its reads once the cycle returned complete. */
  track(deps: PollCycleDeps): { deps: PollCycleDeps; commit: () => void } {
    const steps: Observation[] = [];
    const executions = new Map<string, Observation>();
    const wrapped = interceptPorts(deps, async (call, proceed) => {
      const result = await proceed();
      if (call.port !== 'source') return result;
      const at = this.#clock();
      if (call.method === 'readStepPage') {
        const request = call.args[0] as { executionId: string };
        for (const step of (result as StepPage).steps) {
          steps.push({
            kind: 'step',
            executionId: request.executionId,
            // As the poller keeps it: a loop's not-started steps by their place.
            stepExecutionId: snapshotKeyOf(step),
            startTime: step.startTime,
            status: step.status,
            alarms: step.triggeredAlarms.filter((a) => a.state === 'ALARM').map((a) => a.name),
            at,
            order: this.#order++,
          });
        }
      } else if (call.method !== 'takeUnreadable') {
        // Discovery keeps the last view it got of an execution; so do we.
        const views =
          call.method === 'listStartedPage'
            ? (result as ExecutionPage).executions
            : (result as ExecutionView[]);
        for (const view of views) {
          executions.set(view.executionId, {
            kind: 'execution',
            executionId: view.executionId,
            status: view.status,
            alarms: view.triggeredAlarms.filter((a) => a.state === 'ALARM').map((a) => a.name),
            at,
            order: this.#order++,
          });
        }
      }
      return result;
    });
    return { deps: wrapped, commit: () => this.committed.push(...executions.values(), ...steps) };
  }
}
