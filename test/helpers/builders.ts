// Builders of core test data: views and snapshots with sensible defaults, overridden per test.

import type { EventContext, EventDetail } from '../../lambda/core/events';
import type {
  ExecutionSnapshot,
  ExecutionState,
  ExecutionView,
  OutboxEvent,
  StepSnapshot,
  StepView,
} from '../../lambda/core/types';

/** The instant all test times count from. */
export const EPOCH = Date.parse('2026-01-01T00:00:00.000Z');

/** The ISO time `seconds` after {@link EPOCH}. */
export function isoAt(seconds: number): string {
  return new Date(EPOCH + seconds * 1000).toISOString();
}

/** An in-progress execution with no alarms. */
export function executionView(overrides: Partial<ExecutionView> = {}): ExecutionView {
  return {
    executionId: 'exec-1',
    documentName: 'AWS-RestartEC2Instance',
    documentVersion: '1',
    status: 'InProgress',
    parentExecutionId: null,
    startTime: isoAt(0),
    endTime: null,
    failureMessage: null,
    triggeredAlarms: [],
    ...overrides,
  };
}

/** An in-progress step with every optional field empty. */
export function stepView(overrides: Partial<StepView> = {}): StepView {
  return {
    stepExecutionId: 'step-1',
    stepName: 'stopInstance',
    action: 'aws:changeInstanceState',
    status: 'InProgress',
    startTime: isoAt(1),
    endTime: null,
    onFailure: null,
    maxAttempts: null,
    isCritical: null,
    failureMessage: null,
    failureDetails: null,
    response: null,
    responseCode: null,
    inputs: null,
    outputs: null,
    targetLocation: null,
    triggeredAlarms: [],
    parentStep: null,
    ...overrides,
  };
}

/** The snapshot a step leaves after its first sight, unless overridden. */
export function stepSnapshot(overrides: Partial<StepSnapshot> = {}): StepSnapshot {
  return {
    stepExecutionId: 'step-1',
    stepName: 'stopInstance',
    status: 'InProgress',
    startTime: isoAt(1),
    transitions: 1,
    alarms: [],
    alarmsRaised: 0,
    ...overrides,
  };
}

/** A stored in-progress execution whose steps were read completely at second 10. */
export function executionSnapshot(overrides: Partial<ExecutionSnapshot> = {}): ExecutionSnapshot {
  return {
    executionId: 'exec-1',
    documentName: 'AWS-RestartEC2Instance',
    documentVersion: '1',
    status: 'InProgress',
    parentExecutionId: null,
    startTime: isoAt(0),
    endTime: null,
    transitions: 1,
    alarms: [],
    alarmsRaised: 0,
    version: 1,
    stepsReadAt: isoAt(10),
    failedSteps: 0,
    alarmCount: 0,
    ...overrides,
  };
}

/** An execution state from an execution snapshot and its steps' snapshots. */
export function executionState(
  execution: Partial<ExecutionSnapshot> = {},
  steps: readonly StepSnapshot[] = [],
): ExecutionState {
  return {
    execution: executionSnapshot(execution),
    steps: new Map(steps.map((s) => [s.stepExecutionId, s])),
  };
}

/** The parsed `detail` of an outbox event. */
export function detailOf(event: OutboxEvent): EventDetail {
  return JSON.parse(event.detail) as EventDetail;
}

/** Where and when test events are emitted: account 123456789012 in us-east-1, observed at second 20. */
export function eventContext(overrides: Partial<EventContext> = {}): EventContext {
  return {
    account: '123456789012',
    region: 'us-east-1',
    partition: 'aws',
    source: 'ssm-step-watch',
    observedAt: isoAt(20),
    maxEntryBytes: 262_144,
    ...overrides,
  };
}
