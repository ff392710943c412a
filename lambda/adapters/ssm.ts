// ExecutionSource over SSM's DescribeAutomationExecutions / DescribeAutomationStepExecutions.
import {
  type AutomationExecutionFilter,
  type AutomationExecutionMetadata,
  DescribeAutomationExecutionsCommand,
  DescribeAutomationStepExecutionsCommand,
  SSMClient,
  type StepExecution,
} from '@aws-sdk/client-ssm';
import { MalformedRecordError, ServiceError } from '../core/errors';
import type { ExecutionSource, StepPage, StepPageRequest } from '../core/ports';
import { IN_FLIGHT_STATUSES } from '../core/status';
import type { AlarmState, ExecutionView, StepTargetLocation, StepView } from '../core/types';
import { CallCounter } from './call-counter';
import type { TokenBucket } from './token-bucket';

/** A record SSM returned that the cycle cannot use (no id, no status), skipped and reported. */
export interface SkippedRecord {
  readonly operation: string;
  readonly reason: string;
  readonly executionId: string | null;
}

/** Options of {@link SsmExecutionSource}. */
export interface SsmExecutionSourceOptions {
  /** @default a new SSMClient with adaptive retry */
  readonly client?: SSMClient;
  /** Paces every Describe call. @default no pacing */
  readonly bucket?: TokenBucket;
  /** @default a new counter */
  readonly calls?: CallCounter;
  /** Called for every record that is skipped. */
  readonly onSkip?: (skipped: SkippedRecord) => void;
}

const PAGE_SIZE = 50;
const IDS_PER_FILTER = 10;

/** Reads executions and steps from SSM, turning its payloads into the core's plain views. */
export class SsmExecutionSource implements ExecutionSource {
  readonly calls: CallCounter;
  readonly #client: SSMClient;
  readonly #bucket: TokenBucket | undefined;
  readonly #onSkip: (skipped: SkippedRecord) => void;

  constructor(options: SsmExecutionSourceOptions = {}) {
    this.#client = options.client ?? new SSMClient({ retryMode: 'adaptive', maxAttempts: 8 });
    this.#bucket = options.bucket;
    this.calls = options.calls ?? new CallCounter();
    this.#onSkip = options.onSkip ?? (() => {});
  }

  /** Milliseconds spent waiting for the token bucket. */
  get waitedMs(): number {
    return this.#bucket?.waitedMs ?? 0;
  }

  listInFlight(): Promise<ExecutionView[]> {
    return this.#listExecutions([{ Key: 'ExecutionStatus', Values: [...IN_FLIGHT_STATUSES] }]);
  }

  listStartedAfter(time: string): Promise<ExecutionView[]> {
    // SSM takes ISO 8601 without milliseconds here.
    const value = `${time.slice(0, 19)}Z`;
    return this.#listExecutions([{ Key: 'StartTimeAfter', Values: [value] }]);
  }

  async describeExecutions(executionIds: readonly string[]): Promise<ExecutionView[]> {
    const views: ExecutionView[] = [];
    for (let i = 0; i < executionIds.length; i += IDS_PER_FILTER) {
      const ids = executionIds.slice(i, i + IDS_PER_FILTER);
      views.push(...(await this.#listExecutions([{ Key: 'ExecutionId', Values: ids }])));
    }
    return views;
  }

  async readStepPage(request: StepPageRequest): Promise<StepPage> {
    const operation = 'DescribeAutomationStepExecutions';
    const output = await this.#send(operation, () =>
      this.#client.send(
        new DescribeAutomationStepExecutionsCommand({
          AutomationExecutionId: request.executionId,
          MaxResults: PAGE_SIZE,
          ReverseOrder: request.reverse,
          NextToken: request.nextToken ?? undefined,
        }),
      ),
    );
    const steps = this.#viewsOf(operation, output.StepExecutions, toStepView, () => request.executionId);
    return { steps, nextToken: output.NextToken ?? null };
  }

