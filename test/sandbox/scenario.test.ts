// Tests of scenario parsing: every validation rule names the bad field; loading files; scenario end.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenarioError } from '../../sandbox/errors';
import {
  demoScenarioPath,
  loadScenarioFile,
  parseScenario,
  type ScenarioStep,
  scenarioEnd,
} from '../../sandbox/scenario';

type Doc = Record<string, unknown> & {
  executions: (Record<string, unknown> & {
    timeline: Record<string, unknown>[];
    alarms: Record<string, unknown>[];
    steps: (Record<string, unknown> & {
      timeline: Record<string, unknown>[];
      alarms: Record<string, unknown>[];
    })[];
  })[];
};

/** A valid two-execution document; each test breaks one thing in a fresh copy. */
function validDoc(): Doc {
  return {
    name: 'unit',
    executions: [
      {
        id: 'aaaaaaaa-0000-4000-8000-000000000001',
        documentName: 'AWS-RestartEC2Instance',
        documentVersion: '1',
        parentId: null,
        timeline: [
          { at: 0, status: 'InProgress' },
          { at: 6, status: 'Success' },
        ],
        alarms: [{ at: 3, name: 'HighCPU', state: 'ALARM' }],
        steps: [
          {
            id: '11111111-0000-4000-8000-000000000001',
            name: 'stopInstance',
            action: 'aws:changeInstanceState',
            onFailure: 'Abort',
            maxAttempts: 1,
            isCritical: true,
            timeoutSeconds: 60,
            inputs: { InstanceIds: '["i-0123"]' },
            targetLocation: { accounts: ['111122223333'], regions: ['eu-west-1'] },
            timeline: [
              { at: 0, status: 'InProgress' },
              { at: 2, status: 'Success', outputs: { k: ['v'] } },
            ],
            alarms: [{ at: 1, name: 'StepAlarm', state: 'ALARM' }],
          },
          {
            id: '11111111-0000-4000-8000-000000000002',
            name: 'startInstance',
            action: 'aws:changeInstanceState',
            timeline: [{ at: 2, status: 'InProgress' }],
            alarms: [],
          },
          {
            id: '11111111-0000-4000-8000-000000000003',
            name: 'verify',
            action: 'aws:assertAwsResourceProperty',
            timeline: [
              { at: 2.5, status: 'InProgress' },
              {
                at: 4,
                status: 'Failed',
                failureMessage: 'boom',
                failureDetails: {
                  FailureStage: 'Verification',
                  FailureType: 'Verification',
                  Details: { a: ['b'] },
                },
                response: 'r',
                responseCode: '400',
              },
            ],
            alarms: [],
          },
        ],
      },
      {
        id: 'aaaaaaaa-0000-4000-8000-000000000002',
        documentName: 'AWS-CreateImage',
        parentId: 'aaaaaaaa-0000-4000-8000-000000000001',
        timeline: [{ at: 1, status: 'InProgress', failureMessage: null, outputs: { o: [] } }],
        alarms: [],
        steps: [],
      },
    ],
  };
}

