// The flags that say which table, bus, shard and pace a poller works with, shared by `poll` and `backfill`.
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  DEFAULT_EVENT_SOURCE,
  DEFAULT_HISTORY_RETENTION_DAYS,
  DEFAULT_MAX_ENTRY_BYTES,
  DEFAULT_SSM_DESCRIBE_TPS,
} from '../lambda/core/defaults';
import { type PollerConfig, validateEventSource } from '../lambda/runtime/config';
import type { PollerClients, ShardTarget } from '../lambda/runtime/poller';
import { requireFlag } from './args';
import {
  AWS_FLAGS,
  awsTargetOf,
  clientConfigOf,
  pollerClientsOf,
  resolveRegion,
  watched,
} from './aws-clients';
import { UsageError } from './errors';

/** The poller flags, in `parseFlags`' shape: spread them into a command's own. */
export const POLLER_FLAGS = {
  table: { type: 'string' },
  bus: { type: 'string' },
  source: { type: 'string' },
  account: { type: 'string' },
  ...AWS_FLAGS,
  tps: { type: 'string' },
  'max-entry-bytes': { type: 'string' },
} as const;

/** The poller flags' lines of a command's help. */
export const POLLER_FLAGS_HELP = `  --table <name>         DynamoDB table (create it with 'step-watch table create')
  --bus <name>           EventBridge bus name or ARN
  --source <s>           event source (default ${DEFAULT_EVENT_SOURCE}; must not start with 'aws.')
  --account <id>         account in events and ARNs (default: STS, or 000000000000 on local endpoints)
  --region <r>           region to poll, and of the table and bus (default: AWS_REGION, or the profile's)
  --profile <name>       named profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE)
  --tps <n>              Describe calls per second (default ${DEFAULT_SSM_DESCRIBE_TPS})
  --max-entry-bytes <n>  PutEvents entry size limit (default ${DEFAULT_MAX_ENTRY_BYTES})`;

/** The endpoint variables line of a command's help. */
export const ENDPOINTS_HELP =
  'Endpoints: AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_EVENTBRIDGE.';

/** The values of {@link POLLER_FLAGS} as `parseFlags` returns them. */
export type PollerFlagValues = { readonly [K in keyof typeof POLLER_FLAGS]?: string };

/** What the poller flags resolve to: the poller's configuration, the shard it reads, the clients it calls. */
export interface PollerSetup {
  readonly config: PollerConfig;
  readonly target: ShardTarget;
  /** Clients on the flags' region and profile, tagging each failed call with where it went. */
  readonly clients: PollerClients;
}

/**
 * Validates the poller flags and resolves what they leave out: the region from the SDK (AWS_REGION, the
 * profile's), the account from `AWS_ACCOUNT_ID`, STS, or `000000000000` on local endpoints. Problems
 * are a UsageError naming `command`.
 *
 * @example
 * const { config, target, clients } = await pollerSetupOf('poll', values);
 * const poller = createPoller(config, target, { homeRegion: target.region, clients });
 */
export async function pollerSetupOf(command: string, values: PollerFlagValues): Promise<PollerSetup> {
  const source = values.source ?? DEFAULT_EVENT_SOURCE;
  const sourceProblem = validateEventSource(source);
  if (sourceProblem) throw new UsageError(`${command}: --source ${sourceProblem}.`);
  const config: PollerConfig = {
    tableName: requireFlag(command, 'table', values.table),
    eventBusName: requireFlag(command, 'bus', values.bus),
    eventSource: source,
    historyRetentionDays: DEFAULT_HISTORY_RETENTION_DAYS,
    maxEntryBytes: positiveFlag(
      command,
      'max-entry-bytes',
      values['max-entry-bytes'],
      DEFAULT_MAX_ENTRY_BYTES,
    ),
    ssmDescribeTps: positiveFlag(command, 'tps', values.tps, DEFAULT_SSM_DESCRIBE_TPS),
  };
  const aws = awsTargetOf(command, values);
  const region = aws.region ?? (await resolveRegion(command, aws));
  const target = { ...aws, region };
  const account = values.account ?? (await resolveAccount(target));
  if (!/^\d{12}$/.test(account))
    throw new UsageError(`${command}: --account must be 12 digits, got "${account}".`);
  return { config, target: { account, region }, clients: pollerClientsOf(target) };
}

/** A positive number flag, `fallback` when absent, or a UsageError naming it. */
export function positiveFlag(
  command: string,
  name: string,
  raw: string | undefined,
  fallback: number,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`${command}: --${name} must be a positive number, got "${raw}".`);
  return value;
}

async function resolveAccount(aws: { readonly region: string; readonly profile?: string }): Promise<string> {
  if (process.env.AWS_ACCOUNT_ID) return process.env.AWS_ACCOUNT_ID;
  // On local endpoints there is usually no STS; the account only labels events and ARNs there.
  const local = process.env.AWS_ENDPOINT_URL_SSM && !process.env.AWS_ENDPOINT_URL_STS;
  if (local) return '000000000000';
  const sts = watched(new STSClient({ ...clientConfigOf(aws), maxAttempts: 2 }), 'STS');
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  return identity.Account ?? '000000000000';
}
