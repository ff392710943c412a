// Errors the CLI turns into one stderr line and an exit code.
import { StepWatchError } from '../lambda/core/errors';
import { terminalSafe } from './sanitize';

/** A usage problem: bad flag, missing argument. Exit code 2. */
export class UsageError extends StepWatchError {}

/** The execution asked for has neither a snapshot nor a transition in the table. Exit code 1. */
export class ExecutionNotFoundError extends StepWatchError {}

/** `--local` was given but there is no data of a local run to read. Exit code 1. */
export class LocalRunNotFoundError extends StepWatchError {}

/** Exit code of an error: 2 for usage, 1 for everything else. */
export function exitCodeOf(error: unknown): number {
  return error instanceof UsageError ? 2 : 1;
}

/** The AWS services the CLI calls. */
export type AwsService = 'DynamoDB' | 'SSM' | 'EventBridge' | 'STS';

/** Where a failed AWS call went, as the CLI's clients tag the SDK's error (see `watched`). */
export interface CallTarget {
  readonly service: AwsService;
  /** The API operation, e.g. `Query`. */
  readonly operation: string;
  /** The URL the request went to, when the SDK got as far as building it. */
  readonly endpoint?: string;
  readonly region?: string;
  /** The table a DynamoDB call named. */
  readonly tableName?: string;
  /** The named profile the client was given. */
  readonly profile?: string;
}

const CALL_TARGET = Symbol('ssm-step-watch.callTarget');

/** Tags an error with where its call went; the first tag stays (a retried call fails the same way). */
export function attachCallTarget(error: unknown, target: CallTarget): void {
  if (error === null || typeof error !== 'object' || CALL_TARGET in error) return;
  Object.defineProperty(error, CALL_TARGET, { value: target, enumerable: false });
}

/** The variable that overrides a service's endpoint. */
const ENDPOINT_VARIABLE: Readonly<Record<AwsService, string>> = {
  DynamoDB: 'AWS_ENDPOINT_URL_DYNAMODB',
  SSM: 'AWS_ENDPOINT_URL_SSM',
  EventBridge: 'AWS_ENDPOINT_URL_EVENTBRIDGE',
  STS: 'AWS_ENDPOINT_URL_STS',
};

/**
 * One line a person can act on, for any error, prefixed with `command` when it names none: our own
 * errors carry their message; SDK errors that mean "cannot reach the endpoint", "the endpoint is not
 * that service", "no such table", "no credentials" or "no region" say so and what to do.
 *
 * @example
 * describeError(error, 'history'); // 'history: no table "Ops" in us-east-1: --table takes …'
 */
export function describeError(error: unknown, command?: string): string {
  const chain: unknown[] = [];
  for (let e: unknown = error; e && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  const prefix = (line: string): string =>
    command === undefined || line.startsWith(`${command}:`) || line.startsWith(`${command} `)
      ? line
      : `${command}: ${line}`;
  for (const e of chain) {
    const line = describeSdkError(e);
    if (line !== undefined) return terminalSafe(prefix(line));
  }
  // A message can quote what SSM or an endpoint sent (a name, an error text): one clean line.
  return terminalSafe(error instanceof Error ? error.message : String(error));
}

/** The line for one SDK error of the chain, or undefined when it is not one the CLI explains. */
function describeSdkError(error: unknown): string | undefined {
  const name = (error as { name?: string }).name ?? '';
  const code = (error as { code?: string }).code ?? '';
  const message = (error as { message?: string }).message ?? '';
  const target = (error as { [CALL_TARGET]?: CallTarget })[CALL_TARGET];
  const where = target?.endpoint ?? 'the endpoint';
  if (
    name === 'SyntaxError' &&
    (message.includes('Deserialization error') || '$response' in (error as object))
  ) {
    if (target === undefined) {
      return "an endpoint did not answer like the AWS service asked (its answer is not the service's JSON); check the AWS_ENDPOINT_URL_* variables.";
    }
    return `the endpoint ${where} did not answer like ${target.service} (${target.operation} got an answer that is not ${target.service}'s); check ${ENDPOINT_VARIABLE[target.service]} or AWS_ENDPOINT_URL.`;
  }
  if (name === 'ResourceNotFoundException' && target?.service === 'DynamoDB') return tableNotFound(target);
  if (name === 'ResourceNotFoundException') {
    return `${message.split(':')[0]}: the table does not exist: --table takes the deployed stack's TableName output.`;
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT'].includes(code)) {
    if (target === undefined) return `${message.split(':')[0]}: cannot reach the endpoint (${code}).`;
    return `cannot reach ${target.service} at ${where} (${code}); check --region, ${ENDPOINT_VARIABLE[target.service]} and the network.`;
  }
  if (name === 'CredentialsProviderError' || name === 'ProviderError') {
    const profile =
      target?.profile ?? /profile:? \[?([^\]\s]+)\]?/i.exec(message)?.[1] ?? process.env.AWS_PROFILE;
    if (profile !== undefined) {
      return `no credentials for profile "${profile}": check its name (--profile, AWS_PROFILE) in ~/.aws/config and ~/.aws/credentials, or sign in to it (aws sso login --profile ${profile}).`;
    }
    return 'No AWS credentials found: pass --profile, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (any values for local endpoints).';
  }
  if (message === 'Region is missing') {
    return 'no region: pass --region or set AWS_REGION.';
  }
  return undefined;
}

/**
 * A DynamoDB table that is not there. The table a user reads was made by the deployed stack, so the
 * name or the region is wrong, and creating another would hide the mistake: the line names the
 * stack output `TableName` and the region. Only on a local endpoint (not amazonaws.com), where
 * `table create` is how tables are made, does it say so too.
 */
export function tableNotFound(target: CallTarget): string {
  const table = target.tableName === undefined ? 'the table' : `table "${target.tableName}"`;
  const region = target.region === undefined ? '' : ` in ${target.region}`;
  const line = `no ${table}${region}: --table takes the TableName output of the deployed stack (aws cloudformation describe-stacks --stack-name SsmStepWatch --query "Stacks[0].Outputs[?OutputKey=='TableName'].OutputValue" --output text), and --region the stack's region`;
  const onAws = target.endpoint === undefined || /\.amazonaws\.com(\.cn)?(:\d+)?$/.test(target.endpoint);
  if (onAws) return `${line}.`;
  return `${line}; on the local endpoint ${target.endpoint}, \`step-watch table create --table ${target.tableName ?? '<name>'}\` makes it.`;
}