describe('Function: parseScenario', () => {
  it('returns a validated copy with parentId defaulting to null', () => {
    // Prepare
    const doc = validDoc();
    delete doc.executions[0]?.parentId;

    // Act
    const scenario = parseScenario(doc);

    // Assess
    expect(scenario.executions[0]?.parentId).toBeNull();
    expect(scenario.executions[1]?.parentId).toBe('aaaaaaaa-0000-4000-8000-000000000001');
    expect(scenario.executions[0]?.steps[2]?.timeline[1]?.failureDetails).toEqual({
      FailureStage: 'Verification',
      FailureType: 'Verification',
      Details: { a: ['b'] },
    });
    expect(scenario).not.toBe(doc);
  });

  it('accepts its own output again', () => {
    const scenario = parseScenario(validDoc());

    expect(parseScenario(scenario)).toEqual(scenario);
  });

  it('rejects a document that is not an object', () => {
    expect(() => parseScenario([])).toThrow('(root): must be an object');
  });

  it.each<[string, (doc: Doc) => void, string]>([
    ['an unknown top-level key', (doc) => Object.assign(doc, { nmae: 'x' }), 'nmae: unknown key'],
    ['a missing name', (doc) => Object.assign(doc, { name: undefined }), 'name: must be a non-empty string'],
    [
      'executions that are not an array',
      (doc) => Object.assign(doc, { executions: {} }),
      'executions: must be an array',
    ],
    [
      'an execution that is not an object',
      (doc) => Object.assign(doc, { executions: [1] }),
      'executions[0]: must be an object',
    ],
    [
      'an unknown execution key',
      (doc) => Object.assign(doc.executions[0] ?? {}, { status: 'x' }),
      'executions[0].status: unknown key',
    ],
    [
      'an execution id of the wrong length',
      (doc) => Object.assign(doc.executions[1] ?? {}, { id: 'short' }),
      'executions[1].id: must be 36 characters long (got 5)',
    ],
    [
      'a duplicate id across an execution and a step',
      (doc) => Object.assign(doc.executions[1] ?? {}, { id: '11111111-0000-4000-8000-000000000002' }),
      'executions[1].id: duplicate id "11111111-0000-4000-8000-000000000002" (already used at executions[0].steps[1].id)',
    ],
    [
      'a duplicate step id',
      (doc) =>
        Object.assign(doc.executions[0]?.steps[2] ?? {}, { id: '11111111-0000-4000-8000-000000000001' }),
      'executions[0].steps[2].id: duplicate id',
    ],
    [
      'a missing document name',
      (doc) => Object.assign(doc.executions[0] ?? {}, { documentName: '' }),
      'executions[0].documentName: must be a non-empty string',
    ],
    [
      'a non-string document version',
      (doc) => Object.assign(doc.executions[0] ?? {}, { documentVersion: 1 }),
      'executions[0].documentVersion: must be a non-empty string',
    ],
    [
      'a parentId naming no execution of the file',
      (doc) => Object.assign(doc.executions[1] ?? {}, { parentId: 'ffffffff-0000-4000-8000-000000000009' }),
      'executions[1].parentId: must refer to another execution in the file',
    ],
    [
      'a parentId naming a step',
      (doc) => Object.assign(doc.executions[1] ?? {}, { parentId: '11111111-0000-4000-8000-000000000001' }),
      'executions[1].parentId: must refer to another execution in the file',
    ],
    [
      'a parentId naming the execution itself',
      (doc) => Object.assign(doc.executions[1] ?? {}, { parentId: 'aaaaaaaa-0000-4000-8000-000000000002' }),
      'executions[1].parentId: must refer to another execution, not to itself',
    ],
    [
      'an empty execution timeline',
      (doc) => Object.assign(doc.executions[0] ?? {}, { timeline: [] }),
      'executions[0].timeline: must be a non-empty array',
    ],
    [
      'a missing steps list',
      (doc) => Object.assign(doc.executions[0] ?? {}, { steps: undefined }),
      'executions[0].steps: must be an array',
    ],
    [
      'a negative at',
      (doc) => Object.assign(doc.executions[0]?.timeline[0] ?? {}, { at: -1 }),
      'executions[0].timeline[0].at: must be a number of seconds >= 0',
    ],
    [
      'a string at',
      (doc) => Object.assign(doc.executions[0]?.timeline[0] ?? {}, { at: '0' }),
      'executions[0].timeline[0].at: must be a number of seconds >= 0',
    ],
    [
      'an at before the previous entry',
      (doc) => {
        const timeline = doc.executions[0]?.steps[0]?.timeline ?? [];
        Object.assign(timeline[0] ?? {}, { at: 1 });
        Object.assign(timeline[1] ?? {}, { at: 0 });
      },
      'executions[0].steps[0].timeline[1].at: must not be before the previous entry (0 < 1)',
    ],
    [
      'an empty step status',
      (doc) => Object.assign(doc.executions[0]?.steps[2]?.timeline[1] ?? {}, { status: '' }),
      'executions[0].steps[2].timeline[1].status: must be a non-empty string',
    ],
    [
      'an unknown timeline key',
      (doc) => Object.assign(doc.executions[0]?.timeline[1] ?? {}, { statsu: 'Failed' }),
      'executions[0].timeline[1].statsu: unknown key',
    ],
    [
      'a step-only field in an execution timeline',
      (doc) => Object.assign(doc.executions[0]?.timeline[1] ?? {}, { response: 'x' }),
      'executions[0].timeline[1].response: unknown key',
    ],
    [
      'a failure message that is a number',
      (doc) => Object.assign(doc.executions[0]?.steps[2]?.timeline[1] ?? {}, { failureMessage: 42 }),
      'executions[0].steps[2].timeline[1].failureMessage: must be a string or null',
    ],
    [
      'an unknown failureDetails key',
      (doc) =>
        Object.assign(doc.executions[0]?.steps[2]?.timeline[1] ?? {}, { failureDetails: { Stage: 'x' } }),
      'executions[0].steps[2].timeline[1].failureDetails.Stage: unknown key',
    ],
    [
      'failureDetails.Details values that are not lists',
      (doc) =>
        Object.assign(doc.executions[0]?.steps[2]?.timeline[1] ?? {}, {
          failureDetails: { Details: { a: 'b' } },
        }),
      'executions[0].steps[2].timeline[1].failureDetails.Details.a: must be an array of strings',
    ],
    [
      'outputs with a non-string value',
      (doc) => Object.assign(doc.executions[0]?.steps[0]?.timeline[1] ?? {}, { outputs: { k: [1] } }),
      'executions[0].steps[0].timeline[1].outputs.k[0]: must be a string',
    ],
    [
      'an unknown step key',
      (doc) => Object.assign(doc.executions[0]?.steps[0] ?? {}, { retries: 2 }),
      'executions[0].steps[0].retries: unknown key',
    ],
    [
      'a missing step action',
      (doc) => Object.assign(doc.executions[0]?.steps[1] ?? {}, { action: undefined }),
      'executions[0].steps[1].action: must be a non-empty string',
    ],
    [
      'maxAttempts of 0',
      (doc) => Object.assign(doc.executions[0]?.steps[0] ?? {}, { maxAttempts: 0 }),
      'executions[0].steps[0].maxAttempts: must be an integer >= 1',
    ],
    [
      'a non-boolean isCritical',
      (doc) => Object.assign(doc.executions[0]?.steps[0] ?? {}, { isCritical: 'yes' }),
      'executions[0].steps[0].isCritical: must be a boolean',
    ],
    [
      'a fractional timeoutSeconds',
      (doc) => Object.assign(doc.executions[0]?.steps[0] ?? {}, { timeoutSeconds: 1.5 }),
      'executions[0].steps[0].timeoutSeconds: must be an integer >= 0',
    ],
    [
      'inputs with a non-string value',
      (doc) => Object.assign(doc.executions[0]?.steps[0] ?? {}, { inputs: { InstanceIds: ['i-1'] } }),
      'executions[0].steps[0].inputs.InstanceIds: must be a string',
    ],
    [
      'an unknown targetLocation key',
      (doc) => Object.assign(doc.executions[0]?.steps[0] ?? {}, { targetLocation: { Accounts: ['1'] } }),
      'executions[0].steps[0].targetLocation.Accounts: unknown key',
    ],
    [
      'an alarm without state',
      (doc) => Object.assign(doc.executions[0]?.steps[0]?.alarms[0] ?? {}, { state: '' }),
      'executions[0].steps[0].alarms[0].state: must be a non-empty string',
    ],
    [
      'an alarm without at',
      (doc) => Object.assign(doc.executions[0]?.alarms[0] ?? {}, { at: undefined }),
      'executions[0].alarms[0].at: must be a number of seconds >= 0',
    ],
    [
      'an unknown alarm key',
      (doc) => Object.assign(doc.executions[0]?.alarms[0] ?? {}, { severity: 'high' }),
      'executions[0].alarms[0].severity: unknown key',
    ],
    [
      'a non-boolean plannedUpFront',
      (doc) => Object.assign(doc.executions[0]?.steps[0] ?? {}, { plannedUpFront: 'no' }),
      'executions[0].steps[0].plannedUpFront: must be a boolean',
    ],
    [
      'an empty timeline on a step not planned up front',
      (doc) => Object.assign(doc.executions[0]?.steps[1] ?? {}, { plannedUpFront: false, timeline: [] }),
      'executions[0].steps[1].timeline: must be non-empty for a step with plannedUpFront: false (an empty timeline is a planned step that never starts)',
    ],
    [
      'a step timeline that is not a list',
      (doc) => Object.assign(doc.executions[0]?.steps[1] ?? {}, { timeline: {} }),
      'executions[0].steps[1].timeline: must be an array',
    ],
    [
      'an empty mode',
      (doc) => Object.assign(doc.executions[0] ?? {}, { mode: '' }),
      'executions[0].mode: must be a non-empty string',
    ],
    [
      'targets that are not a list',
      (doc) => Object.assign(doc.executions[0] ?? {}, { targets: { key: 'ParameterValues' } }),
      'executions[0].targets: must be an array',
    ],
    [
      'a target with an unknown key',
      (doc) => Object.assign(doc.executions[0] ?? {}, { targets: [{ Key: 'tag:env', values: ['x'] }] }),
      'executions[0].targets[0].Key: unknown key',
    ],
    [
      'target values that are not strings',
      (doc) => Object.assign(doc.executions[0] ?? {}, { targets: [{ key: 'tag:env', values: [1] }] }),
      'executions[0].targets[0].values[0]: must be a string',
    ],
    [
      'resolvedTargets without truncated',
      (doc) => Object.assign(doc.executions[0] ?? {}, { resolvedTargets: { parameterValues: ['i-1'] } }),
      'executions[0].resolvedTargets.truncated: must be a boolean',
    ],
    [
      'a numeric maxConcurrency',
      (doc) => Object.assign(doc.executions[0] ?? {}, { maxConcurrency: 2 }),
      'executions[0].maxConcurrency: must be a non-empty string',
    ],
    [
      'an empty maxErrors',
      (doc) => Object.assign(doc.executions[0] ?? {}, { maxErrors: '' }),
      'executions[0].maxErrors: must be a non-empty string',
    ],
    [
      'alarms that are not a list',
      (doc) => Object.assign(doc.executions[0] ?? {}, { alarms: { at: 1 } }),
      'executions[0].alarms: must be an array',
    ],
  ])('rejects %s, naming the field', (_case, breakIt, expected) => {
    // Prepare
    const doc = validDoc();
    breakIt(doc);

    // Act
    const act = (): unknown => parseScenario(doc);

    // Assess
    expect(act).toThrow(ScenarioError);
    expect(act).toThrow(expected);
  });

  it('starts the message with the field path', () => {
    // Prepare
    const doc = validDoc();
    Object.assign(doc.executions[0]?.steps[2]?.timeline[1] ?? {}, { status: 7 });

    // Act
    const error = (() => {
      try {
        parseScenario(doc);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();

    // Assess
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as ScenarioError).message).toBe(
      'executions[0].steps[2].timeline[1].status: must be a non-empty string',
    );
    expect((error as ScenarioError).name).toBe('ScenarioError');
  });

  it('accepts a planned step that never starts, a step made while running and rate-control fields', () => {
    // Prepare
    const doc = validDoc();
    Object.assign(doc.executions[0]?.steps[1] ?? {}, { timeline: [], plannedUpFront: true });
    Object.assign(doc.executions[0]?.steps[2] ?? {}, { plannedUpFront: false });
    Object.assign(doc.executions[0] ?? {}, {
      mode: 'Auto',
      targetParameterName: 'InstanceId',
      targets: [{ key: 'ParameterValues', values: ['i-1', 'i-2'] }],
      resolvedTargets: { parameterValues: ['i-1', 'i-2'], truncated: false },
      maxConcurrency: '1',
      maxErrors: '10%',
    });

    // Act
    const execution = parseScenario(doc).executions[0];

    // Assess
    expect(execution?.steps[1]).toMatchObject({ timeline: [], plannedUpFront: true });
    expect(execution?.steps[2]?.plannedUpFront).toBe(false);
    expect(execution?.steps[0]).not.toHaveProperty('plannedUpFront');
    expect(execution).toMatchObject({
      mode: 'Auto',
      targetParameterName: 'InstanceId',
      targets: [{ key: 'ParameterValues', values: ['i-1', 'i-2'] }],
      resolvedTargets: { parameterValues: ['i-1', 'i-2'], truncated: false },
      maxConcurrency: '1',
      maxErrors: '10%',
    });
    expect(parseScenario(parseScenario(doc))).toEqual(parseScenario(doc));
  });

  it('accepts null to clear an optional timeline field', () => {
    // Prepare
    const doc = validDoc();
    doc.executions[0]?.steps[2]?.timeline.push({
      at: 5,
      status: 'InProgress',
      failureMessage: null,
      failureDetails: null,
    });

    // Act
    const scenario = parseScenario(doc);

    // Assess
    expect(scenario.executions[0]?.steps[2]?.timeline[2]).toEqual({
      at: 5,
      status: 'InProgress',
      failureMessage: null,
      failureDetails: null,
    });
  });
});

describe('Function: loadScenarioFile', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scenario-test-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the bundled demo scenario', async () => {
    const scenario = await loadScenarioFile(demoScenarioPath());

    expect(scenario.name).toBe('demo');
    expect(scenario.executions.length).toBeGreaterThanOrEqual(5);
  });

  it('throws a ScenarioError naming the path of a missing file', async () => {
    const path = join(dir, 'missing.json');

    await expect(loadScenarioFile(path)).rejects.toThrow(ScenarioError);
    await expect(loadScenarioFile(path)).rejects.toThrow(`${path}: cannot read scenario file`);
  });

  it('throws a ScenarioError naming the path of a file that is not JSON', async () => {
    // Prepare
    const path = join(dir, 'broken.json');
    await writeFile(path, '{ "name": ');

    // Act
    const loading = loadScenarioFile(path);

    // Assess
    await expect(loading).rejects.toThrow(`${path}: not valid JSON`);
  });

  it('prefixes validation errors with the file path', async () => {
    // Prepare
    const path = join(dir, 'invalid.json');
    const doc = validDoc();
    Object.assign(doc.executions[0] ?? {}, { documentName: 3 });
    await writeFile(path, JSON.stringify(doc));

    // Act
    const loading = loadScenarioFile(path);

    // Assess
    await expect(loading).rejects.toThrow(`${path}: executions[0].documentName: must be a non-empty string`);
  });
});

