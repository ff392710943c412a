// A local SNS endpoint (awsQuery protocol: form-encoded POST, XML answers) that records what the real SNSClient publishes.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalHttpServer, readBody, WireError } from './http';

/** SNS refuses a message of more than 256 KB (UTF-8 bytes) — botocore's `Publish` documentation. */
export const MAX_SNS_MESSAGE_BYTES = 262_144;
const NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** A message SNS accepted. */
export interface RecordedPublish {
  /** The `MessageId` answered. */
  readonly messageId: string;
  readonly topicArn: string;
  /** `Message` as sent. */
  readonly message: string;
  /** `MessageStructure`, `json` or absent. */
  readonly messageStructure: string | undefined;
  readonly subject: string | undefined;
  /** With `MessageStructure: json`, the text each protocol gets (`default` for any other). */
  readonly byProtocol: Readonly<Record<string, string>>;
  /** When it was received, epoch ms. */
  readonly receivedAt: number;
}

/** Options of {@link SnsRecorder}. */
export interface SnsRecorderOptions {
  /** Clock of `receivedAt`, epoch ms. @default Date.now */
  readonly clock?: () => number;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  const payload = Buffer.from(`<?xml version="1.0"?>\n${body}`, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': payload.length });
  res.end(payload);
}

/** An awsQuery error answer: `<ErrorResponse><Error><Type/><Code/><Message/></Error>…`. */
function sendQueryError(res: ServerResponse, error: unknown): void {
  const wire =
    error instanceof WireError
      ? error
      : new WireError(500, 'InternalError', error instanceof Error ? error.message : String(error));
  sendXml(
    res,
    wire.status,
    `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${wire.status < 500 ? 'Sender' : 'Receiver'}</Type><Code>${xml(wire.type)}</Code><Message>${xml(wire.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

const invalid = (message: string) => new WireError(400, 'InvalidParameter', `Invalid parameter: ${message}`);

/**
 * A local SNS `Publish` endpoint for the real `SNSClient` (the awsQuery protocol: `Action=Publish`
 * form-encoded, a `PublishResponse` XML answer with `MessageId`, as botocore's sns model has it). It
 * checks what SNS documents for `Publish` — a message of at most 256 KB, with `MessageStructure:
 * json` a JSON object with a string `default`, a subject under 100 characters with no line breaks or
 * control characters — records every accepted message, and can fail calls on demand.
 *
 * @example
 * ```ts
 * const sns = new SnsRecorder();
 * const client = new SNSClient({ endpoint: await sns.start(), region: 'us-east-1' });
 * ```
 */
export class SnsRecorder {
  private readonly clock: () => number;
  private readonly server: LocalHttpServer;
  private recorded: RecordedPublish[] = [];
  private failures = 0;

  public constructor(options: SnsRecorderOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.server = new LocalHttpServer(
      'SnsRecorder',
      (req, res) => this.serve(req, res),
      (res, error) => sendQueryError(res, error),
    );
  }

  /** `http://127.0.0.1:<port>`, for an `SNSClient`'s `endpoint` or `AWS_ENDPOINT_URL_SNS`. */
  public get endpoint(): string {
    return this.server.endpoint;
  }

  /** Starts the HTTP server; resolves to {@link SnsRecorder.endpoint}. */
  public start(): Promise<string> {
    return this.server.start();
  }

  /** Stops the HTTP server. */
  public stop(): Promise<void> {
    return this.server.stop();
  }

  /** The accepted messages, oldest first. */
  public messages(): RecordedPublish[] {
    return [...this.recorded];
  }

  /** Fails the next `count` Publish calls with `500 InternalError`. */
  public failNext(count: number): void {
    this.failures = count;
  }

  /** Forgets the recorded messages and the failures asked for. */
  public reset(): void {
    this.recorded = [];
    this.failures = 0;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, 1024 * 1024);
    const form = new URLSearchParams(body.toString('utf8'));
    const action = form.get('Action');
    if (req.method !== 'POST' || action !== 'Publish')
      throw new WireError(400, 'InvalidAction', `The recorder does not implement ${action ?? '?'}.`);
    if (this.failures > 0) {
      this.failures -= 1;
      throw new WireError(500, 'InternalError', 'Injected failure.');
    }
    const published = this.publish(form);
    this.recorded.push(published);
    sendXml(
      res,
      200,
      `<PublishResponse xmlns="${NAMESPACE}"><PublishResult><MessageId>${published.messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  }

  private publish(form: URLSearchParams): RecordedPublish {
    const topicArn = form.get('TopicArn');
    const message = form.get('Message');
    if (!topicArn) throw invalid('TopicArn or TargetArn Reason: no value for required parameter');
    if (message === null) throw invalid('Message Reason: no value for required parameter');
    if (Buffer.byteLength(message, 'utf8') > MAX_SNS_MESSAGE_BYTES) throw invalid('Message too long');
    const subject = form.get('Subject') ?? undefined;
    // SNS refuses a subject of 100 characters or more, or with line breaks or control characters.
    if (subject !== undefined && (subject === '' || subject.length >= 100 || /\p{Cc}/u.test(subject)))
      throw invalid('Subject');
    const messageStructure = form.get('MessageStructure') ?? undefined;
    let byProtocol: Record<string, string> = { default: message };
    if (messageStructure !== undefined) {
      if (messageStructure !== 'json') throw invalid('MessageStructure');
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        throw invalid('Message Structure - JSON message body failed to parse');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw invalid('Message Structure - JSON message body failed to parse');
      const entries = Object.entries(parsed as Record<string, unknown>);
      if (typeof (parsed as Record<string, unknown>).default !== 'string')
        throw invalid('Message Structure - No default entry in JSON message body');
      byProtocol = Object.fromEntries(
        entries.filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      );
    }
    return {
      messageId: randomUUID(),
      topicArn,
      message,
      messageStructure,
      subject,
      byProtocol,
      receivedAt: this.clock(),
    };
  }
}
