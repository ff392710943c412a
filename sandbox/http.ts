// The JSON-over-HTTP toolkit of the sandbox's endpoints: a local server, request bodies, AWS JSON 1.1 answers and errors.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SandboxError } from './errors';

/** Content type of every AWS JSON 1.1 request and answer. */
export const AMZ_JSON_1_1 = 'application/x-amz-json-1.1';

/**
 * An error answered over the wire as `{"__type": type, "message": …}` with an HTTP status.
 * Internal to the sandbox servers; callers of the SDK see it as the SDK error named `type`.
 */
export class WireError extends SandboxError {
  /**
   * @param status - HTTP status (400 for client errors, 500 for faults)
   * @param type - the `__type`, i.e. the name of the error the SDK raises
   * @param message - the `message` of the answer
   */
  public constructor(
    public readonly status: number,
    public readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'WireError';
  }
}

/** Answers a request with an AWS JSON 1.1 body (an object, or a string sent as is). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  res.writeHead(status, {
    'Content-Type': AMZ_JSON_1_1,
    'Content-Length': payload.length,
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(payload);
}

/** Answers a request with an AWS JSON 1.1 error. */
export function sendError(res: ServerResponse, error: WireError): void {
  sendJson(res, error.status, { __type: error.type, message: error.message });
}

/** Answers a request with a 500 `type` error for a failure that was not a {@link WireError}. */
export function sendFailure(res: ServerResponse, error: unknown, type: string): void {
  if (error instanceof WireError) sendError(res, error);
  else sendError(res, new WireError(500, type, error instanceof Error ? error.message : String(error)));
}

/** Reads a whole request body; bodies over `limitBytes` are refused with a 413. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limitBytes)
        reject(new WireError(413, 'RequestEntityTooLarge', `Request over ${limitBytes} bytes.`));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** Parses a JSON 1.1 request body into an object; an empty body counts as `{}`. */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WireError(400, 'SerializationException', 'Request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new WireError(400, 'SerializationException', 'Request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** The operation named by the `X-Amz-Target: <prefix>.<Operation>` header, or `undefined`. */
export function targetOperation(req: IncomingMessage, prefix: string): string | undefined {
  const target = req.headers['x-amz-target'];
  if (typeof target !== 'string' || !target.startsWith(`${prefix}.`)) return undefined;
  return target.slice(prefix.length + 1);
}

/**
 * An HTTP server on 127.0.0.1 and a free port that tracks its sockets, so that `stop()` ends the
 * keep-alive connections SDK clients hold open instead of waiting for them.
 */
export class LocalHttpServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private url: string | undefined;

  /**
   * @param label - names the server in errors, e.g. `SsmSimulator`
   * @param handler - serves one request; a rejection is answered by `onFailure`
   * @param onFailure - answers a request whose handler failed before answering
   */
  public constructor(
    private readonly label: string,
    private readonly handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
    private readonly onFailure: (res: ServerResponse, error: unknown) => void,
  ) {}

  /** The `http://127.0.0.1:<port>` URL; throws a {@link SandboxError} when not started. */
  public get endpoint(): string {
    if (this.url === undefined) throw new SandboxError(`${this.label} is not started; call start() first.`);
    return this.url;
  }

  /** Starts listening; resolves to the endpoint URL. */
  public async start(): Promise<string> {
    if (this.server !== undefined) throw new SandboxError(`${this.label} is already started.`);
    const server = createServer((req, res) => {
      this.handler(req, res).catch((error: unknown) => {
        if (!res.headersSent && !res.destroyed) this.onFailure(res, error);
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      this.server = undefined;
      throw new SandboxError(`${this.label} cannot listen on 127.0.0.1.`, { cause: error });
    }
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  /** Stops listening and destroys every open socket. Does nothing when not started. */
  public async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    this.url = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }
}
