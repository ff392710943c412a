// One local endpoint for a whole Organization: SSM per (account, region), STS AssumeRole and Organizations' List calls.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_MEMBER_ROLE_NAME } from '../lambda/core/defaults';
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
import { ORGANIZATIONS_TARGET_PREFIX, type OrganizationModel } from './organization';
import { parseScenario, type ScenarioExecution } from './scenario';
import type { SsmBehaviour } from './ssm-behaviour';
import { SsmSimulator } from './ssm-simulator';

/** Options of {@link MultiAccountSandbox}. */
export interface MultiAccountSandboxOptions {
  /** The accounts that exist, and the Organizations model answering the List calls. */
  readonly organization: OrganizationModel;
  /** Epoch ms that `at: 0` of every shard's scenario maps to. */
  readonly startEpochMs: number;
  /** Clock of every shard's simulator. @default Date.now */
  readonly clock?: () => number;
  /**
   * How every shard's SSM behaves where SSM's documentation is silent; required so a test says which
   * SSM it runs against (`DOCUMENTED_BEHAVIOUR` or a switch set).
   */
  readonly behaviour: Partial<SsmBehaviour>;
  /** SSM throttling per (account, region) and operation, as SSM's per-account, per-Region quota. @default none */
  readonly throttleTps?: number;
  /** Tokens of each shard's bucket. @default max(1, floor(throttleTps)) */
  readonly throttleBurst?: number;
  /**
   * The role the StackSet puts into every member account: AssumeRole succeeds for this name only, in
   * an ACTIVE member account.
   * @default DEFAULT_MEMBER_ROLE_NAME
   */
  readonly memberRoleName?: string;
  /**
   * Whether a child of a CrossAccount run, listed in its own (account, region), names its parent
   * (`ParentAutomationExecutionId`): `parentId`, the parent's id in the central account; or
   * `absent`. SSM does not document it (docs/ssm-behaviour.md, C4).
   * @default 'parentId'
   */
  readonly crossAccountParentLink?: CrossAccountParentLink;
}

/** The values of {@link MultiAccountSandboxOptions.crossAccountParentLink}. */
export type CrossAccountParentLink = 'parentId' | 'absent';

/** Static credentials that sign as one account of the sandbox. */
export interface SandboxCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** An access key id that names an account: `ASIA` or `AKIA`, the 12 digits, four more characters. */
const ACCESS_KEY_ID = /^(?:ASIA|AKIA)(\d{12})[A-Z0-9]{4}$/;
/** `Credential=<key>/<date>/<region>/<service>/aws4_request` of a SigV4 `Authorization` header. */
const CREDENTIAL_SCOPE = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;
const ROLE_ARN = /^arn:([\w-]+):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** How long issued credentials last (real time: the SDK compares expiry with the real clock). */
const CREDENTIALS_TTL_MS = 3_600_000;

/**
 * One HTTP endpoint serving many (account, region) SSM simulators, each with its own scenario, state
 * and quota: the region comes from the SigV4 credential scope of a request, the account from its
 * access key id (`ASIA<account>XXXX`; any other key signs as the management account). STS
 * `AssumeRole` (query protocol, XML) hands out credentials naming the role's account, and
 * Organizations' List calls (JSON 1.1) answer from the {@link OrganizationModel}, whose accounts may
 * join and leave while it runs. SQS `SendMessage` / `SendMessageBatch` (JSON 1.0) land in
 * {@link MultiAccountSandbox.queue}s, the fan-out's work queue. Point every client (`ssm`, `sts`,
 * `organizations`, `sqs`) at {@link MultiAccountSandbox.endpoint}.
 *
 * @example
 * ```ts
 * const sandbox = new MultiAccountSandbox({ organization, startEpochMs: T0, behaviour: DOCUMENTED_BEHAVIOUR });
 * await sandbox.start();
 * sandbox.simulator('111111111111', 'eu-west-1').addExecution(execution);
 * ```
 */
