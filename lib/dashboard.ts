// A CloudWatch dashboard of the poller: events by type, failures, alarms, staleness, throttles, function health.
import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FAN_OUT_METRICS } from '../lambda/runtime/fan-out-metrics';
import { HINT_METRICS, METRICS } from '../lambda/runtime/metrics';
import { StepWatchConfigError } from './errors';

/** Props of {@link StepWatchDashboard}. */
export interface StepWatchDashboardProps {
  /** The poller function, for its errors, invocations, duration and throttles. */
  readonly function: IFunction;
  /** CloudWatch namespace the poller writes its metrics to (`POWERTOOLS_METRICS_NAMESPACE`); must not start with `AWS/`. */
  readonly namespace: string;
  /** Powertools service name: the `service` dimension of every poller metric (`POWERTOOLS_SERVICE_NAME`). */
  readonly serviceName: string;
  /**
   * The dead-letter queue of the schedule, shown as messages waiting.
   *
   * @default - no dead-letter widget
   */
  readonly dlq?: IQueue;
  /**
   * The fan-out (organization or several shards): per-shard staleness, the work queue and the worst
   * shards from the poll function's logs.
   *
   * @default - no shard widgets
   */
  readonly fanOut?: StepWatchDashboardFanOut;
  /**
   * The hint path (SSM's own events waking targeted reads): hints received, dropped and malformed,
   * hinted cycles and hand-offs, how long a hint waited to be read, and its queues.
   *
   * @default - no hint widgets
   */
  readonly hints?: StepWatchDashboardHints;
}

/** What the dashboard shows of the hint path. */
export interface StepWatchDashboardHints {
  /** The queue the rule feeds: hints waiting and the age of the oldest. */
  readonly queue: IQueue;
  /** Hints that failed five times or could not be delivered. */
  readonly deadLetterQueue: IQueue;
  /** The hint reader, for its invocations and errors. */
  readonly function: IFunction;
}

/** What the dashboard shows of the fan-out. */
export interface StepWatchDashboardFanOut {
  /** The work queue: messages waiting and the age of the oldest. */
  readonly queue: IQueue;
  /** The work items that failed five times. */
  readonly deadLetterQueue: IQueue;
  /** The poll function's log group: each cycle logs `shard` and `stalenessSeconds`. */
  readonly pollLogGroup: ILogGroup;
}

/** The Logs Insights query of the worst shards: the stalest first, by the cycles' own log lines. */
export const WORST_SHARDS_QUERY = [
  'fields shard, stalenessSeconds',
  'filter ispresent(stalenessSeconds) and ispresent(shard)',
  'stats max(stalenessSeconds) as worstSeconds, avg(stalenessSeconds) as meanSeconds, count(*) as cycles by shard',
  'sort worstSeconds desc',
  'limit 20',
].join(' | ');

/** Aggregation period of every widget. */
const PERIOD = Duration.minutes(5);

/**
 * One CloudWatch dashboard for a StepWatch poller. The poller's own metrics (names in
 * `lambda/runtime/metrics.ts`) are read in `namespace` with the `service` dimension Powertools adds.
 *
 * @example
 * ```ts
 * new StepWatchDashboard(this, 'Dashboard', {
 *   function: watch.function,
 *   namespace: 'SsmStepWatch',
 *   serviceName: 'ssm-step-watch',
 *   dlq: watch.deadLetterQueue,
 * });
 * ```
 */
