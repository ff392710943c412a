// A local SSM Automation endpoint: plays a scenario against a clock and answers the real SSMClient's Describe calls.
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { SandboxError } from './errors';
import {
  LocalHttpServer,
  parseJsonBody,
  readBody,
  sendFailure,
  sendJson,
  targetOperation,
  WireError,
} from './http';
import { type NativeEvent, NativeEventFeed, type NativeEventOptions } from './native-events';
import {
  type LoopPlace,
  loopPlacesOf,
  parseScenario,
  type Scenario,
  type ScenarioAlarm,
  type ScenarioExecution,
  type ScenarioStep,
} from './scenario';
import {
  DOCUMENTED_BEHAVIOUR,
  pendingStepExecutionId,
  resolveBehaviour,
  type SsmBehaviour,
  stepVisibilityLagMs,
} from './ssm-behaviour';
import {
  EXECUTION_FILTER_KEYS,
  equalsFilter,
  filterKeys,
  iterationFilter,
  parseFilters,
  parseMaxResults,
  STEP_FILTER_KEYS,
  startTimeFilter,
  validationError,
} from './ssm-filters';
import { type AlarmInfo, evaluateTimeline, latestAlarm, type TimelineState } from './timeline';

// ---------------------------------------------------------------------------------------------
// Public shapes of the simulator.
// ---------------------------------------------------------------------------------------------

/** Options of {@link SsmSimulator}. */
export interface SsmSimulatorOptions {
  /** What SSM will show over time; validated with `parseScenario`. */
  readonly scenario: Scenario;
  /** Epoch ms that `at: 0` of the scenario maps to. */
  readonly startEpochMs: number;
  /**
   * The clock the scenario is evaluated at, epoch ms.
   * @default Date.now
   */
  readonly clock?: () => number;
  /**
   * Calls a second allowed per operation (a token bucket in real time); calls above it are
   * answered `400 ThrottlingException`, as SSM does at about 3 TPS.
   * @default no throttling
   */
  readonly throttleTps?: number;
  /**
   * Tokens the bucket holds, i.e. how many calls may come at once.
   * @default max(1, floor(throttleTps))
   */
  readonly throttleBurst?: number;
  /**
   * Whether the quota is counted on `clock` instead of real time: a run on a virtual clock, where
   * calls come as fast as the process makes them, is throttled by the calls' virtual times.
   * @default false (real time)
   */
  readonly throttleOnClock?: boolean;
  /**
   * How SSM behaves where nobody documents it (see {@link SsmBehaviour}); missing fields take
   * {@link DOCUMENTED_BEHAVIOUR}. Whatever the switches, the simulator shows what SSM is documented
   * to do: every planned step listed from the execution's start as `Pending` without start time
   * (and for good if it never starts), at most one `TriggeredAlarms` entry, no current step once an
   * execution ended, and executions forgotten `historyDays` after their end.
   * @default DOCUMENTED_BEHAVIOUR
   */
  readonly behaviour?: Partial<SsmBehaviour>;
  /**
   * Publish SSM's own `aws.ssm` Automation events (step and execution status changes), best effort:
   * take them with {@link SsmSimulator.takeNativeEvents}. See `sandbox/native-events.ts`.
   * @default no native events
   */
  readonly nativeEvents?: NativeEventOptions;
}

/**
 * What an injected fault does to one request: `throttle` answers 400 `ThrottlingException`,
 * `internal` answers 500 `InternalServerError`, `reset` destroys the socket without an answer,
 * `ok` serves the request normally.
 */
export type FaultKind = 'throttle' | 'internal' | 'reset' | 'ok';

/** Faults for the next requests, consumed one per request in order. */
export interface FaultPlan {
  readonly nextCalls?: readonly FaultKind[];
}

/**
 * Rewrites a successful answer before it is sent: gets the operation name and a fresh copy of the
 * body (mutate it and return nothing, or return a replacement; a string is sent as raw text).
 */
export type PayloadMutator = (operation: string, body: Record<string, unknown>) => unknown;

