// Tests of the rate-control builder: the parent's fields and per-target steps, concurrency, error threshold, children.
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../sandbox/errors';
import { rateControlRun, rateControlTargets } from '../../sandbox/rate-control';
import { parseScenario, type ScenarioExecution } from '../../sandbox/scenario';

const PARENT = 'aaaaaaaa-0000-4000-8000-000000000001';

const startsAndEnds = (execution: ScenarioExecution | undefined) =>
  execution?.steps.map((step) => [step.name, step.timeline[0]?.at, step.timeline.at(-1)?.at] as const);

describe('Function: rateControlRun', () => {
  it('makes a parent with rate-control fields and one aws:executeAutomation step per target, named after it', () => {
    // Act
    const [parent, ...children] = rateControlRun({
      parentId: PARENT,
      targets: [
        { name: 'i-0aaa', durationSeconds: 4 },
        { name: 'i-0bbb', durationSeconds: 6 },
      ],
      maxConcurrency: 2,
    });

    // Assess
    expect(parent).toMatchObject({
      id: PARENT,
      documentName: 'AWS-RestartEC2Instance',
      parentId: null,
      mode: 'Auto',
      targetParameterName: 'InstanceId',
      targets: [{ key: 'ParameterValues', values: ['i-0aaa', 'i-0bbb'] }],
      resolvedTargets: { parameterValues: ['i-0aaa', 'i-0bbb'], truncated: false },
      maxConcurrency: '2',
      maxErrors: '2',
      timeline: [
        { at: 0, status: 'InProgress' },
        { at: 7, status: 'Success' },
      ],
    });
    expect(parent?.steps.map((step) => [step.name, step.action, step.inputs])).toEqual([
      ['i-0aaa', 'aws:executeAutomation', { InstanceId: 'i-0aaa' }],
      ['i-0bbb', 'aws:executeAutomation', { InstanceId: 'i-0bbb' }],
    ]);
    expect(children.map((child) => child.parentId)).toEqual([PARENT, PARENT]);
    const all = [parent as ScenarioExecution, ...children];
    expect(parseScenario({ name: 'rate', executions: all }).executions).toEqual(all);
  });

  it("puts the child's ExecutionId in the step outputs from its start and its Status once it ended", () => {
    const [parent, child] = rateControlRun({
      parentId: PARENT,
      targets: [{ name: 'i-0aaa', durationSeconds: 4, outcome: 'Failed' }],
      maxConcurrency: 1,
    });

    expect(parent?.steps[0]?.timeline).toEqual([
      { at: 1, status: 'InProgress', outputs: { ExecutionId: [child?.id] } },
      { at: 5, status: 'Failed', outputs: { ExecutionId: [child?.id], Status: ['Failed'] } },
    ]);
    expect(child?.timeline).toEqual([
      { at: 1, status: 'InProgress' },
      { at: 5, status: 'Failed' },
    ]);
    expect(parent?.timeline.at(-1)).toEqual({ at: 5, status: 'Failed' });
  });

  it('runs at most maxConcurrency children at once, starting the next when a slot frees', () => {
    const [parent] = rateControlRun({
      parentId: PARENT,
      targets: [
        { name: 'a', durationSeconds: 4 },
        { name: 'b', durationSeconds: 2 },
        { name: 'c', durationSeconds: 3 },
        { name: 'd', durationSeconds: 1 },
      ],
      maxConcurrency: 2,
      startAt: 10,
    });

    expect(startsAndEnds(parent)).toEqual([
      ['a', 11, 15],
      ['b', 11, 13],
      ['c', 13, 16],
      ['d', 15, 16],
    ]);
    expect(parent?.timeline).toEqual([
      { at: 10, status: 'InProgress' },
      { at: 16, status: 'Success' },
    ]);
  });

  it('starts no further child once more than maxErrors have failed, leaving those steps Pending for good', () => {
    // Act
    const [parent, ...children] = rateControlRun({
      parentId: PARENT,
      targets: [
        { name: 'a', durationSeconds: 1, outcome: 'Failed' },
        { name: 'b', durationSeconds: 2 },
        { name: 'c', durationSeconds: 1 },
      ],
      maxConcurrency: 1,
      maxErrors: 0,
    });

    // Assess
    expect(startsAndEnds(parent)).toEqual([
      ['a', 1, 2],
      ['b', undefined, undefined],
      ['c', undefined, undefined],
    ]);
    expect(parent?.steps.map((step) => step.plannedUpFront)).toEqual([undefined, undefined, undefined]);
    expect(children).toHaveLength(1);
    expect(parent?.timeline.at(-1)).toEqual({ at: 2, status: 'Failed' });
  });

  it('leaves out the steps of targets never started when the parent steps are not planned up front', () => {
    const [parent] = rateControlRun({
      parentId: PARENT,
      targets: [
        { name: 'a', durationSeconds: 1, outcome: 'Failed' },
        { name: 'b', durationSeconds: 2 },
      ],
      maxConcurrency: 1,
      maxErrors: 0,
      parentStepsPlannedUpFront: false,
    });

    expect(parent?.steps.map((step) => [step.name, step.plannedUpFront])).toEqual([['a', false]]);
  });

  it('lists each child runbook step up front: all succeed in turn, or the first ends with the outcome and the rest never run', () => {
    const [, ok, failed] = rateControlRun({
      parentId: PARENT,
      targets: [
        { name: 'a', durationSeconds: 4 },
        { name: 'b', durationSeconds: 3, outcome: 'TimedOut' },
      ],
      maxConcurrency: 2,
    });

    expect(startsAndEnds(ok)).toEqual([
      ['stopInstances', 1, 3],
      ['startInstances', 3, 5],
    ]);
    expect(failed?.steps.map((step) => step.timeline)).toEqual([
      [
        { at: 1, status: 'InProgress' },
        { at: 4, status: 'TimedOut' },
      ],
      [],
    ]);
  });

  it('derives every id from the parent id, the same on every call', () => {
    const options = { parentId: PARENT, targets: [{ name: 'a', durationSeconds: 1 }], maxConcurrency: 1 };

    const first = rateControlRun(options);

    expect(rateControlRun(options)).toEqual(first);
    // The parent, its step, the child and the child's two runbook steps.
    expect(new Set(first.flatMap((e) => [e.id, ...e.steps.map((s) => s.id)])).size).toBe(5);
  });

  it.each<[string, Partial<Parameters<typeof rateControlRun>[0]>, string]>([
    [
      'a short parent id',
      { parentId: 'short' },
      'rateControlRun: parentId must be 36 characters long (got 5).',
    ],
    ['no targets', { targets: [] }, 'rateControlRun: targets must not be empty.'],
    [
      'a repeated target',
      {
        targets: [
          { name: 'a', durationSeconds: 1 },
          { name: 'a', durationSeconds: 1 },
        ],
      },
      'rateControlRun: targets[1].name repeats "a".',
    ],
    [
      'a zero duration',
      { targets: [{ name: 'a', durationSeconds: 0 }] },
      'rateControlRun: targets[0].durationSeconds must be a number > 0 (got 0).',
    ],
    [
      'a zero concurrency',
      { maxConcurrency: 0 },
      'rateControlRun: maxConcurrency must be an integer >= 1 (got 0).',
    ],
    ['negative errors', { maxErrors: -1 }, 'rateControlRun: maxErrors must be an integer >= 0 (got -1).'],
  ])('rejects %s with a ScenarioError naming the option', (_case, override, message) => {
    const act = (): unknown =>
      rateControlRun({
        parentId: PARENT,
        targets: [{ name: 'a', durationSeconds: 1 }],
        maxConcurrency: 1,
        ...override,
      });

    expect(act).toThrow(ScenarioError);
    expect(act).toThrow(message);
  });
});

describe('Function: rateControlTargets', () => {
  it('draws the same targets for the same seed, within the bounds and at about the failure rate', () => {
    // Act
    const targets = rateControlTargets(200, 7, { minSeconds: 2, maxSeconds: 9, failureRate: 0.25 });

    // Assess
    expect(rateControlTargets(200, 7, { minSeconds: 2, maxSeconds: 9, failureRate: 0.25 })).toEqual(targets);
    expect(rateControlTargets(200, 8, { minSeconds: 2, maxSeconds: 9, failureRate: 0.25 })).not.toEqual(
      targets,
    );
    expect(targets.every((t) => t.durationSeconds >= 2 && t.durationSeconds <= 9)).toBe(true);
    expect(targets.every((t) => /^i-[0-9a-f]{17}$/.test(t.name))).toBe(true);
    expect(new Set(targets.map((t) => t.name)).size).toBe(200);
    const failures = targets.filter((t) => t.outcome === 'Failed').length;
    expect(failures).toBeGreaterThan(30);
    expect(failures).toBeLessThan(70);
  });
});
