// The dispatcher Lambda: lists the shards (an Organization's accounts x regions, or a static list) and queues one work item each.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { DynamoFanOutStore, listingOf } from '../adapters/dynamodb/fan-out-store';
import type { AccountList } from '../adapters/dynamodb/items';
import { OrganizationsAccountSource } from '../adapters/organizations';
import { SqsWorkQueue } from '../adapters/work-queue';
import { ConfigError, ServiceError, StepWatchError } from '../core/errors';
import { type OrganizationScope, type ShardTarget, shardsOf } from '../core/organization';
import type { AccountSource, CycleLogger } from '../core/ports';
import { type StalenessReport, stalenessReport } from '../core/work-items';
import { type DispatcherConfig, readDispatcherConfig } from '../runtime/config';
import { recordDispatchMetrics } from '../runtime/fan-out-metrics';
import { cycleLoggerOf, startInvocation } from '../runtime/powertools';
import { ownShard, shardKey } from '../runtime/shard';
import { shardsOfList } from '../runtime/shard-list';

/** SDK clients to use instead of the ones the dispatcher builds. */
export interface DispatcherClients {
  readonly sqs?: SQSClient;
  readonly dynamodb?: DynamoDBClient;
  readonly organizations?: OrganizationsClient;
}

/** Options of {@link createDispatcher}. */
export interface DispatcherOptions {
  /**
   * The environment the configuration (read once, on the first invocation) comes from: `TABLE_NAME`,
   * `WORK_QUEUE_URL`, `ORGANIZATION` (JSON scope) or `SHARDS` (JSON list; or `SHARDS_FILE`, a file of
   * the bundle holding it), `ACCOUNT_CACHE_SECONDS`,
   * `POLL_PERIOD_SECONDS`, `POWERTOOLS_*`.
   * @default the function's environment variables
   */
  readonly env?: NodeJS.ProcessEnv;
  /** @default clients built on the first invocation */
  readonly clients?: DispatcherClients;
  /** Current time, epoch ms (virtual time in tests). @default Date.now */
  readonly now?: () => number;
}

/** Where one run's account list came from. */
export type AccountsFrom = 'static' | 'cache' | 'organizations' | 'stale cache';

/** What one dispatcher run returns (and logs). */
export interface DispatchResult {
  readonly shards: number;
  readonly sent: number;
  readonly unsent: number;
  readonly accountsFrom: AccountsFrom;
  /** Null when the poller states could not be read this run. */
  readonly staleness: StalenessReport | null;
}

/** The dispatcher's handler; the schedule's input is ignored. */
export type DispatchHandler = (event: unknown, context: Context) => Promise<DispatchResult>;

/** How long a cached account list stays in the table past its freshness, as a fallback. */
const ACCOUNT_LIST_TTL_EXTRA_SECONDS = 86_400;
/** How many of the stalest shards each run logs. */
const WORST_SHARDS_LOGGED = 10;

/**
 * Builds the dispatcher. Each run lists the shards — an Organization's ACTIVE accounts in scope times
 * its regions (the account list cached in the table for `ACCOUNT_CACHE_SECONDS`, so joins and leaves
 * show within that time without a redeploy), or the static `SHARDS` — and sends one work item per shard
 * to the work queue; items SQS refuses twice are logged and counted, never dropped silently. It then
 * reads every shard's poller state and reports the stalest shards.
 *
 * @example
 * const dispatch = createDispatcher({ env: { TABLE_NAME: 't', WORK_QUEUE_URL: url, SHARDS: '[{}]' }, clients });
 * const { sent } = await dispatch({}, context);
 */
