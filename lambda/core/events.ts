// Turns transitions into event details of the public contract: eventId, fields, truncation.
import { createHash } from 'node:crypto';
import { EventTooLargeError, UnreadableDetailError } from './errors';
import {
  DETAIL_TYPES,
  type DetailType,
  type ExecutionView,
  type OutboxEvent,
  type RecordedTransition,
  type StepView,
  type Transition,
} from './types';

/** Where and when the events are emitted. */
export interface EventContext {
  readonly account: string;
  readonly region: string;
  /** AWS partition of the execution ARN. */
  readonly partition: string;
  /** `source` of the entries. */
  readonly source: string;
  /** When the transitions were observed (ISO 8601 UTC). */
  readonly observedAt: string;
  /** Size limit of one PutEvents entry in bytes. */
  readonly maxEntryBytes: number;
}

/**
 * The `step.parentStep` object of step and alarm events: the `aws:loop` step a loop iteration's step
 * ran under, which repetition and which item (SSM's `ParentStepDetails`).
 */
export interface ParentStepDetail {
  stepExecutionId: string | null;
  stepName: string | null;
  action: string | null;
  iteration: number | null;
  iteratorValue: string | null;
}

/** The `step` object of step and alarm events. */
export interface StepDetail {
  stepExecutionId: string;
  stepName: string;
  action: string | null;
  /** The step it ran under (a loop iteration's `aws:loop` step), or null. */
  parentStep: ParentStepDetail | null;
  previousStatus: string | null;
  status: string;
  startTime: string | null;
  endTime: string | null;
  onFailure: string | null;
  maxAttempts: number | null;
  isCritical: boolean | null;
  failureMessage: string | null;
  failureDetails: Readonly<Record<string, unknown>> | null;
  response: string | null;
  responseCode: string | null;
  inputs: Readonly<Record<string, string>> | null;
  outputs: Readonly<Record<string, readonly string[]>> | null;
  targetLocation: unknown;
  triggeredAlarms: readonly { name: string; state: string }[];
}

/** The `detail` of every event: the fields common to all three detail types, and the optional parts. */
export interface EventDetail {
  eventId: string;
  account: string;
  region: string;
  executionId: string;
  documentName: string;
  documentVersion: string | null;
  parentExecutionId: string | null;
  executionStatus: string;
  observedAt: string;
  /** Execution events: the status before, null on first sight. */
  previousStatus?: string | null;
  /** Execution events. */
  startTime?: string | null;
  endTime?: string | null;
  failureMessage?: string | null;
  step?: StepDetail | null;
  alarm?: { name: string; state: string };
  /** Fields shortened or dropped to fit the entry size limit, as paths like `step.outputs`. */
  truncated: string[];
}

/**
 * The deterministic id of a transition: the same transition observed again (after a crash, or by
 * a rival poller reading the same snapshot) always gets the same id, so consumers dedupe on it.
 */