export class MultiAccountSandbox {
  readonly organization: OrganizationModel;
  readonly #options: MultiAccountSandboxOptions;
  readonly #memberRoleName: string;
  readonly #simulators = new Map<string, SsmSimulator>();
  readonly #counts = new Map<string, number>();
  readonly #queues = new Map<string, SandboxQueue>();
  readonly #gates = new Map<string, { promise: Promise<void> }>();
  readonly #server: LocalHttpServer;

  constructor(options: MultiAccountSandboxOptions) {
    this.organization = options.organization;
    this.#options = options;
    this.#memberRoleName = options.memberRoleName ?? DEFAULT_MEMBER_ROLE_NAME;
    this.#server = new LocalHttpServer(
      'MultiAccountSandbox',
      (req, res) => this.#serve(req, res),
      (res, error) => sendFailure(res, error, 'InternalFailure'),
    );
  }

  /** `http://127.0.0.1:<port>`, for the `endpoint` of the SSM, STS and Organizations clients. */
  get endpoint(): string {
    return this.#server.endpoint;
  }

  /** Starts listening; resolves to {@link MultiAccountSandbox.endpoint}. */
  start(): Promise<string> {
    return this.#server.start();
  }

  /** Stops listening and closes every connection. */
  stop(): Promise<void> {
    return this.#server.stop();
  }

  /** Credentials that sign requests as `account` (as the home account's own role would). */
  static credentialsOf(account: string): SandboxCredentials {
    if (!/^\d{12}$/.test(account)) throw new SandboxError(`An account id is 12 digits (got "${account}").`);
    return { accessKeyId: `AKIA${account}HOME`, secretAccessKey: 'sandbox' };
  }

  /**
   * The SSM simulator of one (account, region), made with an empty scenario on first use: SSM answers
   * every account and region, with nothing when nothing runs there.
   */
  simulator(account: string, region: string): SsmSimulator {
    const key = `${account}#${region}`;
    let simulator = this.#simulators.get(key);
    if (simulator === undefined) {
      const { throttleTps, throttleBurst } = this.#options;
      simulator = new SsmSimulator({
        scenario: parseScenario({ name: key, executions: [] }),
        startEpochMs: this.#options.startEpochMs,
        behaviour: this.#options.behaviour,
        ...(this.#options.clock !== undefined && { clock: this.#options.clock }),
        ...(throttleTps !== undefined && { throttleTps }),
        ...(throttleBurst !== undefined && { throttleBurst }),
      });
      this.#simulators.set(key, simulator);
    }
    return simulator;
  }

  /** Adds one execution to the scenario of (account, region). @throws {@link ScenarioError} */
  addExecution(account: string, region: string, execution: ScenarioExecution): void {
    this.simulator(account, region).addExecution(execution);
  }

  /**
   * Holds every SSM request to (account, region) until the returned function is called, as a shard
   * whose SSM answers slowly: a test shows the other shards do not wait for it.
   */
  hold(account: string, region: string): () => void {
    let release = (): void => {};
    const promise = new Promise<void>((resolve) => {
      release = resolve;
    });
    const key = `${account}#${region}`;
    this.#gates.set(key, { promise });
    return () => {
      this.#gates.delete(key);
      release();
    };
  }

  /**
   * A multi-account, multi-Region run as SSM shows it: the parent, of `AutomationType: CrossAccount`,
   * in the central (account, region); one child per target (account, region), in that shard's own
   * listing, naming the parent (`ParentAutomationExecutionId`) unless `crossAccountParentLink` is
   * `absent`. See docs/ssm-behaviour.md.
   * @throws {@link ScenarioError} for an invalid execution or a duplicate id in a shard
   */
  addCrossAccountRun(
    parent: { account: string; region: string; execution: ScenarioExecution },
    children: readonly { account: string; region: string; execution: ScenarioExecution }[],
  ): void {
    this.addExecution(parent.account, parent.region, { ...parent.execution, automationType: 'CrossAccount' });
    const linked = (this.#options.crossAccountParentLink ?? 'parentId') === 'parentId';
    for (const child of children) {
      this.addExecution(
        child.account,
        child.region,
        linked
          ? {
              ...child.execution,
              parentId: parent.execution.id,
              parentLocation: { account: parent.account, region: parent.region },
            }
          : { ...child.execution, parentId: null },
      );
    }
  }

  /** The (account, region) pairs with a simulator, as `account#region`, sorted. */
  shards(): string[] {
    return [...this.#simulators.keys()].sort();
  }

  /** STS and Organizations requests received, as `sts:AssumeRole`, `organizations:ListAccounts`. */
  callCounts(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const scope = CREDENTIAL_SCOPE.exec(String(req.headers.authorization ?? ''));
    if (scope === null) {
      throw new WireError(
        403,
        'MissingAuthenticationTokenException',
        'Request is missing Authentication Token',
      );
    }
    const [, accessKeyId = '', region = '', service = ''] = scope;
    const caller = ACCESS_KEY_ID.exec(accessKeyId)?.[1] ?? this.organization.managementAccount;
    if (service === 'ssm') {
      await this.#gates.get(`${caller}#${region}`)?.promise;
      return this.simulator(caller, region).handle(req, res);
    }
    if (service === 'sts') return this.#sts(req, res, caller);
    if (service === 'organizations') {
      const operation = targetOperation(req, ORGANIZATIONS_TARGET_PREFIX) ?? '(unknown)';
      this.#count(`organizations:${operation}`);
      const input = parseJsonBody(await readBody(req, 1024 * 1024));
      sendJson(res, 200, this.organization.serve(operation, input, caller));
      return;
    }
    if (service === 'sqs') return this.#sqs(req, res);
    throw new WireError(400, 'UnknownServiceException', `The sandbox does not serve ${service}.`);
  }

  /**
   * An SQS queue of this endpoint (made on first use): `SendMessage` and `SendMessageBatch` of a real
   * `SQSClient` to {@link SandboxQueue.url} land in it; a test takes the messages out as SQS records.
   */
  queue(name: string): SandboxQueue {
    let queue = this.#queues.get(name);
    if (queue === undefined) {
      queue = new SandboxQueue(() => `${this.endpoint}/${this.organization.managementAccount}/${name}`);
      this.#queues.set(name, queue);
    }
    return queue;
  }

  async #sqs(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const operation = targetOperation(req, 'AmazonSQS') ?? '(unknown)';
    this.#count(`sqs:${operation}`);
    const input = parseJsonBody(await readBody(req, 1024 * 1024));
    const name = typeof input.QueueUrl === 'string' ? input.QueueUrl.split('/').pop() : undefined;
    const queue = name === undefined ? undefined : this.#queues.get(name);
    const send = (status: number, body: unknown): void => {
      const payload = Buffer.from(JSON.stringify(body), 'utf8');
      res.writeHead(status, {
        'Content-Type': 'application/x-amz-json-1.0',
        'Content-Length': payload.length,
      });
      res.end(payload);
    };
    if (queue === undefined) {
      return send(400, {
        __type: 'com.amazonaws.sqs#QueueDoesNotExist',
        message: 'The specified queue does not exist.',
      });
    }
    if (operation === 'SendMessage') {
      return send(200, queue.accept(String(input.MessageBody ?? '')));
    }
    if (operation !== 'SendMessageBatch') {
      return send(400, {
        __type: 'com.amazonaws.sqs#UnsupportedOperation',
        message: `${operation} is not served.`,
      });
    }
    const entries = Array.isArray(input.Entries) ? (input.Entries as Record<string, unknown>[]) : [];
    const successful: unknown[] = [];
    const failed: unknown[] = [];
    for (const entry of entries) {
      const id = String(entry.Id ?? '');
      if (queue.takeFailure()) {
        failed.push({
          Id: id,
          Code: 'InternalError',
          Message: 'Injected entry failure.',
          SenderFault: false,
        });
      } else {
        successful.push({ Id: id, ...queue.accept(String(entry.MessageBody ?? '')) });
      }
    }
    send(200, { Successful: successful, Failed: failed });
  }

  async #sts(req: IncomingMessage, res: ServerResponse, caller: string): Promise<void> {
    const form = new URLSearchParams((await readBody(req, 1024 * 1024)).toString('utf8'));
    const action = form.get('Action') ?? '(unknown)';
    this.#count(`sts:${action}`);
    const requestId = randomUUID();
    const fail = (status: number, code: string, message: string): void =>
      sendXml(
        res,
        status,
        `<ErrorResponse xmlns="${STS_NAMESPACE}"><Error><Type>Sender</Type><Code>${code}</Code>` +
          `<Message>${xml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    if (action !== 'AssumeRole') return fail(400, 'InvalidAction', `Could not find operation ${action}.`);
    const roleArn = form.get('RoleArn') ?? '';
    const session = form.get('RoleSessionName') ?? '';
    const match = ROLE_ARN.exec(roleArn);
    if (match === null || !/^[\w+=,.@-]{2,64}$/.test(session)) {
      return fail(
        400,
        'ValidationError',
        'RoleArn must be an IAM role ARN and RoleSessionName 2-64 characters.',
      );
    }
    const [, partition = 'aws', account = '', roleName = ''] = match;
    const member = this.organization.account(account);
    // The StackSet put the reader role into each ACTIVE member; an account that left lost it with its stack.
    if (member === undefined || member.state !== 'ACTIVE' || roleName !== this.#memberRoleName) {
      return fail(
        403,
        'AccessDenied',
        `User: arn:${partition}:sts::${caller}:assumed-role/poller/session is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    }
    const key = `ASIA${account}${randomUUID().replace(/-/g, '').slice(0, 4).toUpperCase()}`;
    const expiration = new Date(Date.now() + CREDENTIALS_TTL_MS).toISOString();
    sendXml(
      res,
      200,
      `<AssumeRoleResponse xmlns="${STS_NAMESPACE}"><AssumeRoleResult><Credentials>` +
        `<AccessKeyId>${key}</AccessKeyId><SecretAccessKey>sandbox</SecretAccessKey>` +
        `<SessionToken>sandbox-${xml(session)}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
        `<AssumedRoleUser><AssumedRoleId>AROA${account}:${xml(session)}</AssumedRoleId>` +
        `<Arn>arn:${partition}:sts::${account}:assumed-role/${xml(roleName)}/${xml(session)}</Arn></AssumedRoleUser>` +
        `</AssumeRoleResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  }

  #count(name: string): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
  }
}