describe('Function: scenarioEnd', () => {
  it('returns the time of the last timeline or alarm entry', () => {
    // Prepare
    const doc = validDoc();
    doc.executions[1]?.alarms.push({ at: 9.5, name: 'Late', state: 'ALARM' });

    // Act
    const end = scenarioEnd(parseScenario(doc));

    // Assess
    expect(end).toBe(9.5);
  });

  it('returns 0 for a scenario without executions', () => {
    expect(scenarioEnd(parseScenario({ name: 'empty', executions: [] }))).toBe(0);
  });
});

describe('File: scenarios/demo.json', () => {
  it('lasts about 15 seconds and shows every case the local runner demonstrates, as SSM documents them', async () => {
    // Prepare
    const scenario = await loadScenarioFile(demoScenarioPath());
    const last = <T>(list: readonly T[]): T | undefined => list[list.length - 1];
    const neverRuns = (s: ScenarioStep): boolean => s.timeline.length === 0;

    // Act
    const end = scenarioEnd(scenario);
    const succeeded = scenario.executions.find(
      (e) => last(e.timeline)?.status === 'Success' && e.steps.filter((s) => !neverRuns(s)).length >= 4,
    );
    const failed = scenario.executions.find((e) => last(e.timeline)?.status === 'Failed');
    const failedAt = failed?.steps.findIndex((s) => last(s.timeline)?.status === 'Failed') ?? -1;
    const cancelled = scenario.executions.find((e) => e.alarms?.some((a) => a.state === 'ALARM'));
    const alarmAt = cancelled?.alarms?.find((a) => a.state === 'ALARM')?.at;
    const blink = scenario.executions.find(
      (e) => (last(e.timeline)?.at ?? 0) - (e.timeline[0]?.at ?? 0) <= 0.5,
    );
    const child = scenario.executions.find((e) => e.parentId !== null && e.parentId !== undefined);
    const parentStep = scenario.executions
      .find((e) => e.id === child?.parentId)
      ?.steps.find((s) => s.action === 'aws:executeAutomation');
    const alarmNames = scenario.executions.flatMap((e) => [
      new Set((e.alarms ?? []).map((a) => a.name)).size,
      ...e.steps.map((s) => new Set((s.alarms ?? []).map((a) => a.name)).size),
    ]);

    // Assess
    expect(end).toBeGreaterThanOrEqual(12);
    expect(end).toBeLessThanOrEqual(16);
    expect(scenario.executions.flatMap((e) => e.steps).every((s) => s.plannedUpFront !== false)).toBe(true);
    expect(succeeded).toBeDefined();
    expect(last(failed?.steps[failedAt]?.timeline ?? [])).toMatchObject({
      failureMessage: expect.stringMatching(/^Step \S+ failed maximum allowed times\. /),
      failureDetails: expect.any(Object),
    });
    expect(failed?.steps.slice(failedAt + 1).map(neverRuns)).toEqual([true]);
    expect(cancelled?.timeline.map((entry) => [entry.at >= (alarmAt ?? 0), entry.status])).toEqual([
      [false, 'InProgress'],
      [true, 'Cancelling'],
      [true, 'Cancelled'],
    ]);
    expect(Math.max(...alarmNames)).toBe(1);
    expect(blink).toBeDefined();
    expect(parentStep?.timeline.map((entry) => entry.outputs?.ExecutionId)).toEqual([
      [child?.id],
      [child?.id],
    ]);
  });
});