export function eventIdOf(executionId: string, transition: Transition): string {
  const parts =
    transition.kind === 'execution'
      ? [executionId, null, 'execution', transition.status, transition.ordinal]
      : transition.kind === 'step'
        ? [
            executionId,
            transition.step.stepExecutionId,
            'step',
            transition.step.status,
            transition.ordinal,
            transition.step.startTime,
          ]
        : [
            executionId,
            transition.step?.stepExecutionId ?? null,
            'alarm',
            transition.alarm.name,
            transition.ordinal,
          ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

/** The ARN of an automation execution, the `resources` of its events. */
export function executionArn(
  context: Pick<EventContext, 'partition' | 'region' | 'account'>,
  executionId: string,
): string {
  return `arn:${context.partition}:ssm:${context.region}:${context.account}:automation-execution/${executionId}`;
}

/**
 * Builds the outbox events of one execution's transitions, in order, numbered from `firstSequence`.
 * The execution-status event carries the execution status it moved to; step events carry the
 * execution's current status. Each event carries its transition as typed fields too
 * ({@link RecordedTransition}); read a stored detail back with {@link parseEventDetail}.
 */
export function buildEvents(
  execution: ExecutionView,
  transitions: readonly Transition[],
  context: EventContext,
  firstSequence: number,
): OutboxEvent[] {
  return transitions.map((transition, index) => {
    const eventId = eventIdOf(execution.executionId, transition);
    const detail = detailOf(execution, transition, context, eventId);
    const detailType = detailTypeOf(transition);
    const resources = [executionArn(context, execution.executionId)];
    return {
      ...recordedOf(transition),
      eventId,
      executionId: execution.executionId,
      detailType,
      resources,
      detail: fitToSize(
        detail,
        context.maxEntryBytes - fixedEntryBytes(context.source, detailType, resources),
      ),
      observedAt: context.observedAt,
      sequence: firstSequence + index,
    };
  });
}

/**
 * Reads a stored or received detail back: the detail, with the fields every detail carries checked
 * and defaulted, and optional parts of the wrong shape dropped (`step` becomes null, `alarm` goes).
 *
 * @throws UnreadableDetailError when the text is not JSON, not an object, or has no `executionId`
 *   or `eventId`; readers that skip unreadable data catch it.
 * @example
 * ```ts
 * const detail = parseEventDetail(event.detail);
 * console.log(detail.step?.status);
 * ```
 */
export function parseEventDetail(text: string): EventDetail {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UnreadableDetailError('detail is not valid JSON', { cause: error });
  }
  if (!isRecord(value)) throw new UnreadableDetailError('detail is not a JSON object');
  if (typeof value.executionId !== 'string' || typeof value.eventId !== 'string') {
    throw new UnreadableDetailError('detail without executionId or eventId');
  }
  const detail: EventDetail = {
    ...(value as unknown as EventDetail),
    documentName: typeof value.documentName === 'string' ? value.documentName : '',
    executionStatus: typeof value.executionStatus === 'string' ? value.executionStatus : '',
    observedAt: typeof value.observedAt === 'string' ? value.observedAt : '',
    parentExecutionId: typeof value.parentExecutionId === 'string' ? value.parentExecutionId : null,
    truncated: Array.isArray(value.truncated) ? value.truncated.filter((t) => typeof t === 'string') : [],
  };
  if ('step' in value) {
    const step = value.step;
    const usable = isRecord(step) && typeof step.stepName === 'string' && typeof step.status === 'string';
    // Details stored before parentStep existed, or with it damaged, read back as a step without one.
    detail.step = usable
      ? ({ ...step, parentStep: parentStepDetailOf(step.parentStep) } as unknown as StepDetail)
      : null;
  }
  if ('alarm' in value) {
    const alarm = value.alarm;
    if (isRecord(alarm) && typeof alarm.name === 'string' && typeof alarm.state === 'string') {
      detail.alarm = { name: alarm.name, state: alarm.state };
    } else {
      delete detail.alarm;
    }
  }
  return detail;
}

function parentStepDetailOf(value: unknown): ParentStepDetail | null {
  if (!isRecord(value)) return null;
  const text = (field: unknown): string | null => (typeof field === 'string' ? field : null);
  return {
    stepExecutionId: text(value.stepExecutionId),
    stepName: text(value.stepName),
    action: text(value.action),
    iteration: Number.isSafeInteger(value.iteration) ? (value.iteration as number) : null,
    iteratorValue: text(value.iteratorValue),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The transition as the typed fields of its outbox record. */
function recordedOf(transition: Transition): RecordedTransition {
  switch (transition.kind) {
    case 'step':
      return {
        kind: 'step',
        ordinal: transition.ordinal,
        stepExecutionId: transition.step.stepExecutionId,
        stepName: transition.step.stepName,
        status: transition.step.status,
        previousStatus: transition.previousStatus,
        startTime: transition.step.startTime,
        maxAttempts: transition.step.maxAttempts,
      };
    case 'execution':
      return {
        kind: 'execution',
        ordinal: transition.ordinal,
        stepExecutionId: null,
        status: transition.status,
        previousStatus: transition.previousStatus,
      };
    case 'alarm':
      return {
        kind: 'alarm',
        ordinal: transition.ordinal,
        stepExecutionId: transition.step?.stepExecutionId ?? null,
        alarmName: transition.alarm.name,
      };
  }
}

function detailTypeOf(transition: Transition): DetailType {
  return DETAIL_TYPES[transition.kind];
}

function detailOf(
  execution: ExecutionView,
  transition: Transition,
  context: EventContext,
  eventId: string,
): EventDetail {
  const common: EventDetail = {
    eventId,
    account: context.account,
    region: context.region,
    executionId: execution.executionId,
    documentName: execution.documentName,
    documentVersion: execution.documentVersion,
    parentExecutionId: execution.parentExecutionId,
    executionStatus: execution.status,
    observedAt: context.observedAt,
    truncated: [],
  };
  switch (transition.kind) {
    case 'execution':
      return {
        ...common,
        previousStatus: transition.previousStatus,
        startTime: execution.startTime,
        endTime: execution.endTime,
        failureMessage: execution.failureMessage,
      };
    case 'step':
      return { ...common, step: stepDetailOf(transition.step, transition.previousStatus) };
    case 'alarm':
      return {
        ...common,
        alarm: { name: transition.alarm.name, state: transition.alarm.state },
        step: transition.step ? stepDetailOf(transition.step, null) : null,
      };
  }
}

function stepDetailOf(step: StepView, previousStatus: string | null): StepDetail {
  return {
    stepExecutionId: step.stepExecutionId,
    stepName: step.stepName,
    action: step.action,
    parentStep: step.parentStep && {
      stepExecutionId: step.parentStep.stepExecutionId,
      stepName: step.parentStep.stepName,
      action: step.parentStep.action,
      iteration: step.parentStep.iteration,
      iteratorValue: step.parentStep.iteratorValue,
    },
    previousStatus,
    status: step.status,
    startTime: step.startTime,
    endTime: step.endTime,
    onFailure: step.onFailure,
    maxAttempts: step.maxAttempts,
    isCritical: step.isCritical,
    failureMessage: step.failureMessage,
    failureDetails: step.failureDetails,
    response: step.response,
    responseCode: step.responseCode,
    inputs: step.inputs,
    outputs: step.outputs,
    targetLocation: step.targetLocation,
    triggeredAlarms: step.triggeredAlarms.map((a) => ({ name: a.name, state: a.state })),
  };
}

/** Bytes EventBridge counts for an entry besides its detail (source, detail type, resources). */
function fixedEntryBytes(source: string, detailType: string, resources: readonly string[]): number {
  // EventBridge also counts 14 bytes for the time field.
  return 14 + utf8Length(source) + utf8Length(detailType) + resources.reduce((n, r) => n + utf8Length(r), 0);
}

/**
 * Fields that may be shortened (strings) or dropped (objects), as paths from the detail; the largest
 * goes first. `iteratorValue` is an item of the runbook's `Iterators`, text of any length (the model
 * sets no maximum), so it may be cut too; the rest of `parentStep` is small and always kept.
 */
const TRUNCATABLE: readonly (readonly string[])[] = [
  ['step', 'outputs'],
  ['step', 'inputs'],
  ['step', 'response'],
  ['step', 'failureDetails'],
  ['step', 'failureMessage'],
  ['step', 'targetLocation'],
  ['step', 'triggeredAlarms'],
  ['step', 'parentStep', 'iteratorValue'],
  ['failureMessage'],
];

/** Suffix of a shortened string, so a reader sees it was cut. */
export const TRUNCATION_MARK = '…[truncated]';

/**
 * Serialises the detail, shortening the largest fields until it fits in `maxBytes`.
 * Strings are cut on a character boundary and marked; objects are replaced by null.
 */
export function fitToSize(detail: EventDetail, maxBytes: number): string {
  let serialised = JSON.stringify(detail);
  let overflow = utf8Length(serialised) - maxBytes;
  if (overflow <= 0) return serialised;

  const working: EventDetail = structuredClone(detail);
  const done = new Set<string>();
  while (overflow > 0) {
    const candidate = largestField(working, done);
    if (!candidate) {
      throw new EventTooLargeError(
        `The event of execution ${detail.executionId} needs ${overflow} bytes more than the ${maxBytes} allowed even with every large field dropped.`,
      );
    }
    const { holder, key, path, value } = candidate;
    // A string is cut (again, if escaping kept it too long); anything else is dropped once.
    const keep =
      typeof value === 'string' ? utf8Length(value) - overflow - utf8Length(TRUNCATION_MARK) - 16 : 0;
    if (keep > 0) {
      holder[key] = truncateUtf8(value as string, keep) + TRUNCATION_MARK;
    } else {
      holder[key] = key === 'triggeredAlarms' ? [] : null;
      done.add(path);
    }
    if (!working.truncated.includes(path)) working.truncated.push(path);
    serialised = JSON.stringify(working);
    overflow = utf8Length(serialised) - maxBytes;
  }
  return serialised;
}

function largestField(
  detail: EventDetail,
  done: ReadonlySet<string>,
): { holder: Record<string, unknown>; key: string; path: string; value: unknown } | null {
  let best: {
    holder: Record<string, unknown>;
    key: string;
    path: string;
    value: unknown;
    size: number;
  } | null = null;
  for (const fieldPath of TRUNCATABLE) {
    const key = fieldPath.at(-1) as string;
    let holder: unknown = detail;
    for (const part of fieldPath.slice(0, -1)) holder = isRecord(holder) ? holder[part] : undefined;
    const path = fieldPath.join('.');
    if (!isRecord(holder) || done.has(path)) continue;
    const value = holder[key];
    if (value === null || value === undefined) continue;
    const size = utf8Length(JSON.stringify(value));
    if (!best || size > best.size) best = { holder, key, path, value, size };
  }
  return best;
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function truncateUtf8(text: string, maxBytes: number): string {
  // Cutting the bytes can split a character; the decoder then ends with U+FFFD, which we drop.
  const cut = Buffer.from(text, 'utf8').subarray(0, maxBytes).toString('utf8');
  return cut.replace(/\uFFFD+$/u, '');
}