/** One message as an SQS event source hands it to a function (the fields the poller reads). */
export interface SandboxQueueRecord {
  readonly messageId: string;
  readonly body: string;
  readonly eventSource: 'aws:sqs';
  readonly attributes: { readonly SentTimestamp: string; readonly ApproximateReceiveCount: string };
}

/** A queue of the sandbox's SQS: messages in order, and entry failures to inject. */
export class SandboxQueue {
  readonly #url: () => string;
  #messages: SandboxQueueRecord[] = [];
  #failures = 0;

  /** @param url - the queue URL, once the endpoint is known */
  constructor(url: () => string) {
    this.#url = url;
  }

  /** The `QueueUrl` to send to. */
  get url(): string {
    return this.#url();
  }

  /** Messages waiting. */
  get depth(): number {
    return this.#messages.length;
  }

  /** Makes the next `count` batch entries fail (`InternalError`), as SQS may for some entries of a batch. */
  failNextEntries(count: number): void {
    this.#failures += count;
  }

  /** Removes and returns every message waiting, oldest first. */
  takeAll(): SandboxQueueRecord[] {
    const taken = this.#messages;
    this.#messages = [];
    return taken;
  }

  /** @internal Stores one message; answers its id and body digest as SQS does. */
  accept(body: string): { MessageId: string; MD5OfMessageBody: string } {
    const messageId = randomUUID();
    this.#messages.push({
      messageId,
      body,
      eventSource: 'aws:sqs',
      attributes: { SentTimestamp: String(Date.now()), ApproximateReceiveCount: '1' },
    });
    return { MessageId: messageId, MD5OfMessageBody: createHash('md5').update(body, 'utf8').digest('hex') };
  }

  /** @internal Whether the next entry fails. */
  takeFailure(): boolean {
    if (this.#failures === 0) return false;
    this.#failures -= 1;
    return true;
  }
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  const payload = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': payload.length });
  res.end(payload);
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
