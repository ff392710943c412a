// Tests of the simulator's native aws.ssm events: documented shape, locale times, delay, loss, duplicates, seeding.
import { describe, expect, it } from 'vitest';
import { SandboxError } from '../../sandbox/errors';
import {
  formatNativeTime,
  type NativeEvent,
  type NativeEventOptions,
  resolveNativeEventOptions,
  SSM_NATIVE_DETAIL_TYPES,
} from '../../sandbox/native-events';
import type { ScenarioExecution } from '../../sandbox/scenario';
import { sequentialRun } from '../../sandbox/sequential-runbook';
import { idFromSeed } from '../../sandbox/ssm-behaviour';
import { SsmSimulator } from '../../sandbox/ssm-simulator';

const START = Date.parse('2024-11-29T19:43:20Z');
const execId = (n: number): string => `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, '0')}`;
const stepId = (n: number): string => `11111111-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The documented example, rebuilt: a run of `runcommand1` whose step `runFixedCmds` runs 19:43:23–19:43:25. */
const EXAMPLE: ScenarioExecution = {
  id: '333ba70b-2333-48db-b17e-a5e69c6f4d1c',
  documentName: 'runcommand1',
  documentVersion: '1',
  parentId: null,
  timeline: [
    { at: 0, status: 'InProgress' },
    { at: 6, status: 'Success' },
  ],
  steps: [
    {
      id: stepId(1),
      name: 'runFixedCmds',
      action: 'aws:runCommand',
      timeline: [
        { at: 3, status: 'InProgress' },
        { at: 5, status: 'Success' },
      ],
    },
    // Never runs: SSM sends nothing for it.
    { id: stepId(2), name: 'neverRun', action: 'aws:runCommand', timeline: [] },
  ],
};

function simulator(executions: ScenarioExecution[], nativeEvents?: NativeEventOptions): SsmSimulator {
  return new SsmSimulator({
    scenario: { name: 'native', executions },
    startEpochMs: START,
    clock: () => START,
    behaviour: {},
    ...(nativeEvents !== undefined && { nativeEvents }),
  });
}

/** `count` sequential runs of three 10 s steps, every third one failing at its second step. */
function fleet(count: number): ScenarioExecution[] {
  return Array.from({ length: count }, (_, i) =>
    sequentialRun({
      executionId: execId(i + 1),
      steps: 3,
      stepSeconds: 10,
      startAt: i * 7,
      ending: i % 3 === 2 ? { kind: 'failure', atStep: 1 } : { kind: 'success' },
    }),
  );
}

const FAR = START + 86_400_000;
const statusChanges = (sim: SsmSimulator): number =>
  sim.groundTruth().filter((entry) => entry.kind !== 'alarm').length;
const allEvents = (sim: SsmSimulator): NativeEvent[] => sim.takeNativeEvents(FAR);

describe('Function: formatNativeTime', () => {
  it.each([
    ['2024-11-29T19:43:25Z', 'Nov 29, 2024 7:43:25 PM'],
    ['2017-07-19T21:48:12Z', 'Jul 19, 2017 9:48:12 PM'],
    ['2026-01-05T00:04:09Z', 'Jan 5, 2026 12:04:09 AM'],
    ['2026-12-31T12:00:00Z', 'Dec 31, 2026 12:00:00 PM'],
    ['2026-03-01T09:30:00.999Z', 'Mar 1, 2026 9:30:00 AM'],
  ])('writes %s as %s, in UTC', (iso, expected) => {
    expect(formatNativeTime(Date.parse(iso))).toBe(expected);
  });
});

describe('Function: resolveNativeEventOptions', () => {
  it('defaults to 0–5 s delay, nothing lost or duplicated, seed 1, the local account and region', () => {
    expect(resolveNativeEventOptions()).toEqual({
      delaySeconds: [0, 5],
      lossRate: 0,
      duplicateRate: 0,
      seed: 1,
      account: '123456789012',
      region: 'us-east-1',
    });
  });

  it.each<[NativeEventOptions, string]>([
    [
      { delaySeconds: [3, 1] },
      'nativeEvents.delaySeconds must be [min, max] with 0 <= min <= max (got [3, 1]).',
    ],
    [
      { delaySeconds: [-1, 1] },
      'nativeEvents.delaySeconds must be [min, max] with 0 <= min <= max (got [-1, 1]).',
    ],
    [{ lossRate: 1.5 }, 'nativeEvents.lossRate must be between 0 and 1 (got 1.5).'],
    [{ duplicateRate: -0.1 }, 'nativeEvents.duplicateRate must be between 0 and 1 (got -0.1).'],
    [{ seed: 0.5 }, 'nativeEvents.seed must be an integer (got 0.5).'],
  ])('rejects %j with a SandboxError naming the field', (options, message) => {
    expect(() => resolveNativeEventOptions(options)).toThrow(new SandboxError(message));
    expect(() => simulator([EXAMPLE], options)).toThrow(SandboxError);
  });
});

describe('Method: SsmSimulator.takeNativeEvents', () => {
  it('publishes nothing without the nativeEvents option', () => {
    expect(simulator([EXAMPLE]).takeNativeEvents(FAR)).toEqual([]);
  });

  it('sends the documented step and execution event shapes, with locale times and the run time in ms', () => {
    // Prepare
    const sim = simulator([EXAMPLE], {
      delaySeconds: [10, 10],
      account: '123456789012',
      region: 'us-east-2',
    });
    const resources = [
      'arn:aws:ssm:us-east-2:123456789012:automation-execution/333ba70b-2333-48db-b17e-a5e69c6f4d1c',
      'arn:aws:ssm:us-east-2:123456789012:automation-definition/runcommand1:1',
    ];
    const common = { ExecutionId: EXAMPLE.id, Definition: 'runcommand1', DefinitionVersion: 1 };

    // Act
    const events = allEvents(sim);

    // Assess
    expect(
      events.map((e) => [e.event['detail-type'], (e.event.detail as { Status: string }).Status]),
    ).toEqual([
      [SSM_NATIVE_DETAIL_TYPES.execution, 'InProgress'],
      [SSM_NATIVE_DETAIL_TYPES.step, 'InProgress'],
      [SSM_NATIVE_DETAIL_TYPES.step, 'Success'],
      [SSM_NATIVE_DETAIL_TYPES.execution, 'Success'],
    ]);
    expect(events[2]).toEqual({
      changedAt: START + 5_000,
      deliverAt: START + 15_000,
      event: {
        version: '0',
        id: idFromSeed(`native/1/${EXAMPLE.id}/${stepId(1)}/1`),
        'detail-type': 'EC2 Automation Step Status-change Notification',
        source: 'aws.ssm',
        account: '123456789012',
        time: '2024-11-29T19:43:35Z',
        region: 'us-east-2',
        resources,
        detail: {
          ...common,
          Status: 'Success',
          EndTime: 'Nov 29, 2024 7:43:25 PM',
          StartTime: 'Nov 29, 2024 7:43:23 PM',
          Time: 2000,
          StepName: 'runFixedCmds',
          Action: 'aws:runCommand',
        },
      },
    });
    expect(events[3]?.event).toMatchObject({
      'detail-type': 'EC2 Automation Execution Status-change Notification',
      time: '2024-11-29T19:43:36Z',
      resources,
      detail: {
        ...common,
        Status: 'Success',
        StartTime: 'Nov 29, 2024 7:43:20 PM',
        EndTime: 'Nov 29, 2024 7:43:26 PM',
        Time: 6000,
        ExecutedBy: 'arn:aws:iam::123456789012:user/step-watch-sandbox',
      },
    });
    // A step that has not ended has no EndTime yet.
    expect(events[1]?.event.detail).toEqual({
      ...common,
      Status: 'InProgress',
      StartTime: 'Nov 29, 2024 7:43:23 PM',
      Time: 0,
      StepName: 'runFixedCmds',
      Action: 'aws:runCommand',
    });
  });

  it('sends one event per status change of the ground truth, none for a repeated status or a step never run', () => {
    // Prepare: a retried step stays InProgress across its attempts (one change), then fails.
    const run = sequentialRun({
      executionId: execId(1),
      steps: 4,
      ending: { kind: 'failure', atStep: 1, attempts: 3 },
    });
    const sim = simulator([run], { delaySeconds: [0, 0] });

    // Act
    const events = allEvents(sim);

    // Assess
    const truth = new SsmSimulator({
      scenario: { name: 'truth', executions: [run] },
      startEpochMs: START,
      clock: () => FAR,
      behaviour: {},
    })
      .groundTruth()
      .filter((entry) => entry.kind !== 'alarm')
      .map((entry) => `${entry.stepExecutionId ?? '-'}:${entry.status}@${entry.at}`);
    const sent = events.map((e) => {
      const detail = e.event.detail as { StepName?: string; Status: string };
      const step = run.steps.find((s) => s.name === detail.StepName);
      return `${step?.id ?? '-'}:${detail.Status}@${e.changedAt}`;
    });
    expect([...sent].sort()).toEqual([...truth].sort());
    expect(sent.filter((s) => s.startsWith(run.steps[1]?.id ?? '?'))).toEqual([
      `${run.steps[1]?.id}:InProgress@${START + 5_000}`,
      `${run.steps[1]?.id}:Failed@${START + 20_000}`,
    ]);
    expect(
      events.some((e) =>
        ['step3', 'step4'].includes((e.event.detail as { StepName?: string }).StepName ?? ''),
      ),
    ).toBe(false);
  });

  it('delivers every event within the delay range after its change, never before it, each once', () => {
    // Prepare
    const sim = simulator(fleet(60), { delaySeconds: [2, 7], seed: 7 });
    let now = START;
    const taken: NativeEvent[] = [];

    // Act: take on a 1 s tick, as the local stack does.
    for (; now <= START + 600_000; now += 1_000) {
      const batch = sim.takeNativeEvents(now);
      for (const event of batch) expect(event.deliverAt).toBeLessThanOrEqual(now);
      taken.push(...batch);
    }

    // Assess
    expect(taken).toHaveLength(statusChanges(withClock(sim, now)));
    const delays = taken.map((e) => e.deliverAt - e.changedAt);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(2_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(7_000);
    // Spread over the range, not bunched at one end.
    expect(delays.filter((d) => d < 4_500).length / delays.length).toBeGreaterThan(0.35);
    expect(delays.filter((d) => d > 4_500).length / delays.length).toBeGreaterThan(0.35);
    expect(new Set(taken.map((e) => e.event.id)).size).toBe(taken.length);
    expect(sim.takeNativeEvents(FAR)).toEqual([]);
  });

  it('returns the events due in delivery order', () => {
    const events = allEvents(simulator(fleet(30), { delaySeconds: [0, 30] }));
    const order = events.map((e) => e.deliverAt);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(events.some((e, i) => i > 0 && e.changedAt < (events[i - 1]?.changedAt ?? 0))).toBe(true);
  });

  it('loses about the loss rate of the changes, and those never arrive', () => {
    // Prepare
    const executions = fleet(200);
    const changes = statusChanges(withClock(simulator(executions), FAR));

    // Act
    const lossy = allEvents(simulator(executions, { lossRate: 0.1, seed: 3 }));

    // Assess
    const lostShare = 1 - lossy.length / changes;
    expect(lostShare).toBeGreaterThan(0.07);
    expect(lostShare).toBeLessThan(0.13);
    expect(allEvents(simulator(executions, { lossRate: 1 }))).toEqual([]);
    expect(allEvents(simulator(executions, { lossRate: 0 }))).toHaveLength(changes);
  });

  it('duplicates about the duplicate rate of the events: same id and detail, each copy with its own delay', () => {
    // Prepare
    const executions = fleet(200);
    const changes = statusChanges(withClock(simulator(executions), FAR));

    // Act
    const events = allEvents(simulator(executions, { duplicateRate: 0.2, delaySeconds: [0, 5], seed: 5 }));

    // Assess
    const byId = new Map<string, NativeEvent[]>();
    for (const event of events)
      byId.set(event.event.id as string, [...(byId.get(event.event.id as string) ?? []), event]);
    const twice = [...byId.values()].filter((copies) => copies.length === 2);
    expect(byId.size).toBe(changes);
    expect([...byId.values()].every((copies) => copies.length <= 2)).toBe(true);
    expect(twice.length / changes).toBeGreaterThan(0.16);
    expect(twice.length / changes).toBeLessThan(0.24);
    for (const [first, second] of twice) {
      expect(second?.event).toEqual(first?.event);
      expect(second?.changedAt).toBe(first?.changedAt);
    }
    expect(twice.some(([first, second]) => first?.deliverAt !== second?.deliverAt)).toBe(true);
  });

  it('draws the same events for the same seed, whenever they are taken, and others for another seed', () => {
    const options = { lossRate: 0.2, duplicateRate: 0.2, delaySeconds: [0, 10] } as const;
    const once = allEvents(simulator(fleet(40), { ...options, seed: 11 }));
    const ticking = simulator(fleet(40), { ...options, seed: 11 });
    const stepwise: NativeEvent[] = [];
    for (let now = START; now <= START + 400_000; now += 3_000)
      stepwise.push(...ticking.takeNativeEvents(now));
    expect(stepwise).toEqual(once);
    expect(allEvents(simulator(fleet(40), { ...options, seed: 12 }))).not.toEqual(once);
  });

  it('sends events for an execution added later, from its own changes on', () => {
    // Prepare
    const sim = simulator([EXAMPLE], { delaySeconds: [0, 0] });
    expect(sim.takeNativeEvents(START + 10_000)).toHaveLength(4);

    // Act
    sim.addExecution(fleet(1)[0] as ScenarioExecution);
    const later = sim.takeNativeEvents(START + 10_000);

    // Assess: the new run's first step started at 0 s and ended at 10 s; nothing repeats.
    expect(
      later.map((e) => [
        (e.event.detail as { ExecutionId: string }).ExecutionId,
        (e.event.detail as { Status: string }).Status,
      ]),
    ).toEqual([
      [execId(1), 'InProgress'],
      [execId(1), 'InProgress'],
      [execId(1), 'Success'],
      [execId(1), 'InProgress'],
    ]);
  });
});

/** The same scenario on a clock standing at `now`, for its ground truth. */
function withClock(sim: SsmSimulator, now: number): SsmSimulator {
  return new SsmSimulator({ scenario: sim.scenario, startEpochMs: START, clock: () => now, behaviour: {} });
}
