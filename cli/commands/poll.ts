// `step-watch poll`: one poll cycle against whatever the AWS SDK resolves, ending with a JSON summary line.
import { SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  DEFAULT_EVENT_SOURCE,
  DEFAULT_HISTORY_RETENTION_DAYS,
  DEFAULT_MAX_ENTRY_BYTES,
  DEFAULT_SSM_DESCRIBE_TPS,
} from '../../lambda/core/defaults';
import { ServiceError } from '../../lambda/core/errors';
import { runPollCycle } from '../../lambda/cycle/poll-cycle';
import { type PollerConfig, validateEventSource } from '../../lambda/runtime/config';
import { createPoller } from '../../lambda/runtime/poller';
import { parseFlags, requireFlag } from '../args';
import { UsageError } from '../errors';

const HELP = `Usage: step-watch poll --table <name> --bus <name> [options]

Runs one poll cycle: reads SSM Automation executions and steps, diffs them against the table,
emits events to the bus and prints a one-line JSON summary last.

Options:
  --table <name>         DynamoDB table (create it with 'step-watch table create')
  --bus <name>           EventBridge bus name or ARN
  --source <s>           event source (default ${DEFAULT_EVENT_SOURCE}; must not start with 'aws.')
  --account <id>         account in events and ARNs (default: STS, or 000000000000 on local endpoints)
  --region <r>           region to poll (default: the SDK's region)
  --tps <n>              Describe calls per second (default ${DEFAULT_SSM_DESCRIBE_TPS})
  --max-entry-bytes <n>  PutEvents entry size limit (default ${DEFAULT_MAX_ENTRY_BYTES})

Endpoints: AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_EVENTBRIDGE.`;

/** How long a CLI cycle may hold the shard's lease at most. */
const LEASE_MS = 5 * 60_000;

/** Runs `step-watch poll`. */
export async function pollCommand(args: string[]): Promise<void> {
  const { values } = parseFlags('poll', args, {
    table: { type: 'string' },
    bus: { type: 'string' },
    source: { type: 'string' },
    account: { type: 'string' },
    region: { type: 'string' },
    tps: { type: 'string' },
    'max-entry-bytes': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const source = values.source ?? DEFAULT_EVENT_SOURCE;
  const sourceProblem = validateEventSource(source);
  if (sourceProblem) throw new UsageError(`poll: --source ${sourceProblem}.`);
  const config: PollerConfig = {
    tableName: requireFlag('poll', 'table', values.table),
    eventBusName: requireFlag('poll', 'bus', values.bus),
    eventSource: source,
    historyRetentionDays: DEFAULT_HISTORY_RETENTION_DAYS,
    maxEntryBytes: positiveFlag('max-entry-bytes', values['max-entry-bytes'], DEFAULT_MAX_ENTRY_BYTES),
    ssmDescribeTps: positiveFlag('tps', values.tps, DEFAULT_SSM_DESCRIBE_TPS),
  };
  const region = values.region ?? (await resolveRegion());
  const account = values.account ?? (await resolveAccount(region));
  if (!/^\d{12}$/.test(account)) throw new UsageError(`poll: --account must be 12 digits, got "${account}".`);

  const poller = createPoller(config, { account, region }, { homeRegion: region });
  // The shard's lease keeps this cycle from overlapping a deployed poller (or another CLI run);
  // if this process dies, the lease lapses after LEASE_MS.
  const summary = await runPollCycle(poller.deps, { ...poller.options, leaseUntil: Date.now() + LEASE_MS });
  if (summary.leaseHeldElsewhere) {
    throw new ServiceError(
      `poll: another poller holds the lease of shard ${poller.options.shard} (the deployed Lambda, or another poll); try again in a minute.`,
    );
  }
  process.stdout.write(
    `${JSON.stringify({ ...summary, shard: poller.options.shard, apiCalls: poller.calls.toJSON(), skippedRecords: summary.unreadableRecords })}\n`,
  );
}

function positiveFlag(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`poll: --${name} must be a positive number, got "${raw}".`);
  return value;
}

async function resolveRegion(): Promise<string> {
  try {
    const region = await new SSMClient({}).config.region();
    if (region) return region;
  } catch {
    // falls through to the message below
  }
  throw new UsageError('poll: no region: pass --region or set AWS_REGION.');
}

async function resolveAccount(region: string): Promise<string> {
  if (process.env.AWS_ACCOUNT_ID) return process.env.AWS_ACCOUNT_ID;
  // On local endpoints there is usually no STS; the account only labels events and ARNs there.
  const local = process.env.AWS_ENDPOINT_URL_SSM && !process.env.AWS_ENDPOINT_URL_STS;
  if (local) return '000000000000';
  const identity = await new STSClient({ region, maxAttempts: 2 }).send(new GetCallerIdentityCommand({}));
  return identity.Account ?? '000000000000';
}
