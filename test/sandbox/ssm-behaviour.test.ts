// Tests of the behaviour switches: defaults, validation, labels, the full matrix, the pairwise list, derived ids and lags.
import { describe, expect, it } from 'vitest';
import { SandboxError } from '../../sandbox/errors';
import {
  BEHAVIOUR_MATRIX,
  BEHAVIOUR_PAIRWISE,
  BEHAVIOUR_SWITCHES,
  behaviourLabel,
  DOCUMENTED_BEHAVIOUR,
  idFromSeed,
  LOOP_BEHAVIOUR_MATRIX,
  LOOP_BEHAVIOUR_SWITCHES,
  parseBehaviourLabel,
  pendingStepExecutionId,
  resolveBehaviour,
  type SsmBehaviour,
  stepVisibilityLagMs,
} from '../../sandbox/ssm-behaviour';

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/;
const SWITCHES = Object.keys(BEHAVIOUR_SWITCHES) as (keyof typeof BEHAVIOUR_SWITCHES)[];

describe('Constant: DOCUMENTED_BEHAVIOUR', () => {
  it('holds the default of every switch and the documented 30-day history', () => {
    expect(DOCUMENTED_BEHAVIOUR).toEqual({
      reverseOrderUnstarted: 'first',
      startTimeTies: 'reversed',
      unstartedStepIds: 'stable',
      childListing: 'included',
      nextToken: 'key',
      startTimeFilter: 'exclusive',
      visibilityLagSeconds: 0,
      loopStepListing: 'onStart',
      loopIterationBase: 1,
      historyDays: 30,
    });
    expect(Object.isFrozen(DOCUMENTED_BEHAVIOUR)).toBe(true);
  });
});

describe('Function: resolveBehaviour', () => {
  it('fills missing fields from the documented defaults', () => {
    expect(resolveBehaviour({ nextToken: 'offset', visibilityLagSeconds: 12.5 })).toEqual({
      ...DOCUMENTED_BEHAVIOUR,
      nextToken: 'offset',
      visibilityLagSeconds: 12.5,
    });
    expect(resolveBehaviour()).toEqual(DOCUMENTED_BEHAVIOUR);
    expect(resolveBehaviour({ historyDays: Number.POSITIVE_INFINITY }).historyDays).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'an unknown switch value',
      { nextToken: 'cursor' },
      "behaviour.nextToken must be one of 'key', 'offset' (got cursor).",
    ],
    [
      'an unknown id mode',
      { unstartedStepIds: 'none' },
      "behaviour.unstartedStepIds must be one of 'stable', 'absent', 'changeOnStart' (got none).",
    ],
    [
      'a lag above 60 s',
      { visibilityLagSeconds: 61 },
      'behaviour.visibilityLagSeconds must be a number from 0 to 60 (got 61).',
    ],
    [
      'a negative lag',
      { visibilityLagSeconds: -1 },
      'behaviour.visibilityLagSeconds must be a number from 0 to 60 (got -1).',
    ],
    [
      'a history of 0 days',
      { historyDays: 0 },
      'behaviour.historyDays must be a number > 0 or Infinity (got 0).',
    ],
    [
      'an unknown loop listing',
      { loopStepListing: 'never' },
      "behaviour.loopStepListing must be one of 'onStart', 'iteration', 'upFront' (got never).",
    ],
    [
      'an iteration base of 2',
      { loopIterationBase: 2 },
      'behaviour.loopIterationBase must be 1 or 0 (got 2).',
    ],
    ['an unknown key', { reverseOrder: 'first' }, 'behaviour.reverseOrder is not a behaviour switch'],
  ])('rejects %s with a SandboxError naming the field', (_case, partial, message) => {
    const act = (): unknown => resolveBehaviour(partial as Partial<SsmBehaviour>);

    expect(act).toThrow(SandboxError);
    expect(act).toThrow(message);
  });
});

describe('Function: behaviourLabel', () => {
  it('labels every field in a fixed order', () => {
    expect(behaviourLabel(DOCUMENTED_BEHAVIOUR)).toBe(
      'rev=first,ties=reversed,ids=stable,children=included,token=key,bounds=exclusive,lag=0,loops=onStart,base=1,history=30',
    );
    expect(behaviourLabel(resolveBehaviour({ historyDays: Number.POSITIVE_INFINITY }))).toMatch(
      /,history=inf$/,
    );
  });
});

describe('Function: parseBehaviourLabel', () => {
  it('reads back the label of every matrix combination', () => {
    for (const behaviour of BEHAVIOUR_MATRIX) {
      expect(parseBehaviourLabel(behaviourLabel(behaviour))).toEqual(behaviour);
    }
  });

  it('reads back the label of every loop combination', () => {
    for (const behaviour of LOOP_BEHAVIOUR_MATRIX) {
      expect(parseBehaviourLabel(behaviourLabel(behaviour))).toEqual(behaviour);
    }
    expect(parseBehaviourLabel('loops=upFront,base=0')).toMatchObject({
      loopStepListing: 'upFront',
      loopIterationBase: 0,
    });
  });

  it('takes the documented default for keys left out', () => {
    expect(parseBehaviourLabel('token=offset,lag=60')).toEqual({
      ...DOCUMENTED_BEHAVIOUR,
      nextToken: 'offset',
      visibilityLagSeconds: 60,
    });
    expect(parseBehaviourLabel('history=inf').historyDays).toBe(Number.POSITIVE_INFINITY);
    expect(parseBehaviourLabel('')).toEqual(DOCUMENTED_BEHAVIOUR);
  });

  it.each([
    ['an unknown key', 'speed=fast', 'Behaviour label part "speed=fast" is not key=value'],
    ['a part without value', 'rev', 'Behaviour label part "rev" is not key=value'],
    ['a repeated key', 'rev=first,rev=last', 'Behaviour label repeats "rev".'],
    ['a bad value', 'rev=middle', "behaviour.reverseOrderUnstarted must be one of 'first', 'last'"],
  ])('rejects %s', (_case, label, message) => {
    expect(() => parseBehaviourLabel(label)).toThrow(message);
  });
});

