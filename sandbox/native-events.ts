// SSM's own `aws.ssm` Automation events as the simulator publishes them: shape, best-effort delay, loss and duplication.
import { createHash } from 'node:crypto';
import { SandboxError } from './errors';
import { SCENARIO_TERMINAL_STATUSES, type Scenario } from './scenario';
import { idFromSeed } from './ssm-behaviour';

/**
 * The `detail-type`s SSM uses for Automation status changes (documented in the Systems Manager User
 * Guide, "Amazon EventBridge event examples for Systems Manager"). The poller's `lambda/core/hints.ts`
 * has its own copy: the sandbox is a model of SSM, not a client of the poller.
 */
export const SSM_NATIVE_DETAIL_TYPES = {
  step: 'EC2 Automation Step Status-change Notification',
  execution: 'EC2 Automation Execution Status-change Notification',
} as const;

/**
 * How the simulator publishes SSM's native events. AWS delivers them "best effort" ("in some rare cases
 * an event might not be delivered"), so delay, loss and duplication are switches; draws are seeded per
 * change, so one seed gives the same events whatever order and moment they are taken in.
 */
export interface NativeEventOptions {
  /**
   * Seconds from the SSM change to the event's delivery, drawn uniformly in [min, max] per copy.
   * @default [0, 5]
   */
  readonly delaySeconds?: readonly [number, number];
  /** Share of changes whose event is never delivered, 0–1. @default 0 */
  readonly lossRate?: number;
  /** Share of delivered events delivered a second time (same event id, own delay), 0–1. @default 0 */
  readonly duplicateRate?: number;
  /** Seed of the delay, loss and duplicate draws. @default 1 */
  readonly seed?: number;
  /** The `account` of the events. @default '123456789012' */
  readonly account?: string;
  /** The `region` of the events. @default 'us-east-1' */
  readonly region?: string;
}

/** One native event, as SSM would put it on the account's default bus. */
export interface NativeEvent {
  /** Epoch ms of the SSM change the event is about. */
  readonly changedAt: number;
  /** Epoch ms at which the event is delivered (`changedAt` + its delay). */
  readonly deliverAt: number;
  /** The EventBridge event, as SSM sends it (`version`, `id`, `detail-type`, `source`, …, `detail`). */
  readonly event: Record<string, unknown>;
}

/** {@link NativeEventOptions} with every field filled in. */
export type ResolvedNativeEventOptions = Required<NativeEventOptions>;

/** Fills in defaults and validates; throws a {@link SandboxError} naming the bad field. */
export function resolveNativeEventOptions(options: NativeEventOptions = {}): ResolvedNativeEventOptions {
  const resolved: ResolvedNativeEventOptions = {
    delaySeconds: options.delaySeconds ?? [0, 5],
    lossRate: options.lossRate ?? 0,
    duplicateRate: options.duplicateRate ?? 0,
    seed: options.seed ?? 1,
    account: options.account ?? '123456789012',
    region: options.region ?? 'us-east-1',
  };
  const [min, max] = resolved.delaySeconds;
  if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && max >= min)) {
    throw new SandboxError(
      `nativeEvents.delaySeconds must be [min, max] with 0 <= min <= max (got [${min}, ${max}]).`,
    );
  }
  for (const key of ['lossRate', 'duplicateRate'] as const) {
    const rate = resolved[key];
    if (!(rate >= 0 && rate <= 1))
      throw new SandboxError(`nativeEvents.${key} must be between 0 and 1 (got ${rate}).`);
  }
  if (!Number.isInteger(resolved.seed)) {
    throw new SandboxError(`nativeEvents.seed must be an integer (got ${resolved.seed}).`);
  }
  return resolved;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A time the way SSM writes it in its native events, in UTC: `Nov 29, 2024 7:43:25 PM` (month name,
 * day and hour without leading zero, 12-hour clock).
 */
export function formatNativeTime(epochMs: number): string {
  const d = new Date(epochMs);
  const hours = d.getUTCHours();
  const hour12 = hours % 12 === 0 ? 12 : hours % 12;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${hour12}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
}

