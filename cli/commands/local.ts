// `step-watch local`: the sandbox and the real poller on a short schedule, printing each event emitted.

import { DynamoHistoryReader } from '../../lambda/adapters/dynamodb/history-reader';
import {
  DEFAULT_EVENT_SOURCE,
  DEFAULT_HISTORY_RETENTION_DAYS,
  DEFAULT_MAX_ENTRY_BYTES,
} from '../../lambda/core/defaults';
import { UnreadableDetailError } from '../../lambda/core/errors';
import { type EventDetail, parseEventDetail } from '../../lambda/core/events';
import { DEFAULT_DIGEST_INTERVAL_SECONDS } from '../../lambda/core/notifications/digest';
import { FAILURE_STATUSES } from '../../lambda/core/status';
import { DETAIL_TYPES } from '../../lambda/core/types';
import { runPollCycle } from '../../lambda/cycle/poll-cycle';
import { createPoller } from '../../lambda/runtime/poller';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import {
  createLocalHintPump,
  LOCAL_ACCOUNT,
  LOCAL_BUS,
  LOCAL_DATA_DIR,
  LOCAL_REGION,
  startLocalStack,
} from '../../sandbox/local-stack';
import { demoScenarioPath, loadScenarioFile, scenarioEnd } from '../../sandbox/scenario';
import type { GroundTruthEntry } from '../../sandbox/ssm-simulator';
import { parseFlags } from '../args';
import { UsageError } from '../errors';
import { jsonLine } from '../output';
import { terminalSafe } from '../sanitize';
import { localDataDirectory } from '../table-access';
import { formatPreview, previewNotifications } from './notify';

const HELP = `Usage: step-watch local [--scenario <file>] [--json] [--fresh] [--interval <seconds>] [--no-hints]

Starts the embedded local stack (SSM simulator, EventBridge recorder, DynamoDB), runs the real
poller every --interval seconds while the scenario unfolds, prints every event that reaches the
bus with how long after the SSM change it got there, and exits 0 when the scenario is done.
The simulator also sends SSM's own aws.ssm events (0-5 s late); as in AWS they reach the hint
handler through a queue (checked every second, batched over 1 s) and wake a targeted read within
seconds, the schedule staying the guarantee. --no-hints turns that off. --interval defaults to
10 s with hints (the schedule is the backstop, as the one-minute schedule in AWS) and to 1 s
without. DynamoDB data is kept in .local/dynamodb so 'step-watch history --local' can read the
last run (STEP_WATCH_LOCAL_DIR overrides the directory); --fresh starts empty. Text from SSM
(names, failure messages) is printed without control, escape, bidi or zero-width characters;
--json prints it exactly, with those characters as \\u escapes.`;

/** How often the hint queue is looked at. */
const HINT_TICK_MS = 1000;
/** A hint the handler returned for redelivery comes back this much later (short, for a demo). */
const LOCAL_VISIBILITY_TIMEOUT_MS = 5000;