/** One thing that happened in the scenario up to now: a status reached or an alarm state reached. */
export interface GroundTruthEntry {
  readonly kind: 'execution' | 'step' | 'alarm';
  readonly executionId: string;
  /** Set for step entries and step-level alarms; a step's own id (the one it has once started). */
  readonly stepExecutionId?: string;
  /** The status reached (execution and step entries). */
  readonly status?: string;
  /**
   * The status before: `null` at first sight, except for the first status of a step planned up
   * front (it was listed as `Pending` before it started).
   */
  readonly previousStatus?: string | null;
  /** Alarm entries only. */
  readonly alarmName?: string;
  /** Alarm entries only, e.g. `ALARM`. */
  readonly alarmState?: string;
  /** Epoch ms (the real time of the change, whatever the visibility lag). */
  readonly at: number;
}

// ---------------------------------------------------------------------------------------------
// What a listing shows: views and their wire shapes.
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

/**
 * Sort key of a listed item: lists are in ascending key order (compared number by number), and key
 * tokens continue after a key.
 */
type SortKey = readonly number[];

interface Listed {
  readonly sortKey: SortKey;
  /** The item as the wire shows it; built only for the items a page serves (a listing may hold 20,000). */
  readonly wire: () => Json;
}

interface ExecutionView extends Listed {
  readonly id: string;
  readonly status: string;
  readonly startMs: number;
  readonly documentName: string;
  readonly parentId: string | null;
  readonly automationType: string;
  readonly currentAction: string | undefined;
}

interface StepView extends Listed {
  /** The `StepExecutionId` listed, `undefined` when the member is left out. */
  readonly id: string | undefined;
  readonly name: string;
  readonly action: string;
  readonly status: string;
  /** `undefined` while the step shows as not started. */
  readonly startMs: number | undefined;
  /** `ParentStepDetails` of a step inside a loop, `undefined` for any other step. */
  readonly parent: ParentStepWire | undefined;
}

/** `ParentStepDetails` as the wire shows it. */
interface ParentStepWire {
  readonly StepExecutionId?: string;
  readonly StepName: string;
  readonly Action: string;
  readonly Iteration: number;
  readonly IteratorValue?: string;
}

const DAY_MS = 86_400_000;

/** Drops `undefined` and `null` members: SSM omits absent fields rather than sending null. */
function compact(obj: Json): Json {
  return Object.fromEntries(Object.entries(obj).filter(([, value]) => value !== undefined && value !== null));
}

const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

function nonEmpty<T>(list: readonly T[]): readonly T[] | undefined {
  return list.length === 0 ? undefined : list;
}

/** The fields of a step that come from the runbook and are known before it starts. */
function stepDefinitionWire(step: ScenarioStep): Json {
  const location = step.targetLocation;
  return {
    StepName: step.name,
    Action: step.action,
    TimeoutSeconds: step.timeoutSeconds,
    OnFailure: step.onFailure,
    MaxAttempts: step.maxAttempts,
    IsCritical: step.isCritical,
    TargetLocation:
      location === undefined
        ? undefined
        : compact({
            Accounts: location.accounts,
            Regions: location.regions,
            ExecutionRoleName: location.executionRoleName,
            TargetLocationMaxConcurrency: location.targetLocationMaxConcurrency,
            TargetLocationMaxErrors: location.targetLocationMaxErrors,
          }),
  };
}

function stepWire(
  step: ScenarioStep,
  state: TimelineState,
  alarms: AlarmInfo[],
  parent: ParentStepWire | undefined,
): Json {
  return compact({
    ...stepDefinitionWire(step),
    ExecutionStartTime: seconds(state.startMs),
    ExecutionEndTime: seconds(state.endMs),
    StepStatus: state.status,
    ResponseCode: state.fields.responseCode,
    Inputs: step.inputs,
    Outputs: state.fields.outputs,
    Response: state.fields.response,
    FailureMessage: state.fields.failureMessage,
    FailureDetails: state.fields.failureDetails,
    StepExecutionId: step.id,
    TriggeredAlarms: nonEmpty(alarms),
    ParentStepDetails: parent,
  });
}

/**
 * A planned step that has not started: `Pending`, no start or end time ("If the step is in Pending
 * status, this field isn't populated"), none of what running it produces (inputs are resolved
 * only when it runs).
 */
function pendingStepWire(
  step: ScenarioStep,
  id: string | undefined,
  parent: ParentStepWire | undefined,
): Json {
  return compact({
    ...stepDefinitionWire(step),
    StepStatus: 'Pending',
    StepExecutionId: id,
    ParentStepDetails: parent,
  });
}

// ---------------------------------------------------------------------------------------------
// Listings and paging.
// ---------------------------------------------------------------------------------------------

