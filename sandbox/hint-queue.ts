// The hint queue of the sandbox: SSM's native events as SQS messages, gathered into Lambda batches as an event source mapping does.
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { SandboxError } from './errors';
import type { NativeEvent } from './native-events';

/** Options of {@link HintQueue}: the queue's and the event source mapping's settings. */
export interface HintQueueOptions {
  /**
   * How long the event source mapping gathers messages before it invokes the function
   * (`MaximumBatchingWindowInSeconds`), ms.
   * @default 1000
   */
  readonly batchingWindowMs?: number;
  /** Most messages one invocation gets (`BatchSize`). @default 10 */
  readonly batchSize?: number;
  /** A message returned as a batch item failure is received again this much later, ms. @default 180000 */
  readonly visibilityTimeoutMs?: number;
  /** Account and region in the queue's ARN. @default '123456789012', 'us-east-1' */
  readonly account?: string;
  readonly region?: string;
}

/** One message of a batch, with when SSM changed what it is about. */
export interface HintMessage {
  readonly messageId: string;
  readonly body: string;
  /** Epoch ms of the SSM change (from the native event). */
  readonly changedAt: number;
  /** Epoch ms at which the message became visible (first delivery, or the end of a retry's timeout). */
  readonly visibleAt: number;
  /** How often it was received before this batch. */
  readonly receives: number;
}

/** A batch handed to the function: the SQS event and the messages it holds. */
export interface HintBatch {
  readonly event: SQSEvent;
  readonly messages: readonly HintMessage[];
}

/**
 * A modelled SQS queue fed by the rule on the default bus, consumed by an event source mapping. A
 * native event becomes a message at its delivery time; a batch is ready once the oldest visible
 * message waited the batching window or `batchSize` messages are visible; failed items come back
 * after the visibility timeout. Pull-based on a given clock, so it runs in real or virtual time.
 *
 * @example
 * ```ts
 * queue.push(sim.takeNativeEvents(now));
 * const batch = queue.take(now);
 * if (batch) queue.settle(batch, await hintHandler(batch.event, context), now);
 * ```
 */
export class HintQueue {
  private readonly batchingWindowMs: number;
  private readonly batchSize: number;
  private readonly visibilityTimeoutMs: number;
  private readonly arn: string;
  private readonly region: string;
  private readonly messages: HintMessage[] = [];
  private sequence = 0;

  /** @throws {@link SandboxError} for a bad option */
  public constructor(options: HintQueueOptions = {}) {
    this.batchingWindowMs = options.batchingWindowMs ?? 1000;
    this.batchSize = options.batchSize ?? 10;
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 180_000;
    this.region = options.region ?? 'us-east-1';
    this.arn = `arn:aws:sqs:${this.region}:${options.account ?? '123456789012'}:step-watch-hints`;
    if (!(this.batchingWindowMs >= 0)) throw new SandboxError('batchingWindowMs must be >= 0.');
    if (!(Number.isInteger(this.batchSize) && this.batchSize >= 1 && this.batchSize <= 10_000)) {
      throw new SandboxError(`batchSize must be an integer from 1 to 10000 (got ${this.batchSize}).`);
    }
    if (!(this.visibilityTimeoutMs >= 0)) throw new SandboxError('visibilityTimeoutMs must be >= 0.');
  }

  /** Messages in the queue, visible or not, not in a batch being handled. */
  public get size(): number {
    return this.messages.length;
  }

  /** Adds native events, each as one message (the whole EventBridge event as its body). */
  public push(events: readonly NativeEvent[]): void {
    for (const native of events)
      this.pushBody(JSON.stringify(native.event), native.deliverAt, native.changedAt);
  }

  /**
   * Adds one message with any body, e.g. one that is not an SSM event at all.
   *
   * @param visibleAt - epoch ms from which it can be received
   * @param changedAt - epoch ms of the change it is about, if any @default visibleAt
   */
  public pushBody(body: string, visibleAt: number, changedAt: number = visibleAt): void {
    this.messages.push({ messageId: `hint-${++this.sequence}`, body, changedAt, visibleAt, receives: 0 });
  }

  /** When the next batch is ready, given the messages visible at `now`; undefined when none is. */
  public readyAt(now: number): number | undefined {
    const visible = this.visible(now);
    const oldest = visible[0];
    if (oldest === undefined) return undefined;
    const full = visible[this.batchSize - 1]?.visibleAt ?? Number.POSITIVE_INFINITY;
    return Math.min(oldest.visibleAt + this.batchingWindowMs, full);
  }

  /**
   * Takes the next batch if one is ready at `now` (see {@link HintQueue.readyAt}): up to `batchSize`
   * of the messages visible by then, oldest first. They are out of the queue until settled.
   */
  public take(now: number): HintBatch | undefined {
    const ready = this.readyAt(now);
    if (ready === undefined || ready > now) return undefined;
    const messages = this.visible(now).slice(0, this.batchSize);
    for (const message of messages) this.messages.splice(this.messages.indexOf(message), 1);
    return { event: { Records: messages.map((m) => this.record(m, now)) }, messages };
  }