export function createDispatcher(options: DispatcherOptions = {}): DispatchHandler {
  const now = options.now ?? Date.now;
  let config: DispatcherConfig | undefined;
  let wiring: { store: DynamoFanOutStore; queue: SqsWorkQueue; accounts: AccountSource } | undefined;
  /** The management account this instance last said it skips (logged once, not every run). */
  let skippedManagement: string | undefined;

  return async (_event, context) => {
    const { logger, metrics } = startInvocation(context, options.env);
    try {
      config ??= readDispatcherConfig(options.env);
      const cfg = config;
      wiring ??= {
        store: new DynamoFanOutStore({
          tableName: cfg.tableName,
          client: options.clients?.dynamodb ?? new DynamoDBClient({}),
          onCorruptItem: (key, reason) =>
            logger.warn('ignored a corrupt item in the table', { ...key, reason }),
        }),
        queue: new SqsWorkQueue({
          queueUrl: cfg.workQueueUrl,
          client: options.clients?.sqs ?? new SQSClient({}),
        }),
        accounts: new OrganizationsAccountSource(
          options.clients?.organizations ? { client: options.clients.organizations } : {},
        ),
      };
      const { store, queue, accounts } = wiring;
      const own = ownShard(context, options.env);
      const started = now();

      let shards: ShardTarget[];
      let accountsFrom: AccountsFrom = 'static';
      if (cfg.scope === null) {
        shards = shardsOfList(cfg.shards, own);
      } else {
        const listed = await accountList(cfg, cfg.scope, store, accounts, started, cycleLoggerOf(logger));
        accountsFrom = listed.from;
        // Service-managed StackSets never deploy to the management account, so from a delegated
        // administrator it has no member role to assume; the home account is read without one.
        const management = listed.list.managementAccount;
        const skip = management !== undefined && management !== own.account ? management : undefined;
        if (skip !== undefined && skip !== skippedManagement) {
          logger.info(
            'not polling the management account: service-managed StackSets put no member role there',
            {
              managementAccount: skip,
            },
          );
        }
        skippedManagement = skip;
        shards = shardsOf(
          listed.list.accounts.filter((account) => account.id !== skip),
          cfg.scope,
          {
            homeAccount: own.account,
            partition: own.partition,
          },
        );
      }

      const { sent, unsent } = await queue.sendAll(shards.map((shard) => ({ shard, dispatchedAt: started })));
      if (unsent.length > 0) {
        logger.error('work items not sent', {
          unsent: unsent.map((u) => ({
            shard: shardKey(u.item.shard),
            errorCode: u.errorCode,
            errorMessage: u.errorMessage,
          })),
        });
      }

      let staleness: StalenessReport | null = null;
      try {
        const times = await store.lastCompleteTimes(shards.map(shardKey));
        staleness = stalenessReport(times, now(), cfg.pollPeriodSeconds, WORST_SHARDS_LOGGED);
      } catch (error) {
        // Staleness is a report; failing to read it must not undo the dispatch.
        logger.warn('could not read the shards poller states', { error: String(error) });
      }
      const result: DispatchResult = {
        shards: shards.length,
        sent,
        unsent: unsent.length,
        accountsFrom,
        staleness,
      };
      recordDispatchMetrics(metrics, { shards: shards.length, sent, unsent: unsent.length, staleness });
      logger.info('dispatched', {
        shards: shards.length,
        sent,
        unsent: unsent.length,
        accountsFrom,
        ...(staleness && {
          stalenessMaxSeconds: staleness.maxSeconds,
          staleShards: staleness.staleShards,
          worstShards: staleness.worst.map((w) => ({ shard: w.shard, stalenessSeconds: w.stalenessSeconds })),
        }),
      });
      return result;
    } catch (error) {
      if (error instanceof ConfigError) logger.error('invalid configuration', { error: error.message });
      else if (error instanceof StepWatchError)
        logger.error('dispatch failed', { error: error.message, cause: String(error.cause ?? '') });
      else logger.error('dispatch failed unexpectedly', error as Error);
      throw error instanceof StepWatchError ? error : new ServiceError('Dispatch failed.', { cause: error });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

/** Queues one poll cycle per shard on the work queue, configured by its environment variables. */
export const dispatcher: DispatchHandler = createDispatcher();

/**
 * The account list: the cached one while fresh; else listed from Organizations and cached. When
 * Organizations fails, a cached list past its freshness still serves (logged) rather than no dispatch.
 */
async function accountList(
  config: DispatcherConfig,
  scope: OrganizationScope,
  store: DynamoFanOutStore,
  source: AccountSource,
  now: number,
  logger: CycleLogger,
): Promise<{ list: AccountList; from: AccountsFrom }> {
  const listing = listingOf(scope);
  const cached = await store.loadAccounts(listing);
  if (cached !== null && now - Date.parse(cached.listedAt) < config.accountCacheSeconds * 1000) {
    return { list: cached, from: 'cache' };
  }
  let accounts: Awaited<ReturnType<AccountSource['listAccounts']>>;
  try {
    accounts = await source.listAccounts(scope);
  } catch (error) {
    if (cached === null) throw error;
    logger.warn('listing the accounts failed; using the cached list', {
      listedAt: cached.listedAt,
      error: error instanceof Error ? error.message : String(error),
    });
    return { list: cached, from: 'stale cache' };
  }
  let managementAccount: string | undefined;
  try {
    managementAccount = await source.managementAccount();
  } catch (error) {
    // Without it every account is dispatched, the management account's items failing their AssumeRole.
    logger.warn('could not read the management account; listing it like the others', {
      error: error instanceof Error ? error.message : String(error),
    });
  }
  const list: AccountList = {
    accounts,
    listedAt: new Date(now).toISOString(),
    ...(managementAccount !== undefined && { managementAccount }),
  };
  await store.saveAccounts(
    listing,
    list,
    Math.floor(now / 1000) + config.accountCacheSeconds + ACCOUNT_LIST_TTL_EXTRA_SECONDS,
  );
  return { list, from: 'organizations' };
}
