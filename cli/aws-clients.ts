// The AWS side of every command that calls AWS: the --region and --profile flags, and the SDK clients they build, which tag each failed call with where it went.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import type { PollerClients } from '../lambda/runtime/poller';
import { type AwsService, attachCallTarget, UsageError } from './errors';

/** The --region and --profile flags, in `parseFlags`' shape: spread them into a command's own. */
export const AWS_FLAGS = {
  region: { type: 'string' },
  profile: { type: 'string' },
} as const;

/** The help lines of {@link AWS_FLAGS}. */
export const AWS_FLAGS_HELP = `  --region <r>           AWS region (default: AWS_REGION, or the profile's region)
  --profile <name>       named profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE)`;

/** Which account and region the SDK talks to: the flags, each unset one left to the SDK's resolution. */
export interface AwsTarget {
  readonly region?: string;
  readonly profile?: string;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * Reads --region and --profile; a malformed region or an empty value is a UsageError naming `command`.
 *
 * @example
 * awsTargetOf('history', { region: 'eu-west-1' }); // { region: 'eu-west-1', profile: undefined }
 */
export function awsTargetOf(
  command: string,
  values: { readonly region?: string; readonly profile?: string },
): AwsTarget {
  const region = values.region?.trim();
  const profile = values.profile?.trim();
  if (region !== undefined && !REGION.test(region)) {
    throw new UsageError(
      `${command}: --region must be an AWS region such as eu-west-1; got "${values.region}".`,
    );
  }
  if (profile === '') throw new UsageError(`${command}: --profile needs a profile name.`);
  return { region, profile };
}

/** The client configuration of a target: only what the flags set, so the SDK resolves the rest. */
export function clientConfigOf(target: AwsTarget): { region?: string; profile?: string } {
  return {
    ...(target.region !== undefined && { region: target.region }),
    ...(target.profile !== undefined && { profile: target.profile }),
  };
}

/**
 * The region the target resolves to (the flag, AWS_REGION, the profile's), or a UsageError saying
 * how to give one.
 */
export async function resolveRegion(command: string, target: AwsTarget): Promise<string> {
  try {
    const region = await new SSMClient(clientConfigOf(target)).config.region();
    if (region) return region;
  } catch {
    // falls through to the message below
  }
  const fromProfile = target.profile === undefined ? '' : `, or give profile "${target.profile}" a region`;
  throw new UsageError(`${command}: no region: pass --region or set AWS_REGION${fromProfile}.`);
}

/** What {@link watched} needs of a client: its middleware stack and its region. */
interface WatchableClient {
  readonly middlewareStack: { add: (middleware: never, options: never) => void };
  readonly config: { readonly region: () => Promise<string>; readonly profile?: string };
}

interface HandlerArgs {
  readonly input: Readonly<Record<string, unknown>>;
  readonly request?: unknown;
}

type Handler = (args: HandlerArgs) => Promise<unknown>;

/** The per-call context the SDK hands each middleware; the endpoint is noted in it for the error. */
type CallContext = { readonly commandName?: string; stepWatchEndpoint?: string };

/**
 * Tags every error a call of `client` throws with where the call went (service, operation, endpoint,
 * region, table, profile), so the CLI's one line can say "the endpoint X did not answer like
 * DynamoDB" or name the table and region. The error itself is thrown on unchanged: adapters that
 * branch on it see the SDK's own error. The tag is outermost (credentials fail before a request is
 * signed); the endpoint is noted once the request is built.
 */
export function watched<C extends WatchableClient>(client: C, service: AwsService): C {
  const tag =
    (next: Handler, context: CallContext): Handler =>
    async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const region = await client.config.region().catch(() => undefined);
        attachCallTarget(error, {
          service,
          operation: (context.commandName ?? '').replace(/Command$/, ''),
          endpoint: context.stepWatchEndpoint,
          region,
          tableName: tableNameOf(args.input),
          profile: client.config.profile,
        });
        throw error;
      }
    };
  const noteEndpoint =
    (next: Handler, context: CallContext): Handler =>
    (args) => {
      context.stepWatchEndpoint = endpointOf(args.request);
      return next(args);
    };
  client.middlewareStack.add(
    tag as never,
    { step: 'initialize', priority: 'high', name: 'stepWatchCallTarget', override: true } as never,
  );
  client.middlewareStack.add(
    noteEndpoint as never,
    { step: 'finalizeRequest', name: 'stepWatchEndpoint', override: true } as never,
  );
  return client;
}

/** The clients a poller run by the CLI uses: the home services and each shard's SSM, all on the target. */
export function pollerClientsOf(target: AwsTarget): PollerClients {
  const config = clientConfigOf(target);
  return {
    dynamodb: watched(new DynamoDBClient(config), 'DynamoDB'),
    eventBridge: watched(new EventBridgeClient(config), 'EventBridge'),
    sts: watched(new STSClient(config), 'STS'),
    ssmFor: (ssmConfig: SSMClientConfig) =>
      watched(
        new SSMClient({ ...ssmConfig, ...(target.profile !== undefined && { profile: target.profile }) }),
        'SSM',
      ),
  };
}

/** `https://dynamodb.eu-west-1.amazonaws.com` from the request the SDK built. */
function endpointOf(request: unknown): string | undefined {
  const { protocol, hostname, port } = (request ?? {}) as {
    protocol?: string;
    hostname?: string;
    port?: number;
  };
  if (hostname === undefined) return undefined;
  return `${protocol ?? 'https:'}//${hostname}${port === undefined ? '' : `:${port}`}`;
}

function tableNameOf(input: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof input.TableName === 'string') return input.TableName;
  const items = input.RequestItems;
  return items !== null && typeof items === 'object' ? Object.keys(items)[0] : undefined;
}
