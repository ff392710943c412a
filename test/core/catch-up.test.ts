// Tests of catchUp: a snapshot left behind by a save that died catches up from the recorded transitions.
import { describe, expect, it } from 'vitest';
import { catchUp } from '../../lambda/core/catch-up';
import { diffExecution } from '../../lambda/core/diff';
import { buildEvents } from '../../lambda/core/events';
import type { ExecutionState, ExecutionView, OutboxEvent, StepView } from '../../lambda/core/types';
import {
  eventContext,
  executionState,
  executionView,
  isoAt,
  stepSnapshot,
  stepView,
} from '../helpers/builders';

/** What a cycle records and would save for `execution` seen with `steps`, from `previous`. */
function cycleOf(previous: ExecutionState | null, execution: ExecutionView, steps: StepView[]) {
  const diff = diffExecution({ execution, steps, previous, stepsComplete: true, readAt: isoAt(20) });
  return { next: diff.next, events: buildEvents(execution, diff.transitions, eventContext(), 0) };
}

/** The parts of a state the diff depends on. */
function diffable(state: ExecutionState | null) {
  if (!state) return null;
  const { status, transitions, alarms, alarmsRaised } = state.execution;
  return {
    execution: { status, transitions, alarms, alarmsRaised },
    steps: [...state.steps.values()].map((s) => ({
      id: s.stepExecutionId,
      status: s.status,
      transitions: s.transitions,
      alarms: s.alarms,
      alarmsRaised: s.alarmsRaised,
    })),
  };
}