/** Filters that make an `onRequest` child listing include child executions. */
const CHILD_REVEALING_FILTERS: readonly string[] = ['ParentExecutionId', 'ExecutionId'];

function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The simulator.
// ---------------------------------------------------------------------------------------------

/**
 * A local SSM endpoint for `DescribeAutomationExecutions` and `DescribeAutomationStepExecutions`,
 * speaking AWS JSON 1.1 to the real `SSMClient`. Every call shows the scenario as it stands at
 * `clock()`: an execution appears at its first timeline entry, a step is listed as `Pending` from
 * its execution's start if it is planned up front and starts at its first
 * entry, a status is that of the last entry so far, alarms appear at their `at`. Where SSM is not
 * documented, the `behaviour` switches choose.
 *
 * @example
 * ```ts
 * let now = Date.parse('2026-11-25T14:00:00Z');
 * const sim = new SsmSimulator({ scenario, startEpochMs: now, clock: () => now, behaviour: {} });
 * const ssm = new SSMClient({ endpoint: await sim.start(), region: 'us-east-1' });
 * now += 5_000; // the scenario moves on
 * await sim.stop();
 * ```
 */
export class SsmSimulator {
  private currentScenario: Scenario;
  private readonly startEpochMs: number;
  private readonly clock: () => number;
  private readonly throttleTps: number | undefined;
  private readonly throttleBurst: number;
  private readonly throttleOnClock: boolean;
  private readonly buckets = new Map<string, { tokens: number; last: number }>();
  private readonly counts = new Map<string, number>();
  private faults: FaultKind[] = [];
  private mutator: PayloadMutator | undefined;
  private readonly tokenSecret = randomBytes(32);
  private readonly server: LocalHttpServer;
  private readonly rules: SsmBehaviour;
  private readonly forgotten = new Set<string>();
  private readonly lags = new Map<string, number>();
  private loopPlaces: ReadonlyMap<ScenarioStep, LoopPlace> = new Map();
  private nativeFeed: NativeEventFeed | undefined;

  /** @throws {@link ScenarioError} for an invalid scenario, {@link SandboxError} for bad options */
  public constructor(options: SsmSimulatorOptions) {
    if (!Number.isFinite(options.startEpochMs)) {
      throw new SandboxError('startEpochMs must be a finite number of epoch milliseconds.');
    }
    const { throttleTps, throttleBurst } = options;
    if (throttleTps !== undefined && !(throttleTps > 0)) {
      throw new SandboxError(`throttleTps must be a number > 0 (got ${throttleTps}).`);
    }
    if (throttleBurst !== undefined && !(throttleBurst >= 1)) {
      throw new SandboxError(`throttleBurst must be a number >= 1 (got ${throttleBurst}).`);
    }
    this.rules = resolveBehaviour(options.behaviour ?? DOCUMENTED_BEHAVIOUR);
    this.currentScenario = parseScenario(options.scenario);
    this.loopPlaces = loopPlacesOf(this.currentScenario);
    this.nativeFeed =
      options.nativeEvents === undefined ? undefined : new NativeEventFeed(options.nativeEvents);
    this.startEpochMs = options.startEpochMs;
    this.clock = options.clock ?? Date.now;
    this.throttleTps = throttleTps;
    this.throttleBurst = throttleBurst ?? Math.max(1, Math.floor(throttleTps ?? 1));
    this.throttleOnClock = options.throttleOnClock ?? false;
    this.server = new LocalHttpServer(
      'SsmSimulator',
      (req, res) => this.serve(req, res),
      (res, error) => sendFailure(res, error, 'InternalServerError'),
    );
  }

  /** `http://127.0.0.1:<port>`, for the `endpoint` of an `SSMClient` or `AWS_ENDPOINT_URL_SSM`. */
  public get endpoint(): string {
    return this.server.endpoint;
  }

  /** The scenario being played. */
  public get scenario(): Scenario {
    return this.currentScenario;
  }

  /** The behaviour in force, every field filled in. Label it with `behaviourLabel` for reports. */
  public get behaviour(): SsmBehaviour {
    return this.rules;
  }

  /** Starts the HTTP server; resolves to {@link SsmSimulator.endpoint}. */
  public start(): Promise<string> {
    return this.server.start();
  }