describe('Function: parseScenario (CrossAccount)', () => {
  const id = (n: number) => `cccccccc-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const run = (extra: Record<string, unknown>) => ({
    name: 'member',
    executions: [
      { id: id(1), documentName: 'Doc', timeline: [{ at: 0, status: 'InProgress' }], steps: [], ...extra },
    ],
  });

  it('keeps a parent in another account and Region, and the automation type', () => {
    const scenario = parseScenario(
      run({
        parentId: id(9),
        parentLocation: { account: '999999999999', region: 'eu-west-1' },
        automationType: 'Local',
      }),
    );

    expect(scenario.executions[0]).toMatchObject({
      parentId: id(9),
      parentLocation: { account: '999999999999', region: 'eu-west-1' },
      automationType: 'Local',
    });
  });

  it('refuses a parentLocation without parentId, or with a bad account', () => {
    expect(() =>
      parseScenario(run({ parentLocation: { account: '999999999999', region: 'eu-west-1' } })),
    ).toThrow('executions[0].parentLocation: needs a parentId');
    expect(() =>
      parseScenario(run({ parentId: id(9), parentLocation: { account: '9', region: 'eu-west-1' } })),
    ).toThrow('executions[0].parentLocation.account: must be 12 digits');
  });
});

describe('Function: parseScenario (loops)', () => {
  const EXEC = 'aaaaaaaa-0000-4000-8000-00000000000a';
  const LOOP = 'bbbbbbbb-0000-4000-8000-00000000000a';
  const INNER = 'cccccccc-0000-4000-8000-00000000000a';
  /** One execution with a loop step over two items and one step of its second iteration. */
  const doc = (loop: Record<string, unknown>, inner: Record<string, unknown>): unknown => ({
    name: 'loops',
    executions: [
      {
        id: EXEC,
        documentName: 'Loop',
        timeline: [{ at: 0, status: 'InProgress' }],
        steps: [
          {
            id: LOOP,
            name: 'loop',
            action: 'aws:loop',
            timeline: [{ at: 0, status: 'InProgress' }],
            ...loop,
          },
          {
            id: INNER,
            name: 'stopOne',
            action: 'aws:changeInstanceState',
            timeline: [{ at: 1, status: 'InProgress' }],
            ...inner,
          },
        ],
      },
    ],
  });
  const inLoop = { loopIteration: { loopStepId: LOOP, index: 1 } };

  it('reads a loop over items and a step of one of its iterations', () => {
    const scenario = parseScenario(doc({ loop: { iterators: ['i-1', 'i-2'] } }, inLoop));

    expect(scenario.executions[0]?.steps.map((s) => [s.loop, s.loopIteration])).toEqual([
      [{ iterators: ['i-1', 'i-2'] }, undefined],
      [undefined, { loopStepId: LOOP, index: 1 }],
    ]);
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, string]>([
    [
      'a loop on another action',
      { action: 'aws:sleep', loop: {} },
      {},
      'executions[0].steps[0].loop: only a step with action aws:loop iterates (got action aws:sleep)',
    ],
    [
      'no iterators in the list',
      { loop: { iterators: [] } },
      {},
      'executions[0].steps[0].loop.iterators: must hold 1 to 100 items',
    ],
    [
      '101 iterators',
      { loop: { iterators: Array.from({ length: 101 }, (_, i) => `i-${i}`) } },
      {},
      'executions[0].steps[0].loop.iterators: must hold 1 to 100 items, the most an aws:loop iterates over (got 101)',
    ],
    [
      'a loop step unknown to the execution',
      { loop: {} },
      { loopIteration: { loopStepId: 'dddddddd-0000-4000-8000-00000000000a', index: 0 } },
      'executions[0].steps[1].loopIteration.loopStepId: must name an aws:loop step with a loop in the same execution',
    ],
    [
      'an index past the iterators',
      { loop: { iterators: ['i-1'] } },
      inLoop,
      "executions[0].steps[1].loopIteration.index: must be below the loop's 1 iterators (got 1)",
    ],
    [
      'an index of 100',
      { loop: {} },
      { loopIteration: { loopStepId: LOOP, index: 100 } },
      'executions[0].steps[1].loopIteration.index: must be an integer from 0 to 99',
    ],
    [
      'plannedUpFront on a step inside a loop',
      { loop: {} },
      { ...inLoop, plannedUpFront: false },
      'executions[0].steps[1].plannedUpFront: must be left out on a step with loopIteration',
    ],
    [
      'an unknown key in loopIteration',
      { loop: {} },
      { loopIteration: { loopStepId: LOOP, index: 0, item: 'i-1' } },
      'executions[0].steps[1].loopIteration.item: unknown key (allowed: loopStepId, index)',
    ],
  ])('rejects %s, naming the field', (_case, loop, inner, expected) => {
    const act = (): unknown => parseScenario(doc(loop, inner));

    expect(act).toThrow(ScenarioError);
    expect(act).toThrow(expected);
  });
});
