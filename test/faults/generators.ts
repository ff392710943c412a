// fast-check arbitraries for fault runs: SSM scenarios (what really happens) and fault schedules (what goes wrong when).
import fc from 'fast-check';
import type {
  Scenario,
  ScenarioAlarm,
  ScenarioExecution,
  ScenarioStep,
  StepTimelineEntry,
} from '../../sandbox/scenario';
import type { FaultKind } from '../../sandbox/ssm-simulator';
import type { DynamoFaultKind } from './fault-layer';

/** One fault injected into one cycle. */
export type CycleFault =
  /** SSM answers the next calls with throttling, 5xx or a reset (a storm when there are many). */
  | { readonly kind: 'ssm'; readonly calls: readonly FaultKind[] }
  /** SSM leaves these optional fields out of every step and execution it returns this cycle. */
  | { readonly kind: 'ssmPartial'; readonly drop: readonly string[] }
  /** DynamoDB answers the next (write) calls with errors, resets or lost replies. */
  | { readonly kind: 'dynamo'; readonly calls: readonly DynamoFaultKind[]; readonly writesOnly: boolean }
  /** PutEvents fails the next entries, the other entries of their call pass. */
  | { readonly kind: 'putEventsPartial'; readonly entries: number; readonly errorCode: string }
  /** PutEvents answers every call of the cycle with 500. */
  | { readonly kind: 'putEventsOutage' }
  /** The process dies right after its k-th side effect. */
  | { readonly kind: 'crash'; readonly afterSideEffects: number }
  /** The Lambda deadline passes after this many clock reads. */
  | { readonly kind: 'deadline'; readonly afterClockReads: number }
  /** The cycle may poll only this many executions. */
  | { readonly kind: 'maxExecutions'; readonly count: number }
  /**
   * A second poller runs the same cycle at once: it starts after the main one's n-th port call, and
   * the main one stalls until the rival has made `stallFor` port calls. Leased pollers (the Lambda)
   * take the shard's lease, and then the two may read SSM at different times (`advanceSeconds`);
   * unleased ones (a manual `poll` next to another) read at the same time and race on every write.
   */
  | {
      readonly kind: 'rival';
      readonly leased: boolean;
      readonly startAfterCalls: number;
      readonly stallFor: number;
      readonly advanceSeconds: number;
    };

/** A generated run: the scenario, when the poller runs, and what goes wrong in which cycle. */
export interface FaultCase {
  readonly scenario: Scenario;
  /** Seconds from the scenario start of each scheduled cycle, increasing. */
  readonly pollSeconds: readonly number[];
  /** Faults per scheduled cycle (same length as `pollSeconds`). */
  readonly faults: readonly (readonly CycleFault[])[];
  /** Seconds between the clean cycles that follow the schedule. */
  readonly intervalSeconds: number;
}

/** Statuses SSM may end a step in. */
const STEP_FINALS = ['Success', 'Failed', 'TimedOut', 'Cancelled', 'Exited'] as const;
/** Statuses SSM may end an execution in. */
const EXECUTION_FINALS = [
  'Success',
  'Failed',
  'TimedOut',
  'Cancelled',
  'CompletedWithSuccess',
  'CompletedWithFailure',
  'Exited',
  'Rejected',
] as const;
/** Statuses SSM may add one day: the poller must pass them through and keep watching. */
const UNKNOWN_STATUSES = ['SomethingNew', 'Quiescing', 'Paused 🙃'] as const;

/** Names and messages that break naive code: emoji, RTL, CJK, combining marks, control characters. */
const ODD_TEXT = [
  'Restart 🚀 instance',
  'naïve café',
  'مرحلة التحقق',
  '步骤三',
  'zero\u200dwidth\u200bjoiner',
  'line\nbreak\ttab',
  'quote " and \\ backslash',
  'e\u0301\u0301 combining',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '<b>&amp;</b> {{x}} %s',
  'Ωmega-Ä-ß',
] as const;

const textArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('deploy', 'verify', 'patchInstance', 'approve', 'sleep') },
  { weight: 3, arbitrary: fc.constantFrom(...ODD_TEXT) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
);

/** An alarm raised while its owner runs: `fraction` places it within the owner's running time. */
interface AlarmPlan {
  readonly name: string;
  readonly state: string;
  readonly fraction: number;
}

const alarmArb: fc.Arbitrary<AlarmPlan> = fc.record({
  name: fc.oneof(fc.constantFrom('HighCPU', 'ErrorRate', 'p99-latency'), fc.constantFrom(...ODD_TEXT)),
  state: fc.constantFrom('ALARM', 'ALARM', 'ALARM', 'UNKNOWN', 'OK'),
  fraction: fc.double({ min: 0, max: 0.95, noNaN: true }),
});

/** One step as planned, before it is laid out in time. */
interface StepPlan {
  readonly name: string;
  readonly action: string;
  /** Hundredths of a second from its start to its end. */
  readonly duration: number;
  readonly pending: boolean;
  /** InProgress → Waiting → InProgress round trips. */
  readonly waits: number;
  /** Failed attempts before the last one (`MaxAttempts` is one more). */
  readonly retries: number;
  /**
   * Whether a failed attempt shows as `Failed` before the step runs again under the same id; otherwise
   * the step stays `InProgress` with a new failure message.
   */
  readonly failsBetweenAttempts: boolean;
  readonly unknown: string | null;
  /** The final status; null keeps the step running, an unknown one keeps it watched. */
  readonly final: string | null;
  /** aws:loop iterations: the same name again, a new step execution id each time. */
  readonly loops: number;
  readonly alarms: readonly AlarmPlan[];
  /** Bytes of a huge Outputs value at the end, 0 for none. */
  readonly hugeOutput: number;
  readonly message: string;
  /** Hundredths of a second after its group starts. */
  readonly delay: number;
}

const stepArb: fc.Arbitrary<StepPlan> = fc.record({
  name: textArb,
  action: fc.constantFrom('aws:executeScript', 'aws:runCommand', 'aws:approve', 'aws:sleep', 'aws:loop'),
  duration: fc.oneof(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 150, max: 1500 })),
  pending: fc.boolean(),
  waits: fc.oneof(
    { weight: 4, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) },
  ),
  retries: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) },
  ),
  failsBetweenAttempts: fc.boolean(),
  unknown: fc.option(fc.constantFrom(...UNKNOWN_STATUSES), { freq: 6 }),
  final: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...STEP_FINALS) },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom(...UNKNOWN_STATUSES) },
  ),
  loops: fc.oneof(
    { weight: 5, arbitrary: fc.constant(1) },
    { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) },
  ),
  alarms: fc.array(alarmArb, { maxLength: 2 }),
  hugeOutput: fc.oneof(
    { weight: 12, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 9_000, max: 30_000 }) },
  ),
  message: textArb,
  delay: fc.oneof(
    { weight: 2, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 50 }) },
  ),
});

/** Steps that start together (parallel branches), then a gap before the next group. */
interface GroupPlan {
  readonly branches: readonly StepPlan[];
  readonly gap: number;
}