  /** Stops the HTTP server and closes every connection. */
  public stop(): Promise<void> {
    return this.server.stop();
  }

  /**
   * Serves one request as the simulator's own endpoint would (failures answered as SSM errors),
   * without starting it: for one server that routes to many simulators (`sandbox/multi-account.ts`).
   */
  public async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.serve(req, res);
    } catch (error) {
      if (!res.headersSent && !res.destroyed) sendFailure(res, error, 'InternalServerError');
    }
  }

  /**
   * Replaces the native events' settings (a simulator reused for another run); none: no native
   * events. What was taken before is forgotten. @throws {@link SandboxError} for bad options
   */
  public setNativeEvents(options?: NativeEventOptions): void {
    this.nativeFeed = options === undefined ? undefined : new NativeEventFeed(options);
  }

  /** Replaces the scenario (same start time and clock). @throws {@link ScenarioError} */
  public setScenario(scenario: Scenario): void {
    this.currentScenario = parseScenario(scenario);
    this.loopPlaces = loopPlacesOf(this.currentScenario);
  }

  /** Adds one execution to the scenario. @throws {@link ScenarioError} e.g. for a duplicate id */
  public addExecution(execution: ScenarioExecution): void {
    this.setScenario({
      ...this.currentScenario,
      executions: [...this.currentScenario.executions, execution],
    });
  }

  /**
   * Makes SSM forget an execution now, as its history expiry does: from the next call on it answers
   * 400 `AutomationExecutionNotFoundException` and no listing shows it. The ground truth keeps it.
   *
   * @throws {@link SandboxError} when the scenario has no execution with this id
   */
  public forgetExecution(id: string): void {
    if (!this.currentScenario.executions.some((execution) => execution.id === id)) {
      throw new SandboxError(`forgetExecution: the scenario has no execution ${id}.`);
    }
    this.forgotten.add(id);
  }

  /** Requests received per operation (including throttled and faulted ones) since the last reset. */
  public callCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Sets every call count back to zero. */
  public resetCallCounts(): void {
    this.counts.clear();
  }

  /** Queues faults for the next requests (after any still queued). */
  public injectFaults(plan: FaultPlan): void {
    this.faults.push(...(plan.nextCalls ?? []));
  }

  /** Drops the faults still queued. */
  public clearFaults(): void {
    this.faults = [];
  }

  /** How many queued faults are not consumed yet. */
  public pendingFaults(): number {
    return this.faults.length;
  }

  /** Sets (or, without argument, removes) the function that rewrites successful answers. */
  public setPayloadMutator(mutator?: PayloadMutator): void {
    this.mutator = mutator;
  }

  /**
   * SSM's own events (`EC2 Automation Step Status-change Notification`, `EC2 Automation Execution
   * Status-change Notification`) delivered by `now` and not taken before, in delivery order: one per
   * status change of an execution or step (as in {@link SsmSimulator.groundTruth}), after a seeded
   * delay, some lost and some twice as the `nativeEvents` option says. Empty without that option.
   *
   * @param now - epoch ms; usually the simulator's clock
   */
  public takeNativeEvents(now: number): NativeEvent[] {
    return (
      this.nativeFeed?.take(
        this.currentScenario,
        (at) => this.toMs(at),
        now,
        (step) => (this.listsBeforeStart(step) ? 'Pending' : null),
      ) ?? []
    );
  }

  /**
   * Everything that happened up to `clock()`: each status change of each execution and step (a
   * repeated status is not a change) and each alarm state change, sorted by time. A step that never
   * started has no entry; the first status of a step planned up front has
   * `previousStatus: 'Pending'`. Times are the real ones, whatever the visibility lag; forgotten
   * executions stay.
   */
  public groundTruth(): GroundTruthEntry[] {
    const now = this.clock();
    const toMs = (at: number): number => this.toMs(at);
    const entries: GroundTruthEntry[] = [];
    const statuses = (
      timeline: readonly { readonly at: number; readonly status: string }[],
      base: Pick<GroundTruthEntry, 'kind' | 'executionId' | 'stepExecutionId'>,
      initial: string | null,
    ): void => {
      let previous = initial;
      for (const entry of timeline) {
        if (toMs(entry.at) > now) break;
        if (entry.status === previous) continue;
        entries.push({ ...base, status: entry.status, previousStatus: previous, at: toMs(entry.at) });
        previous = entry.status;
      }
    };
    const alarms = (
      list: readonly ScenarioAlarm[] | undefined,
      executionId: string,
      stepId?: string,
    ): void => {
      const states = new Map<string, string>();
      for (const alarm of [...(list ?? [])].sort((a, b) => a.at - b.at)) {
        if (toMs(alarm.at) > now || states.get(alarm.name) === alarm.state) continue;
        states.set(alarm.name, alarm.state);
        entries.push({
          kind: 'alarm',
          executionId,
          ...(stepId === undefined ? {} : { stepExecutionId: stepId }),
          alarmName: alarm.name,
          alarmState: alarm.state,
          at: toMs(alarm.at),
        });
      }
    };
    for (const execution of this.currentScenario.executions) {
      statuses(execution.timeline, { kind: 'execution', executionId: execution.id }, null);
      alarms(execution.alarms, execution.id);
      for (const step of execution.steps) {
        statuses(
          step.timeline,
          { kind: 'step', executionId: execution.id, stepExecutionId: step.id },
          this.listsBeforeStart(step) ? 'Pending' : null,
        );
        alarms(step.alarms, execution.id, step.id);
      }
    }
    return entries.sort((a, b) => a.at - b.at);
  }

  private toMs(at: number): number {
    return this.startEpochMs + at * 1000;
  }

  /**
   * Whether the step is listed as `Pending` before it starts: a runbook step unless it is made while
   * running; a step inside a loop as the `loopStepListing` switch says (with `iteration`, unless it
   * starts first in its iteration).
   */
  private listsBeforeStart(step: ScenarioStep): boolean {
    const place = this.loopPlaces.get(step);
    if (place === undefined) return step.plannedUpFront !== false;
    switch (this.rules.loopStepListing) {
      case 'onStart':
        return false;
      case 'upFront':
        return true;
      case 'iteration': {
        const start = step.timeline[0]?.at;
        return (
          place.iterationBeginAt !== undefined && (start === undefined || start > place.iterationBeginAt)
        );
      }
    }
  }

  /** Whether a step that does not show as started is listed, as `Pending`, at `now`. */
  private listsPendingAt(step: ScenarioStep, now: number): boolean {
    if (!this.listsBeforeStart(step)) return false;
    const place = this.loopPlaces.get(step);
    if (place === undefined || this.rules.loopStepListing !== 'iteration') return true;
    return place.iterationBeginAt !== undefined && this.toMs(place.iterationBeginAt) <= now;
  }

  /** The `StepExecutionId` a step lists at `now`: its own once it shows as started, else as `unstartedStepIds` says. */
  private listedId(step: ScenarioStep, started: boolean): string | undefined {
    if (started) return step.id;
    const { unstartedStepIds } = this.rules;
    return unstartedStepIds === 'stable'
      ? step.id
      : unstartedStepIds === 'changeOnStart'
        ? pendingStepExecutionId(step.id)
        : undefined;
  }

  /** `ParentStepDetails` of a step inside a loop at `now`; `undefined` for any other step. */
  private parentOf(step: ScenarioStep, now: number): ParentStepWire | undefined {
    const place = this.loopPlaces.get(step);
    if (place === undefined) return undefined;
    const { loop, index } = place;
    const iteratorValue = loop.loop?.iterators?.[index];
    return {
      StepExecutionId: this.listedId(loop, this.startedState(loop, now) !== undefined),
      StepName: loop.name,
      Action: loop.action,
      Iteration: index + this.rules.loopIterationBase,
      ...(iteratorValue === undefined ? {} : { IteratorValue: iteratorValue }),
    };
  }

  private alarmsShown(alarms: readonly ScenarioAlarm[] | undefined, now: number): AlarmInfo[] {
    return latestAlarm(alarms, (at) => this.toMs(at), now);
  }

  private lagMs(step: ScenarioStep): number {
    const max = this.rules.visibilityLagSeconds;
    if (max === 0) return 0;
    let lag = this.lags.get(step.id);
    if (lag === undefined) {
      lag = stepVisibilityLagMs(step.id, max);
      this.lags.set(step.id, lag);
    }
    return lag;
  }

  /** The step's state if its start is visible at `now`, else `undefined`. */
  private startedState(step: ScenarioStep, now: number): TimelineState | undefined {
    const first = step.timeline[0];
    if (first === undefined || this.toMs(first.at) + this.lagMs(step) > now) return undefined;
    return evaluateTimeline(step.timeline, (at) => this.toMs(at), now);
  }

  private isForgotten(id: string, state: TimelineState, now: number): boolean {
    return (
      this.forgotten.has(id) ||
      (state.endMs !== undefined && now - state.endMs > this.rules.historyDays * DAY_MS)
    );
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, 1024 * 1024);
    const operation = targetOperation(req, 'AmazonSSM');
    const name = operation ?? '(unknown)';
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);

    const fault = this.faults.shift();
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'internal') throw new WireError(500, 'InternalServerError', 'Injected internal fault.');
    if (fault === 'throttle') throw new WireError(400, 'ThrottlingException', 'Rate exceeded');

    if (req.method !== 'POST' || operation === undefined) {
      throw new WireError(400, 'UnknownOperationException', 'Missing or unknown X-Amz-Target.');
    }
    const handler =
      operation === 'DescribeAutomationExecutions'
        ? (input: Json) => this.describeExecutions(input)
        : operation === 'DescribeAutomationStepExecutions'
          ? (input: Json) => this.describeSteps(input)
          : undefined;
    if (handler === undefined) {
      throw new WireError(400, 'UnknownOperationException', `The simulator does not implement ${operation}.`);
    }
    if (!this.takeToken(operation)) throw new WireError(400, 'ThrottlingException', 'Rate exceeded');

    const answer = handler(parseJsonBody(body));
    // A deep copy, so a mutator that edits in place cannot reach into the scenario.
    const copy = structuredClone(answer);
    const mutated = this.mutator === undefined ? answer : (this.mutator(operation, copy) ?? copy);
    sendJson(res, 200, mutated);
  }

  private takeToken(operation: string): boolean {
    if (this.throttleTps === undefined) return true;
    const now = this.throttleOnClock ? this.clock() : performance.now();
    const bucket = this.buckets.get(operation) ?? { tokens: this.throttleBurst, last: now };
    bucket.tokens = Math.min(
      this.throttleBurst,
      bucket.tokens + ((now - bucket.last) / 1000) * this.throttleTps,
    );
    bucket.last = now;
    this.buckets.set(operation, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** The step started last (scenario order breaking ties) whose start is visible, if any. */
  private currentStep(execution: ScenarioExecution, now: number): ScenarioStep | undefined {
    let current: { step: ScenarioStep; startMs: number } | undefined;
    for (const step of execution.steps) {
      const first = step.timeline[0];
      if (first === undefined || this.startedState(step, now) === undefined) continue;
      const startMs = this.toMs(first.at);
      if (current === undefined || startMs >= current.startMs) current = { step, startMs };
    }
    return current?.step;
  }

  private executionViews(now: number): ExecutionView[] {
    const toMs = (at: number): number => this.toMs(at);
    const views: ExecutionView[] = [];
    this.currentScenario.executions.forEach((execution, index) => {
      const state = evaluateTimeline(execution.timeline, toMs, now);
      if (state === undefined || this.isForgotten(execution.id, state, now)) return;
      // SSM shows no current step once an execution has ended (captured rate-control output).
      const current = state.endMs !== undefined ? undefined : this.currentStep(execution, now);
      views.push({
        id: execution.id,
        status: state.status,
        startMs: state.startMs,
        documentName: execution.documentName,
        parentId: execution.parentId ?? null,
        automationType: execution.automationType ?? 'Local',
        currentAction: current?.action,
        // Newest start first, like SSM; the scenario order breaks ties.
        sortKey: [-state.startMs, index],
        wire: () =>
          compact({
            AutomationExecutionId: execution.id,
            DocumentName: execution.documentName,
            DocumentVersion: execution.documentVersion,
            AutomationExecutionStatus: state.status,
            ExecutionStartTime: seconds(state.startMs),
            ExecutionEndTime: seconds(state.endMs),
            Outputs: state.fields.outputs,
            Mode: execution.mode ?? 'Auto',
            ParentAutomationExecutionId: execution.parentId,
            CurrentStepName: current?.name,
            CurrentAction: current?.action,
            FailureMessage: state.fields.failureMessage,
            TargetParameterName: execution.targetParameterName,
            // A plain run shows empty targets, as in the aws-cli example output.
            Targets: (execution.targets ?? []).map((target) => ({ Key: target.key, Values: target.values })),
            ResolvedTargets: {
              ParameterValues: execution.resolvedTargets?.parameterValues ?? [],
              Truncated: execution.resolvedTargets?.truncated ?? false,
            },
            MaxConcurrency: execution.maxConcurrency,
            MaxErrors: execution.maxErrors,
            AutomationType: execution.automationType ?? 'Local',
            TriggeredAlarms: nonEmpty(this.alarmsShown(execution.alarms, now)),
          }),
      });
    });
    return views.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
  }

  /**
   * The steps listed at `now`, in listing order. Forward: started steps by start time (scenario
   * order breaking ties), then the not-started ones in scenario order. Reverse: the started ones
   * newest first and the not-started ones before or after them, ties and not-started ones in the
   * order the behaviour says.
   */
  private stepViews(execution: ScenarioExecution, now: number, reverse: boolean): StepView[] {
    const { reverseOrderUnstarted, startTimeTies } = this.rules;
    const key = (startMs: number | undefined, index: number): SortKey => {
      if (!reverse) return startMs === undefined ? [1, 0, index] : [0, startMs, index];
      const tie = startTimeTies === 'listOrder' ? index : -index;
      const unstartedGroup = reverseOrderUnstarted === 'first' ? 0 : 1;
      return startMs === undefined ? [unstartedGroup, 0, tie] : [1 - unstartedGroup, -startMs, tie];
    };
    const views: StepView[] = [];
    execution.steps.forEach((step, index) => {
      const state = this.startedState(step, now);
      if (state !== undefined) {
        const parent = this.parentOf(step, now);
        views.push({
          id: step.id,
          name: step.name,
          action: step.action,
          status: state.status,
          startMs: state.startMs,
          parent,
          sortKey: key(state.startMs, index),
          wire: () => stepWire(step, state, this.alarmsShown(step.alarms, now), parent),
        });
        return;
      }
      if (!this.listsPendingAt(step, now)) return;
      const id = this.listedId(step, false);
      const parent = this.parentOf(step, now);
      views.push({
        id,
        name: step.name,
        action: step.action,
        status: 'Pending',
        startMs: undefined,
        parent,
        sortKey: key(undefined, index),
        wire: () => pendingStepWire(step, id, parent),
      });
    });
    return views.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
  }

  private describeExecutions(input: Json): Json {
    const maxResults = parseMaxResults(input.MaxResults);
    const inclusive = this.rules.startTimeFilter === 'inclusive';
    const matchers = parseFilters<ExecutionView>(input.Filters, 10, EXECUTION_FILTER_KEYS, {
      ExecutionStatus: equalsFilter((view) => view.status),
      ExecutionId: equalsFilter((view) => view.id),
      ParentExecutionId: equalsFilter((view) => view.parentId),
      CurrentAction: equalsFilter((view) => view.currentAction),
      AutomationType: equalsFilter((view) => view.automationType),
      DocumentNamePrefix: (values) => (view) => values.some((prefix) => view.documentName.startsWith(prefix)),
      StartTimeAfter: startTimeFilter('after', inclusive),
      StartTimeBefore: startTimeFilter('before', inclusive),
    });
    const showsChildren =
      this.rules.childListing === 'included' ||
      filterKeys(input.Filters).some((key) => CHILD_REVEALING_FILTERS.includes(key));
    const scope = { op: 'DescribeAutomationExecutions', filters: input.Filters ?? null };
    const views = this.executionViews(this.clock()).filter(
      (view) => (showsChildren || view.parentId === null) && matchers.every((match) => match(view)),
    );
    const page = this.page(views, scope, maxResults, input.NextToken);
    return compact({
      AutomationExecutionMetadataList: page.items.map((view) => view.wire()),
      NextToken: page.next,
    });
  }

  private describeSteps(input: Json): Json {
    const id = input.AutomationExecutionId;
    if (id === undefined || id === null) {
      throw validationError(
        "Value null at 'automationExecutionId' failed to satisfy constraint: Member must not be null",
      );
    }
    if (typeof id !== 'string' || id.length !== 36) {
      throw validationError(
        `Value '${String(id)}' at 'automationExecutionId' failed to satisfy constraint: Member must have length 36`,
      );
    }
    const maxResults = parseMaxResults(input.MaxResults);
    const reverse = input.ReverseOrder === true;
    const inclusive = this.rules.startTimeFilter === 'inclusive';
    const matchers = parseFilters<StepView>(input.Filters, 6, STEP_FILTER_KEYS, {
      StepExecutionStatus: equalsFilter((view) => view.status),
      StepExecutionId: equalsFilter((view) => view.id),
      StepName: equalsFilter((view) => view.name),
      Action: equalsFilter((view) => view.action),
      StartTimeAfter: startTimeFilter('after', inclusive),
      StartTimeBefore: startTimeFilter('before', inclusive),
      ParentStepExecutionId: equalsFilter((view) => view.parent?.StepExecutionId),
      ParentStepIteration: iterationFilter((view) => view.parent?.Iteration),
      ParentStepIteratorValue: equalsFilter((view) => view.parent?.IteratorValue),
    });
    const now = this.clock();
    const execution = this.currentScenario.executions.find((candidate) => candidate.id === id);
    const state =
      execution === undefined ? undefined : evaluateTimeline(execution.timeline, (at) => this.toMs(at), now);
    if (execution === undefined || state === undefined || this.isForgotten(id, state, now)) {
      throw new WireError(
        400,
        'AutomationExecutionNotFoundException',
        `Automation execution ${id} does not exist.`,
      );
    }
    const views = this.stepViews(execution, now, reverse).filter((view) =>
      matchers.every((match) => match(view)),
    );
    const scope = { op: 'DescribeAutomationStepExecutions', id, reverse, filters: input.Filters ?? null };
    const page = this.page(views, scope, maxResults, input.NextToken);
    return compact({ StepExecutions: page.items.map((view) => view.wire()), NextToken: page.next });
  }

  /**
   * One page of `items` (sorted by key). A `key` token carries the key of the last item served, so
   * items appearing meanwhile neither repeat nor shift the next page; an `offset` token carries the
   * position after the last item served, applied to the list as it stands at the next call. Either
   * carries a MAC over the request's scope: a token from another request, operation or simulator
   * is refused.
   */
  private page<T extends Listed>(
    items: readonly T[],
    scope: Json,
    maxResults: number,
    rawToken: unknown,
  ): { items: T[]; next: string | undefined } {
    const scopeText = JSON.stringify(scope);
    const cursor =
      rawToken === undefined || rawToken === null ? undefined : this.decodeToken(rawToken, scopeText);
    if (this.rules.nextToken === 'offset') {
      const start = typeof cursor === 'number' ? cursor : 0;
      const served = items.slice(start, start + maxResults);
      const end = start + served.length;
      return {
        items: served,
        next: end < items.length ? this.encodeToken({ o: end }, scopeText) : undefined,
      };
    }
    const after = cursor;
    const rest =
      after === undefined || typeof after === 'number'
        ? items
        : items.filter((item) => compareKeys(item.sortKey, after) > 0);
    const served = rest.slice(0, maxResults);
    const last = served.at(-1);
    const next =
      rest.length > served.length && last !== undefined
        ? this.encodeToken({ k: last.sortKey }, scopeText)
        : undefined;
    return { items: served, next };
  }

  private mac(payload: string, scopeText: string): string {
    return createHmac('sha256', this.tokenSecret).update(`${payload}\n${scopeText}`).digest('base64url');
  }

  private encodeToken(cursor: { k: SortKey } | { o: number }, scopeText: string): string {
    const payload = Buffer.from(JSON.stringify(cursor)).toString('base64url');
    return `${payload}.${this.mac(payload, scopeText)}`;
  }

  /** The key (key tokens) or the offset (offset tokens) a token carries. */
  private decodeToken(raw: unknown, scopeText: string): SortKey | number {
    const invalid = new WireError(400, 'InvalidNextToken', 'The specified token is not valid.');
    if (typeof raw !== 'string') throw invalid;
    const [payload, mac, extra] = raw.split('.');
    if (
      payload === undefined ||
      mac === undefined ||
      extra !== undefined ||
      mac !== this.mac(payload, scopeText)
    ) {
      throw invalid;
    }
    const cursor = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Json;
    if (this.rules.nextToken === 'offset') {
      if (!Number.isInteger(cursor.o) || (cursor.o as number) < 0) throw invalid;
      return cursor.o as number;
    }
    const key = cursor.k;
    if (!Array.isArray(key) || key.length === 0 || !key.every((n) => typeof n === 'number')) throw invalid;
    return key as number[];
  }
}
