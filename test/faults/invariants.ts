// Checks what the bus received against what SSM really did: no lost, no phantom, per-entity order, honest duplicates.
import { DETAIL_TYPES } from '../../lambda/core/types';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import { SCENARIO_TERMINAL_STATUSES } from '../../sandbox/scenario';
import type { GroundTruthEntry } from '../../sandbox/ssm-simulator';

/**
 * What one successful read of a cycle showed of one execution or step. Only reads of committed cycles
 * (see {@link checkDelivery}) are given to the checker.
 */
export interface Observation {
  readonly kind: 'execution' | 'step';
  readonly executionId: string;
  /**
   * Step observations only: the id the read listed, or, for a not-started step SSM lists without
   * one, the key the poller gives it (`planned:<name>`).
   */
  readonly stepExecutionId?: string;
  /** Step observations only: the start time the read returned; null for a step not started. */
  readonly startTime?: string | null;
  /** The status the read returned. */
  readonly status: string;
  /** Names of the alarms the read listed in state `ALARM`. */
  readonly alarms: readonly string[];
  /** Simulator time of the read, epoch ms. */
  readonly at: number;
  /** Global order of the read, breaking ties of `at`. */
  readonly order: number;
}

/**
 * Another name under which SSM listed a step before it started: the id it had then (`unstartedStepIds:
 * changeOnStart`) or the key of a step listed without an id (`absent`, `planned:<name>`).
 */
export interface StepAlias {
  readonly executionId: string;
  /** The id or key the not-started step was listed (and observed) under. */
  readonly listedAs: string;
  /** The step's own id, the one it has once started (and in ground truth). */
  readonly stepExecutionId: string;
}

/** One broken promise, said in words. */
export interface Violation {
  readonly invariant: 'lost' | 'phantom' | 'order' | 'previous' | 'duplicate';
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
  /** First step events whose `previousStatus` contradicts what SSM listed ('Pending' or first sight). */
  readonly previous: readonly Violation[];
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
  /** Names not-started steps were listed under other than their own id; none when ids are stable. */
  readonly aliases?: readonly StepAlias[];
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
  /** The `previousStatus` a step status event announces; undefined for other events. */
  readonly previousStatus: string | null | undefined;
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
 *    appear, in order, within the entity's delivered statuses. A read of a step that has not started
 *    (`Pending` without start time, under its own id or an alias) shows nothing a consumer must get.
 *    A status that came and went between two committed reads is not required. Every alarm a committed
 *    read listed in `ALARM` must be delivered for its execution or step. A step's latest status that a
 *    committed read showed no later than the `observedAt` of its execution's final status event must
 *    be delivered with an `observedAt` no later than that (a step seen late arrives by the execution's
 *    end at the latest). Once `settled`, the last delivered status of every entity must be its final
 *    status in ground truth, and every alarm in `ALARM` at the end must be delivered.
 * 2. **No phantom.** Every delivered status of an entity, and every delivered alarm, occurred in
 *    ground truth no later than the event's `observedAt`; a step that never started (no ground truth)
 *    has no event at all.
 * 3. **Per-entity order.** The delivered statuses of an entity are a subsequence of its ground-truth
 *    status changes.
 * 4. **Honest `previousStatus` on a step's first event.** It is `null` (first sight) or `Pending`;
 *    `Pending` only for a step SSM listed before it started (planned up front), and `Pending` for sure
 *    when a committed read listed the step not started before the event's `observedAt`.
 * 5. **Honest duplicates.** A repeated eventId carries byte-identical detail; one status change or alarm
 *    is never delivered under two eventIds.
 */
export function checkDelivery(input: DeliveryInput): DeliveryReport {
  const lost: Violation[] = [];
  const phantom: Violation[] = [];
  const order: Violation[] = [];
  const previous: Violation[] = [];
  const badDuplicates: Violation[] = [];

  // 5a. One eventId, one detail.
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
  const statusDeliveries = new Map<string, ParsedDelivery[]>();
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
    const truth = truthByEntity.get(entity) ?? [];
    const occurred = truth.some((e) => e.status === status && e.at <= d.observedAt + CLOCK_SLACK_MS);
    if (!occurred) {
      phantom.push({
        invariant: 'phantom',
        entity,
        message:
          truth.length === 0 && d.stepExecutionId !== null
            ? `status ${show(status)} delivered for a step that never started`
            : `status ${show(status)} never occurred by ${iso(d.observedAt)}`,
      });
    }
    push(deliveredStatuses, entity, status);
    push(statusDeliveries, entity, d);
  }

  // 5b. One alarm, one eventId.
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

  // 3. Per-entity order, and 5c. one status change, one eventId.
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

