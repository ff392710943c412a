// Tests of the aws:loop builder: its steps and iterations, outcomes per item, onFailure, validation.
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../sandbox/errors';
import { loopItems, loopRun } from '../../sandbox/loop-run';
import { parseScenario } from '../../sandbox/scenario';

const EXEC = 'aaaaaaaa-0000-4000-8000-000000000001';

describe('Function: loopRun', () => {
  it('builds a describe step, the loop step over the items and each iteration inner step as its own step', () => {
    // Act
    const run = loopRun({ executionId: EXEC, items: ['i-1', 'i-2'] });

    // Assess
    expect(() => parseScenario({ name: 'loop', executions: [run] })).not.toThrow();
    const [describeStep, loop, ...inner] = run.steps;
    expect(describeStep?.timeline.at(-1)?.outputs).toEqual({ InstanceIds: ['i-1', 'i-2'] });
    expect(loop).toMatchObject({ action: 'aws:loop', loop: { iterators: ['i-1', 'i-2'] } });
    expect(
      inner.map((s) => [s.name, s.loopIteration?.index, s.timeline.map((e) => `${e.at}:${e.status}`)]),
    ).toEqual([
      ['stopOneInstance', 0, ['1:InProgress', '3:Success']],
      ['wait10Seconds', 0, ['3:InProgress', '5:Success']],
      ['stopOneInstance', 1, ['5:InProgress', '7:Success']],
      ['wait10Seconds', 1, ['7:InProgress', '9:Success']],
    ]);
    expect(new Set(run.steps.map((s) => s.id)).size).toBe(6);
    expect(inner.every((s) => s.loopIteration?.loopStepId === loop?.id)).toBe(true);
    expect(run.timeline.map((e) => `${e.at}:${e.status}`)).toEqual(['0:InProgress', '9:Success']);
  });

  it('fails an item and goes on with Continue, ending the loop and the run Failed', () => {
    const run = loopRun({ executionId: EXEC, items: ['i-1', { value: 'i-2', outcome: 'TimedOut' }, 'i-3'] });

    const finals = run.steps.slice(2).map((s) => s.timeline.at(-1)?.status);

    expect(finals).toEqual(['Success', 'Success', 'TimedOut', 'Success', 'Success', 'Success']);
    expect(run.steps[1]?.timeline.at(-1)?.status).toBe('Failed');
    expect(run.timeline.at(-1)).toMatchObject({ at: 13, status: 'Failed' });
  });

  it('stops at the failed step with Abort: the steps left never start', () => {
    const run = loopRun({
      executionId: EXEC,
      items: ['i-1', { value: 'i-2', outcome: 'Failed' }, 'i-3'],
      onFailure: 'Abort',
    });

    expect(run.steps.slice(2).map((s) => s.timeline.length)).toEqual([2, 2, 2, 0, 0, 0]);
    expect(run.timeline.at(-1)).toMatchObject({ at: 7, status: 'Failed' });
  });

  it('makes distinct instance ids for the items', () => {
    const items = loopItems(50);

    expect(new Set(items).size).toBe(50);
    expect(items[0]).toBe('i-00000000000000001');
    expect(items.every((item) => /^i-[0-9a-f]{17}$/.test(item))).toBe(true);
  });

  it.each([
    ['no items', { items: [] }, 'loopRun: items must hold 1 to 100 items (got 0).'],
    ['101 items', { items: loopItems(101) }, 'loopRun: items must hold 1 to 100 items (got 101).'],
    ['a short id', { executionId: 'x' }, 'loopRun: executionId must be 36 characters long (got 1).'],
    ['an empty item', { items: [''] }, 'loopRun: items[0] must be a non-empty string.'],
    ['steps of no time', { stepSeconds: 0 }, 'loopRun: stepSeconds must be a number > 0 (got 0).'],
    ['no inner steps', { innerSteps: [] }, 'loopRun: innerSteps must not be empty.'],
  ])('rejects %s with one ScenarioError line', (_case, options, message) => {
    const act = (): unknown => loopRun({ executionId: EXEC, items: ['i-1'], ...options });

    expect(act).toThrow(ScenarioError);
    expect(act).toThrow(message);
  });
});
