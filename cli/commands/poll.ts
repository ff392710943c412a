// `step-watch poll`: one poll cycle against whatever the AWS SDK resolves, ending with a JSON summary line.
import { ServiceError } from '../../lambda/core/errors';
import { runPollCycle } from '../../lambda/cycle/poll-cycle';
import { createPoller } from '../../lambda/runtime/poller';
import { parseFlags, parseRememberedSince } from '../args';
import { ENDPOINTS_HELP, POLLER_FLAGS, POLLER_FLAGS_HELP, pollerSetupOf } from '../poller-flags';
import { parseTimeLimit, runBudget } from '../time-limit';

const HELP = `Usage: step-watch poll --table <name> --bus <name> [options]

Runs one poll cycle: reads SSM Automation executions and steps, diffs them against the table,
emits events to the bus and prints a one-line JSON summary last.

Options:
${POLLER_FLAGS_HELP}
  --time-limit <s>       end within this many seconds: stop reading in time to publish and save what
                         was read; the next run goes on where this one stopped (default: no limit)
  --since <when>         the first cycle of a shard (no watermark in the table yet) lists executions
                         started since then, a duration like 2h or a date, at most 30 days back
                         (default: 15m); ignored once the shard has been polled. Its events are
                         published: for history without events use backfill

${ENDPOINTS_HELP}`;

/** How long a CLI cycle without a time limit may hold the shard's lease at most. */
const LEASE_MS = 5 * 60_000;

/** Runs `step-watch poll`. */
export async function pollCommand(args: string[]): Promise<void> {
  const start = Date.now();
  const { values } = parseFlags('poll', args, {
    ...POLLER_FLAGS,
    'time-limit': { type: 'string' },
    since: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const limit = parseTimeLimit('poll', values['time-limit']);
  const since = values.since === undefined ? undefined : parseRememberedSince('poll', values.since, start);
  const { config, target, clients } = await pollerSetupOf('poll', values);

  const poller = createPoller(config, target, { homeRegion: target.region, clients });
  // The shard's lease keeps this cycle from overlapping a deployed poller (or another CLI run); if this
  // process dies, the lease lapses after LEASE_MS, or shortly after the time limit.
  const budget = limit === undefined ? undefined : runBudget(start, limit);
  const summary = await runPollCycle(poller.deps, {
    ...poller.options,
    ...(since !== undefined && { initialLookbackSeconds: Math.ceil((start - since.getTime()) / 1000) }),
    ...(budget === undefined
      ? { leaseUntil: Date.now() + LEASE_MS }
      : { deadline: budget.deadline, leaseUntil: budget.leaseUntil }),
  });
  if (summary.leaseHeldElsewhere) {
    throw new ServiceError(
      `poll: another poller holds the lease of shard ${poller.options.shard} (the deployed Lambda, or another poll); try again in a minute.`,
    );
  }
  process.stdout.write(
    `${JSON.stringify({ ...summary, shard: poller.options.shard, apiCalls: poller.calls.toJSON(), skippedRecords: summary.unreadableRecords })}\n`,
  );
}