const groupArb: fc.Arbitrary<GroupPlan> = fc.record({
  branches: fc.oneof(
    { weight: 3, arbitrary: fc.array(stepArb, { minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.array(stepArb, { minLength: 2, maxLength: 3 }) },
  ),
  gap: fc.integer({ min: 0, max: 300 }),
});

/** One execution as planned. */
interface ExecutionPlan {
  readonly start: number;
  readonly pending: boolean;
  readonly groups: readonly GroupPlan[];
  /** Short steps run one after another before the groups, more than one page (50) of them. */
  readonly bulk: readonly StepPlan[];
  /** The execution waits (approval, pause) between groups. */
  readonly waits: boolean;
  readonly unknown: string | null;
  readonly final: string | null;
  readonly alarms: readonly AlarmPlan[];
  /** Index among the earlier executions of its parent, when it is a child. */
  readonly parent: number | null;
  readonly documentName: string;
}

const executionArb: fc.Arbitrary<ExecutionPlan> = fc.record({
  start: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
  pending: fc.boolean(),
  groups: fc.array(groupArb, { minLength: 0, maxLength: 4 }),
  bulk: fc.oneof(
    { weight: 12, arbitrary: fc.constant([]) },
    {
      weight: 1,
      arbitrary: fc.array(
        stepArb.map((step) => ({ ...step, duration: step.duration % 40, loops: 1, hugeOutput: 0, delay: 0 })),
        { minLength: 51, maxLength: 110 },
      ),
    },
  ),
  waits: fc.boolean(),
  unknown: fc.option(fc.constantFrom(...UNKNOWN_STATUSES), { freq: 6 }),
  final: fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...EXECUTION_FINALS) },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
  alarms: fc.array(alarmArb, { maxLength: 2 }),
  parent: fc.option(fc.nat(3), { freq: 3 }),
  documentName: fc.oneof(
    fc.constantFrom('AWS-RestartEC2Instance', 'Custom-Deploy'),
    fc.constantFrom(...ODD_TEXT),
  ),
});

/** Lays the plans out in time and numbers the ids, giving a valid scenario. */
export function compileScenario(plans: readonly ExecutionPlan[]): Scenario {
  let nextId = 0;
  const id = (prefix: string): string => {
    nextId++;
    return `${prefix}-0000-4000-8000-${String(nextId).padStart(12, '0')}`;
  };
  const executions: ScenarioExecution[] = [];
  const spans: { id: string; start: number; end: number }[] = [];
  plans.forEach((plan, index) => {
    const executionId = id('eeeeeeee');
    const parent = plan.parent === null || index === 0 ? null : (spans[plan.parent % index] ?? null);
    // A child starts while its parent runs.
    const start = parent
      ? parent.start + Math.min(plan.start % 500, Math.max(0, parent.end - parent.start))
      : plan.start;
    const timeline: { at: number; status: string }[] = [];
    let cursor = start;
    if (plan.pending) {
      timeline.push({ at: cursor, status: 'Pending' });
      cursor += 20;
    }
    timeline.push({ at: cursor, status: 'InProgress' });
    const steps: ScenarioStep[] = [];
    for (const step of plan.bulk) {
      steps.push(compileStep(id('55555555'), step, cursor, 0));
      cursor += step.duration;
    }
    plan.groups.forEach((group, g) => {
      if (g > 0 && plan.waits) {
        timeline.push({ at: cursor, status: 'Waiting' });
        cursor += 100;
        timeline.push({ at: cursor, status: 'InProgress' });
      }
      if (g === 1 && plan.unknown) {
        timeline.push({ at: cursor, status: plan.unknown });
        cursor += 50;
        timeline.push({ at: cursor, status: 'InProgress' });
      }
      let groupEnd = cursor;
      for (const branch of group.branches) {
        let at = cursor + branch.delay;
        for (let loop = 0; loop < branch.loops; loop++) {
          const step = compileStep(id('55555555'), branch, at, loop);
          steps.push(step);
          at += branch.duration;
          groupEnd = Math.max(groupEnd, at);
          // A step left running ends its branch.
          if (branch.final === null) break;
        }
      }
      cursor = groupEnd + group.gap;
    });
    const end = cursor + 10;
    if (plan.final === 'Cancelled') {
      timeline.push({ at: end, status: 'Cancelling' });
      timeline.push({ at: end + 40, status: 'Cancelled' });
    } else if (plan.final !== null) {
      timeline.push({ at: end, status: plan.final });
    }
    const running = { from: start, to: plan.final === null ? end + 500 : end };
    executions.push({
      id: executionId,
      documentName: plan.documentName,
      documentVersion: '1',
      parentId: parent?.id ?? null,
      timeline: timeline.map((e) => ({ at: e.at / 100, status: e.status })),
      alarms: alarmsOf(plan.alarms, running.from, running.to),
      steps,
    });
    spans.push({ id: executionId, start, end });
  });
  return { name: 'generated', executions };
}

