// A local EventBridge endpoint that records what the real EventBridgeClient puts, with hooks to fail entries.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_MAX_ENTRY_BYTES } from '../lambda/core/defaults';
import { SandboxError } from './errors';
import {
  LocalHttpServer,
  parseJsonBody,
  readBody,
  sendFailure,
  sendJson,
  targetOperation,
  WireError,
} from './http';

/** Most entries one `PutEvents` call may carry. */
export const MAX_ENTRIES_PER_CALL = 10;

/** Options of {@link EventBridgeRecorder}. */
export interface EventBridgeRecorderOptions {
  /**
   * Largest size of one entry (Time counts 14 bytes; Source, DetailType, Detail and each resource
   * their UTF-8 bytes). A bigger entry fails alone with `InvalidArgument`.
   * @default 262144
   */
  readonly maxEntryBytes?: number;
  /**
   * Largest total size of the entries of one call. Over it, EventBridge fails the whole call with
   * `ValidationException: Total size of the entries in the request is over the limit.`, which is
   * also what a single oversized entry gets from the real service with the default limits.
   * @default maxEntryBytes
   */
  readonly maxRequestBytes?: number;
  /**
   * Clock for `receivedAt` and for entries without `Time`, epoch ms.
   * @default Date.now
   */
  readonly clock?: () => number;
}

/** One entry as the client sent it, given to {@link EventBridgeRecorder.failEntries} predicates. */
export interface PutEventsEntryInput {
  readonly Source?: unknown;
  readonly DetailType?: unknown;
  readonly Detail?: unknown;
  readonly Resources?: unknown;
  readonly EventBusName?: unknown;
  readonly Time?: unknown;
  readonly TraceHeader?: unknown;
}

/** An entry EventBridge accepted. */
export interface RecordedEvent {
  /** The id EventBridge generated and answered with. */
  readonly eventId: string;
  readonly source: string;
  readonly detailType: string;
  /** `Detail`, parsed. */
  readonly detail: unknown;
  /** `Detail` as sent. */
  readonly detailRaw: string;
  readonly resources: readonly string[];
  /** `EventBusName` as sent (name or ARN), `default` when omitted. */
  readonly eventBusName: string;
  /** The event time, ISO 8601 UTC to the second like EventBridge's `time`: `Time` or the call time. */
  readonly time: string;
  /** When the recorder received it, epoch ms. */
  readonly receivedAt: number;
  /** Which `PutEvents` call (1-based, counting every request) carried it. */
  readonly call: number;
}

type Json = Record<string, unknown>;
type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** Decides whether an entry fails: `true` fails it with `InternalFailure`, a string is the error code. */
export type EntryFailurePredicate = (entry: PutEventsEntryInput) => boolean | string;

const utf8Bytes = (value: unknown): number =>
  typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0;

/** Entry size as EventBridge documents it ("Calculating PutEvents event entry size"). */
function entrySize(entry: PutEventsEntryInput): number {
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [];
  return (
    (entry.Time === undefined || entry.Time === null ? 0 : 14) +
    utf8Bytes(entry.Source) +
    utf8Bytes(entry.DetailType) +
    utf8Bytes(entry.Detail) +
    resources.reduce((sum: number, resource: unknown) => sum + utf8Bytes(resource), 0)
  );
}

const hasRequiredFields = (entry: PutEventsEntryInput): boolean =>
  [entry.Source, entry.DetailType, entry.Detail].every((value) => typeof value === 'string' && value !== '');