export class StepWatchDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: StepWatchDashboardProps) {
    super(scope, id);
    validate(props);
    const metric = (metricName: string, statistic: string, label: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: props.namespace,
        metricName,
        dimensionsMap: { service: props.serviceName },
        statistic,
        period: PERIOD,
        label,
      });
    const fn = props.function;
    const sum = cloudwatch.Stats.SUM;
    const max = cloudwatch.Stats.MAXIMUM;
    const graph = (
      title: string,
      left: cloudwatch.IMetric[],
      options: Partial<cloudwatch.GraphWidgetProps> = {},
    ): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({ title, left, width: 12, height: 6, period: PERIOD, ...options });

    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: [
          `# SSM step watch · ${props.serviceName}`,
          'Events the poller emitted, failures and alarms it saw, how far behind it is, and its own health.',
          'Audit one execution with `step-watch history <executionId> --table <table>`; list executions with `step-watch executions`.',
        ].join('\n\n'),
        width: 24,
        height: 3,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'Events emitted by type',
        [
          metric(METRICS.stepEvents, sum, 'Step status'),
          metric(METRICS.executionEvents, sum, 'Execution status'),
          metric(METRICS.alarmEvents, sum, 'Alarm triggered'),
        ],
        { stacked: true, right: [metric(METRICS.eventsEmitted, sum, 'All events (incl. resent)')] },
      ),
      graph('Failures', [metric(METRICS.failureEvents, sum, 'Step failures')], {
        right: [metric(METRICS.skippedRecords, sum, 'Unreadable SSM records skipped')],
      }),
    );
    this.dashboard.addWidgets(
      graph('Alarms triggered', [metric(METRICS.alarmEvents, sum, 'CloudWatch alarms in ALARM')]),
      graph('Staleness', [metric(METRICS.staleness, max, 'Oldest execution staleness (s)')], {
        right: [
          metric(METRICS.eventsPending, max, 'Events waiting in the outbox'),
          metric(METRICS.executionsDeferred, sum, 'Executions deferred to the next cycle'),
        ],
      }),
    );
    this.dashboard.addWidgets(
      graph('Throttles', [metric(METRICS.throttles, sum, 'SSM token-bucket wait (ms)')], {
        right: [
          metric(METRICS.ssmCalls, sum, 'SSM Describe calls'),
          fn.metricThrottles({ period: PERIOD, statistic: sum, label: 'Lambda throttles' }),
        ],
      }),
      graph(
        'Poller function',
        [
          fn.metricInvocations({ period: PERIOD, statistic: sum, label: 'Invocations' }),
          fn.metricErrors({ period: PERIOD, statistic: sum, label: 'Errors' }),
        ],
        {
          right: [
            fn.metricDuration({ period: PERIOD, statistic: cloudwatch.Stats.p(50), label: 'Duration p50' }),
            fn.metricDuration({ period: PERIOD, statistic: max, label: 'Duration max' }),
          ],
          rightYAxis: { label: 'ms', showUnits: false },
        },
      ),
    );
    if (props.fanOut) this.addShardWidgets(props.fanOut, metric, graph);
    if (props.hints) this.addHintWidgets(props.hints, metric, graph);
    if (props.dlq) {
      this.dashboard.addWidgets(
        graph('Dead letters', [
          props.dlq.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            statistic: max,
            label: 'Messages waiting',
          }),
        ]),
      );
    }
  }

  /**
   * The hint path's rows: what became of the hints (read by a hinted cycle, handed to the cycle
   * holding the lease, dropped as another shard's, malformed, returned to the queue), how long a hint
   * waited from the queue to its read, and the queue, its dead letters and the reader's health.
   */
  private addHintWidgets(hints: StepWatchDashboardHints, metric: MetricOf, graph: GraphOf): void {
    const sum = cloudwatch.Stats.SUM;
    const max = cloudwatch.Stats.MAXIMUM;
    this.dashboard.addWidgets(
      graph(
        'Hints',
        [
          metric(HINT_METRICS.hintsReceived, sum, 'Hints received'),
          metric(HINT_METRICS.hintsOtherShard, sum, 'Dropped: other shard'),
          metric(HINT_METRICS.hintsMalformed, sum, 'Malformed (acknowledged)'),
          metric(HINT_METRICS.hintsRedelivered, sum, 'Returned to the queue'),
        ],
        {
          right: [
            metric(HINT_METRICS.hintedCycles, sum, 'Hinted cycles'),
            metric(HINT_METRICS.hintsHandedOff, sum, 'Executions handed to the running cycle'),
            metric(METRICS.inboxExecutions, sum, 'Executions read from the hint inbox'),
          ],
        },
      ),
      graph(
        'Hint to read',
        [
          metric(HINT_METRICS.hintAge, cloudwatch.Stats.p(50), 'Queue to read p50 (s)'),
          metric(HINT_METRICS.hintAge, cloudwatch.Stats.p(99), 'Queue to read p99 (s)'),
          metric(HINT_METRICS.hintAge, max, 'Queue to read max (s)'),
        ],
        { leftYAxis: { label: 's', showUnits: false } },
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Hint queue',
        [
          hints.queue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            statistic: max,
            label: 'Hints waiting',
          }),
          hints.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            statistic: max,
            label: 'Hints dead-lettered (DLQ depth)',
          }),
        ],
        {
          right: [
            hints.queue.metricApproximateAgeOfOldestMessage({
              period: PERIOD,
              statistic: max,
              label: 'Age of oldest hint (s)',
            }),
          ],
        },
      ),
      graph(
        'Hint reader function',
        [
          hints.function.metricInvocations({ period: PERIOD, statistic: sum, label: 'Invocations' }),
          hints.function.metricErrors({ period: PERIOD, statistic: sum, label: 'Errors' }),
        ],
        {
          right: [
            hints.function.metricDuration({
              period: PERIOD,
              statistic: cloudwatch.Stats.p(50),
              label: 'Duration p50',
            }),
            hints.function.metricDuration({ period: PERIOD, statistic: max, label: 'Duration max' }),
          ],
          rightYAxis: { label: 'ms', showUnits: false },
        },
      ),
    );
  }

  /** The fan-out's row: staleness across shards, stale shards, the work queue and the worst shards. */
  private addShardWidgets(fanOut: StepWatchDashboardFanOut, metric: MetricOf, graph: GraphOf): void {
    const max = cloudwatch.Stats.MAXIMUM;
    this.dashboard.addWidgets(
      graph(
        'Shard staleness',
        [
          metric(FAN_OUT_METRICS.shardStaleness, cloudwatch.Stats.p(50), 'Staleness p50 (s)'),
          metric(FAN_OUT_METRICS.shardStaleness, cloudwatch.Stats.p(99), 'Staleness p99 (s)'),
          metric(FAN_OUT_METRICS.shardStaleness, max, 'Staleness max (s)'),
          metric(FAN_OUT_METRICS.shardStalenessMax, max, 'Stalest shard at dispatch (s)'),
        ],
        { right: [metric(FAN_OUT_METRICS.staleShards, max, 'Shards older than two periods')] },
      ),
      graph(
        'Work queue',
        [
          fanOut.queue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            statistic: max,
            label: 'Work items waiting',
          }),
          fanOut.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            statistic: max,
            label: 'Work items dead-lettered',
          }),
        ],
        {
          right: [
            fanOut.queue.metricApproximateAgeOfOldestMessage({
              period: PERIOD,
              statistic: max,
              label: 'Age of oldest work item (s)',
            }),
          ],
        },
      ),
    );
    this.dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: 'Worst shards (stalest first)',
        logGroupNames: [fanOut.pollLogGroup.logGroupName],
        queryString: WORST_SHARDS_QUERY,
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        width: 24,
        height: 6,
      }),
    );
  }
}

type MetricOf = (metricName: string, statistic: string, label: string) => cloudwatch.Metric;
type GraphOf = (
  title: string,
  left: cloudwatch.IMetric[],
  options?: Partial<cloudwatch.GraphWidgetProps>,
) => cloudwatch.GraphWidget;

function validate(props: StepWatchDashboardProps): void {
  const { namespace, serviceName } = props;
  if (!Token.isUnresolved(namespace) && (namespace.trim() === '' || namespace.startsWith('AWS/'))) {
    throw new StepWatchConfigError(
      `namespace must be a non-empty CloudWatch namespace that does not start with 'AWS/'; got '${namespace}'.`,
    );
  }
  if (!Token.isUnresolved(serviceName) && serviceName.trim() === '') {
    throw new StepWatchConfigError(
      "serviceName must be a non-empty string (the poller's service dimension).",
    );
  }
}
