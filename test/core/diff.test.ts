// Tests of diffExecution: first sight, status changes, ordinals, alarms, ordering and the next snapshot.
import { describe, expect, it } from 'vitest';
import { type DiffInput, diffExecution } from '../../lambda/core/diff';
import { eventIdOf } from '../../lambda/core/events';
import type { ExecutionState, ExecutionView, StepView, Transition } from '../../lambda/core/types';
import { executionState, executionView, isoAt, stepSnapshot, stepView } from '../helpers/builders';

function diff(overrides: Partial<DiffInput> = {}) {
  return diffExecution({
    execution: executionView(),
    steps: [],
    previous: null,
    stepsComplete: true,
    readAt: isoAt(10),
    ...overrides,
  });
}

/** A short, readable form of a transition, for order assertions. */
function describeTransition(transition: Transition): string {
  switch (transition.kind) {
    case 'execution':
      return `execution ${transition.previousStatus}->${transition.status}`;
    case 'step':
      return `step ${transition.step.stepExecutionId} ${transition.previousStatus}->${transition.step.status}`;
    case 'alarm':
      return `alarm ${transition.alarm.name} on ${transition.step?.stepExecutionId ?? 'execution'}`;
  }
}

describe('Function: diffExecution', () => {
  it('counts every alarm raised, execution and step level, in alarmCount', () => {
    const first = diff({
      execution: executionView({ triggeredAlarms: [{ name: 'RunAlarm', state: 'ALARM' }] }),
      steps: [stepView({ triggeredAlarms: [{ name: 'HighCPU', state: 'ALARM' }] })],
    });
    const second = diff({
      execution: executionView({ triggeredAlarms: [{ name: 'RunAlarm', state: 'ALARM' }] }),
      steps: [
        stepView({ triggeredAlarms: [{ name: 'HighCPU', state: 'ALARM' }] }),
        stepView({ stepExecutionId: 'step-2', triggeredAlarms: [{ name: 'Disk', state: 'ALARM' }] }),
      ],
      previous: first.next,
    });
    expect(first.next.execution.alarmCount).toBe(2);
    expect(second.next.execution.alarmCount).toBe(3);
  });

  it('finds no change when a later complete read shows nothing new', () => {
    const first = diff({ steps: [stepView()] });
    const second = diff({ steps: [stepView()], previous: first.next, readAt: isoAt(70) });
    expect(second.transitions).toEqual([]);
    expect(second.changed).toBe(false);
  });

  it('emits previousStatus null on first sight of the execution and its steps', () => {
    // Act
    const result = diff({ steps: [stepView()] });

    // Assess
    expect(result.transitions).toEqual([
      { kind: 'execution', status: 'InProgress', previousStatus: null, ordinal: 0 },
      { kind: 'step', step: stepView(), previousStatus: null, ordinal: 0 },
    ]);
    expect(result.changed).toBe(true);
    expect(result.changedSteps).toEqual(['step-1']);
    expect(result.next.execution).toEqual({
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
      version: 0,
      stepsReadAt: isoAt(10),
      settledAfter: null,
      failedSteps: 0,
      alarmCount: 0,
    });
    expect(result.next.steps.get('step-1')).toEqual(stepSnapshot());
  });

  it('finds no transition and no change when nothing changed', () => {
    // Prepare
    const first = diff({ steps: [stepView()] });

    // Act
    const second = diff({ steps: [stepView()], previous: first.next });

    // Assess
    expect(second.transitions).toEqual([]);
    expect(second.changedSteps).toEqual([]);
    expect(second.changed).toBe(false);
  });

  it('finds no change when a partial read of unchanged steps happens later', () => {
    const first = diff({ steps: [stepView()] });

    const second = diff({
      steps: [stepView()],
      previous: first.next,
      stepsComplete: false,
      readAt: isoAt(70),
    });

    expect(second.transitions).toEqual([]);
    expect(second.changed).toBe(false);
  });

  it('carries the stored version into the next snapshot', () => {
    const result = diff({ previous: executionState({ version: 7 }) });

    expect(result.next.execution.version).toBe(7);
  });

  it('gives the previous status of a step that changed', () => {
    // Prepare
    const previous = executionState({}, [stepSnapshot()]);

    // Act
    const result = diff({ steps: [stepView({ status: 'Success', endTime: isoAt(5) })], previous });

    // Assess
    expect(result.transitions).toEqual([
      {
        kind: 'step',
        step: stepView({ status: 'Success', endTime: isoAt(5) }),
        previousStatus: 'InProgress',
        ordinal: 1,
      },
    ]);
    expect(result.changedSteps).toEqual(['step-1']);
    expect(result.next.steps.get('step-1')).toEqual(stepSnapshot({ status: 'Success', transitions: 2 }));
  });

  it('gives the previous status of an execution that changed', () => {
    const result = diff({ execution: executionView({ status: 'Waiting' }), previous: executionState() });

    expect(result.transitions).toEqual([
      { kind: 'execution', status: 'Waiting', previousStatus: 'InProgress', ordinal: 1 },
    ]);
    expect(result.next.execution.transitions).toBe(2);
  });

  it('increments the execution ordinal on every status change, also when a status comes back', () => {
    // Prepare
    const statuses = ['InProgress', 'Waiting', 'InProgress', 'Success'];
    let previous: ExecutionState | null = null;
    const transitions: Transition[] = [];

    // Act
    for (const status of statuses) {
      const result = diff({ execution: executionView({ status }), previous });
      transitions.push(...result.transitions);
      previous = result.next;
    }

    // Assess
    expect(transitions).toEqual([
      { kind: 'execution', status: 'InProgress', previousStatus: null, ordinal: 0 },
      { kind: 'execution', status: 'Waiting', previousStatus: 'InProgress', ordinal: 1 },
      { kind: 'execution', status: 'InProgress', previousStatus: 'Waiting', ordinal: 2 },
      { kind: 'execution', status: 'Success', previousStatus: 'InProgress', ordinal: 3 },
    ]);
    expect(previous?.execution.transitions).toBe(4);
  });

  it('gives a retried step four distinct transitions with increasing ordinals', () => {
    // Prepare
    const statuses = ['InProgress', 'Failed', 'InProgress', 'Success'];
    let previous: ExecutionState | null = null;
    const stepTransitions: Transition[] = [];

    // Act
    for (const [i, status] of statuses.entries()) {
      const result = diff({ steps: [stepView({ status })], previous, readAt: isoAt(10 + i) });
      stepTransitions.push(...result.transitions.filter((t) => t.kind === 'step'));
      previous = result.next;
    }

    // Assess
    expect(
      stepTransitions.map((t) => (t.kind === 'step' ? [t.previousStatus, t.step.status, t.ordinal] : [])),
    ).toEqual([
      [null, 'InProgress', 0],
      ['InProgress', 'Failed', 1],
      ['Failed', 'InProgress', 2],
      ['InProgress', 'Success', 3],
    ]);
    expect(new Set(stepTransitions.map((t) => eventIdOf('exec-1', t))).size).toBe(4);
    expect(previous?.steps.get('step-1')).toEqual(stepSnapshot({ status: 'Success', transitions: 4 }));
  });

  it('emits a step alarm once when it first enters ALARM', () => {
    // Prepare
    const alarmed = stepView({ triggeredAlarms: [{ name: 'HighCPU', state: 'ALARM' }] });
    const first = diff({ steps: [stepView()] });

    // Act
    const raised = diff({ steps: [alarmed], previous: first.next });
    const again = diff({ steps: [alarmed], previous: raised.next });

    // Assess
    expect(raised.transitions).toEqual([
      { kind: 'alarm', alarm: { name: 'HighCPU', state: 'ALARM' }, step: alarmed, ordinal: 0 },
    ]);
    expect(raised.changedSteps).toEqual(['step-1']);
    expect(raised.next.steps.get('step-1')).toEqual(stepSnapshot({ alarms: ['HighCPU'], alarmsRaised: 1 }));
    expect(again.transitions).toEqual([]);
  });

  it('does not emit an alarm in UNKNOWN state', () => {
    const result = diff({ steps: [stepView({ triggeredAlarms: [{ name: 'HighCPU', state: 'UNKNOWN' }] })] });

    expect(result.transitions.filter((t) => t.kind === 'alarm')).toEqual([]);
    expect(result.next.steps.get('step-1')?.alarms).toEqual([]);
  });

  it('does not re-emit an alarm that a later payload omits and then shows again', () => {
    // Prepare
    const alarms = [{ name: 'HighCPU', state: 'ALARM' }];
    const raised = diff({ steps: [stepView({ triggeredAlarms: alarms })] });
    const omitted = diff({ steps: [stepView()], previous: raised.next });

    // Act
    const back = diff({ steps: [stepView({ triggeredAlarms: alarms })], previous: omitted.next });

    // Assess
    expect(omitted.transitions).toEqual([]);
    expect(back.transitions).toEqual([]);
    expect(back.next.steps.get('step-1')?.alarms).toEqual(['HighCPU']);
  });

  it('numbers a second alarm of the same step after the first', () => {
    const raised = diff({ steps: [stepView({ triggeredAlarms: [{ name: 'HighCPU', state: 'ALARM' }] })] });
    const second = stepView({
      triggeredAlarms: [
        { name: 'HighCPU', state: 'ALARM' },
        { name: 'DiskFull', state: 'ALARM' },
      ],
    });

    const result = diff({ steps: [second], previous: raised.next });

    expect(result.transitions).toEqual([
      { kind: 'alarm', alarm: { name: 'DiskFull', state: 'ALARM' }, step: second, ordinal: 1 },
    ]);
  });

  it('emits execution-level alarms with a null step, once', () => {
    // Prepare
    const execution = executionView({
      triggeredAlarms: [
        { name: 'HighCPU', state: 'ALARM' },
        { name: 'Quiet', state: 'OK' },
      ],
    });

    // Act
    const first = diff({ execution });
    const again = diff({ execution, previous: first.next });

    // Assess
    expect(first.transitions).toEqual([
      { kind: 'execution', status: 'InProgress', previousStatus: null, ordinal: 0 },
      { kind: 'alarm', alarm: { name: 'HighCPU', state: 'ALARM' }, step: null, ordinal: 0 },
    ]);
    expect(first.next.execution.alarms).toEqual(['HighCPU']);
    expect(first.next.execution.alarmsRaised).toBe(1);
    expect(again.transitions).toEqual([]);
  });

  it('orders a non-final execution status first and steps by start time', () => {
    // Prepare: out of start order, with a step not started yet (which sends nothing).
    const steps: StepView[] = [
      stepView({ stepExecutionId: 'step-3', stepName: 'three', startTime: isoAt(3) }),
      stepView({ stepExecutionId: 'step-pending', stepName: 'four', startTime: null, status: 'Pending' }),
      stepView({ stepExecutionId: 'step-1', stepName: 'one', startTime: isoAt(1), status: 'Success' }),
      stepView({ stepExecutionId: 'step-2', stepName: 'two', startTime: isoAt(2), status: 'Success' }),
    ];

    // Act
    const result = diff({ steps });

    // Assess
    expect(result.transitions.map(describeTransition)).toEqual([
      'execution null->InProgress',
      'step step-1 null->Success',
      'step step-2 null->Success',
      'step step-3 null->InProgress',
    ]);
  });

  it('puts each step alarm after its step, execution alarms after the steps and a final status last', () => {
    // Prepare
    const execution = executionView({
      status: 'Failed',
      endTime: isoAt(9),
      triggeredAlarms: [{ name: 'ExecutionAlarm', state: 'ALARM' }],
    });
    const steps = [
      stepView({ stepExecutionId: 'step-2', startTime: isoAt(2), status: 'Failed' }),
      stepView({
        stepExecutionId: 'step-1',
        startTime: isoAt(1),
        status: 'Success',
        triggeredAlarms: [{ name: 'StepAlarm', state: 'ALARM' }],
      }),
    ];

    // Act
    const result = diff({ execution, steps, previous: executionState() });

    // Assess
    expect(result.transitions.map(describeTransition)).toEqual([
      'step step-1 null->Success',
      'alarm StepAlarm on step-1',
      'step step-2 null->Failed',
      'alarm ExecutionAlarm on execution',
      'execution InProgress->Failed',
    ]);
  });

  it('passes an unknown status string through unchanged', () => {
    // Prepare
    const execution = executionView({ status: 'SomethingNew' });
    const steps = [
      stepView({ status: 'Exited' }),
      stepView({ stepExecutionId: 'step-2', status: 'Brandnew' }),
    ];

    // Act
    const result = diff({ execution, steps, previous: executionState({}, [stepSnapshot()]) });

    // Assess
    expect(result.transitions.map(describeTransition)).toEqual([
      'execution InProgress->SomethingNew',
      'step step-1 InProgress->Exited',
      'step step-2 null->Brandnew',
    ]);
    expect(result.next.execution.status).toBe('SomethingNew');
  });

  it('keeps the snapshots of steps not read this cycle', () => {
    // Prepare
    const untouched = stepSnapshot({
      stepExecutionId: 'step-0',
      status: 'Failed',
      startTime: isoAt(0),
      transitions: 2,
    });
    const previous = executionState({ failedSteps: 1 }, [untouched, stepSnapshot()]);

    // Act
    const result = diff({ steps: [stepView({ status: 'Success' })], previous, stepsComplete: false });

    // Assess
    expect(result.changedSteps).toEqual(['step-1']);
    expect(result.next.steps.get('step-0')).toEqual(untouched);
    expect([...result.next.steps.keys()].sort()).toEqual(['step-0', 'step-1']);
    expect(result.next.execution.failedSteps).toBe(1);
  });

  it('counts the steps in a failure-like status, read or not', () => {
    // Prepare
    const previous = executionState({}, [
      stepSnapshot({ stepExecutionId: 'old-cancelled', status: 'Cancelled' }),
      stepSnapshot({ stepExecutionId: 'old-success', status: 'Success' }),
    ]);
    const steps = [
      stepView({ stepExecutionId: 'a', status: 'Failed' }),
      stepView({ stepExecutionId: 'b', status: 'TimedOut' }),
      stepView({ stepExecutionId: 'c', status: 'Success' }),
      stepView({ stepExecutionId: 'd', status: 'InProgress' }),
    ];

    // Act
    const result = diff({ steps, previous });

    // Assess
    expect(result.next.execution.failedSteps).toBe(3);
  });

  it('moves stepsReadAt only when the steps were read completely', () => {
    // Act
    const partial = diff({ stepsComplete: false, readAt: isoAt(10) });
    const complete = diff({ previous: partial.next, stepsComplete: true, readAt: isoAt(20) });
    const partialAgain = diff({ previous: complete.next, stepsComplete: false, readAt: isoAt(30) });

    // Assess
    expect(partial.next.execution.stepsReadAt).toBeNull();
    expect(complete.next.execution.stepsReadAt).toBe(isoAt(20));
    expect(complete.changed).toBe(true);
    expect(partialAgain.next.execution.stepsReadAt).toBe(isoAt(20));
  });

  it('notes a changed end time even without a transition', () => {
    const execution: ExecutionView = executionView({ endTime: isoAt(50) });

    const result = diff({ execution, previous: executionState(), stepsComplete: false });

    expect(result.transitions).toEqual([]);
    expect(result.changed).toBe(true);
    expect(result.next.execution.endTime).toBe(isoAt(50));
  });
});