function compileStep(stepId: string, plan: StepPlan, start: number, loop: number): ScenarioStep {
  const end = start + plan.duration;
  const statuses: { status: string; extra?: Partial<StepTimelineEntry> }[] = [];
  if (plan.pending) statuses.push({ status: 'Pending' });
  statuses.push({ status: 'InProgress' });
  for (let r = 1; r <= plan.retries; r++) {
    const failureMessage = `attempt ${r} failed: ${plan.message}`;
    if (plan.failsBetweenAttempts) statuses.push({ status: 'Failed', extra: { failureMessage } });
    statuses.push({ status: 'InProgress', extra: { failureMessage } });
  }
  for (let w = 0; w < plan.waits; w++) statuses.push({ status: 'Waiting' }, { status: 'InProgress' });
  if (plan.unknown) statuses.push({ status: plan.unknown }, { status: 'InProgress' });
  const finalEntry = plan.final === null ? null : finalFields(plan);
  // Entries spread evenly over the step's running time; the final one at its end.
  const count = statuses.length + (finalEntry ? 1 : 0);
  const timeline: StepTimelineEntry[] = statuses.map((s, i) => ({
    at: (start + Math.floor((plan.duration * i) / Math.max(1, count))) / 100,
    status: s.status,
    ...s.extra,
  }));
  if (finalEntry) timeline.push({ ...finalEntry, at: end / 100 });
  return {
    id: stepId,
    name: plan.name,
    action: plan.action,
    maxAttempts: plan.retries + 1,
    onFailure: 'Abort',
    isCritical: loop === 0,
    inputs: { Iteration: String(loop), Message: plan.message },
    timeline,
    // Within the step's planned running time, which ends before its execution does.
    alarms: alarmsOf(plan.alarms, start, end),
  };
}

function finalFields(plan: StepPlan): StepTimelineEntry {
  const status = plan.final ?? 'Success';
  const outputs: Record<string, string[]> = { result: [plan.message] };
  // Multi-byte characters so truncation has to cut on a character boundary.
  if (plan.hugeOutput > 0) outputs.huge = ['é🚀'.repeat(Math.ceil(plan.hugeOutput / 6))];
  const failed = status !== 'Success';
  return {
    at: 0,
    status,
    outputs,
    ...(failed && {
      failureMessage: `${status}: ${plan.message}`,
      failureDetails: {
        FailureStage: 'Execution',
        FailureType: 'Verification',
        Details: { why: [plan.message] },
      },
      responseCode: '500',
    }),
    response: failed ? plan.message : 'ok',
  };
}

/** Alarms placed within [from, to), in hundredths, as scenario seconds. */
function alarmsOf(plans: readonly AlarmPlan[], from: number, to: number): ScenarioAlarm[] {
  return plans.map((a) => ({
    at: (from + Math.floor((to - from) * a.fraction)) / 100,
    name: a.name,
    state: a.state,
  }));
}

/** The last time anything changes in a scenario, in seconds. */
export function lastChange(scenario: Scenario): number {
  let end = 0;
  for (const e of scenario.executions) {
    for (const t of [...e.timeline, ...(e.alarms ?? [])]) end = Math.max(end, t.at);
    for (const s of e.steps) for (const t of [...s.timeline, ...(s.alarms ?? [])]) end = Math.max(end, t.at);
  }
  return end;
}

/** Scenarios of 1–4 executions (children among them) with sequential and parallel steps. */
export const scenarioArb: fc.Arbitrary<Scenario> = fc
  .array(executionArb, { minLength: 1, maxLength: 4 })
  .map((plans) => compileScenario(plans));

