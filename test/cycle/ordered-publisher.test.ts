// Tests of OrderedPublisher over plain fakes of the bus and the store: batching, per-step order, retries, holding.
import { describe, expect, it } from 'vitest';
import type { EventPublisher, PublishFailure } from '../../lambda/core/ports';
import type { OutboxEvent } from '../../lambda/core/types';
import { OrderedPublisher } from '../../lambda/cycle/ordered-publisher';
import { EPOCH } from '../helpers/builders';

/** An event of `stepExecutionId` (null: the execution's own) in execution `executionId`. */
function event(eventId: string, stepExecutionId: string | null, executionId = 'e-1'): OutboxEvent {
  const entry = {
    eventId,
    executionId,
    resources: [],
    detail: '{}',
    observedAt: new Date(EPOCH).toISOString(),
    sequence: 0,
    ordinal: 0,
    status: 'InProgress',
    previousStatus: null,
  };
  return stepExecutionId
    ? {
        ...entry,
        detailType: 'Automation Step Status Change',
        kind: 'step',
        stepExecutionId,
        stepName: stepExecutionId,
        startTime: entry.observedAt,
        maxAttempts: null,
      }
    : {
        ...entry,
        detailType: 'Automation Execution Status Change',
        kind: 'execution',
        stepExecutionId: null,
      };
}

/** A bus that fails the listed event ids on every attempt, or throws on every call when `down`. */
class FakeBus implements EventPublisher {
  readonly calls: string[][] = [];
  constructor(
    readonly failing: ReadonlySet<string> = new Set(),
    readonly down = false,
  ) {}

  async publishBatch(events: readonly OutboxEvent[]): Promise<readonly PublishFailure[]> {
    this.calls.push(events.map((e) => e.eventId));
    if (this.down) throw new Error('bus unreachable');
    return events
      .filter((e) => this.failing.has(e.eventId))
      .map((e) => ({ eventId: e.eventId, errorCode: 'InternalFailure', errorMessage: 'injected' }));
  }
}

/** The publisher over `bus`, recording what it marks sent, its waits and its log messages. */
function publisherOver(bus: FakeBus) {
  const marked: string[][] = [];
  const waits: number[] = [];
  const logged: string[] = [];
  const log = (message: string): void => {
    logged.push(message);
  };
  const publisher = new OrderedPublisher(
    {
      store: {
        markSent: async (events) => {
          marked.push(events.map((e) => e.eventId));
        },
      },
      publisher: bus,
      now: () => EPOCH,
      sleep: async (ms) => {
        waits.push(ms);
      },
      logger: { info: log, warn: log, error: log },
    },
    3,
  );
  return { publisher, marked, waits, logged };
}

describe('Class: OrderedPublisher', () => {
  it('sends at most ten events a call and marks each call sent', async () => {
    const bus = new FakeBus();
    const { publisher, marked } = publisherOver(bus);
    const events = Array.from({ length: 12 }, (_, i) => event(`ev-${i}`, `s-${i}`));

    const sent = await publisher.publish(events);

    expect(sent).toBe(12);
    expect(bus.calls.map((c) => c.length)).toEqual([10, 2]);
    expect(marked.flat()).toEqual(events.map((e) => e.eventId));
    expect(publisher.deliveredByType).toEqual({ 'Automation Step Status Change': 12 });
    expect(publisher.failedCount).toBe(0);
  });

  it('puts a later event of the same step, and everything after it, in the next call', async () => {
    const bus = new FakeBus();
    const { publisher } = publisherOver(bus);

    await publisher.publish([event('a', 's-1'), event('b', 's-1'), event('c', 's-2'), event('d', null)]);

    expect(bus.calls).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('retries a failing entry with growing waits, then holds back the later events of its step', async () => {
    // Prepare
    const bus = new FakeBus(new Set(['a']));
    const { publisher, marked, waits, logged } = publisherOver(bus);

    // Act
    const sent = await publisher.publish([event('a', 's-1'), event('b', 's-1'), event('c', 's-2')]);

    // Assess
    expect(bus.calls).toEqual([['a'], ['a'], ['a'], ['c']]);
    expect(waits).toEqual([100, 200]);
    expect(sent).toBe(1);
    expect(marked).toEqual([['c']]);
    expect(publisher.failedCount).toBe(2);
    expect(logged).toContain('events left pending for the next cycle');
  });

  it('stops calling the bus once every attempt of a call failed', async () => {
    const bus = new FakeBus(new Set(), true);
    const { publisher, marked } = publisherOver(bus);
    const events = Array.from({ length: 11 }, (_, i) => event(`ev-${i}`, `s-${i}`));

    const sent = await publisher.publish(events);

    expect(sent).toBe(0);
    expect(bus.calls).toHaveLength(3);
    expect(publisher.failedCount).toBe(11);
    expect(marked).toEqual([]);
  });

  it('holds events sent with markSentLater until markSentHeld picks them', async () => {
    const bus = new FakeBus();
    const { publisher, marked } = publisherOver(bus);

    await publisher.publish([event('a', 's-1', 'e-1'), event('b', 's-2', 'e-2')], { markSentLater: true });
    const before = [...marked];
    await publisher.markSentHeld((e) => e.executionId === 'e-1');
    await publisher.markSentHeld(() => true);

    expect(before).toEqual([]);
    expect(marked).toEqual([['a']]);
  });
});