describe('Function: diffExecution with steps not started', () => {
  const pending = (overrides: Partial<StepView> = {}): StepView =>
    stepView({
      stepExecutionId: 'step-2',
      stepName: 'startInstance',
      status: 'Pending',
      startTime: null,
      ...overrides,
    });

  it('keeps a step listed as Pending without a start time, and sends nothing for it', () => {
    // Act
    const result = diff({ steps: [stepView(), pending()] });

    // Assess
    expect(result.transitions.map(describeTransition)).toEqual([
      'execution null->InProgress',
      'step step-1 null->InProgress',
    ]);
    expect(result.next.steps.get('step-2')).toEqual({
      stepExecutionId: 'step-2',
      stepName: 'startInstance',
      status: 'Pending',
      startTime: null,
      transitions: 0,
      alarms: [],
      alarmsRaised: 0,
    });
    expect(result.changedSteps).toEqual(['step-2', 'step-1']);
  });

  it('sends a step that starts with previousStatus Pending and ordinal 0', () => {
    const first = diff({ steps: [pending()] });

    const second = diff({
      steps: [pending({ status: 'InProgress', startTime: isoAt(20) })],
      previous: first.next,
    });

    expect(second.transitions).toEqual([
      {
        kind: 'step',
        step: pending({ status: 'InProgress', startTime: isoAt(20) }),
        previousStatus: 'Pending',
        ordinal: 0,
      },
    ]);
    expect(second.next.steps.get('step-2')?.transitions).toBe(1);
  });

  it('lets a started step take over the planned entry of its name when its id changed on start', () => {
    const first = diff({ steps: [pending({ stepExecutionId: 'planned-id' })] });

    const started = pending({ stepExecutionId: 'real-id', status: 'InProgress', startTime: isoAt(20) });
    const second = diff({ steps: [started], previous: first.next });

    expect(second.transitions).toEqual([
      { kind: 'step', step: started, previousStatus: 'Pending', ordinal: 0 },
    ]);
    expect([...second.next.steps.keys()]).toEqual(['real-id']);
    expect(second.changedSteps).toEqual(['planned-id', 'real-id']);
  });

  it('keeps a planned entry listed in the same read as a started step of its name: they are two steps', () => {
    // SSM shows a step either not started or started, never both in one forward listing; two records
    // of one name in one read are two steps (a loop iteration, or a step shown late).
    const started = pending({
      stepExecutionId: 'real-id',
      status: 'Success',
      startTime: isoAt(5),
      endTime: isoAt(6),
    });

    const result = diff({ steps: [pending({ stepExecutionId: 'planned:startInstance' }), started] });

    expect(result.transitions.map(describeTransition)).toEqual([
      'execution null->InProgress',
      'step real-id null->Success',
    ]);
    expect([...result.next.steps.keys()]).toEqual(['planned:startInstance', 'real-id']);
  });

  it('never hands a loop iteration the planned entry of an iteration that started under its own id', () => {
    // Prepare: iteration one listed up front, not started.
    const first = diff({ steps: [pending({ stepExecutionId: 'iter-1', stepName: 'deploy' })] });

    // Act: both iterations first seen started in one read (ids stable).
    const second = diff({
      steps: [
        pending({ stepExecutionId: 'iter-1', stepName: 'deploy', status: 'Success', startTime: isoAt(2) }),
        pending({ stepExecutionId: 'iter-2', stepName: 'deploy', status: 'Success', startTime: isoAt(4) }),
      ],
      previous: first.next,
    });

    // Assess
    expect(second.transitions.map(describeTransition)).toEqual([
      'step iter-1 Pending->Success',
      'step iter-2 null->Success',
    ]);
    expect([...second.next.steps.keys()]).toEqual(['iter-1', 'iter-2']);
  });

  it('does not let a step shown early take over an entry still listed as not started', () => {
    const first = diff({ steps: [pending({ stepExecutionId: 'iter-1', stepName: 'deploy' })] });

    const second = diff({
      steps: [
        pending({ stepExecutionId: 'iter-1', stepName: 'deploy' }),
        pending({ stepExecutionId: 'iter-2', stepName: 'deploy', status: 'InProgress', startTime: isoAt(4) }),
      ],
      previous: first.next,
    });
    const third = diff({
      steps: [
        pending({ stepExecutionId: 'iter-1', stepName: 'deploy', status: 'InProgress', startTime: isoAt(2) }),
      ],
      previous: second.next,
    });

    expect(second.transitions.map(describeTransition)).toEqual(['step iter-2 null->InProgress']);
    expect(third.transitions.map(describeTransition)).toEqual(['step iter-1 Pending->InProgress']);
  });

  it('sends nothing for a step that stays Pending after the execution ends', () => {
    const first = diff({ steps: [stepView(), pending()] });

    const second = diff({
      execution: executionView({ status: 'Cancelled', endTime: isoAt(30) }),
      steps: [stepView({ status: 'Cancelled', endTime: isoAt(29) }), pending()],
      previous: first.next,
    });

    expect(second.transitions.map(describeTransition)).toEqual([
      'step step-1 InProgress->Cancelled',
      'execution InProgress->Cancelled',
    ]);
    expect(second.next.steps.get('step-2')?.status).toBe('Pending');
  });

  it('treats a Pending step with a start time as started', () => {
    const result = diff({ steps: [pending({ startTime: isoAt(3) })] });

    expect(result.transitions.map(describeTransition)).toEqual([
      'execution null->InProgress',
      'step step-2 null->Pending',
    ]);
  });

  it('settles an ended execution the visibility lag after its end, or after the first read that saw it ended', () => {
    const ended = diff({
      execution: executionView({ status: 'Success', endTime: isoAt(5) }),
      visibilityLagSeconds: 60,
    });
    const noEnd = diff({
      execution: executionView({ status: 'Success', endTime: null }),
      visibilityLagSeconds: 60,
    });
    const later = diff({
      execution: executionView({ status: 'Success', endTime: null }),
      previous: noEnd.next,
      readAt: isoAt(100),
      visibilityLagSeconds: 60,
    });

    expect(ended.next.execution.settledAfter).toBe(isoAt(65));
    expect(noEnd.next.execution.settledAfter).toBe(isoAt(70));
    expect(later.next.execution.settledAfter).toBe(isoAt(70));
    expect(later.changed).toBe(true);
  });

  it('settles at once an ended execution whose read after the end lists every step started, when SSM adds none', () => {
    const done = (id: string, name = id) =>
      stepView({ stepExecutionId: id, stepName: name, status: 'Success', endTime: isoAt(4) });
    const settle = (overrides: Partial<DiffInput>) =>
      diff({
        execution: executionView({ status: 'Success', endTime: isoAt(5), addsSteps: false }),
        steps: [done('a'), done('b')],
        readAt: isoAt(8),
        visibilityLagSeconds: 60,
        ...overrides,
      }).next.execution.settledAfter;

    expect(settle({})).toBe(isoAt(5));
    // Each of these could hide a step that SSM shows late: wait out the lag.
    expect(settle({ steps: [done('a'), pending()] })).toBe(isoAt(65));
    expect(settle({ execution: executionView({ status: 'Success', endTime: isoAt(5) }) })).toBe(isoAt(65));
    expect(
      settle({ execution: executionView({ status: 'Success', endTime: isoAt(5), addsSteps: true }) }),
    ).toBe(isoAt(65));
    expect(settle({ steps: [done('a'), stepView({ ...done('b'), action: 'aws:loop' })] })).toBe(isoAt(65));
    expect(settle({ steps: [done('a', 'loop'), done('b', 'loop')] })).toBe(isoAt(65));
    expect(settle({ stepsComplete: false })).toBe(isoAt(65));
    expect(settle({ readAt: isoAt(4) })).toBe(isoAt(65));
  });

  it('writes every step again once the execution settles, so each gets the retention', () => {
    const first = diff({
      steps: [
        stepView({ stepExecutionId: 'done', stepName: 'done', status: 'Success' }),
        stepView({ stepExecutionId: 'never', stepName: 'never', status: 'Pending', startTime: null }),
      ],
    });

    const ended = diff({
      execution: executionView({ status: 'Success', endTime: isoAt(5) }),
      steps: [
        stepView({ stepExecutionId: 'done', stepName: 'done', status: 'Success' }),
        stepView({ stepExecutionId: 'never', stepName: 'never', status: 'Pending', startTime: null }),
      ],
      previous: first.next,
      readAt: isoAt(100),
      visibilityLagSeconds: 60,
    });

    expect(ended.transitions.map(describeTransition)).toEqual(['execution InProgress->Success']);
    expect([...ended.changedSteps].sort()).toEqual(['done', 'never']);
  });
});