const ssmFaultArb: fc.Arbitrary<CycleFault> = fc.oneof(
  // A throttling storm: more throttles in a row than the SDK retries.
  fc
    .integer({ min: 3, max: 12 })
    .map((n): CycleFault => ({ kind: 'ssm', calls: Array<FaultKind>(n).fill('throttle') })),
  fc
    .array(fc.constantFrom<FaultKind>('throttle', 'internal', 'reset', 'ok', 'ok'), {
      minLength: 1,
      maxLength: 8,
    })
    .map((calls): CycleFault => ({ kind: 'ssm', calls })),
);

const dynamoFaultArb: fc.Arbitrary<CycleFault> = fc.record({
  kind: fc.constant('dynamo' as const),
  calls: fc.array(
    fc.constantFrom<DynamoFaultKind>(
      'internal',
      'throughput',
      'throttling',
      'reset',
      'lostReply',
      'ok',
      'ok',
    ),
    { minLength: 1, maxLength: 6 },
  ),
  writesOnly: fc.boolean(),
});

/**
 * Optional fields SSM may leave out. Start times stay: an event id includes the step's start time,
 * and SSM does not drop it from a step it showed with one.
 */
const DROPPABLE = [
  'ExecutionEndTime',
  'Outputs',
  'Inputs',
  'Action',
  'OnFailure',
  'FailureMessage',
  'FailureDetails',
  'Response',
  'ResponseCode',
  'TargetLocation',
  'DocumentVersion',
  'DocumentName',
  'ParentAutomationExecutionId',
] as const;

/** One fault of any kind. */
export const cycleFaultArb: fc.Arbitrary<CycleFault> = fc.oneof(
  ssmFaultArb,
  fc.record({
    kind: fc.constant('ssmPartial' as const),
    drop: fc.subarray([...DROPPABLE], { minLength: 1 }),
  }),
  dynamoFaultArb,
  fc.record({
    kind: fc.constant('putEventsPartial' as const),
    entries: fc.integer({ min: 1, max: 12 }),
    errorCode: fc.constantFrom('InternalFailure', 'ThrottlingException'),
  }),
  fc.constant({ kind: 'putEventsOutage' as const }),
  fc.record({ kind: fc.constant('crash' as const), afterSideEffects: fc.integer({ min: 0, max: 14 }) }),
  fc.record({ kind: fc.constant('deadline' as const), afterClockReads: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('maxExecutions' as const), count: fc.integer({ min: 0, max: 2 }) }),
  fc
    .record({
      kind: fc.constant('rival' as const),
      leased: fc.boolean(),
      startAfterCalls: fc.integer({ min: 0, max: 24 }),
      stallFor: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })),
      advanceSeconds: fc.oneof(fc.constant(0), fc.double({ min: 0.1, max: 6, noNaN: true })),
    })
    .map((rival) => (rival.leased ? rival : { ...rival, advanceSeconds: 0 })),
);

/** A scenario, a poll schedule over it, and faults in about a third of the cycles. */
export const faultCaseArb: fc.Arbitrary<FaultCase> = scenarioArb.chain((scenario) => {
  const end = lastChange(scenario);
  return fc
    .record({
      first: fc.double({ min: 0.05, max: 4, noNaN: true }),
      interval: fc.double({ min: 1.5, max: 8, noNaN: true }),
    })
    .chain(({ first, interval }) => {
      const pollSeconds: number[] = [];
      for (let t = first; t <= end + interval && pollSeconds.length < 24; t += interval) pollSeconds.push(t);
      return fc
        .array(
          fc.oneof(
            { weight: 2, arbitrary: fc.constant<CycleFault[]>([]) },
            { weight: 1, arbitrary: fc.array(cycleFaultArb, { minLength: 1, maxLength: 2 }) },
          ),
          { minLength: pollSeconds.length, maxLength: pollSeconds.length },
        )
        .map((faults) => ({ scenario, pollSeconds, faults, intervalSeconds: interval }));
    });
});