  // Committed reads in order; those of not-started steps apart, under the step's own id.
  const aliases = new Map(
    (input.aliases ?? []).map((a) => [entityKey(a.executionId, a.listedAs), a.stepExecutionId]),
  );
  const reads = [...input.observations].sort((a, b) => a.at - b.at || a.order - b.order);
  const observedByEntity = new Map<string, string[]>();
  const observedAlarms = new Map<string, Set<string>>();
  const listedNotStarted = new Map<string, number[]>();
  const startedReads = new Map<string, Observation[]>();
  for (const read of reads) {
    const listed = entityKey(read.executionId, read.stepExecutionId ?? null);
    if (read.kind === 'step' && read.status === 'Pending' && (read.startTime ?? null) === null) {
      const own = aliases.get(listed);
      push(listedNotStarted, own === undefined ? listed : entityKey(read.executionId, own), read.at);
      continue;
    }
    const seen = observedByEntity.get(listed) ?? [];
    if (seen.at(-1) !== read.status) seen.push(read.status);
    observedByEntity.set(listed, seen);
    if (read.kind === 'step') push(startedReads, listed, read);
    for (const alarm of read.alarms) {
      const names = observedAlarms.get(listed) ?? new Set<string>();
      names.add(alarm);
      observedAlarms.set(listed, names);
    }
  }

  // 4. The previousStatus of each step's first event.
  for (const [entity, deliveries] of statusDeliveries) {
    const first = deliveries[0];
    const truth = truthByEntity.get(entity);
    if (first === undefined || first.stepExecutionId === null || truth === undefined) continue;
    const claimed = first.previousStatus ?? null;
    const planned = truth[0]?.previousStatus === 'Pending';
    const listedBefore = (listedNotStarted.get(entity) ?? []).find((at) => at < first.observedAt);
    let problem: string | null = null;
    if (claimed !== null && claimed !== 'Pending') {
      problem = `says previousStatus ${show(claimed)}, not null or "Pending"`;
    } else if (claimed === 'Pending' && !planned) {
      problem = 'says previousStatus "Pending", but SSM never listed the step before it started';
    } else if (claimed === null && listedBefore !== undefined) {
      problem = `says previousStatus null, but a committed read listed the step not started at ${iso(listedBefore)}`;
    }
    if (problem !== null) {
      previous.push({
        invariant: 'previous',
        entity,
        message: `first event (${show(first.status ?? '(none)')}, observed ${iso(first.observedAt)}) ${problem}`,
      });
    }
  }

  // 1. No lost transition, relative to the committed reads.
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

  // 1b. A step's state seen by the time its execution's end was reported arrives with that end.
  const ends = new Map<string, number>();
  for (const [entity, deliveries] of statusDeliveries) {
    const first = deliveries[0];
    if (first === undefined || first.stepExecutionId !== null) continue;
    const final = (truthByEntity.get(entity) ?? []).at(-1)?.status;
    const end = deliveries.find((d) => d.status === final && SCENARIO_TERMINAL_STATUSES.has(d.status ?? ''));
    if (end) ends.set(first.executionId, end.observedAt);
  }
  for (const [entity, stepReads] of startedReads) {
    const executionId = stepReads[0]?.executionId ?? '';
    const endAt = ends.get(executionId);
    if (endAt === undefined) continue;
    const latest = stepReads.filter((r) => r.at <= endAt).at(-1);
    if (latest === undefined) continue;
    const onTime = (statusDeliveries.get(entity) ?? []).some(
      (d) => d.status === latest.status && d.observedAt <= endAt,
    );
    if (!onTime) {
      lost.push({
        invariant: 'lost',
        entity,
        message: `status ${show(latest.status)} was read at ${iso(latest.at)}, but not delivered by the execution's final status (observed ${iso(endAt)})`,
      });
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
    previous,
    badDuplicates,
  };
}

/** All violations of a report, for one assertion. */
export function violationsOf(report: DeliveryReport): Violation[] {
  return [...report.lost, ...report.phantom, ...report.order, ...report.previous, ...report.badDuplicates];
}

function parseDelivery(event: RecordedEvent): ParsedDelivery {
  const d = (event.detail ?? {}) as {
    eventId?: unknown;
    executionId?: unknown;
    executionStatus?: unknown;
    observedAt?: unknown;
    step?: { stepExecutionId?: unknown; status?: unknown; previousStatus?: unknown } | null;
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
    previousStatus:
      event.detailType === DETAIL_TYPES.step
        ? step?.previousStatus === null || step?.previousStatus === undefined
          ? null
          : text(step.previousStatus)
        : undefined,
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
