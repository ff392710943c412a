// Edge cases of the step-read window, played over several polls through the pure core (no I/O).
import { describe, expect, it } from 'vitest';
import { diffExecution } from '../../lambda/core/diff';
import { isTerminal } from '../../lambda/core/status';
import { isWindowCovered, mayStillChange, needsStepRead } from '../../lambda/core/strategy';
import type { ExecutionState, ExecutionView, StepView, Transition } from '../../lambda/core/types';
import { executionView, isoAt, stepSnapshot, stepView } from '../helpers/builders';

const PAGE = 50;

/** A step as a plain timeline `[[seconds, status], …]`, the way the sandbox plays it. */
interface PlayedStep {
  readonly id: string;
  readonly name?: string;
  readonly maxAttempts?: number;
  readonly timeline: readonly (readonly [number, string])[];
}

/** The step as SSM shows it at `t`, or null before it starts. */
function viewAt(step: PlayedStep, t: number): StepView | null {
  const shown = step.timeline.filter(([at]) => at <= t);
  const first = shown[0];
  const last = shown.at(-1);
  if (!first || !last) return null;
  // The end is the first terminal entry after the last non-terminal one (a retry clears it).
  let end: number | null = null;
  for (const [at, status] of shown) end = isTerminal(status) ? (end ?? at) : null;
  return stepView({
    stepExecutionId: step.id,
    stepName: step.name ?? step.id,
    status: last[1],
    startTime: isoAt(first[0]),
    endTime: end === null ? null : isoAt(end),
    maxAttempts: step.maxAttempts ?? 1,
  });
}

/** What one poll at `t` did: the transitions found and the pages a newest-first read took. */
interface PollResult {
  readonly state: ExecutionState;
  readonly transitions: string[];
  readonly pages: number;
}

function describeTransition(transition: Transition): string {
  if (transition.kind === 'step')
    return `${transition.step.stepExecutionId} ${transition.previousStatus}>${transition.step.status}`;
  if (transition.kind === 'execution') return `execution ${transition.previousStatus}>${transition.status}`;
  return `alarm ${transition.alarm.name}`;
}

/**
 * One poll as the cycle runs it: skip when nothing can have changed, otherwise read pages of 50,
 * newest first, until the window is covered (or the steps run out), then diff.
 */
function poll(
  previous: ExecutionState | null,
  steps: readonly PlayedStep[],
  t: number,
  execution: ExecutionView = executionView(),
): PollResult | null {
  if (!needsStepRead(previous, execution)) return null;
  const newestFirst = steps
    .map((step, index) => ({ view: viewAt(step, t), index }))
    .filter((s): s is { view: StepView; index: number } => s.view !== null)
    .sort((a, b) => (b.view.startTime ?? '').localeCompare(a.view.startTime ?? '') || b.index - a.index)
    .map((s) => s.view);
  let pages = 0;
  let seen: StepView[] = [];
  do {
    pages++;
    seen = newestFirst.slice(0, pages * PAGE);
  } while (seen.length < newestFirst.length && !isWindowCovered(previous, seen));
  const diff = diffExecution({ execution, steps: seen, previous, stepsComplete: true, readAt: isoAt(t) });
  return { state: diff.next, transitions: diff.transitions.map(describeTransition), pages };
}

/** Polls at each time in turn, carrying the state; returns every poll's result. */
function pollAt(steps: readonly PlayedStep[], times: readonly number[]): PollResult[] {
  let state: ExecutionState | null = null;
  return times.map((t) => {
    const result = poll(state, steps, t);
    expect(result, `the poll at ${t} skipped an execution in flight`).not.toBeNull();
    state = result?.state ?? state;
    return result as PollResult;
  });
}