describe('Constant: BEHAVIOUR_MATRIX', () => {
  it('holds each of the 192 combinations once, with the documented history', () => {
    const labels = new Set(BEHAVIOUR_MATRIX.map(behaviourLabel));

    expect(BEHAVIOUR_MATRIX).toHaveLength(192);
    expect(labels.size).toBe(192);
    expect(BEHAVIOUR_MATRIX.every((behaviour) => behaviour.historyDays === 30)).toBe(true);
  });

  it('gives each value of a switch the same share of combinations', () => {
    for (const name of SWITCHES) {
      const values: readonly unknown[] = BEHAVIOUR_SWITCHES[name];
      for (const value of values) {
        expect(BEHAVIOUR_MATRIX.filter((behaviour) => behaviour[name] === value)).toHaveLength(
          192 / values.length,
        );
      }
    }
  });
});

describe('Constant: LOOP_BEHAVIOUR_MATRIX', () => {
  it('holds each of the 6 loop combinations once, every other switch at its default', () => {
    const pairs = LOOP_BEHAVIOUR_MATRIX.map((b) => `${b.loopStepListing}/${b.loopIterationBase}`);

    expect(new Set(pairs).size).toBe(
      LOOP_BEHAVIOUR_SWITCHES.loopStepListing.length * LOOP_BEHAVIOUR_SWITCHES.loopIterationBase.length,
    );
    expect(pairs).toHaveLength(6);
    for (const behaviour of LOOP_BEHAVIOUR_MATRIX) {
      expect({ ...behaviour, loopStepListing: 'onStart', loopIterationBase: 1 }).toEqual(
        DOCUMENTED_BEHAVIOUR,
      );
    }
  });

  it('leaves the loop switches out of BEHAVIOUR_MATRIX, at their defaults', () => {
    expect(BEHAVIOUR_MATRIX.every((b) => b.loopStepListing === 'onStart' && b.loopIterationBase === 1)).toBe(
      true,
    );
  });
});

describe('Constant: BEHAVIOUR_PAIRWISE', () => {
  it('covers every pair of values of two switches in 9 combinations', () => {
    // Prepare
    const covered = new Set<string>();
    for (const behaviour of BEHAVIOUR_PAIRWISE) {
      SWITCHES.forEach((a, i) => {
        for (const b of SWITCHES.slice(i + 1)) covered.add(`${a}=${behaviour[a]}|${b}=${behaviour[b]}`);
      });
    }

    // Act
    const missing: string[] = [];
    SWITCHES.forEach((a, i) => {
      for (const b of SWITCHES.slice(i + 1)) {
        for (const av of BEHAVIOUR_SWITCHES[a] as readonly unknown[]) {
          for (const bv of BEHAVIOUR_SWITCHES[b] as readonly unknown[]) {
            if (!covered.has(`${a}=${av}|${b}=${bv}`)) missing.push(`${a}=${av}|${b}=${bv}`);
          }
        }
      }
    });

    // Assess
    expect(missing).toEqual([]);
    expect(BEHAVIOUR_PAIRWISE).toHaveLength(9);
  });
});

describe('Function: idFromSeed', () => {
  it('derives a stable 36-character UUID-shaped id, different per seed', () => {
    const a = idFromSeed('parent/child/0');

    expect(a).toMatch(UUID_SHAPE);
    expect(idFromSeed('parent/child/0')).toBe(a);
    expect(idFromSeed('parent/child/1')).not.toBe(a);
  });
});

describe('Function: pendingStepExecutionId', () => {
  it('gives a not-started step another stable 36-character id', () => {
    const id = '11111111-0001-4000-8000-000000000001';

    expect(pendingStepExecutionId(id)).toMatch(UUID_SHAPE);
    expect(pendingStepExecutionId(id)).not.toBe(id);
    expect(pendingStepExecutionId(id)).toBe(pendingStepExecutionId(id));
  });
});

describe('Function: stepVisibilityLagMs', () => {
  it('is 0 without lag and spreads steps over [0, max] otherwise, the same for one id every time', () => {
    // Prepare
    const ids = Array.from({ length: 200 }, (_, i) => idFromSeed(`lag/${i}`));

    // Act
    const lags = ids.map((id) => stepVisibilityLagMs(id, 60));

    // Assess
    expect(stepVisibilityLagMs(ids[0] ?? '', 0)).toBe(0);
    expect(lags.every((lag) => Number.isInteger(lag) && lag >= 0 && lag <= 60_000)).toBe(true);
    expect(Math.min(...lags)).toBeLessThan(5_000);
    expect(Math.max(...lags)).toBeGreaterThan(55_000);
    expect(ids.map((id) => stepVisibilityLagMs(id, 60))).toEqual(lags);
  });
});
