// What the notifier reads of one StepWatch event: the fields its messages show, read defensively from the detail.
import { DETAIL_TYPES } from '../types';

/** The loop step a step ran under (the event's `step.parentStep`), when it has one. */
export interface NotifiedParentStep {
  readonly stepName: string | null;
  readonly iteration: number | null;
  readonly iteratorValue: string | null;
}

/** The step of a step or alarm event. */
export interface NotifiedStep {
  readonly stepExecutionId: string;
  readonly stepName: string;
  readonly action: string | null;
  readonly status: string;
  readonly previousStatus: string | null;
  readonly failureMessage: string | null;
  /** `outputs.ExecutionId[0]`: the child an `aws:executeAutomation` step started. */
  readonly childExecutionId: string | null;
  readonly parentStep: NotifiedParentStep | null;
}

/** One StepWatch event as the notifier reads it. */
export interface NotifiedEvent {
  readonly kind: 'step' | 'execution' | 'alarm';
  /** The EventBridge `detail-type`. */
  readonly detailType: string;
  readonly eventId: string;
  readonly executionId: string;
  readonly parentExecutionId: string | null;
  readonly documentName: string;
  readonly account: string;
  readonly region: string;
  readonly executionStatus: string;
  /** Execution events: the status before. */
  readonly previousStatus: string | null;
  /** Execution events: the execution's failure message. */
  readonly failureMessage: string | null;
  readonly step: NotifiedStep | null;
  readonly alarm: { readonly name: string; readonly state: string } | null;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function stepOf(value: unknown): NotifiedStep | null {
  if (!isRecord(value) || typeof value.stepName !== 'string' || typeof value.status !== 'string') return null;
  const outputs = isRecord(value.outputs) ? value.outputs : {};
  const child = Array.isArray(outputs.ExecutionId) ? text(outputs.ExecutionId[0]) : null;
  const parent = isRecord(value.parentStep) ? value.parentStep : null;
  return {
    stepExecutionId: text(value.stepExecutionId) ?? '',
    stepName: value.stepName,
    action: text(value.action),
    status: value.status,
    previousStatus: text(value.previousStatus),
    failureMessage: text(value.failureMessage),
    childExecutionId: child,
    parentStep: parent && {
      stepName: text(parent.stepName),
      iteration: typeof parent.iteration === 'number' ? parent.iteration : null,
      iteratorValue: text(parent.iteratorValue),
    },
  };
}

const KINDS: ReadonlyMap<string, NotifiedEvent['kind']> = new Map([
  [DETAIL_TYPES.step, 'step'],
  [DETAIL_TYPES.execution, 'execution'],
  [DETAIL_TYPES.alarm, 'alarm'],
]);

/**
 * Reads an event's detail type and detail; null for one the notifier cannot use (another detail
 * type, no `eventId` or `executionId`, a step event without a step, an alarm event without an alarm).
 *
 * @example
 * const event = notifiedEventOf(raw['detail-type'], raw.detail);
 */
export function notifiedEventOf(detailType: unknown, detail: unknown): NotifiedEvent | null {
  const kind = typeof detailType === 'string' ? KINDS.get(detailType) : undefined;
  if (kind === undefined || !isRecord(detail)) return null;
  const eventId = text(detail.eventId);
  const executionId = text(detail.executionId);
  if (!eventId || !executionId) return null;
  const step = stepOf(detail.step);
  const alarm =
    isRecord(detail.alarm) && typeof detail.alarm.name === 'string'
      ? { name: detail.alarm.name, state: text(detail.alarm.state) ?? '' }
      : null;
  if ((kind === 'step' && !step) || (kind === 'alarm' && !alarm)) return null;
  return {
    kind,
    detailType: detailType as string,
    eventId,
    executionId,
    parentExecutionId: text(detail.parentExecutionId) || null,
    documentName: text(detail.documentName) ?? '',
    account: text(detail.account) ?? '',
    region: text(detail.region) ?? '',
    executionStatus: text(detail.executionStatus) ?? '',
    previousStatus: text(detail.previousStatus),
    failureMessage: text(detail.failureMessage),
    step,
    alarm,
  };
}