describe('Function: catchUp', () => {
  it('rebuilds what a save that died after recording would have written', () => {
    // Prepare: the stored state has the step running; the cycle saw it waiting, with an alarm.
    const stored = executionState({}, [stepSnapshot()]);
    const execution = executionView({
      status: 'Waiting',
      triggeredAlarms: [{ name: 'Run', state: 'ALARM' }],
    });
    const waiting = stepView({ status: 'Waiting', triggeredAlarms: [{ name: 'Step', state: 'ALARM' }] });
    const lost = cycleOf(stored, execution, [waiting]);

    // Act
    const caught = catchUp(stored, execution, lost.events);

    // Assess
    expect(caught.changed).toBe(true);
    expect(caught.changedSteps).toEqual(['step-1']);
    expect(diffable(caught.state)).toEqual(diffable(lost.next));
  });

  it('lets the return to the stored status count as a transition, with a new eventId', () => {
    const stored = executionState({}, [stepSnapshot()]);
    const execution = executionView();
    const lost = cycleOf(stored, execution, [stepView({ status: 'Waiting' })]);

    const caught = catchUp(stored, execution, lost.events);
    const back = cycleOf(caught.state, execution, [stepView({ status: 'InProgress' })]);

    expect(back.events.map((e) => JSON.parse(e.detail).step.previousStatus)).toEqual(['Waiting']);
    expect(back.events[0]?.eventId).not.toBe(lost.events[0]?.eventId);
  });

  it('builds the first snapshot when the first save never happened', () => {
    const execution = executionView();
    const lost = cycleOf(null, execution, [stepView()]);

    const caught = catchUp(null, execution, lost.events);

    expect(diffable(caught.state)).toEqual(diffable(lost.next));
    expect(caught.state?.execution.version).toBe(0);
  });

  it('leaves a state that already reflects the recorded transitions as stored', () => {
    const stored = executionState({}, [stepSnapshot()]);
    const execution = executionView();
    const saved = cycleOf(stored, execution, [stepView({ status: 'Success', endTime: isoAt(15) })]);

    const caught = catchUp(saved.next, execution, saved.events);

    expect(caught).toEqual({ state: saved.next, changedSteps: [], changed: false });
  });

  it('ignores transitions of other executions and records stored without their typed fields', () => {
    const stored = executionState({}, [stepSnapshot()]);
    const other = cycleOf(null, executionView({ executionId: 'exec-2' }), [
      stepView({ stepExecutionId: 'x' }),
    ]);
    const { eventId, detailType, resources, detail, observedAt, sequence } = other.events[0] as OutboxEvent;
    const untyped: OutboxEvent = {
      ...{ eventId, detailType, resources, detail, observedAt, sequence },
      executionId: 'exec-1',
      kind: 'untyped',
      stepExecutionId: 'x',
    };

    const caught = catchUp(stored, executionView(), [...other.events, untyped]);

    expect(caught).toEqual({ state: stored, changedSteps: [], changed: false });
  });

  it('folds records it meets out of order only where their ordinal is ahead of the snapshot', () => {
    // Prepare: two cycles' records of one step; the snapshot reflects the first cycle only.
    const stored = executionState({}, [stepSnapshot()]);
    const execution = executionView();
    const first = cycleOf(stored, execution, [stepView({ status: 'Waiting' })]);
    const second = cycleOf(first.next, execution, [stepView({ status: 'InProgress' })]);

    // Act
    const caught = catchUp(first.next, execution, [...second.events, ...first.events]);

    // Assess
    expect(diffable(caught.state)).toEqual(diffable(second.next));
    expect(caught.changedSteps).toEqual(['step-1']);
  });

  it('drops the not-started entry a started step took over when the save that deleted it died', () => {
    // Prepare: the step was listed under a planned id; it started under its own id.
    const planned = stepView({
      stepExecutionId: 'planned-id',
      stepName: 'later',
      status: 'Pending',
      startTime: null,
    });
    const first = cycleOf(null, executionView(), [planned]);
    const started = stepView({ stepExecutionId: 'real-id', stepName: 'later', startTime: isoAt(15) });
    const second = cycleOf(first.next, executionView(), [started]);

    // Act: the second save died; its transitions were recorded.
    const caught = catchUp(first.next, executionView(), second.events);

    // Assess
    expect(caught.changed).toBe(true);
    expect(diffable(caught.state)).toEqual(diffable(second.next));
    expect(caught.changedSteps).toEqual(['planned-id', 'real-id']);
  });

  it('clears announced: false once an execution transition is recorded', () => {
    // Prepare: stored unannounced after a long first read; the chunk that ended it recorded the status.
    const stored = executionState({
      status: 'Success',
      announced: false,
      transitions: 0,
      endTime: isoAt(15),
    });
    const execution = executionView({ status: 'Success', endTime: isoAt(15) });
    const recorded = buildEvents(
      execution,
      [{ kind: 'execution', status: 'Success', previousStatus: null, ordinal: 0 }],
      eventContext(),
      0,
    );

    // Act
    const caught = catchUp(stored, execution, recorded);

    // Assess
    expect(caught).toEqual({
      state: {
        execution: { ...stored.execution, announced: undefined, transitions: 1 },
        steps: stored.steps,
      },
      changedSteps: [],
      changed: true,
    });
    expect(caught.state?.execution.announced).toBeUndefined();
  });

  it('leaves the first snapshot of a never-saved execution unannounced when no execution transition was recorded', () => {
    // Prepare: only an execution-level alarm was recorded before the first save died.
    const execution = executionView({ status: 'Success', endTime: isoAt(15) });
    const recorded = buildEvents(
      execution,
      [{ kind: 'alarm', alarm: { name: 'RunAlarm', state: 'ALARM' }, step: null, ordinal: 0 }],
      eventContext(),
      0,
    );

    // Act
    const caught = catchUp(null, execution, recorded);

    // Assess
    expect(caught).toEqual({
      state: {
        execution: {
          executionId: 'exec-1',
          documentName: 'AWS-RestartEC2Instance',
          documentVersion: '1',
          status: 'Success',
          announced: false,
          parentExecutionId: null,
          startTime: isoAt(0),
          endTime: isoAt(15),
          transitions: 0,
          alarms: ['RunAlarm'],
          alarmsRaised: 1,
          version: 0,
          stepsReadAt: null,
          failedSteps: 0,
          alarmCount: 0,
        },
        steps: new Map(),
      },
      changedSteps: [],
      changed: true,
    });
  });

  it('gives step transitions recorded for a never-saved execution a first snapshot, unannounced', () => {
    // Prepare: a long first read of an ended execution recorded a step before its first save died.
    const execution = executionView({ status: 'Success', endTime: isoAt(15) });
    const step = stepView({ stepExecutionId: 'step-1', status: 'Success', startTime: isoAt(1) });
    const recorded = buildEvents(
      execution,
      [{ kind: 'step', step, previousStatus: null, ordinal: 0 }],
      eventContext(),
      0,
    );

    // Act
    const caught = catchUp(null, execution, recorded);

    // Assess: the step is folded on; the execution's final status is still to be told.
    expect(caught.changed).toBe(true);
    expect(caught.changedSteps).toEqual(['step-1']);
    expect(caught.state?.execution).toMatchObject({ status: 'Success', announced: false, transitions: 0 });
    expect(caught.state?.steps.get('step-1')).toMatchObject({ status: 'Success', transitions: 1 });
  });
});
