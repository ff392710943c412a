// Defaults and limits shared by the Lambda's configuration, its adapters, the CDK construct, the CLI and the sandbox.

/** Default `source` of emitted events; must not start with `aws.`. */
export const DEFAULT_EVENT_SOURCE = 'ssm-step-watch';

/** Default Powertools service name (`POWERTOOLS_SERVICE_NAME`), the `service` dimension of the metrics. */
export const DEFAULT_SERVICE_NAME = 'ssm-step-watch';

/** Days transition records and finished executions are kept in the table (`HISTORY_RETENTION_DAYS`). */
export const DEFAULT_HISTORY_RETENTION_DAYS = 365;

/** Size limit of one PutEvents entry (`MAX_ENTRY_BYTES`): EventBridge's classic limit, 256 KB. */
export const DEFAULT_MAX_ENTRY_BYTES = 262_144;

/** The smallest `MAX_ENTRY_BYTES` the handler and the construct accept. */
export const MIN_ENTRY_BYTES = 4096;

/** SSM Describe calls a second the poller allows itself (`SSM_DESCRIBE_TPS`), below SSM's quota of about 3. */
export const DEFAULT_SSM_DESCRIBE_TPS = 2;

/** Name of the read-only role the poller assumes in each member account of an Organization. */
export const DEFAULT_MEMBER_ROLE_NAME = 'ssm-step-watch-reader';

/** Seconds the dispatcher keeps the Organization's account list in the table (`ACCOUNT_CACHE_SECONDS`). */
export const DEFAULT_ACCOUNT_CACHE_SECONDS = 300;

/** Seconds between two scheduled poll cycles of a shard (`POLL_PERIOD_SECONDS`): the schedule's rate. */
export const DEFAULT_POLL_PERIOD_SECONDS = 60;
