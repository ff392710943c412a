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

/**
 * One line a person can act on, for any error: our own errors carry their message; SDK errors
 * that mean "cannot reach the endpoint" or "no such table" are named plainly.
 */
export function describeError(error: unknown): string {
  const chain: unknown[] = [];
  for (let e: unknown = error; e && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  for (const e of chain) {
    const name = (e as { name?: string }).name ?? '';
    const code = (e as { code?: string }).code ?? '';
    if (name === 'ResourceNotFoundException') {
      const message = (error as Error).message;
      return `${message.split(':')[0]}: the table does not exist (create it with \`step-watch table create --table <name>\`).`;
    }
    if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT'].includes(code)) {
      return `${(error as Error).message.split(':')[0]}: cannot reach the endpoint (${code}).`;
    }
    if (name === 'CredentialsProviderError') {
      return 'No AWS credentials found: configure a profile, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (any values for local endpoints).';
    }
  }
  // A message can quote what SSM or an endpoint sent (a name, an error text): one clean line.
  return terminalSafe(error instanceof Error ? error.message : String(error));
}
