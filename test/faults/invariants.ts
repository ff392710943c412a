// Checks what the bus received against what SSM really did: no lost, no phantom, per-entity order, honest duplicates.
import { DETAIL_TYPES } from '../../lambda/core/types';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import type { GroundTruthEntry } from '../../sandbox/ssm-simulator';

/**
 * What one successful read of a cycle showed of one execution or step. Only reads of committed cycles
 * (see {@link checkDelivery}) are given to the checker.
 */
export interface Observation {
  readonly kind: 'execution' | 'step';
  readonly executionId: string;
  /** Step observations only. */
  readonly stepExecutionId?: string;
  /** The status the read returned. */
  readonly status: string;
  /** Names of the alarms the read listed in state `ALARM`. */
  readonly alarms: readonly string[];
  /** Simulator time of the read, epoch ms. */
  readonly at: number;
  /** Global order of the read, breaking ties of `at`. */
  readonly order: number;
}

/** One broken promise, said in words. */
export interface Violation {
  readonly invariant: 'lost' | 'phantom' | 'order' | 'duplicate';
  readonly entity: string;
  readonly message: string;
}

/** What {@link checkDelivery} found. */
export interface DeliveryReport {
  /** Events the bus received, duplicates included. */
  readonly deliveries: number;
  /** Distinct transitions delivered (distinct eventIds). */
  readonly transitions: number;
  /** Deliveries that repeated an eventId with byte-identical detail: allowed (at least once). */
  readonly duplicates: number;
  /** Statuses and alarms a committed read showed (consecutive repeats of one status counted once). */
  readonly observed: number;
  readonly lost: readonly Violation[];
  readonly phantom: readonly Violation[];
  readonly order: readonly Violation[];
  /** Duplicates that broke the rule: same transition under two eventIds, or one eventId with two details. */
  readonly badDuplicates: readonly Violation[];
}

/** What the checker compares. */
export interface DeliveryInput {
  /** `SsmSimulator.groundTruth()` at the end of the run. */
  readonly groundTruth: readonly GroundTruthEntry[];
  /** What the recorder accepted for this run's bus, in arrival order. */
  readonly delivered: readonly RecordedEvent[];
  /** The reads of committed cycles. */
  readonly observations: readonly Observation[];
  /**
   * Set once faults have stopped and enough clean cycles ran after the scenario's last change: then
   * the final status of every execution and step, and every alarm still in `ALARM`, must have arrived.
   */
  readonly settled: boolean;
}

interface ParsedDelivery {
  readonly eventId: string;
  readonly detailType: string;
  readonly detailRaw: string;
  readonly executionId: string;
  readonly stepExecutionId: string | null;
  /** The status a step or execution event announces. */
  readonly status: string | null;
  readonly alarm: { readonly name: string; readonly state: string } | null;
  readonly observedAt: number;
}

/** Slack for times that went through seconds-as-floats on the wire. */
const CLOCK_SLACK_MS = 1;

/**
 * Checks the delivery guarantee of one run.
 *
 * The rules, per execution and per step ("entity"), after deduplicating deliveries by eventId
 * (first arrival counts):
 *
 * 1. **No lost transition, relative to what was observable.** A read is *committed* when it belongs to
 *    a cycle that returned normally and served every execution it found (`complete`); a cycle that died,
 *    failed, or was cut by the deadline commits nothing, though what it recorded must still be honest.
 *    Take the statuses committed reads showed of an entity, in read order, with consecutive repeats
 *    merged (two reads of one status cannot tell whether it changed in between): that sequence must
 *    appear, in order, within the entity's delivered statuses. A status that came and went between two
 *    committed reads is not required. Every alarm a committed read listed in `ALARM` must be delivered
 *    for its execution or step. Once `settled`, the last delivered status of every entity must be its
 *    final status in ground truth, and every alarm in `ALARM` at the end must be delivered.
 * 2. **No phantom.** Every delivered status of an entity, and every delivered alarm, occurred in
 *    ground truth no later than the event's `observedAt`.
 * 3. **Per-entity order.** The delivered statuses of an entity are a subsequence of its ground-truth
 *    status changes.
 * 4. **Honest duplicates.** A repeated eventId carries byte-identical detail; one status change or alarm
 *    is never delivered under two eventIds.
 */