/** One status change SSM notifies: of an execution, or of one of its steps. */
interface NativeChange {
  /** Stable across calls: execution id, step id (or '-'), index of the timeline entry. */
  readonly key: string;
  readonly at: number;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly resources: readonly string[];
}

/**
 * Start and end of an execution or step as they stand right after its timeline entry `index`:
 * the end is the first terminal entry after the last non-terminal one (a retry clears it).
 */
function spanAt(
  timeline: readonly { readonly at: number; readonly status: string }[],
  index: number,
  toMs: (at: number) => number,
): { startMs: number; endMs: number | undefined } {
  let endMs: number | undefined;
  for (let i = 0; i <= index; i++) {
    const entry = timeline[i];
    if (entry === undefined) break;
    if (!SCENARIO_TERMINAL_STATUSES.has(entry.status)) endMs = undefined;
    else if (endMs === undefined) endMs = toMs(entry.at);
  }
  return { startMs: toMs(timeline[0]?.at ?? 0), endMs };
}

/** `1` for `'1'`, the string for anything that is not a number (`$LATEST` never reaches SSM's events). */
function definitionVersion(version: string | undefined): number | string {
  const n = Number(version ?? '1');
  return Number.isFinite(n) ? n : (version ?? '1');
}

/**
 * Every status change of the scenario SSM notifies, whatever the time: each execution status change
 * and each step status change (a repeated status is not a change), like the simulator's ground truth.
 * A step that never starts has none. `initialStepStatus` is the status a step has before its first
 * entry (`Pending` for a planned step), so that a first entry repeating it is not a change.
 */
function changesOf(
  scenario: Scenario,
  toMs: (at: number) => number,
  { account, region }: { readonly account: string; readonly region: string },
  initialStepStatus: (step: Scenario['executions'][number]['steps'][number]) => string | null,
): NativeChange[] {
  const changes: NativeChange[] = [];
  for (const execution of scenario.executions) {
    const version = definitionVersion(execution.documentVersion);
    const resources = [
      `arn:aws:ssm:${region}:${account}:automation-execution/${execution.id}`,
      `arn:aws:ssm:${region}:${account}:automation-definition/${execution.documentName}:${execution.documentVersion ?? '1'}`,
    ];
    const common = {
      ExecutionId: execution.id,
      Definition: execution.documentName,
      DefinitionVersion: version,
    };
    const each = (
      timeline: readonly { readonly at: number; readonly status: string }[],
      initial: string | null,
      keyOf: (index: number) => string,
      build: (
        status: string,
        span: { startMs: number; endMs: number | undefined },
        at: number,
      ) => Omit<NativeChange, 'key'>,
    ): void => {
      let previous = initial;
      timeline.forEach((entry, index) => {
        if (entry.status === previous) return;
        previous = entry.status;
        const at = toMs(entry.at);
        changes.push({ ...build(entry.status, spanAt(timeline, index, toMs), at), key: keyOf(index) });
      });
    };
    const times = (span: { startMs: number; endMs: number | undefined }, at: number) => ({
      StartTime: formatNativeTime(span.startMs),
      ...(span.endMs !== undefined && { EndTime: formatNativeTime(span.endMs) }),
      // The examples' `Time` matches the run time in ms (2630 for 7:43:23–7:43:25); until the end, time so far.
      Time: (span.endMs ?? at) - span.startMs,
    });
    each(
      execution.timeline,
      null,
      (index) => `${execution.id}/-/${index}`,
      (status, span, at) => ({
        at,
        detailType: SSM_NATIVE_DETAIL_TYPES.execution,
        resources,
        detail: {
          ...common,
          Status: status,
          ...times(span, at),
          ExecutedBy: `arn:aws:iam::${account}:user/step-watch-sandbox`,
        },
      }),
    );
    for (const step of execution.steps) {
      each(
        step.timeline,
        initialStepStatus(step),
        (index) => `${execution.id}/${step.id}/${index}`,
        (status, span, at) => ({
          at,
          detailType: SSM_NATIVE_DETAIL_TYPES.step,
          resources,
          detail: {
            ...common,
            Status: status,
            ...times(span, at),
            StepName: step.name,
            Action: step.action,
          },
        }),
      );
    }
  }
  return changes;
}