  /**
   * Ends a batch: the items the function returned as failures (or every item, for `'failed'`, a
   * function that threw) come back after the visibility timeout from `now`; the rest are deleted.
   *
   * @returns the messages that come back
   */
  public settle(batch: HintBatch, response: SQSBatchResponse | 'failed', now: number): HintMessage[] {
    const failed =
      response === 'failed'
        ? new Set(batch.messages.map((m) => m.messageId))
        : new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    const back = batch.messages
      .filter((m) => failed.has(m.messageId))
      .map((m) => ({ ...m, visibleAt: now + this.visibilityTimeoutMs, receives: m.receives + 1 }));
    this.messages.push(...back);
    return back;
  }

  private visible(now: number): HintMessage[] {
    return this.messages.filter((m) => m.visibleAt <= now).sort((a, b) => a.visibleAt - b.visibleAt);
  }

  private record(message: HintMessage, now: number): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: `${message.messageId}/${message.receives + 1}`,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receives + 1),
        SentTimestamp: String(message.visibleAt),
        SenderId: 'events.amazonaws.com',
        ApproximateFirstReceiveTimestamp: String(now),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: this.region,
    };
  }
}

/**
 * A Lambda `Context` for one invocation of a function with `timeoutMs`, invoked at `invokedAt` on
 * `clock`: `getRemainingTimeInMillis()` follows that clock, so a virtual one works too.
 */
export function lambdaContext(input: {
  readonly functionName: string;
  readonly account: string;
  readonly region: string;
  readonly timeoutMs: number;
  readonly invokedAt: number;
  readonly clock: () => number;
  readonly requestId: string;
}): Context {
  const { functionName, account, region, timeoutMs, invokedAt, clock, requestId } = input;
  const unsupported = (): never => {
    throw new SandboxError('The sandbox Lambda context has no callback methods.');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'sandbox',
    getRemainingTimeInMillis: () => Math.max(0, invokedAt + timeoutMs - clock()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** Options of {@link HintPump}. */
export interface HintPumpOptions {
  /** Where the native events come from (an `SsmSimulator` made with `nativeEvents`). */
  readonly source: { takeNativeEvents(now: number): NativeEvent[] };
  /** The function consuming the queue: the hint handler, or anything with its signature. */
  readonly handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  readonly queue?: HintQueueOptions;
  /** @default Date.now */
  readonly clock?: () => number;
  /** Names the function in its context. @default 'step-watch-hints' */
  readonly functionName?: string;
  readonly account?: string;
  readonly region?: string;
  /** The function's timeout: its context's remaining time starts there. @default 30000 */
  readonly timeoutMs?: number;
}

/** What one {@link HintPump.pump} did. */
export interface PumpResult {
  readonly batches: number;
  readonly records: number;
  /** Records that go back to the queue (batch item failures, or a batch whose function threw). */
  readonly redelivered: number;
}

/**
 * The rule, the queue and the event source mapping in one: each `pump()` moves the native events
 * due into the {@link HintQueue} and hands every batch ready to the handler, one invocation at a
 * time, then settles it (failures come back after the visibility timeout).
 */
export class HintPump {
  /** The queue, for inspection. */
  public readonly queue: HintQueue;
  private readonly options: HintPumpOptions;
  private readonly clock: () => number;
  private invocations = 0;

  public constructor(options: HintPumpOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
    this.queue = new HintQueue({
      ...options.queue,
      ...(options.account !== undefined && { account: options.account }),
      ...(options.region !== undefined && { region: options.region }),
    });
  }

  /** Takes the native events due by `now` and invokes the handler for every batch ready. */
  public async pump(now: number = this.clock()): Promise<PumpResult> {
    this.queue.push(this.options.source.takeNativeEvents(now));
    let batches = 0;
    let records = 0;
    let redelivered = 0;
    for (let batch = this.queue.take(now); batch !== undefined; batch = this.queue.take(this.clock())) {
      batches++;
      records += batch.messages.length;
      const context = lambdaContext({
        functionName: this.options.functionName ?? 'step-watch-hints',
        account: this.options.account ?? '123456789012',
        region: this.options.region ?? 'us-east-1',
        timeoutMs: this.options.timeoutMs ?? 30_000,
        invokedAt: this.clock(),
        clock: this.clock,
        requestId: `hint-invocation-${++this.invocations}`,
      });
      let response: SQSBatchResponse | 'failed';
      try {
        response = await this.options.handler(batch.event, context);
      } catch {
        // As Lambda does: a function that throws gets the whole batch again.
        response = 'failed';
      }
      redelivered += this.queue.settle(batch, response, this.clock()).length;
    }
    return { batches, records, redelivered };
  }
}