export function checkDelivery(input: DeliveryInput): DeliveryReport {
  const lost: Violation[] = [];
  const phantom: Violation[] = [];
  const order: Violation[] = [];
  const badDuplicates: Violation[] = [];

  // 4a. One eventId, one detail.
  const firstById = new Map<string, ParsedDelivery>();
  const unique: ParsedDelivery[] = [];
  for (const event of input.delivered) {
    const parsed = parseDelivery(event);
    const first = firstById.get(parsed.eventId);
    if (!first) {
      firstById.set(parsed.eventId, parsed);
      unique.push(parsed);
    } else if (first.detailRaw !== parsed.detailRaw || first.detailType !== parsed.detailType) {
      badDuplicates.push({
        invariant: 'duplicate',
        entity: entityKey(parsed.executionId, parsed.stepExecutionId),
        message: `eventId ${parsed.eventId} delivered with two different details`,
      });
    }
  }

  const truthByEntity = groupBy(
    input.groundTruth.filter((e) => e.kind !== 'alarm'),
    (e) => entityKey(e.executionId, e.kind === 'step' ? (e.stepExecutionId ?? null) : null),
  );
  const alarmTruth = input.groundTruth.filter((e) => e.kind === 'alarm');

  // 2. No phantom; and group the status deliveries per entity.
  const deliveredStatuses = new Map<string, string[]>();
  const deliveredAlarms = new Map<string, string[]>();
  for (const d of unique) {
    const entity = entityKey(d.executionId, d.stepExecutionId);
    if (d.alarm) {
      const occurred = alarmTruth.some(
        (e) =>
          e.executionId === d.executionId &&
          (e.stepExecutionId ?? null) === d.stepExecutionId &&
          e.alarmName === d.alarm?.name &&
          e.alarmState === d.alarm?.state &&
          e.at <= d.observedAt + CLOCK_SLACK_MS,
      );
      if (!occurred || d.alarm.state !== 'ALARM') {
        phantom.push({
          invariant: 'phantom',
          entity,
          message: `alarm ${show(d.alarm.name)} in ${d.alarm.state} never occurred by ${iso(d.observedAt)}`,
        });
      }
      push(deliveredAlarms, entity, d.alarm.name);
      continue;
    }
    const status = d.status ?? '(none)';
    const occurred = (truthByEntity.get(entity) ?? []).some(
      (e) => e.status === status && e.at <= d.observedAt + CLOCK_SLACK_MS,
    );
    if (!occurred) {
      phantom.push({
        invariant: 'phantom',
        entity,
        message: `status ${show(status)} never occurred by ${iso(d.observedAt)}`,
      });
    }
    push(deliveredStatuses, entity, status);
  }

  // 4b. One alarm, one eventId.
  for (const [entity, names] of deliveredAlarms) {
    for (const name of new Set(names)) {
      const count = names.filter((n) => n === name).length;
      if (count > 1) {
        badDuplicates.push({
          invariant: 'duplicate',
          entity,
          message: `alarm ${show(name)} delivered under ${count} eventIds`,
        });
      }
    }
  }

  // 3. Per-entity order, and 4c. one status change, one eventId.
  for (const [entity, statuses] of deliveredStatuses) {
    const truth = (truthByEntity.get(entity) ?? []).map((e) => e.status ?? '');
    if (isSubsequence(statuses, truth)) continue;
    const repeated = statuses.find((s, i) => i > 0 && statuses[i - 1] === s);
    const overused = [...new Set(statuses)].find(
      (s) => statuses.filter((x) => x === s).length > truth.filter((x) => x === s).length,
    );
    if (repeated !== undefined || overused !== undefined) {
      badDuplicates.push({
        invariant: 'duplicate',
        entity,
        message: `status ${show(repeated ?? overused ?? '')} delivered under more eventIds than it occurred: delivered ${list(statuses)}, truth ${list(truth)}`,
      });
    } else {
      order.push({
        invariant: 'order',
        entity,
        message: `delivered ${list(statuses)} is not in the order of truth ${list(truth)}`,
      });
    }
  }

  // 1. No lost transition, relative to the committed reads.
  const reads = [...input.observations].sort((a, b) => a.at - b.at || a.order - b.order);
  const observedByEntity = new Map<string, string[]>();
  const observedAlarms = new Map<string, Set<string>>();
  for (const read of reads) {
    const entity = entityKey(read.executionId, read.stepExecutionId ?? null);
    const seen = observedByEntity.get(entity) ?? [];
    if (seen.at(-1) !== read.status) seen.push(read.status);
    observedByEntity.set(entity, seen);
    for (const alarm of read.alarms) {
      const names = observedAlarms.get(entity) ?? new Set<string>();
      names.add(alarm);
      observedAlarms.set(entity, names);
    }
  }
  let observed = 0;
  for (const [entity, seen] of observedByEntity) {
    observed += seen.length;
    const missing = unmatched(seen, deliveredStatuses.get(entity) ?? []);
    for (const status of missing) {
      lost.push({
        invariant: 'lost',
        entity,
        message: `status ${show(status)} was read by a committed cycle but not delivered in order: read ${list(seen)}, delivered ${list(deliveredStatuses.get(entity) ?? [])}`,
      });
    }
  }
  for (const [entity, names] of observedAlarms) {
    observed += names.size;
    const delivered = new Set(deliveredAlarms.get(entity) ?? []);
    for (const name of names) {
      if (!delivered.has(name)) {
        lost.push({ invariant: 'lost', entity, message: `alarm ${show(name)} was read but not delivered` });
      }
    }
  }

  if (input.settled) {
    for (const [entity, truth] of truthByEntity) {
      const final = truth.at(-1)?.status;
      const last = deliveredStatuses.get(entity)?.at(-1);
      if (final !== undefined && last !== final) {
        lost.push({
          invariant: 'lost',
          entity,
          message: `final status ${show(final)} not the last delivered (${show(last ?? '(nothing)')}): delivered ${list(deliveredStatuses.get(entity) ?? [])}`,
        });
      }
    }
    for (const [entity, name] of alarmsInAlarmAtEnd(alarmTruth)) {
      if (!(deliveredAlarms.get(entity) ?? []).includes(name)) {
        lost.push({
          invariant: 'lost',
          entity,
          message: `alarm ${show(name)} in ALARM at the end not delivered`,
        });
      }
    }
  }

  return {
    deliveries: input.delivered.length,
    transitions: unique.length,
    duplicates: input.delivered.length - unique.length,
    observed,
    lost,
    phantom,
    order,
    badDuplicates,
  };
}