/** One delivery of a change's event, planned. */
interface PlannedCopy extends NativeEvent {
  /** Change key and copy number: each copy is taken once. */
  readonly takenKey: string;
}

/** A uniform draw in [0, 1) from the seed and a name: the same inputs always give the same number. */
function draw(seed: number, name: string): number {
  return createHash('sha256').update(`${seed}/${name}`).digest().readUInt32BE(0) / 0x1_0000_0000;
}

/**
 * The native events of one simulator: which changes produce events, when each copy is delivered, and
 * which copies were already taken. Pull-based, so it follows the simulator's (virtual) clock.
 */
export class NativeEventFeed {
  private readonly options: ResolvedNativeEventOptions;
  private readonly taken = new Set<string>();
  /** The copies of each change of the last scenario seen, with their draws made. */
  private planned: { scenario: Scenario; copies: PlannedCopy[] } | undefined;

  /** @throws {@link SandboxError} for bad options */
  public constructor(options: NativeEventOptions = {}) {
    this.options = resolveNativeEventOptions(options);
  }

  /** The options in force, every field filled in. */
  public get settings(): ResolvedNativeEventOptions {
    return this.options;
  }

  /**
   * The events of `scenario` delivered by `now` and not taken before, in delivery order; each copy is
   * returned once, lost events never.
   *
   * @param toMs - maps scenario seconds to epoch ms
   * @param initialStepStatus - a step's status before its first timeline entry
   */
  public take(
    scenario: Scenario,
    toMs: (at: number) => number,
    now: number,
    initialStepStatus: (step: Scenario['executions'][number]['steps'][number]) => string | null,
  ): NativeEvent[] {
    if (this.planned?.scenario !== scenario) {
      this.planned = {
        scenario,
        copies: this.plan(changesOf(scenario, toMs, this.options, initialStepStatus)),
      };
    }
    const due: NativeEvent[] = [];
    for (const copy of this.planned.copies) {
      if (copy.deliverAt > now || this.taken.has(copy.takenKey)) continue;
      this.taken.add(copy.takenKey);
      due.push({ changedAt: copy.changedAt, deliverAt: copy.deliverAt, event: structuredClone(copy.event) });
    }
    return due.sort((a, b) => a.deliverAt - b.deliverAt || a.changedAt - b.changedAt);
  }

  /** Draws, per change, whether it is lost, whether it is duplicated, and the delay of each copy. */
  private plan(changes: readonly NativeChange[]): PlannedCopy[] {
    const { account, region, seed, lossRate, duplicateRate } = this.options;
    const [minDelay, maxDelay] = this.options.delaySeconds;
    const delayMs = (name: string): number =>
      Math.round((minDelay + draw(seed, name) * (maxDelay - minDelay)) * 1000);
    const copies: PlannedCopy[] = [];
    for (const change of changes) {
      if (draw(seed, `${change.key}/lost`) < lossRate) continue;
      const count = draw(seed, `${change.key}/duplicate`) < duplicateRate ? 2 : 1;
      const id = idFromSeed(`native/${seed}/${change.key}`);
      const delivered = Array.from(
        { length: count },
        (_, copy) => change.at + delayMs(`${change.key}/delay/${copy}`),
      );
      // EventBridge's `time` (to the second) is when SSM put the event, the same on every copy; the
      // documented examples show it a few seconds after the change.
      const time = new Date(Math.floor(Math.min(...delivered) / 1000) * 1000)
        .toISOString()
        .replace('.000Z', 'Z');
      delivered.forEach((deliverAt, copy) => {
        copies.push({
          takenKey: `${change.key}#${copy}`,
          changedAt: change.at,
          deliverAt,
          event: {
            version: '0',
            id,
            'detail-type': change.detailType,
            source: 'aws.ssm',
            account,
            time,
            region,
            resources: [...change.resources],
            detail: change.detail,
          },
        });
      });
    }
    return copies;
  }
}
