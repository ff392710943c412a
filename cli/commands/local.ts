// `step-watch local`: the sandbox and the real poller on a short schedule, printing each event emitted.

import {
  DEFAULT_EVENT_SOURCE,
  DEFAULT_HISTORY_RETENTION_DAYS,
  DEFAULT_MAX_ENTRY_BYTES,
} from '../../lambda/core/defaults';
import { UnreadableDetailError } from '../../lambda/core/errors';
import { type EventDetail, parseEventDetail } from '../../lambda/core/events';
import { DETAIL_TYPES } from '../../lambda/core/types';
import { runPollCycle } from '../../lambda/poll-cycle';
import { createPoller } from '../../lambda/poller';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import {
  LOCAL_ACCOUNT,
  LOCAL_BUS,
  LOCAL_DATA_DIR,
  LOCAL_REGION,
  startLocalStack,
} from '../../sandbox/local-stack';
import { demoScenarioPath, loadScenarioFile, scenarioEnd } from '../../sandbox/scenario';
import { parseFlags } from '../args';
import { UsageError } from '../errors';

const HELP = `Usage: step-watch local [--scenario <file>] [--json] [--fresh] [--interval <seconds>]

Starts the embedded local stack (SSM simulator, EventBridge recorder, DynamoDB), runs the real
poller every --interval seconds (default 1) while the scenario unfolds, prints every event that
reaches the bus, and exits 0 when the scenario is done. DynamoDB data is kept in .local/dynamodb
so 'step-watch history --local' can read the last run; --fresh starts empty.`;

/** Runs `step-watch local`. */
export async function localCommand(args: string[]): Promise<void> {
  const { values } = parseFlags('local', args, {
    scenario: { type: 'string' },
    json: { type: 'boolean' },
    fresh: { type: 'boolean' },
    interval: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const intervalMs = Number(values.interval ?? '1') * 1000;
  if (!Number.isFinite(intervalMs) || intervalMs < 100 || intervalMs > 60_000) {
    throw new UsageError(`local: --interval must be between 0.1 and 60 seconds, got "${values.interval}".`);
  }
  const scenario = await loadScenarioFile(values.scenario ?? demoScenarioPath());
  const stack = await startLocalStack({ scenario, dataDir: LOCAL_DATA_DIR, fresh: values.fresh ?? false });
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
    const started = Date.now();
    const endsAt = started + scenarioEnd(scenario) * 1000;
    process.stderr.write(
      `step-watch local: scenario "${scenario.name}" (${scenario.executions.length} executions, ${Math.ceil(scenarioEnd(scenario))} s), polling every ${intervalMs / 1000} s\n`,
    );
    let printed = 0;
    let cycles = 0;
    let pending = 0;
    // One more cycle after the scenario ends picks up the final transitions.
    for (let done = false; !done; ) {
      done = Date.now() > endsAt;
      const summary = await runPollCycle(poller.deps, poller.options);
      cycles++;
      pending = summary.eventsPending;
      const events = stack.recorder.events();
      for (const event of events.slice(printed)) {
        process.stdout.write(`${values.json ? JSON.stringify(toEnvelope(event)) : describeEvent(event)}\n`);
      }
      printed = events.length;
      if (!done) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    process.stderr.write(
      `step-watch local: done: ${printed} events from ${cycles} cycles; ${pending} pending; API calls ${JSON.stringify(poller.calls.toJSON())}\n` +
        `  audit it: npx step-watch history --local <executionId>\n`,
    );
  } finally {
    process.off('SIGINT', stop);
    await stack.stop();
  }
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

/** One readable line per event. */
export function describeEvent(event: RecordedEvent): string {
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
