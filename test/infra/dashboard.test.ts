// Template assertions on the StepWatchDashboard: one dashboard whose widgets read the poller's metrics.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAN_OUT_METRICS } from '../../lambda/runtime/fan-out-metrics';
import { HINT_METRICS, METRIC_NAMESPACE, METRICS } from '../../lambda/runtime/metrics';
import { StepWatchDashboard, type StepWatchDashboardProps, WORST_SHARDS_QUERY } from '../../lib/dashboard';
import { StepWatchConfigError } from '../../lib/errors';

interface Widget {
  type: string;
  properties: { title?: string; metrics?: unknown[][]; markdown?: string; query?: string; view?: string };
}

/** The dashboard body with CloudFormation tokens (Fn::Join parts, Refs) written out as JSON, then parsed. */
function bodyOf(template: Template): { widgets: Widget[] } {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = (dashboards[0] as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody;
  const parts = (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return JSON.parse(text) as { widgets: Widget[] };
}

describe('Construct: StepWatchDashboard', () => {
  let outdir: string;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'step-watch-dashboard-'));
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  /** Synthesizes one stack in its own App (an App synthesizes once), its assembly under the temp dir. */
  function synth(
    id: string,
    overrides: Partial<StepWatchDashboardProps> = {},
    withDlq = true,
    withFanOut = false,
    withHints = false,
  ): Template {
    const app = new App({ outdir: join(outdir, id) });
    const stack = new Stack(app, id);
    const fn = new lambda.Function(stack, 'Poller', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({});'),
    });
    new StepWatchDashboard(stack, 'Dashboard', {
      function: fn,
      namespace: METRIC_NAMESPACE,
      serviceName: 'ssm-step-watch',
      ...(withDlq && { dlq: new sqs.Queue(stack, 'Dlq') }),
      ...(withFanOut && {
        fanOut: {
          queue: new sqs.Queue(stack, 'WorkQueue'),
          deadLetterQueue: new sqs.Queue(stack, 'WorkDlq'),
          pollLogGroup: new logs.LogGroup(stack, 'PollLogs'),
        },
      }),
      ...(withHints && {
        hints: {
          queue: new sqs.Queue(stack, 'HintQueue'),
          deadLetterQueue: new sqs.Queue(stack, 'HintDlq'),
          function: new lambda.Function(stack, 'HintReader', {
            runtime: lambda.Runtime.NODEJS_22_X,
            handler: 'index.handler',
            code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
          }),
        },
      }),
      ...overrides,
    });
    return Template.fromStack(stack);
  }

  it('creates one dashboard with the widgets the issue asks for', () => {
    const { widgets } = bodyOf(synth('Titles'));
    expect(widgets.map((w) => w.properties.title).filter(Boolean)).toEqual([
      'Events emitted by type',
      'Failures',
      'Alarms triggered',
      'Staleness',
      'Throttles',
      'Poller function',
      'Dead letters',
    ]);
  });

  it('reads every poller metric in the namespace with the service dimension', () => {
    // Prepare
    const { widgets } = bodyOf(synth('Metrics'));
    const metrics = widgets.flatMap((w) => w.properties.metrics ?? []);
    const own = metrics.filter((m) => m[0] === METRIC_NAMESPACE);

    // Assess
    const expected = [
      METRICS.stepEvents,
      METRICS.executionEvents,
      METRICS.alarmEvents,
      METRICS.eventsEmitted,
      METRICS.failureEvents,
      METRICS.skippedRecords,
      METRICS.staleness,
      METRICS.eventsPending,
      METRICS.executionsDeferred,
      METRICS.throttles,
      METRICS.ssmCalls,
    ];
    expect(new Set(own.map((m) => m[1]))).toEqual(new Set(expected));
    for (const m of own) expect(m.slice(2, 4)).toEqual(['service', 'ssm-step-watch']);
  });

  it("graphs the function's errors, invocations, duration and throttles", () => {
    const { widgets } = bodyOf(synth('Function'));
    const lambdaMetrics = widgets
      .flatMap((w) => w.properties.metrics ?? [])
      .filter((m) => m[0] === 'AWS/Lambda')
      .map((m) => m[1]);
    expect(new Set(lambdaMetrics)).toEqual(new Set(['Errors', 'Invocations', 'Duration', 'Throttles']));
  });

  it('leaves out the dead-letter widget without a queue', () => {
    const { widgets } = bodyOf(synth('NoDlq', {}, false));
    expect(widgets.map((w) => w.properties.title)).not.toContain('Dead letters');
    expect(JSON.stringify(widgets)).not.toContain('AWS/SQS');
  });

  it('adds no shard widget without the fan-out', () => {
    const text = JSON.stringify(bodyOf(synth('NoFanOut')));
    for (const name of Object.values(FAN_OUT_METRICS)) expect(text).not.toContain(name);
    expect(text).not.toContain('"type":"log"');
  });

  it('graphs shard staleness p50, p99 and max, the stalest shard and the stale shards in the fan-out', () => {
    // Prepare
    const { widgets } = bodyOf(synth('FanOut', {}, true, true));
    const staleness = widgets.find((w) => w.properties.title === 'Shard staleness');

    // Assess
    const metrics = (staleness?.properties.metrics ?? []).map((m) => [
      m[1],
      (m.at(-1) as { stat?: string }).stat,
    ]);
    expect(metrics).toEqual([
      ['ShardStalenessSeconds', 'p50'],
      ['ShardStalenessSeconds', 'p99'],
      ['ShardStalenessSeconds', 'Maximum'],
      ['ShardStalenessMaxSeconds', 'Maximum'],
      ['StaleShards', 'Maximum'],
    ]);
    for (const m of staleness?.properties.metrics ?? []) {
      expect(m.slice(0, 4)).toEqual([METRIC_NAMESPACE, m[1], 'service', 'ssm-step-watch']);
    }
  });

  it('graphs the work queue depth, the age of its oldest item and its dead letters', () => {
    const { widgets } = bodyOf(synth('Queue', {}, true, true));
    const queue = widgets.find((w) => w.properties.title === 'Work queue');
    expect(queue?.properties.metrics?.map((m) => [m[0], m[1]])).toEqual([
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
      ['AWS/SQS', 'ApproximateAgeOfOldestMessage'],
    ]);
  });

  it("tables the worst shards from the poll function's logs, stalest first", () => {
    // Prepare
    const { widgets } = bodyOf(synth('Worst', {}, true, true));
    const log = widgets.find((w) => w.type === 'log');

    // Assess
    expect(log?.properties.title).toBe('Worst shards (stalest first)');
    expect(log?.properties.view).toBe('table');
    // The log group's name is a Ref to it, written out as TOKEN by bodyOf.
    expect(log?.properties.query).toBe(`SOURCE 'TOKEN' | ${WORST_SHARDS_QUERY}`);
    expect(WORST_SHARDS_QUERY).toMatch(
      /stats max\(stalenessSeconds\) as worstSeconds.* by shard \| sort worstSeconds desc/,
    );
  });

  it('graphs hints received, dropped, malformed and returned, hinted cycles and hand-offs', () => {
    // Prepare
    const { widgets } = bodyOf(synth('Hints', {}, true, false, true));
    const hints = widgets.find((w) => w.properties.title === 'Hints');

    // Assess
    expect(hints?.properties.metrics?.map((m) => m[1])).toEqual([
      HINT_METRICS.hintsReceived,
      HINT_METRICS.hintsOtherShard,
      HINT_METRICS.hintsMalformed,
      HINT_METRICS.hintsRedelivered,
      HINT_METRICS.hintedCycles,
      HINT_METRICS.hintsHandedOff,
      METRICS.inboxExecutions,
    ]);
    for (const m of hints?.properties.metrics ?? []) {
      expect(m.slice(0, 4)).toEqual([METRIC_NAMESPACE, m[1], 'service', 'ssm-step-watch']);
    }
  });

  it('graphs how long a hint waited from the queue to its read, p50, p99 and max', () => {
    const { widgets } = bodyOf(synth('HintAge', {}, true, false, true));
    const age = widgets.find((w) => w.properties.title === 'Hint to read');
    expect(age?.properties.metrics?.map((m) => [m[1], (m.at(-1) as { stat?: string }).stat])).toEqual([
      [HINT_METRICS.hintAge, 'p50'],
      [HINT_METRICS.hintAge, 'p99'],
      [HINT_METRICS.hintAge, 'Maximum'],
    ]);
  });

  it("graphs the hint queue, its dead-letter queue's depth and the hint reader's health", () => {
    // Prepare
    const { widgets } = bodyOf(synth('HintQueue', {}, true, false, true));
    const queue = widgets.find((w) => w.properties.title === 'Hint queue');
    const reader = widgets.find((w) => w.properties.title === 'Hint reader function');

    // Assess
    expect(queue?.properties.metrics?.map((m) => [m[0], m[1]])).toEqual([
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
      ['AWS/SQS', 'ApproximateAgeOfOldestMessage'],
    ]);
    expect(reader?.properties.metrics?.map((m) => [m[0], m[1]])).toEqual([
      ['AWS/Lambda', 'Invocations'],
      ['AWS/Lambda', 'Errors'],
      ['AWS/Lambda', 'Duration'],
      ['AWS/Lambda', 'Duration'],
    ]);
  });

  it('adds no hint widget without hints', () => {
    const { widgets } = bodyOf(synth('NoHints'));
    const text = JSON.stringify(widgets);
    for (const name of Object.values(HINT_METRICS)) expect(text).not.toContain(name);
    expect(widgets.map((w) => w.properties.title)).not.toContain('Hint queue');
  });

  it('uses the namespace and service it is given', () => {
    const { widgets } = bodyOf(synth('Custom', { namespace: 'Team/Watch', serviceName: 'watch-eu' }));
    const own = widgets.flatMap((w) => w.properties.metrics ?? []).filter((m) => m[0] === 'Team/Watch');
    expect(own.length).toBeGreaterThan(0);
    for (const m of own) expect(m.slice(2, 4)).toEqual(['service', 'watch-eu']);
  });

  it('refuses an AWS/ namespace or an empty service name, naming the prop', () => {
    expect(() => synth('BadNamespace', { namespace: 'AWS/Lambda' })).toThrow(StepWatchConfigError);
    expect(() => synth('BadNamespace2', { namespace: 'AWS/Lambda' })).toThrow(/^namespace must be/);
    expect(() => synth('BadService', { serviceName: ' ' })).toThrow(/^serviceName must be/);
  });
});
