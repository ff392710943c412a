// The fault layer beyond the simulator's and recorder's own: DynamoDB faults over the wire, a process that dies after its k-th side effect or at a moment, a deadline that arrives mid-cycle, a rival poller, SDK retries without waits.
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { PollCycleDeps } from '../../lambda/core/ports';
import { SandboxError } from '../../sandbox/errors';
import { LocalHttpServer, readBody, sendFailure } from '../../sandbox/http';

// ---------------------------------------------------------------------------------------------
// SDK retries without the waits.
// ---------------------------------------------------------------------------------------------

/** The token {@link InstantRetryStrategy} hands the SDK's retry middleware. */
export interface InstantRetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/**
 * The SDK's standard retry decision (retry what the SDK itself classifies as `THROTTLING` or
 * `TRANSIENT`, up to `maxAttempts` attempts) without the back-off waits and without the retry quota,
 * so a fault run exercises the SDK's error parsing and retries but costs no wall time. Pass it as
 * `retryStrategy` of any v3 client.
 *
 * @example
 * const ssm = new SSMClient({ endpoint, retryStrategy: new InstantRetryStrategy(4) });
 */
export class InstantRetryStrategy {
  readonly mode = 'standard';
  readonly #maxAttempts: number;

  /** @param maxAttempts - attempts per call, the first one included */
  constructor(maxAttempts: number) {
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new SandboxError(`maxAttempts must be an integer >= 1 (got ${maxAttempts}).`);
    }
    this.#maxAttempts = maxAttempts;
  }

  async acquireInitialRetryToken(_scope: string): Promise<InstantRetryToken> {
    return tokenOf(0);
  }

  async refreshRetryTokenForRetry(
    token: InstantRetryToken,
    errorInfo: { readonly errorType: string },
  ): Promise<InstantRetryToken> {
    const retries = token.getRetryCount() + 1;
    const retryable = errorInfo.errorType === 'THROTTLING' || errorInfo.errorType === 'TRANSIENT';
    // A rejection makes the middleware rethrow the call's own last error.
    if (!retryable || retries >= this.#maxAttempts) throw new SandboxError('No retry token available.');
    return tokenOf(retries);
  }

  recordSuccess(_token: InstantRetryToken): void {}
}

function tokenOf(retries: number): InstantRetryToken {
  return { getRetryCount: () => retries, getRetryDelay: () => 0 };
}

// ---------------------------------------------------------------------------------------------
// DynamoDB faults, over the wire.
// ---------------------------------------------------------------------------------------------

/**
 * What the proxy does to one DynamoDB request: `internal` answers 500 `InternalServerError`,
 * `throughput` 400 `ProvisionedThroughputExceededException`, `throttling` 400 `ThrottlingException`;
 * `reset` destroys the connection before DynamoDB sees the request; `lostReply` lets DynamoDB apply
 * it and then destroys the connection, so the client retries a write that already happened;
 * `ok` forwards the request.
 */
export type DynamoFaultKind = 'internal' | 'throughput' | 'throttling' | 'reset' | 'lostReply' | 'ok';

/** Every {@link DynamoFaultKind} that is a fault. */
export const DYNAMO_FAULT_KINDS = ['internal', 'throughput', 'throttling', 'reset', 'lostReply'] as const;

/** Faults for the next DynamoDB requests, consumed one per matching request in order. */
export interface DynamoFaultPlan {
  readonly nextCalls?: readonly DynamoFaultKind[];
  /** Only requests of these operations (e.g. `PutItem`) consume the faults. @default every operation */
  readonly operations?: readonly string[];
}

const AMZ_JSON_1_0 = 'application/x-amz-json-1.0';
const DYNAMO_NAMESPACE = 'com.amazonaws.dynamodb.v20120810';
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

const DYNAMO_ERRORS: Readonly<Record<'internal' | 'throughput' | 'throttling', [number, string, string]>> = {
  internal: [500, `${DYNAMO_NAMESPACE}#InternalServerError`, 'Internal server error (injected).'],
  throughput: [
    400,
    `${DYNAMO_NAMESPACE}#ProvisionedThroughputExceededException`,
    'The level of configured provisioned throughput for the table was exceeded (injected).',
  ],
  throttling: [400, 'com.amazon.coral.availability#ThrottlingException', 'Rate exceeded (injected).'],
};

