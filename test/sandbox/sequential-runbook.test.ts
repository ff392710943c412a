// Tests of the sequential runbook builder: success, a retried failure that aborts, a cancel, an alarm, bad options.
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../sandbox/errors';
import { parseScenario } from '../../sandbox/scenario';
import { sequentialRun } from '../../sandbox/sequential-runbook';

const ID = 'aaaaaaaa-0000-4000-8000-000000000007';
const ROLLBACK = { name: 'rollback', action: 'aws:executeScript' };

const finalStatuses = (steps: readonly { timeline: readonly { status: string }[] }[]) =>
  steps.map((step) => step.timeline.at(-1)?.status ?? 'never runs');

describe('Function: sequentialRun', () => {
  it('runs every step in turn and never runs the onCancel step', () => {
    // Act
    const run = sequentialRun({
      executionId: ID,
      steps: 3,
      stepSeconds: 2,
      startAt: 4,
      onCancelStep: ROLLBACK,
    });

    // Assess
    expect(run.steps.map((step) => [step.name, step.timeline[0]?.at])).toEqual([
      ['step1', 4],
      ['step2', 6],
      ['step3', 8],
      ['rollback', undefined],
    ]);
    expect(finalStatuses(run.steps)).toEqual(['Success', 'Success', 'Success', 'never runs']);
    expect(run.timeline).toEqual([
      { at: 4, status: 'InProgress' },
      { at: 10, status: 'Success' },
    ]);
    expect(parseScenario({ name: 'seq', executions: [run] }).executions[0]).toEqual(run);
  });

  it('keeps a retried step InProgress until its last attempt fails, then aborts with the rest never run', () => {
    const run = sequentialRun({
      executionId: ID,
      steps: [
        { name: 'launchInstance', action: 'aws:runInstances' },
        { name: 'updateOSSoftware', action: 'aws:runCommand' },
      ],
      ending: { kind: 'failure', atStep: 0, attempts: 3 },
    });

    expect(run.steps[0]).toMatchObject({
      maxAttempts: 3,
      timeline: [
        { at: 0, status: 'InProgress' },
        { at: 15, status: 'Failed', failureMessage: 'Step launchInstance failed maximum allowed times.' },
      ],
    });
    expect(run.steps[1]?.timeline).toEqual([]);
    expect(run.timeline.at(-1)).toEqual({
      at: 15,
      status: 'Failed',
      failureMessage: 'Step launchInstance failed maximum allowed times.',
    });
  });

  it('models the captured cancelled AWS-UpdateWindowsAmi run: 3 Success, 1 Cancelled, 10 Pending', () => {
    const run = sequentialRun({ executionId: ID, steps: 14, ending: { kind: 'cancel', atStep: 3 } });

    const statuses = finalStatuses(run.steps);
    expect(statuses.filter((s) => s === 'Success')).toHaveLength(3);
    expect(statuses[3]).toBe('Cancelled');
    expect(statuses.filter((s) => s === 'never runs')).toHaveLength(10);
    expect(run.timeline.map((entry) => entry.status)).toEqual(['InProgress', 'Cancelling', 'Cancelled']);
    expect(run.alarms).toBeUndefined();
  });

  it('cancels on an alarm going to ALARM and runs the onCancel step before the run ends', () => {
    const run = sequentialRun({
      executionId: ID,
      steps: 3,
      ending: { kind: 'alarm', atStep: 1, alarmName: 'HighErrors' },
      onCancelStep: ROLLBACK,
    });

    expect(run.alarms).toEqual([{ at: 7.5, name: 'HighErrors', state: 'ALARM' }]);
    expect(finalStatuses(run.steps)).toEqual(['Success', 'Cancelled', 'never runs', 'Success']);
    expect(run.steps[3]?.timeline).toEqual([
      { at: 7.5, status: 'InProgress' },
      { at: 12.5, status: 'Success' },
    ]);
    expect(run.timeline).toEqual([
      { at: 0, status: 'InProgress' },
      { at: 7.5, status: 'Cancelling' },
      { at: 13, status: 'Cancelled' },
    ]);
  });

  it.each<[string, Partial<Parameters<typeof sequentialRun>[0]>, string]>([
    ['a short id', { executionId: 'x' }, 'sequentialRun: executionId must be 36 characters long (got 1).'],
    ['zero steps', { steps: 0 }, 'sequentialRun: steps must be an integer >= 1 (got 0).'],
    [
      'a failure after the last step',
      { ending: { kind: 'failure', atStep: 2 } },
      'sequentialRun: ending.atStep must be an integer from 0 to 1 (got 2).',
    ],
    [
      'zero attempts',
      { ending: { kind: 'failure', atStep: 0, attempts: 0 } },
      'sequentialRun: ending.attempts must be an integer >= 1 (got 0).',
    ],
    ['a zero step time', { stepSeconds: 0 }, 'sequentialRun: stepSeconds must be > 0 (got 0).'],
  ])('rejects %s with a ScenarioError naming the option', (_case, override, message) => {
    const act = (): unknown => sequentialRun({ executionId: ID, steps: 2, ...override });

    expect(act).toThrow(ScenarioError);
    expect(act).toThrow(message);
  });
});