/** Runs `step-watch local`. */
export async function localCommand(args: string[]): Promise<void> {
  const { values } = parseFlags('local', args, {
    scenario: { type: 'string' },
    json: { type: 'boolean' },
    fresh: { type: 'boolean' },
    interval: { type: 'string' },
    'no-hints': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const hints = !values['no-hints'];
  const intervalMs = Number(values.interval ?? (hints ? '10' : '1')) * 1000;
  if (!Number.isFinite(intervalMs) || intervalMs < 100 || intervalMs > 60_000) {
    throw new UsageError(`local: --interval must be between 0.1 and 60 seconds, got "${values.interval}".`);
  }
  const scenario = await loadScenarioFile(values.scenario ?? demoScenarioPath());
  const stack = await startLocalStack({
    scenario,
    dataDir: localDataDirectory(LOCAL_DATA_DIR),
    fresh: values.fresh ?? false,
    ...(hints && { nativeEvents: { delaySeconds: [0, 5] } }),
  });
  const stop = () => void stack.stop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    const poller = createPoller(
      {
        tableName: stack.tableName,
        eventBusName: LOCAL_BUS,
        eventSource: DEFAULT_EVENT_SOURCE,
        historyRetentionDays: DEFAULT_HISTORY_RETENTION_DAYS,
        maxEntryBytes: DEFAULT_MAX_ENTRY_BYTES,
        ssmDescribeTps: 20,
      },
      { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
      { clients: stack.clients },
    );
    if (hints) {
      // The hint handler logs and sends metrics through Powertools, which write JSON to stdout and
      // read only process.env: keep them to errors so the event lines stay readable.
      process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
      process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    }
    // The schedule and the hints run one after the other in this process, so they never overlap
    // and the targeted cycle need not give the schedule way (no SCHEDULE_PERIOD_SECONDS).
    const pump = hints
      ? createLocalHintPump(stack, {
          env: { SSM_DESCRIBE_TPS: '20' },
          queue: { visibilityTimeoutMs: LOCAL_VISIBILITY_TIMEOUT_MS },
        })
      : undefined;
    const started = Date.now();
    const endsAt = started + scenarioEnd(scenario) * 1000;
    process.stderr.write(
      `step-watch local: scenario "${terminalSafe(scenario.name)}" (${scenario.executions.length} executions, ${Math.ceil(scenarioEnd(scenario))} s), polling every ${intervalMs / 1000} s, ${hints ? 'hints on (SSM events 0-5 s late)' : 'hints off'}\n`,
    );
    let printed = 0;
    let cycles = 0;
    let hintBatches = 0;
    let pending = 0;
    const print = (): void => {
      const events = stack.recorder.events();
      const truth = stack.ssm.groundTruth();
      for (const event of events.slice(printed)) {
        process.stdout.write(
          `${values.json ? jsonLine(toEnvelope(event)) : describeEvent(event, sinceChangeMs(event, truth))}\n`,
        );
      }
      printed = events.length;
    };
    // One more scheduled cycle after the scenario ends picks up the final transitions.
    let nextCycle = started;
    for (let done = false; !done; ) {
      if (Date.now() >= nextCycle) {
        done = Date.now() > endsAt;
        const summary = await runPollCycle(poller.deps, poller.options);
        cycles++;
        pending = summary.eventsPending;
        nextCycle += intervalMs;
        print();
        if (done) break;
      }
      if (pump) {
        hintBatches += (await pump.pump()).batches;
        print();
      }
      const wake = Math.min(nextCycle, pump ? Date.now() + HINT_TICK_MS : nextCycle);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wake - Date.now())));
    }
    process.stderr.write(
      `step-watch local: done: ${printed} events from ${cycles} scheduled cycles${pump ? ` and ${hintBatches} hint batches` : ''}; ${pending} pending; API calls of the scheduled cycles ${JSON.stringify(poller.calls.toJSON())}\n` +
        `  audit it: npx step-watch history --local <executionId>\n`,
    );
    await printNotificationPreview(stack, values.json === true);
  } finally {
    process.off('SIGINT', stop);
    await stack.stop();
  }
}

/**
 * How long after the SSM change it tells the event reached the bus, in ms: from the latest
 * ground-truth change of the same step, execution or alarm to the same status, at or before the
 * event's arrival. Undefined when none matches.
 */
export function sinceChangeMs(event: RecordedEvent, truth: readonly GroundTruthEntry[]): number | undefined {
  const d = event.detail as {
    executionId?: string;
    executionStatus?: string;
    step?: { stepExecutionId?: string; status?: string } | null;
    alarm?: { name?: string; state?: string } | null;
  };
  const matches = (entry: GroundTruthEntry): boolean => {
    if (entry.executionId !== d.executionId || entry.at > event.receivedAt) return false;
    switch (event.detailType) {
      case DETAIL_TYPES.step:
        return (
          entry.kind === 'step' &&
          entry.stepExecutionId === d.step?.stepExecutionId &&
          entry.status === d.step?.status
        );
      case DETAIL_TYPES.execution:
        return entry.kind === 'execution' && entry.status === d.executionStatus;
      case DETAIL_TYPES.alarm:
        return (
          entry.kind === 'alarm' &&
          entry.alarmName === d.alarm?.name &&
          entry.alarmState === d.alarm?.state &&
          (entry.stepExecutionId ?? null) === (d.step?.stepExecutionId ?? null)
        );
      default:
        return false;
    }
  };
  const change = truth.filter(matches).at(-1);
  return change === undefined ? undefined : event.receivedAt - change.at;
}