/** Requests seen and faults injected by a {@link DynamoFaultProxy}. */
export interface DynamoFaultStats {
  readonly requests: number;
  /** Faults injected, by kind. */
  readonly injected: Readonly<Record<(typeof DYNAMO_FAULT_KINDS)[number], number>>;
  /** Answers DynamoDB itself gave with `ConditionalCheckFailedException` (a rival, or a retried write). */
  readonly conditionalCheckFailed: number;
}

/**
 * An HTTP proxy in front of a DynamoDB endpoint (dynalite) that injects faults per plan, so the SDK's
 * own error parsing and retries meet them. Point a `DynamoDBClient` at {@link DynamoFaultProxy.endpoint}.
 *
 * @example
 * const proxy = new DynamoFaultProxy({ target: dynamo.endpoint });
 * const client = new DynamoDBClient({ endpoint: await proxy.start(), region: 'us-east-1' });
 * proxy.injectFaults({ nextCalls: ['throughput', 'lostReply'], operations: ['PutItem'] });
 */
export class DynamoFaultProxy {
  readonly #target: URL;
  readonly #server: LocalHttpServer;
  readonly #agent = new Agent({ keepAlive: true });
  #faults: { kind: DynamoFaultKind; operations: ReadonlySet<string> | null }[] = [];
  #requests = 0;
  #conditionalCheckFailed = 0;
  readonly #injected = { internal: 0, throughput: 0, throttling: 0, reset: 0, lostReply: 0 };

  /** @param options.target - the DynamoDB endpoint to forward to, e.g. `http://127.0.0.1:4567` */
  constructor(options: { readonly target: string }) {
    this.#target = new URL(options.target);
    this.#server = new LocalHttpServer(
      'DynamoFaultProxy',
      (req, res) => this.#serve(req, res),
      (res, error) => sendFailure(res, error, 'InternalServerError'),
    );
  }

  /** `http://127.0.0.1:<port>`. */
  get endpoint(): string {
    return this.#server.endpoint;
  }

  /** Starts listening; resolves to the endpoint. */
  start(): Promise<string> {
    return this.#server.start();
  }

  /** Stops listening and closes every connection. */
  async stop(): Promise<void> {
    await this.#server.stop();
    this.#agent.destroy();
  }

  /** Queues faults for the next matching requests (after any still queued). */
  injectFaults(plan: DynamoFaultPlan): void {
    const operations = plan.operations ? new Set(plan.operations) : null;
    for (const kind of plan.nextCalls ?? []) this.#faults.push({ kind, operations });
  }

  /** Drops the faults still queued. */
  clearFaults(): void {
    this.#faults = [];
  }

  /** How many queued faults are not consumed yet. */
  pendingFaults(): number {
    return this.#faults.length;
  }

  /** Requests, injected faults and conditional-check failures so far. */
  stats(): DynamoFaultStats {
    return {
      requests: this.#requests,
      injected: { ...this.#injected },
      conditionalCheckFailed: this.#conditionalCheckFailed,
    };
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, 16 * 1024 * 1024);
    this.#requests++;
    const target = req.headers['x-amz-target'];
    const operation = typeof target === 'string' ? target.slice(target.indexOf('.') + 1) : '';
    const head = this.#faults[0];
    let fault: DynamoFaultKind = 'ok';
    if (head && (head.operations === null || head.operations.has(operation))) {
      this.#faults.shift();
      fault = head.kind;
    }
    if (fault !== 'ok') this.#injected[fault]++;

    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'internal' || fault === 'throughput' || fault === 'throttling') {
      const [status, type, message] = DYNAMO_ERRORS[fault];
      const payload = Buffer.from(JSON.stringify({ __type: type, message }));
      res.writeHead(status, { 'Content-Type': AMZ_JSON_1_0, 'Content-Length': payload.length });
      res.end(payload);
      return;
    }
    const answer = await this.#forward(req, body);
    if (answer.status === 400 && answer.body.includes('ConditionalCheckFailedException')) {
      this.#conditionalCheckFailed++;
    }
    if (fault === 'lostReply') {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, { ...answer.headers, 'Content-Length': answer.body.length });
    res.end(answer.body);
  }

  #forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    return new Promise((resolve, reject) => {
      const upstream = httpRequest(
        {
          host: this.#target.hostname,
          port: this.#target.port,
          method: req.method,
          path: req.url,
          headers: { ...headers, host: this.#target.host, 'content-length': body.length },
          agent: this.#agent,
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            const forwarded: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(answer.headers)) {
              if (value !== undefined && !HOP_BY_HOP.has(name)) forwarded[name] = value;
            }
            resolve({ status: answer.statusCode ?? 502, headers: forwarded, body: Buffer.concat(chunks) });
          });
          answer.on('error', reject);
        },
      );
      upstream.on('error', (error) =>
        reject(new SandboxError('DynamoFaultProxy cannot reach its target.', { cause: error })),
      );
      upstream.end(body);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Faults at the ports of the cycle: a dying process, a rival, a deadline.
