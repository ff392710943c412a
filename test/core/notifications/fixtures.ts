// Event details and event streams for the notifier's tests: plain runs and rate-control runs as the poller emits them.
import type { ObservedEvent } from '../../../lambda/core/notifications/digest';
import { DETAIL_TYPES } from '../../../lambda/core/types';

/** Scenario start of the notifier's tests. */
export const NOTIFY_T0 = Date.parse('2026-11-25T12:00:00.000Z');
const MINUTE = 60_000;

type Detail = Record<string, unknown>;

/** The fields every detail carries, for an execution of `documentName`. */
export function baseDetail(eventId: string, executionId: string, extra: Detail = {}): Detail {
  return {
    eventId,
    account: '123456789012',
    region: 'us-east-1',
    executionId,
    documentName: 'AWS-RestartEC2Instance',
    documentVersion: '1',
    parentExecutionId: null,
    executionStatus: 'InProgress',
    observedAt: '2026-11-25T12:00:00.000Z',
    truncated: [],
    ...extra,
  };
}

/** A step status change detail. */
export function stepDetail(eventId: string, executionId: string, step: Detail, extra: Detail = {}): Detail {
  return baseDetail(eventId, executionId, {
    step: {
      stepExecutionId: `${eventId}-step`,
      stepName: 'stopInstances',
      action: 'aws:changeInstanceState',
      previousStatus: 'InProgress',
      status: 'Failed',
      failureMessage: null,
      outputs: null,
      ...step,
    },
    ...extra,
  });
}

/** An execution status change detail. */
export function executionDetail(
  eventId: string,
  executionId: string,
  status: string,
  extra: Detail = {},
): Detail {
  return baseDetail(eventId, executionId, {
    executionStatus: status,
    previousStatus: 'InProgress',
    failureMessage: null,
    ...extra,
  });
}

/** An observed event of a detail type at `at` ms. */
export function observed(at: number, kind: keyof typeof DETAIL_TYPES, detail: Detail): ObservedEvent {
  return { at, detailType: DETAIL_TYPES[kind], detail };
}

/** Options of {@link rateControlEvents}. */
export interface RateControlEventsOptions {
  readonly parentId?: string;
  readonly targets: number;
  /** Every `failEvery`-th target fails. */
  readonly failEvery: number;
  readonly minutes: number;
}

/**
 * The routed events of a rate-control run as the poller emits them: children ending evenly over
 * `minutes`; a failed target's child step, the parent's step for the target and the child
 * execution fail; a succeeded one sends its child's Success; the parent ends Failed at the end.
 */
export function rateControlEvents(options: RateControlEventsOptions): ObservedEvent[] {
  const parentId = options.parentId ?? 'aaaaaaaa-0000-4000-8000-000000000001';
  const events: ObservedEvent[] = [];
  for (let i = 0; i < options.targets; i += 1) {
    const at = NOTIFY_T0 + Math.round(((i + 1) * options.minutes * MINUTE) / (options.targets + 1));
    const childId = `cccccccc-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const child = { parentExecutionId: parentId };
    if ((i + 1) % options.failEvery === 0) {
      events.push(
        observed(
          at,
          'step',
          stepDetail(
            `c${i}-step`,
            childId,
            { failureMessage: `Step stopInstances failed on i-${i}.` },
            child,
          ),
        ),
        observed(
          at,
          'step',
          stepDetail(`p${i}-step`, parentId, {
            stepName: `i-${i}`,
            action: 'aws:executeAutomation',
            outputs: { ExecutionId: [childId], Status: ['Failed'] },
          }),
        ),
        observed(at, 'execution', executionDetail(`c${i}-end`, childId, 'Failed', child)),
      );
    } else {
      events.push(observed(at, 'execution', executionDetail(`c${i}-end`, childId, 'Success', child)));
    }
  }
  events.push(
    observed(NOTIFY_T0 + options.minutes * MINUTE, 'execution', executionDetail('p-end', parentId, 'Failed')),
  );
  return events;
}