  async #listExecutions(filters: AutomationExecutionFilter[]): Promise<ExecutionView[]> {
    const operation = 'DescribeAutomationExecutions';
    const views: ExecutionView[] = [];
    let nextToken: string | undefined;
    do {
      const output = await this.#send(operation, () =>
        this.#client.send(
          new DescribeAutomationExecutionsCommand({
            Filters: filters,
            MaxResults: PAGE_SIZE,
            NextToken: nextToken,
          }),
        ),
      );
      views.push(
        ...this.#viewsOf(
          operation,
          output.AutomationExecutionMetadataList,
          toExecutionView,
          (raw) => raw.AutomationExecutionId ?? null,
        ),
      );
      nextToken = output.NextToken;
    } while (nextToken);
    return views;
  }

  /** The views of the records that can be used; each one that cannot is reported and skipped. */
  #viewsOf<R, V>(
    operation: string,
    records: readonly R[] | undefined,
    toView: (raw: R) => V,
    executionIdOf: (raw: R) => string | null,
  ): V[] {
    const views: V[] = [];
    for (const raw of records ?? []) {
      try {
        views.push(toView(raw));
      } catch (error) {
        if (!(error instanceof MalformedRecordError)) throw error;
        this.#onSkip({ operation, reason: error.message, executionId: executionIdOf(raw) });
      }
    }
    return views;
  }

  async #send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    await this.#bucket?.take();
    this.calls.count(operation);
    try {
      return await call();
    } catch (error) {
      throw ServiceError.of(`SSM ${operation}`, error);
    }
  }
}

/**
 * Turns one AutomationExecutionMetadata into a view.
 *
 * @throws {@link MalformedRecordError} when the record has no id or no status, saying which
 */
export function toExecutionView(raw: AutomationExecutionMetadata): ExecutionView {
  if (!raw.AutomationExecutionId) throw new MalformedRecordError('execution without AutomationExecutionId');
  if (!raw.AutomationExecutionStatus) {
    throw new MalformedRecordError(`execution ${raw.AutomationExecutionId} without status`);
  }
  return {
    executionId: raw.AutomationExecutionId,
    documentName: raw.DocumentName ?? '',
    documentVersion: raw.DocumentVersion ?? null,
    status: raw.AutomationExecutionStatus,
    parentExecutionId: raw.ParentAutomationExecutionId ?? null,
    startTime: isoOf(raw.ExecutionStartTime),
    endTime: isoOf(raw.ExecutionEndTime),
    failureMessage: raw.FailureMessage ?? null,
    triggeredAlarms: alarmsOf(raw.TriggeredAlarms),
  };
}

/**
 * Turns one StepExecution into a view.
 *
 * @throws {@link MalformedRecordError} when the record has no id or no status, saying which
 */
export function toStepView(raw: StepExecution): StepView {
  if (!raw.StepExecutionId) {
    throw new MalformedRecordError(`step ${raw.StepName ?? '(unnamed)'} without StepExecutionId`);
  }
  if (!raw.StepStatus) throw new MalformedRecordError(`step ${raw.StepExecutionId} without status`);
  return {
    stepExecutionId: raw.StepExecutionId,
    stepName: raw.StepName ?? '',
    action: raw.Action ?? null,
    status: raw.StepStatus,
    startTime: isoOf(raw.ExecutionStartTime),
    endTime: isoOf(raw.ExecutionEndTime),
    onFailure: raw.OnFailure ?? null,
    maxAttempts: raw.MaxAttempts ?? null,
    isCritical: raw.IsCritical ?? null,
    failureMessage: raw.FailureMessage ?? null,
    failureDetails: raw.FailureDetails ? { ...raw.FailureDetails } : null,
    response: raw.Response ?? null,
    responseCode: raw.ResponseCode ?? null,
    inputs: raw.Inputs ?? null,
    outputs: raw.Outputs ?? null,
    targetLocation: targetLocationOf(raw.TargetLocation),
    triggeredAlarms: alarmsOf(raw.TriggeredAlarms),
  };
}

function isoOf(time: Date | undefined): string | null {
  return time && !Number.isNaN(time.getTime()) ? time.toISOString() : null;
}

function alarmsOf(alarms: readonly { Name?: string; State?: string }[] | undefined): AlarmState[] {
  return (alarms ?? []).flatMap((a) => (a.Name ? [{ name: a.Name, state: a.State ?? 'UNKNOWN' }] : []));
}

function targetLocationOf(raw: StepExecution['TargetLocation']): StepTargetLocation | null {
  if (!raw) return null;
  return {
    ...(raw.Accounts && { accounts: raw.Accounts }),
    ...(raw.Regions && { regions: raw.Regions }),
    ...(raw.ExecutionRoleName && { executionRoleName: raw.ExecutionRoleName }),
    ...(raw.TargetLocationMaxConcurrency && {
      targetLocationMaxConcurrency: raw.TargetLocationMaxConcurrency,
    }),
    ...(raw.TargetLocationMaxErrors && { targetLocationMaxErrors: raw.TargetLocationMaxErrors }),
  };
}