// ---------------------------------------------------------------------------------------------

/** The three ports of a cycle. */
export type PortName = 'source' | 'store' | 'publisher';

/** One call of a port method. */
export interface PortCall {
  readonly port: PortName;
  readonly method: string;
  readonly args: readonly unknown[];
}

/** Runs around every port call: call `proceed()` to make the real call. */
export type PortInterceptor = (call: PortCall, proceed: () => Promise<unknown>) => Promise<unknown>;

/** Port methods that change the world: the store's writes and PutEvents. */
export const SIDE_EFFECTS: Readonly<Record<PortName, ReadonlySet<string>>> = {
  source: new Set(),
  store: new Set(['recordEvents', 'saveExecution', 'markSent', 'savePollerState']),
  publisher: new Set(['publishBatch']),
};

/** Whether a port call is a side effect (see {@link SIDE_EFFECTS}). */
export function isSideEffect(call: Pick<PortCall, 'port' | 'method'>): boolean {
  return SIDE_EFFECTS[call.port].has(call.method);
}

/** The deps with every port method call passed through `intercept`; other properties pass as they are. */
export function interceptPorts(deps: PollCycleDeps, intercept: PortInterceptor): PollCycleDeps {
  const wrap = <T extends object>(port: PortName, target: T): T =>
    new Proxy(target, {
      get(object, property) {
        const value: unknown = Reflect.get(object, property, object);
        if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor') {
          return value;
        }
        // Applied to the real object: adapters keep their state in private fields.
        return (...args: unknown[]) =>
          intercept({ port, method: property, args }, () =>
            Promise.resolve((value as (...a: unknown[]) => unknown).apply(object, args)),
          );
      },
    });
  return {
    ...deps,
    source: wrap('source', deps.source),
    store: wrap('store', deps.store),
    publisher: wrap('publisher', deps.publisher),
  };
}

/** Thrown by every port call once a {@link crashAfterSideEffects} process has died. */
export class ProcessCrash extends SandboxError {
  constructor(message: string) {
    super(message);
    this.name = 'ProcessCrash';
  }
}

/** A cycle's deps that die after a number of side effects, and what happened. */
export interface CrashingDeps {
  readonly deps: PollCycleDeps;
  /** Whether the process died. */
  crashed(): boolean;
  /** Side effects that ran (settled), whether or not they succeeded. */
  sideEffects(): number;
}

/**
 * The process dies right after its `k`-th side effect settles (`k = 0`: before the first one runs):
 * that call and every later port call throw {@link ProcessCrash}, so nothing more reaches the world and
 * the cycle is abandoned with whatever it wrote so far.
 */
export function crashAfterSideEffects(deps: PollCycleDeps, k: number): CrashingDeps {
  let done = 0;
  let dead = false;
  const die = (call: PortCall): never => {
    dead = true;
    throw new ProcessCrash(`process died at ${call.port}.${call.method} after ${done} side effects`);
  };
  const wrapped = interceptPorts(deps, async (call, proceed) => {
    if (dead) die(call);
    if (!isSideEffect(call)) return proceed();
    if (done >= k) die(call);
    let result: unknown;
    try {
      result = await proceed();
    } catch (error) {
      if (++done >= k) die(call);
      throw error;
    }
    // Dying here drops the result: the caller never learns that the side effect happened.
    if (++done >= k) die(call);
    return result;
  });
  return { deps: wrapped, crashed: () => dead, sideEffects: () => done };
}

/** How a rival poller overlaps the main one. */
export interface RivalPlan<T> {
  /** The main cycle, run on the deps it is given. */
  readonly main: (deps: PollCycleDeps) => Promise<T>;
  readonly mainDeps: PollCycleDeps;
  /** The rival's cycle: a second poller on the same table and bus, run on the deps it is given. */
  readonly rival: (deps: PollCycleDeps) => Promise<T>;
  readonly rivalDeps: PollCycleDeps;
  /** The rival starts once the main cycle has made this many port calls (0: both start together). */
  readonly startAfterCalls: number;
  /**
   * The main cycle then stalls (a GC pause, a slow network) until the rival has made this many port
   * calls or finished. @default 0
   */
  readonly stallFor?: number;
  /** Runs just before the rival starts, e.g. to move the clock on. */
  readonly beforeRival?: () => void;
}