/** The event as EventBridge delivers it to a target. */
function toEnvelope(event: RecordedEvent): Record<string, unknown> {
  return {
    id: event.eventId,
    'detail-type': event.detailType,
    source: event.source,
    account: LOCAL_ACCOUNT,
    time: event.time,
    region: LOCAL_REGION,
    resources: event.resources,
    detail: event.detail,
  };
}

/**
 * One readable line per event; with `sinceChangeMs`, it ends with how long after the SSM change the
 * event reached the bus, e.g. `+2.3s`. Names, statuses and failure messages come from SSM: the line
 * is made {@link terminalSafe} (no control, escape, bidi or zero-width character; a multi-line
 * failure message stays on the one line).
 */
export function describeEvent(event: RecordedEvent, sinceChangeMs?: number): string {
  const line = terminalSafe(eventLine(event));
  return sinceChangeMs === undefined ? line : `${line}  +${(sinceChangeMs / 1000).toFixed(1)}s`;
}

function eventLine(event: RecordedEvent): string {
  let d: EventDetail;
  try {
    d = parseEventDetail(event.detailRaw);
  } catch (error) {
    if (!(error instanceof UnreadableDetailError)) throw error;
    return `${event.time.slice(11, 19)}  ${event.detailType}  (${error.message})`;
  }
  const time = (d.observedAt || event.time).slice(11, 19);
  const run = `${d.documentName || '?'} ${d.executionId}${d.parentExecutionId ? ` (child of ${d.parentExecutionId})` : ''}`;
  const arrow = (from: string | null | undefined, to: string | undefined) => `${from ?? '∅'} → ${to ?? '?'}`;
  switch (event.detailType) {
    case DETAIL_TYPES.step: {
      const failure = d.step?.failureMessage ? `  "${d.step.failureMessage}"` : '';
      return `${time}  step       ${run}  ${d.step?.stepName ?? '?'}: ${arrow(d.step?.previousStatus, d.step?.status)}${failure}`;
    }
    case DETAIL_TYPES.alarm:
      return `${time}  alarm      ${run}  ${d.step ? `${d.step.stepName}: ` : ''}${d.alarm?.name ?? '?'} is ${d.alarm?.state ?? '?'}`;
    case DETAIL_TYPES.execution:
      return `${time}  execution  ${run}  ${arrow(d.previousStatus, d.executionStatus || undefined)}`;
    default:
      return `${time}  ${event.detailType}  ${run}`;
  }
}

/**
 * Ends the demo with the notifications one failed execution of the scenario would send from the
 * deployed stack (a run with child executions when there is one), or, with `--json`, how to see them.
 */
async function printNotificationPreview(
  stack: Awaited<ReturnType<typeof startLocalStack>>,
  json: boolean,
): Promise<void> {
  const ended = stack.recorder
    .events()
    .filter((event) => event.detailType === DETAIL_TYPES.execution)
    .map(
      (event) =>
        event.detail as { executionId?: string; executionStatus?: string; parentExecutionId?: string | null },
    );
  const failed = ended.filter(
    (d) => !d.parentExecutionId && FAILURE_STATUSES.some((status) => status === d.executionStatus),
  );
  const parents = new Set(ended.map((d) => d.parentExecutionId).filter(Boolean));
  const chosen = (failed.find((d) => parents.has(d.executionId)) ?? failed[0])?.executionId;
  if (!chosen) return;
  if (json) {
    process.stderr.write(`  its notifications: npx step-watch notify preview --local ${chosen}\n`);
    return;
  }
  const options = {
    statuses: [...FAILURE_STATUSES],
    digestIntervalMs: DEFAULT_DIGEST_INTERVAL_SECONDS * 1000,
    perChildMessages: false,
  };
  const reader = new DynamoHistoryReader({ tableName: stack.tableName, client: stack.clients.dynamodb });
  const messages = await previewNotifications(reader, chosen, options);
  process.stdout.write(`\n${formatPreview(chosen, messages, options)}`);
  process.stderr.write(`  preview any execution's: npx step-watch notify preview --local <executionId>\n`);
}
