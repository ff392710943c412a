// One factory for the StepWatch's bundled functions (poller, dispatcher, hint reader) and what they share: runtime, esbuild settings, environment, the shard list.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Duration, Stack, Token } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import type { ResolvedStepWatchProps } from './resolved-props';

/**
 * Above this many characters the shard list leaves the environment (Lambda allows 4 KB for all
 * variables) for a file in the bundle, named by `SHARDS_FILE` relative to the function's directory.
 */
const SHARDS_ENV_MAX_CHARS = 2048;
/** The shard list's file in the dispatcher's and the hint reader's bundles, when it is too long for `SHARDS`. */
export const SHARDS_FILE_NAME = 'shards.json';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** esbuild settings of every function's bundle. */
const BUNDLING: nodejs.BundlingOptions = {
  format: nodejs.OutputFormat.ESM,
  mainFields: ['module', 'main'],
  // CommonJS dependencies inside an ES module bundle still call require().
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  minify: true,
  // Error classes name themselves from new.target.name; minified names would make logs unreadable.
  keepNames: true,
  sourceMap: true,
  sourcesContent: false,
  // Bundle the SDK versions package-lock.json pins rather than whatever the runtime ships.
  externalModules: [],
};

/** The entry points in `lambda/handlers/` a StepWatch deploys. */
export type BundledHandlerFile = 'poll' | 'dispatcher' | 'hints';

/** Props of {@link bundledFunction}: what differs between the bundled functions. */
export interface BundledFunctionProps {
  /** The entry point's file in `lambda/handlers/`, without `.ts`. */
  readonly handlerFile: BundledHandlerFile;
  /** The entry point's exported handler. */
  readonly handler: string;
  /** The function's description. */
  readonly description: string;
  /** Memory in MB. */
  readonly memorySize: number;
  /** How long one invocation may run. */
  readonly timeout: Duration;
  /** The execution role; the caller writes its policy. */
  readonly role: iam.IRole;
  /** The function's own log group. */
  readonly logGroup: logs.ILogGroup;
  /** Environment variables. */
  readonly environment: Record<string, string>;
  /**
   * Reserved concurrency.
   *
   * @default - none reserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Retries of a failed asynchronous invocation.
   *
   * @default - Lambda's default (2)
   */
  readonly retryAttempts?: number;
  /**
   * Oldest asynchronous invocation still run.
   *
   * @default - Lambda's default (6 hours)
   */
  readonly maxEventAge?: Duration;
  /**
   * Where failed asynchronous invocations go.
   *
   * @default - no dead-letter queue
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Commands around the esbuild run, e.g. writing the shard list into the bundle.
   *
   * @default - none
   */
  readonly commandHooks?: nodejs.ICommandHooks;
}

/**
 * A function bundled by esbuild from `lambda/handlers/`, on the latest Node.js runtime on ARM64, with
 * the SDK versions package-lock.json pins.
 *
 * @example
 * ```ts
 * const fn = bundledFunction(this, 'Function', {
 *   handlerFile: 'poll',
 *   handler: 'handler',
 *   memorySize: 512,
 *   timeout: Duration.seconds(55),
 *   role,
 *   logGroup,
 *   environment,
 * });
 * ```
 */
export function bundledFunction(
  scope: Construct,
  id: string,
  { handlerFile, commandHooks, ...props }: BundledFunctionProps,
): nodejs.NodejsFunction {
  return new nodejs.NodejsFunction(scope, id, {
    ...props,
    entry: join(projectRoot, 'lambda', 'handlers', `${handlerFile}.ts`),
    projectRoot,
    depsLockFilePath: join(projectRoot, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    bundling: commandHooks ? { ...BUNDLING, commandHooks } : BUNDLING,
  });
}

/** The poll function's timeout: it ends before the next tick, within Lambda's 15-minute limit. */
export function pollTimeout(settings: ResolvedStepWatchProps): Duration {
  return Duration.seconds(Math.min(settings.period.toSeconds() - 5, 900));
}

/** What the poll function and the hint reader read: docs/internals.md lists these variables. */
export function pollerEnvironment(
  settings: ResolvedStepWatchProps,
  table: dynamodb.ITable,
  bus: events.IEventBus,
): Record<string, string> {
  return {
    TABLE_NAME: table.tableName,
    EVENT_BUS_NAME: bus.eventBusName,
    EVENT_SOURCE: settings.eventSource,
    HISTORY_RETENTION_DAYS: String(settings.historyRetentionDays),
    MAX_ENTRY_BYTES: String(settings.maxEntryBytes),
    SSM_DESCRIBE_TPS: String(settings.ssmDescribeTps),
    HINTS: settings.hints ? 'on' : 'off',
    POWERTOOLS_SERVICE_NAME: settings.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
    POWERTOOLS_LOG_LEVEL: settings.logLevel,
    NODE_OPTIONS: '--enable-source-maps',
  };
}

/** Where a function finds the shards: its environment, and the bundling hooks that write the shard file. */
export interface ShardSource {
  /** `ORGANIZATION`, `SHARDS` or `SHARDS_FILE`. */
  readonly environment: Record<string, string>;
  /** Writes the shard list into the bundle, when it is too long for `SHARDS`. */
  readonly commandHooks?: nodejs.ICommandHooks;
}

/**
 * Where the dispatcher and the hint reader find the shards: the organization's scope, or the list in
 * `SHARDS`, or, when the list is too long for Lambda's 4 KB of environment, in a file of the bundle
 * named by `SHARDS_FILE`.
 */
export function shardSource(scope: IConstruct, settings: ResolvedStepWatchProps): ShardSource {
  const { organization, shards } = settings;
  const stack = Stack.of(scope);
  if (organization) {
    return {
      environment: {
        ORGANIZATION: stack.toJsonString({
          regions: organization.regions,
          organizationalUnits: organization.organizationalUnits,
          accounts: organization.accounts,
          excludeAccounts: organization.excludeAccounts,
          memberRoleName: organization.memberRoleName,
        }),
      },
    };
  }
  const json = JSON.stringify(shards);
  if (json.length <= SHARDS_ENV_MAX_CHARS || Token.isUnresolved(json)) {
    return { environment: { SHARDS: stack.toJsonString(shards) } };
  }
  // Compressed, so that one shell argument (at most 128 KB) carries a thousand shards.
  const packed = gzipSync(json).toString('base64');
  const write = `require('node:fs').writeFileSync(process.argv[1], require('node:zlib').gunzipSync(Buffer.from(process.argv[2], 'base64')))`;
  return {
    environment: { SHARDS_FILE: SHARDS_FILE_NAME },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir, outputDir) => [
        `node -e "${write}" "${join(outputDir, SHARDS_FILE_NAME)}" ${packed}`,
      ],
    },
  };
}