/**
 * Runs the main cycle and a rival on the same table and bus at once, the rival starting together with
 * it or at any port call in the middle of it, so both read, record and save the same executions and
 * DynamoDB answers the loser with real `ConditionalCheckFailedException`s. Settles when both have.
 */
export async function runWithRival<T>(
  plan: RivalPlan<T>,
): Promise<{ main: PromiseSettledResult<T>; rival: PromiseSettledResult<T> }> {
  const started = latch(plan.startAfterCalls);
  const resumed = latch(plan.stallFor ?? 0);
  const mainDeps = interceptPorts(plan.mainDeps, async (_call, proceed) => {
    if (started.done) await resumed.promise;
    try {
      return await proceed();
    } finally {
      started.count();
    }
  });
  const rivalDeps = interceptPorts(plan.rivalDeps, async (_call, proceed) => {
    try {
      return await proceed();
    } finally {
      resumed.count();
    }
  });
  const main = plan.main(mainDeps);
  // The main cycle may finish before it makes that many calls; the rival then runs after it.
  await Promise.race([started.promise, main.then(noop, noop)]);
  plan.beforeRival?.();
  const rival = plan.rival(rivalDeps).finally(() => resumed.open());
  const [mainResult, rivalResult] = await Promise.allSettled([main, rival]);
  return { main: mainResult, rival: rivalResult };
}

/** A promise that resolves after `n` counts (at once for `n <= 0`), or when opened. */
function latch(n: number): { promise: Promise<void>; done: boolean; count(): void; open(): void } {
  let resolve: () => void = noop;
  let seen = 0;
  const state = {
    promise: new Promise<void>((r) => {
      resolve = r;
    }),
    done: n <= 0,
    count() {
      if (++seen >= n) state.open();
    },
    open() {
      state.done = true;
      resolve();
    },
  };
  if (state.done) resolve();
  return state;
}

function noop(): void {}

/**
 * The Lambda timeout: from `at` on (by `clock`), every port call throws {@link ProcessCrash}, as the
 * process is gone. Gives a leased poller the fate its lease assumes.
 */
export function killedAt(deps: PollCycleDeps, clock: () => number, at: number): PollCycleDeps {
  return interceptPorts(deps, async (call, proceed) => {
    if (clock() >= at) {
      throw new ProcessCrash(
        `process timed out at ${new Date(at).toISOString()} (${call.port}.${call.method})`,
      );
    }
    return proceed();
  });
}

/** A cycle's deps that die at a moment, and whether they did. */
export interface KilledDeps {
  readonly deps: PollCycleDeps;
  /** Whether a port call came after the moment (and threw). */
  killed(): boolean;
}

/**
 * A cycle killed at a moment (by `clock`), e.g. between half its budget and its deadline: from then on
 * every port call throws {@link ProcessCrash}, so the cycle never saves what it had left. Unlike
 * {@link killedAt}, it says whether the kill struck (a cycle done before the moment is not killed).
 */
export function killedMidCycle(deps: PollCycleDeps, clock: () => number, at: number): KilledDeps {
  let killed = false;
  const wrapped = interceptPorts(deps, async (call, proceed) => {
    if (killed || clock() >= at) {
      killed = true;
      throw new ProcessCrash(`process killed at ${new Date(at).toISOString()} (${call.port}.${call.method})`);
    }
    return proceed();
  });
  return { deps: wrapped, killed: () => killed };
}

/** A cycle clock on which the deadline passes after a number of reads. */
export interface DeadlineClock {
  readonly now: () => number;
  /** Give this as `PollCycleOptions.deadline`. */
  readonly deadline: number;
}

/**
 * Makes the Lambda deadline arrive in the middle of a cycle: the clock reads `now()` for the first
 * `reads` reads, then one millisecond past the deadline. The cycle must stop cleanly and resume where
 * it stopped.
 */
export function deadlineAfterReads(now: () => number, reads: number): DeadlineClock {
  const deadline = now() + 1;
  let count = 0;
  return { now: () => (count++ < reads ? now() : Math.max(now(), deadline)), deadline };
}