/** `Time` is sent as epoch seconds by the SDK; ISO strings are accepted too. */
function eventTime(raw: unknown, fallbackMs: number): string | undefined {
  const ms =
    raw === undefined || raw === null
      ? fallbackMs
      : typeof raw === 'number'
        ? raw * 1000
        : typeof raw === 'string'
          ? Date.parse(raw)
          : Number.NaN;
  if (!Number.isFinite(ms)) return undefined;
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/**
 * A local EventBridge `PutEvents` endpoint (AWS JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`) for
 * the real `EventBridgeClient`. It validates calls and entries like EventBridge, records every
 * accepted entry, and can fail entries (partial failure) or whole calls (outage) on demand.
 *
 * @example
 * ```ts
 * const recorder = new EventBridgeRecorder();
 * const client = new EventBridgeClient({ endpoint: await recorder.start(), region: 'us-east-1' });
 * recorder.failNext(1); // the next entry fails with InternalFailure, the others of its call pass
 * ```
 */
export class EventBridgeRecorder {
  private readonly maxEntryBytes: number;
  private readonly maxRequestBytes: number;
  private readonly clock: () => number;
  private readonly server: LocalHttpServer;
  private recorded: RecordedEvent[] = [];
  private calls = 0;
  private failures: { remaining: number; code: string } = { remaining: 0, code: 'InternalFailure' };
  private predicate: EntryFailurePredicate | undefined;
  private outage = false;

  /** @throws {@link SandboxError} for a size limit that is not a positive integer */
  public constructor(options: EventBridgeRecorderOptions = {}) {
    this.maxEntryBytes = options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
    this.maxRequestBytes = options.maxRequestBytes ?? this.maxEntryBytes;
    for (const [name, value] of [
      ['maxEntryBytes', this.maxEntryBytes],
      ['maxRequestBytes', this.maxRequestBytes],
    ] as const) {
      if (!Number.isInteger(value) || value < 1)
        throw new SandboxError(`${name} must be an integer >= 1 (got ${value}).`);
    }
    this.clock = options.clock ?? Date.now;
    this.server = new LocalHttpServer(
      'EventBridgeRecorder',
      (req, res) => this.serve(req, res),
      (res, error) => sendFailure(res, error, 'InternalException'),
    );
  }

  /** `http://127.0.0.1:<port>`, for the `endpoint` of an `EventBridgeClient` or `AWS_ENDPOINT_URL_EVENTBRIDGE`. */
  public get endpoint(): string {
    return this.server.endpoint;
  }

  /** Starts the HTTP server; resolves to {@link EventBridgeRecorder.endpoint}. */
  public start(): Promise<string> {
    return this.server.start();
  }

  /** Stops the HTTP server and closes every connection. */
  public stop(): Promise<void> {
    return this.server.stop();
  }

  /** The accepted entries, oldest first. */
  public events(): RecordedEvent[] {
    return [...this.recorded];
  }

  /** Requests received (any operation, including failed ones). */
  public callCount(): number {
    return this.calls;
  }

  /**
   * Fails the next `count` entries that would otherwise be accepted, each with `errorCode`
   * (`InternalFailure` and `ThrottlingException` are the retryable ones); the other entries of the
   * same call are accepted.
   */
  public failNext(count: number, errorCode = 'InternalFailure'): void {
    this.failures = { remaining: count, code: errorCode };
  }

  /** Fails every entry the predicate picks (until reset, or called without a predicate). */
  public failEntries(predicate?: EntryFailurePredicate): void {
    this.predicate = predicate;
  }

  /** While on, every call is answered `500 InternalException`. */
  public setOutage(on: boolean): void {
    this.outage = on;
  }

  /** Forgets the recorded events, the call count and every failure hook. */
  public reset(): void {
    this.recorded = [];
    this.calls = 0;
    this.failures = { remaining: 0, code: 'InternalFailure' };
    this.predicate = undefined;
    this.outage = false;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, 4 * 1024 * 1024);
    this.calls += 1;
    const call = this.calls;
    if (this.outage) throw new WireError(500, 'InternalException', 'Injected outage.');
    const operation = targetOperation(req, 'AWSEvents');
    if (req.method !== 'POST' || operation !== 'PutEvents') {
      throw new WireError(
        400,
        'UnknownOperationException',
        `The recorder does not implement ${operation ?? '?'}.`,
      );
    }
    sendJson(res, 200, this.putEvents(parseJsonBody(body), call));
  }

  private putEvents(input: Json, call: number): Json {
    const entries = input.Entries;
    if (!Array.isArray(entries)) {
      throw new WireError(
        400,
        'ValidationException',
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
      );
    }
    if (entries.length < 1 || entries.length > MAX_ENTRIES_PER_CALL) {
      throw new WireError(
        400,
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES_PER_CALL}`,
      );
    }
    const inputs = entries.map(
      (entry: unknown): PutEventsEntryInput =>
        typeof entry === 'object' && entry !== null ? (entry as PutEventsEntryInput) : {},
    );
    if (inputs.reduce((sum, entry) => sum + entrySize(entry), 0) > this.maxRequestBytes) {
      throw new WireError(
        400,
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }
    if (!inputs.some(hasRequiredFields)) {
      throw new WireError(
        400,
        'ValidationException',
        'Parameters Source, DetailType and Detail are required; no entry of the request has all of them.',
      );
    }
    const receivedAt = this.clock();
    const results = inputs.map((entry) => this.accept(entry, receivedAt, call));
    return {
      FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length,
      Entries: results,
    };
  }

  private accept(entry: PutEventsEntryInput, receivedAt: number, call: number): EntryResult {
    const reject = (ErrorCode: string, ErrorMessage: string): EntryResult => ({ ErrorCode, ErrorMessage });
    const { Source: source, DetailType: detailType, Detail: detailRaw, Resources: resources } = entry;
    if (typeof source !== 'string' || source === '') {
      return reject(
        'InvalidArgument',
        'Parameter Source is not valid. Reason: Source is a required argument.',
      );
    }
    if (typeof detailType !== 'string' || detailType === '') {
      return reject(
        'InvalidArgument',
        'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      );
    }
    if (typeof detailRaw !== 'string' || detailRaw === '') {
      return reject(
        'InvalidArgument',
        'Parameter Detail is not valid. Reason: Detail is a required argument.',
      );
    }
    if (detailType.length > 128) {
      return reject('InvalidArgument', 'Parameter DetailType is not valid. Reason: over 128 characters.');
    }
    if (source.startsWith('aws.')) {
      return reject('NotAuthorizedForSourceException', `Not authorized for the source ${source}.`);
    }
    const resourceList = resources ?? [];
    if (!Array.isArray(resourceList) || !resourceList.every((resource) => typeof resource === 'string')) {
      return reject(
        'InvalidArgument',
        'Parameter Resources is not valid. Reason: must be a list of strings.',
      );
    }
    const size = entrySize(entry);
    if (size > this.maxEntryBytes) {
      return reject(
        'InvalidArgument',
        `Entry size ${size} bytes is over the limit of ${this.maxEntryBytes} bytes.`,
      );
    }
    let detail: unknown;
    try {
      detail = JSON.parse(detailRaw);
    } catch {
      return reject('MalformedDetail', 'Detail is malformed.');
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return reject('MalformedDetail', 'Detail is malformed: it must be a JSON object.');
    }
    const time = eventTime(entry.Time, receivedAt);
    if (time === undefined) return reject('InvalidArgument', 'Parameter Time is not valid.');
    const picked = this.predicate?.(entry) ?? false;
    if (picked !== false)
      return reject(picked === true ? 'InternalFailure' : picked, 'Injected entry failure.');
    if (this.failures.remaining > 0) {
      this.failures.remaining -= 1;
      return reject(this.failures.code, 'Injected entry failure.');
    }
    const eventId = randomUUID();
    this.recorded.push({
      eventId,
      source,
      detailType,
      detail,
      detailRaw,
      resources: resourceList as string[],
      eventBusName: typeof entry.EventBusName === 'string' ? entry.EventBusName : 'default',
      time,
      receivedAt,
      call,
    });
    return { EventId: eventId };
  }
}
