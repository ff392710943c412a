// One factory for the StepWatch's bundled functions (poller, dispatcher, hint reader) and what they share: runtime, esbuild settings, environment, the shard list.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { StepWatchPackageError } from './errors';
import { lockFileAbove, moduleTreeRoot, prebuiltAssetDirectory } from './package-files';
import type { ResolvedStepWatchProps } from './resolved-props';

/**
 * Above this many characters the shard list leaves the environment (Lambda allows 4 KB for all
 * variables) for a file in the bundle, named by `SHARDS_FILE` relative to the function's directory.
 */
const SHARDS_ENV_MAX_CHARS = 2048;
/** The shard list's file in the dispatcher's and the hint reader's bundles, when it is too long for `SHARDS`. */
export const SHARDS_FILE_NAME = 'shards.json';

/** The runtime of every bundled function; the package build targets the same Node.js version. */
export const BUNDLED_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * esbuild settings of every function's bundle: NodejsFunction's when bundling from sources at synth,
 * and the package build's (scripts/build.ts), which prebuilds the same bundles into the package.
 */
export const BUNDLING = {
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
} satisfies nodejs.BundlingOptions;

/** The entry points in `lambda/handlers/` a StepWatch deploys; the package build prebuilds each. */
export const BUNDLED_HANDLER_FILES = ['poll', 'dispatcher', 'hints', 'notify'] as const;

/** One of {@link BUNDLED_HANDLER_FILES}. */
export type BundledHandlerFile = (typeof BUNDLED_HANDLER_FILES)[number];

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
 * A function running an entry point of `lambda/handlers/`, on the latest Node.js runtime on ARM64, with
 * the SDK versions package-lock.json pins: the installed package's prebuilt bundle (`npm run build`
 * wrote it into `dist/assets/`, so a consumer's synth needs no esbuild, Docker or lock file), or,
 * running from this repository's sources, bundled by esbuild at synth.
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
  const placement = { runtime: BUNDLED_RUNTIME, architecture: lambda.Architecture.ARM_64 };
  const prebuilt = prebuiltAssetDirectory(handlerFile);
  if (prebuilt !== undefined)
    return prebuiltFunction(scope, id, prebuilt, { ...props, ...placement }, commandHooks);
  const root = moduleTreeRoot();
  return new nodejs.NodejsFunction(scope, id, {
    ...props,
    ...placement,
    entry: join(root, 'lambda', 'handlers', `${handlerFile}.ts`),
    projectRoot: root,
    depsLockFilePath: lockFileAbove(root),
    bundling: commandHooks ? { ...BUNDLING, commandHooks } : BUNDLING,
  });
}

/**
 * A function on the package's prebuilt bundle. The shard file the bundling hooks would write is
 * copied beside the bundle into a folder of its own, which the asset staging copies at once.
 */
function prebuiltFunction(
  scope: Construct,
  id: string,
  directory: string,
  props: Omit<nodejs.NodejsFunctionProps, 'code'> & { readonly handler: string },
  commandHooks: nodejs.ICommandHooks | undefined,
): nodejs.NodejsFunction {
  const handler = `index.${props.handler}`;
  if (commandHooks === undefined) {
    return new nodejs.NodejsFunction(scope, id, {
      ...props,
      handler,
      code: lambda.Code.fromAsset(directory),
    });
  }
  if (!(commandHooks instanceof ShardFileHooks)) {
    throw new StepWatchPackageError(
      `${id}: bundling hooks other than the shard file need bundling from sources, and this package's Lambda code is prebuilt.`,
    );
  }
  const staging = mkdtempSync(join(tmpdir(), 'ssm-step-watch-asset-'));
  try {
    cpSync(directory, staging, { recursive: true });
    writeFileSync(join(staging, commandHooks.fileName), commandHooks.content);
    return new nodejs.NodejsFunction(scope, id, { ...props, handler, code: lambda.Code.fromAsset(staging) });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
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
  return {
    environment: { SHARDS_FILE: SHARDS_FILE_NAME },
    commandHooks: new ShardFileHooks(SHARDS_FILE_NAME, json),
  };
}

/**
 * Bundling hooks that write a file (the shard list) into a function's bundle; prebuilt bundles get
 * the same file copied beside them (see {@link bundledFunction}).
 */
export class ShardFileHooks implements nodejs.ICommandHooks {
  /**
   * @param fileName - the file's name in the bundle
   * @param content - what it holds
   */
  constructor(
    readonly fileName: string,
    readonly content: string,
  ) {}

  /** Nothing before bundling. */
  beforeBundling(): string[] {
    return [];
  }

  /** Nothing before installing. */
  beforeInstall(): string[] {
    return [];
  }

  /** Writes the file into the bundle. */
  afterBundling(_inputDir: string, outputDir: string): string[] {
    // Compressed, so that one shell argument (at most 128 KB) carries a thousand shards.
    const packed = gzipSync(this.content).toString('base64');
    const write = `require('node:fs').writeFileSync(process.argv[1], require('node:zlib').gunzipSync(Buffer.from(process.argv[2], 'base64')))`;
    return [`node -e "${write}" "${join(outputDir, this.fileName)}" ${packed}`];
  }
}