/** All violations of a report, for one assertion. */
export function violationsOf(report: DeliveryReport): Violation[] {
  return [...report.lost, ...report.phantom, ...report.order, ...report.badDuplicates];
}

function parseDelivery(event: RecordedEvent): ParsedDelivery {
  const d = (event.detail ?? {}) as {
    eventId?: unknown;
    executionId?: unknown;
    executionStatus?: unknown;
    observedAt?: unknown;
    step?: { stepExecutionId?: unknown; status?: unknown } | null;
    alarm?: { name?: unknown; state?: unknown };
  };
  const text = (value: unknown): string => (typeof value === 'string' ? value : String(value));
  const step = d.step ?? null;
  const status =
    event.detailType === DETAIL_TYPES.execution
      ? text(d.executionStatus)
      : event.detailType === DETAIL_TYPES.step
        ? text(step?.status)
        : null;
  return {
    eventId: text(d.eventId),
    detailType: event.detailType,
    detailRaw: event.detailRaw,
    executionId: text(d.executionId),
    stepExecutionId:
      event.detailType === DETAIL_TYPES.execution || step === null ? null : text(step.stepExecutionId),
    status,
    alarm: d.alarm ? { name: text(d.alarm.name), state: text(d.alarm.state) } : null,
    observedAt: typeof d.observedAt === 'string' ? Date.parse(d.observedAt) : Number.NaN,
  };
}

/** Alarms whose latest state at the end of ground truth is `ALARM`, as (entity, name). */
function alarmsInAlarmAtEnd(alarms: readonly GroundTruthEntry[]): [string, string][] {
  const latest = new Map<string, [string, string, string]>();
  for (const e of alarms) {
    const entity = entityKey(e.executionId, e.stepExecutionId ?? null);
    latest.set(`${entity}|${e.alarmName}`, [entity, e.alarmName ?? '', e.alarmState ?? '']);
  }
  return [...latest.values()]
    .filter(([, , state]) => state === 'ALARM')
    .map(([entity, name]) => [entity, name]);
}

/** Whether `part` appears in `whole` in order (not necessarily contiguous). */
function isSubsequence(part: readonly string[], whole: readonly string[]): boolean {
  return unmatched(part, whole).length === 0;
}

/** The items of `part` that cannot be matched, in order, within `whole` (greedy). */
function unmatched(part: readonly string[], whole: readonly string[]): string[] {
  const missing: string[] = [];
  let from = 0;
  for (const item of part) {
    const at = whole.indexOf(item, from);
    if (at === -1) missing.push(item);
    else from = at + 1;
  }
  return missing;
}

function entityKey(executionId: string, stepExecutionId: string | null): string {
  return stepExecutionId === null ? `execution ${executionId}` : `step ${stepExecutionId} of ${executionId}`;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) push(groups, key(item), item);
  return groups;
}

function push<T>(map: Map<string, T[]>, key: string, item: T): void {
  const items = map.get(key);
  if (items) items.push(item);
  else map.set(key, [item]);
}

function show(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

function list(items: readonly string[]): string {
  return `[${items.map(show).join(', ')}]`;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'an unreadable observedAt';
}