/** `count` steps of `seconds` each, back to back from `start`, ids `s1`, `s2`, … */
function sequential(count: number, start: number, seconds: number, prefix = 's'): PlayedStep[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${i + 1}`,
    timeline: [
      [start + i * seconds, 'InProgress'],
      [start + (i + 1) * seconds, 'Success'],
    ],
  }));
}

describe('Function: mayStillChange', () => {
  it('keeps a non-terminal or unknown status open', () => {
    expect(mayStillChange(stepSnapshot({ status: 'InProgress' }))).toBe(true);
    expect(mayStillChange(stepSnapshot({ status: 'Waiting' }))).toBe(true);
    expect(mayStillChange(stepSnapshot({ status: 'SomethingNew' }))).toBe(true);
  });

  it('settles a successful step, whatever its attempts', () => {
    expect(mayStillChange(stepSnapshot({ status: 'Success', maxAttempts: 3 }))).toBe(false);
  });

  it('keeps a failed or timed-out step with attempts left open', () => {
    expect(mayStillChange(stepSnapshot({ status: 'Failed', maxAttempts: 3 }))).toBe(true);
    expect(mayStillChange(stepSnapshot({ status: 'TimedOut', maxAttempts: 2 }))).toBe(true);
  });

  it("settles a failed step with one attempt, or none stated (SSM's default is one)", () => {
    expect(mayStillChange(stepSnapshot({ status: 'Failed', maxAttempts: 1 }))).toBe(false);
    expect(mayStillChange(stepSnapshot({ status: 'Failed' }))).toBe(false);
  });

  it('settles a cancelled step even with attempts left', () => {
    expect(mayStillChange(stepSnapshot({ status: 'Cancelled', maxAttempts: 3 }))).toBe(false);
  });
});

describe('Step-read window over several polls', () => {
  it('emits a step that started and ended between two polls, reading one page', () => {
    // Prepare: s1 runs 0–30, s2 runs 30–40 entirely between the polls at 10 and 70, s3 from 40.
    const steps: PlayedStep[] = [
      ...sequential(40, -400, 10, 'old'),
      {
        id: 's1',
        timeline: [
          [0, 'InProgress'],
          [30, 'Success'],
        ],
      },
      {
        id: 's2',
        timeline: [
          [30, 'InProgress'],
          [40, 'Success'],
        ],
      },
      { id: 's3', timeline: [[40, 'InProgress']] },
    ];

    // Act
    const [, second] = pollAt(steps, [10, 70]);

    // Assess
    expect(second?.transitions).toEqual(['s1 InProgress>Success', 's2 null>Success', 's3 null>InProgress']);
    expect(second?.pages).toBe(1);
  });

  it('follows a retried step (same id) through Failed and back, though newer steps pushed it off the first page', () => {
    // Prepare: r1 fails at 10 and is retried at 130; meanwhile 80 newer steps start and finish.
    const steps: PlayedStep[] = [
      {
        id: 'r1',
        maxAttempts: 3,
        timeline: [
          [0, 'InProgress'],
          [10, 'Failed'],
          [130, 'InProgress'],
          [190, 'Success'],
        ],
      },
      ...sequential(80, 20, 1, 'p'),
    ];

    // Act
    const polls = pollAt(steps, [5, 15, 125, 185, 245]);

    // Assess
    const r1 = polls.flatMap((p) => p.transitions.filter((t) => t.startsWith('r1 ')));
    expect(r1).toEqual([
      'r1 null>InProgress',
      'r1 InProgress>Failed',
      'r1 Failed>InProgress',
      'r1 InProgress>Success',
    ]);
    // The window pages back to the failed step while it may still run again.
    expect(polls.map((p) => p.pages)).toEqual([1, 1, 2, 2, 2]);
  });

  it('reads one page for a failed step without attempts left, however far back it is', () => {
    // Prepare
    const steps: PlayedStep[] = [
      {
        id: 'f1',
        maxAttempts: 1,
        timeline: [
          [0, 'InProgress'],
          [10, 'Failed'],
        ],
      },
      ...sequential(80, 20, 1, 'p'),
      { id: 'tail', timeline: [[150, 'InProgress']] },
    ];

    // Act
    const polls = pollAt(steps, [125, 185]);

    // Assess
    expect(polls[1]?.transitions).toEqual(['tail null>InProgress']);
    expect(polls[1]?.pages).toBe(1);
  });

  it('treats a loop iteration (same name, new id) as a new step and leaves the earlier iteration alone', () => {
    // Prepare: aws:loop runs checkHealth three times; the second iteration falls between polls.
    const steps: PlayedStep[] = [
      {
        id: 'loop-1',
        name: 'checkHealth',
        timeline: [
          [0, 'InProgress'],
          [20, 'Success'],
        ],
      },
      {
        id: 'loop-2',
        name: 'checkHealth',
        timeline: [
          [20, 'InProgress'],
          [40, 'Success'],
        ],
      },
      { id: 'loop-3', name: 'checkHealth', timeline: [[40, 'InProgress']] },
    ];

    // Act
    const [first, second] = pollAt(steps, [10, 70]);

    // Assess
    expect(first?.transitions).toEqual(['execution null>InProgress', 'loop-1 null>InProgress']);
    expect(second?.transitions).toEqual([
      'loop-1 InProgress>Success',
      'loop-2 null>Success',
      'loop-3 null>InProgress',
    ]);
    expect([...(second?.state.steps.values() ?? [])].map((s) => s.stepName)).toEqual([
      'checkHealth',
      'checkHealth',
      'checkHealth',
    ]);
  });

  it("emits a finished execution's last steps, its final status last, then never reads it again", () => {
    // Prepare: 120 steps long done; the last two finish and the execution ends between the polls.
    const steps: PlayedStep[] = [
      ...sequential(120, 0, 1, 'old'),
      {
        id: 'last-1',
        timeline: [
          [200, 'InProgress'],
          [230, 'Success'],
        ],
      },
      {
        id: 'last-2',
        timeline: [
          [230, 'InProgress'],
          [250, 'Failed'],
        ],
      },
    ];
    const [first] = pollAt(steps, [210]);
    const ended = executionView({ status: 'Failed', endTime: isoAt(251) });

    // Act
    const last = poll(first?.state ?? null, steps, 270, ended);
    const after = poll(last?.state ?? null, steps, 330, ended);

    // Assess
    expect(last?.transitions).toEqual([
      'last-1 InProgress>Success',
      'last-2 null>Failed',
      'execution InProgress>Failed',
    ]);
    expect(last?.pages).toBe(1);
    expect(after).toBeNull();
  });

  it('pages until every open step of a parallel run is seen, beyond one page', () => {
    // Prepare: 120 steps run at once from 0–12 s; 30 of the oldest finish; 5 new ones start.
    const steps: PlayedStep[] = [
      ...Array.from(
        { length: 120 },
        (_, i): PlayedStep => ({
          id: `par${i + 1}`,
          timeline:
            i < 30
              ? [
                  [i / 10, 'InProgress'],
                  [50, 'Success'],
                ]
              : [[i / 10, 'InProgress']],
        }),
      ),
      ...sequential(5, 40, 2, 'new'),
    ];

    // Act
    const [first, second] = pollAt(steps, [20, 80]);

    // Assess
    expect(first?.pages).toBe(3);
    expect(second?.pages).toBe(3);
    expect(second?.transitions.filter((t) => t.endsWith('InProgress>Success'))).toHaveLength(30);
    expect(second?.transitions.filter((t) => t.startsWith('new'))).toHaveLength(5);
  });

  it('stops at the first page once every open parallel step is newer than the page boundary', () => {
    // Prepare: 120 steps done, then 40 running at once.
    const steps: PlayedStep[] = [
      ...sequential(120, 0, 1, 'done'),
      ...Array.from(
        { length: 40 },
        (_, i): PlayedStep => ({ id: `run${i + 1}`, timeline: [[130 + i, 'InProgress']] }),
      ),
    ];

    // Act
    const polls = pollAt(steps, [175, 235]);

    // Assess
    expect(polls.map((p) => p.pages)).toEqual([4, 1]);
  });

  it('reads one page a poll on a 300-step execution once the snapshot is current', () => {
    // Prepare: 300 steps of 20 s each; polls every minute while it runs.
    const steps = sequential(300, 0, 20);
    const times = [5000, 5060, 5120, 5180, 5240];

    // Act
    const polls = pollAt(steps, times);

    // Assess: the first read pages through all 251 visible steps, then one page each poll.
    expect(polls.map((p) => p.pages)).toEqual([6, 1, 1, 1, 1]);
    expect(polls[1]?.transitions).toEqual([
      's251 InProgress>Success',
      's252 null>Success',
      's253 null>Success',
      's254 null>InProgress',
    ]);
  });

  it('stores MaxAttempts in the step snapshot so the next poll knows the step may be retried', () => {
    const result = diffExecution({
      execution: executionView(),
      steps: [stepView({ status: 'Failed', maxAttempts: 3 })],
      previous: null,
      stepsComplete: true,
      readAt: isoAt(10),
    });

    expect(result.next.steps.get('step-1')?.maxAttempts).toBe(3);
    expect(mayStillChange(result.next.steps.get('step-1') ?? stepSnapshot())).toBe(true);
  });
});