describe('Function: diffExecution, a read over several chunks', () => {
  const ended = executionView({ status: 'Success', endTime: isoAt(50) });
  const first = stepView({ stepExecutionId: 'step-1', status: 'Success', endTime: isoAt(20) });
  const second = stepView({ stepExecutionId: 'step-2', startTime: isoAt(30), status: 'Success' });

  it('holds an ended execution’s final status back while the read goes on, keeping the announced status', () => {
    // Prepare: the execution was announced InProgress; a chunk of the read after its end shows it ended.
    const previous = executionState({ status: 'InProgress', transitions: 1 }, [stepSnapshot()]);

    // Act
    const result = diff({
      execution: ended,
      steps: [first],
      previous,
      stepsComplete: false,
      holdFinalStatus: true,
    });

    // Assess
    expect(result.transitions).toEqual([
      { kind: 'step', step: first, previousStatus: 'InProgress', ordinal: 1 },
    ]);
    expect(result.next.execution).toEqual({
      ...previous.execution,
      endTime: null,
      settledAfter: null,
      failedSteps: 0,
    });
    expect(result.next.execution.announced).toBeUndefined();
  });

  it('sends the final status last, from the announced status, with the chunk that ends the read', () => {
    // Prepare
    const previous = executionState({ status: 'InProgress', transitions: 1 }, [stepSnapshot()]);
    const held = diff({
      execution: ended,
      steps: [first],
      previous,
      stepsComplete: false,
      holdFinalStatus: true,
    });

    // Act
    const last = diff({ execution: ended, steps: [second], previous: held.next, readAt: isoAt(70) });

    // Assess
    expect(last.transitions).toEqual([
      { kind: 'step', step: second, previousStatus: null, ordinal: 0 },
      { kind: 'execution', status: 'Success', previousStatus: 'InProgress', ordinal: 1 },
    ]);
    expect(last.next.execution).toMatchObject({ status: 'Success', endTime: isoAt(50), transitions: 2 });
  });

  it('stores a first sight of an ended execution unannounced, with no execution transition', () => {
    const result = diff({ execution: ended, steps: [first], stepsComplete: false, holdFinalStatus: true });

    expect(result.transitions).toEqual([{ kind: 'step', step: first, previousStatus: null, ordinal: 0 }]);
    expect(result.next.execution).toEqual({
      executionId: 'exec-1',
      documentName: 'AWS-RestartEC2Instance',
      documentVersion: '1',
      status: 'Success',
      announced: false,
      parentExecutionId: null,
      startTime: isoAt(0),
      endTime: isoAt(50),
      transitions: 0,
      alarms: [],
      alarmsRaised: 0,
      version: 0,
      stepsReadAt: null,
      settledAfter: null,
      failedSteps: 0,
      alarmCount: 0,
    });
    expect(result.changed).toBe(true);
  });

  it('sends the final status of an execution first seen ended from null, after every step', () => {
    // Prepare
    const held = diff({ execution: ended, steps: [first], stepsComplete: false, holdFinalStatus: true });
    const middle = diff({
      execution: ended,
      steps: [stepView({ ...second, stepExecutionId: 'step-3' })],
      previous: held.next,
      stepsComplete: false,
      holdFinalStatus: true,
    });

    // Act
    const last = diff({ execution: ended, steps: [second], previous: middle.next, readAt: isoAt(70) });

    // Assess
    expect(middle.transitions.map(describeTransition)).toEqual(['step step-3 null->Success']);
    expect(middle.next.execution.announced).toBe(false);
    expect(last.transitions).toEqual([
      { kind: 'step', step: second, previousStatus: null, ordinal: 0 },
      { kind: 'execution', status: 'Success', previousStatus: null, ordinal: 0 },
    ]);
    expect(last.next.execution.announced).toBeUndefined();
    expect(last.next.execution.transitions).toBe(1);
    expect(last.changed).toBe(true);
  });

  it('holds the final status back when a listing that spanned cycles began before the execution ended', () => {
    // Prepare: announced InProgress; the listing began at 30 s, the execution ended at 50 s.
    const previous = executionState({ status: 'InProgress', transitions: 1 }, [stepSnapshot()]);
    const read = (readAt: string) =>
      diff({ execution: ended, steps: [first], previous, readAt, spansCycles: true });

    // Act
    const before = read(isoAt(30));
    const after = read(isoAt(60));

    // Assess: steps go out either way; the final status only once a listing began after the end.
    expect(before.transitions.map(describeTransition)).toEqual(['step step-1 InProgress->Success']);
    expect(before.next.execution).toMatchObject({
      status: 'InProgress',
      stepsReadAt: isoAt(30),
      settledAfter: null,
    });
    expect([before.held, after.held]).toEqual([true, false]);
    expect(after.transitions.map(describeTransition)).toEqual([
      'step step-1 InProgress->Success',
      'execution InProgress->Success',
    ]);
  });

  it('settles a read that spanned cycles the visibility lag after the end, even when it lists every step started', () => {
    const settle = (spansCycles: boolean) =>
      diff({
        execution: executionView({ status: 'Success', endTime: isoAt(5), addsSteps: false }),
        steps: [
          stepView({ stepExecutionId: 'a', stepName: 'a', status: 'Success' }),
          stepView({ stepExecutionId: 'b', stepName: 'b', status: 'Success' }),
        ],
        readAt: isoAt(8),
        visibilityLagSeconds: 60,
        spansCycles,
      }).next.execution.settledAfter;

    expect(settle(false)).toBe(isoAt(5));
    expect(settle(true)).toBe(isoAt(65));
  });
});
