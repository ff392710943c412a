// ExecutionSource over SSM's DescribeAutomationExecutions / DescribeAutomationStepExecutions.
import {
  type AutomationExecutionFilter,
  type AutomationExecutionMetadata,
  AutomationExecutionNotFoundException,
  DescribeAutomationExecutionsCommand,
  DescribeAutomationStepExecutionsCommand,
  SSMClient,
  type StepExecution,
  type StepExecutionFilter,
} from '@aws-sdk/client-ssm';
import { ExecutionNotFoundError, MalformedRecordError, ServiceError } from '../core/errors';
import type {
  ExecutionPage,
  ExecutionSource,
  StartedPageRequest,
  StepPage,
  StepPageRequest,
  UnreadableRecord,
} from '../core/ports';
import {
  FILTER_VALUES_LIMIT,
  isNotStarted,
  plannedStepKey,
  STEP_PAGE_SIZE,
  type StepQuery,
} from '../core/read-plan';
import { IN_FLIGHT_STATUSES } from '../core/status';
import type { AlarmState, ExecutionView, ParentStep, StepTargetLocation, StepView } from '../core/types';
import { CallCounter } from './call-counter';
import type { Pacer } from './token-bucket';

/** Options of {@link SsmExecutionSource}. */
export interface SsmExecutionSourceOptions {
  /** @default a new SSMClient with adaptive retry */
  readonly client?: SSMClient;
  /** Paces every Describe call. @default no pacing */
  readonly bucket?: Pacer;
  /** @default a new counter */
  readonly calls?: CallCounter;
}

/** Reads executions and steps from SSM, turning its payloads into the core's plain views. */
export class SsmExecutionSource implements ExecutionSource {
  readonly calls: CallCounter;
  readonly #client: SSMClient;
  readonly #bucket: Pacer | undefined;
  #unreadable: UnreadableRecord[] = [];

  constructor(options: SsmExecutionSourceOptions = {}) {
    this.#client = options.client ?? new SSMClient({ retryMode: 'adaptive', maxAttempts: 8 });
    this.#bucket = options.bucket;
    this.calls = options.calls ?? new CallCounter();
  }

  async takeUnreadable(): Promise<UnreadableRecord[]> {
    const records = this.#unreadable;
    this.#unreadable = [];
    return records;
  }

  /** Milliseconds spent waiting for the token bucket. */
  get waitedMs(): number {
    return this.#bucket?.waitedMs ?? 0;
  }

  listInFlight(): Promise<ExecutionView[]> {
    return this.#listExecutions([{ Key: 'ExecutionStatus', Values: [...IN_FLIGHT_STATUSES] }]);
  }

  async listStartedPage(request: StartedPageRequest): Promise<ExecutionPage> {
    // SSM takes ISO 8601 without milliseconds here.
    const filters: AutomationExecutionFilter[] = [
      { Key: 'StartTimeAfter', Values: [`${request.after.slice(0, 19)}Z`] },
    ];
    if (request.before !== null)
      filters.push({ Key: 'StartTimeBefore', Values: [`${request.before.slice(0, 19)}Z`] });
    return this.#executionPage(filters, request.nextToken);
  }

  async describeExecutions(executionIds: readonly string[]): Promise<ExecutionView[]> {
    const views: ExecutionView[] = [];
    for (let i = 0; i < executionIds.length; i += FILTER_VALUES_LIMIT) {
      const ids = executionIds.slice(i, i + FILTER_VALUES_LIMIT);
      views.push(...(await this.#listExecutions([{ Key: 'ExecutionId', Values: ids }])));
    }
    return views;
  }

  async readStepPage(request: StepPageRequest): Promise<StepPage> {
    const operation = 'DescribeAutomationStepExecutions';
    const filters = stepFiltersOf(request.query);
    const output = await this.#send(operation, () =>
      this.#client.send(
        new DescribeAutomationStepExecutionsCommand({
          AutomationExecutionId: request.executionId,
          MaxResults: STEP_PAGE_SIZE,
          ...(filters.length > 0 && { Filters: filters }),
          NextToken: request.nextToken ?? undefined,
        }),
      ),
    ).catch((error: unknown) => {
      if (error instanceof ServiceError && error.cause instanceof AutomationExecutionNotFoundException) {
        throw new ExecutionNotFoundError(request.executionId, { cause: error.cause });
      }
      throw error;
    });
    const steps = this.#viewsOf(operation, output.StepExecutions, toStepView, () => request.executionId);
    return { steps, nextToken: output.NextToken ?? null };
  }

  async #listExecutions(filters: AutomationExecutionFilter[]): Promise<ExecutionView[]> {
    const views: ExecutionView[] = [];
    let nextToken: string | null = null;
    do {
      const page = await this.#executionPage(filters, nextToken);
      views.push(...page.executions);
      nextToken = page.nextToken;
    } while (nextToken);
    return views;
  }

  async #executionPage(
    filters: AutomationExecutionFilter[],
    nextToken: string | null,
  ): Promise<ExecutionPage> {
    const operation = 'DescribeAutomationExecutions';
    const output = await this.#send(operation, () =>
      this.#client.send(
        new DescribeAutomationExecutionsCommand({
          Filters: filters,
          MaxResults: STEP_PAGE_SIZE,
          NextToken: nextToken ?? undefined,
        }),
      ),
    );
    const executions = this.#viewsOf(
      operation,
      output.AutomationExecutionMetadataList,
      toExecutionView,
      (raw) => raw.AutomationExecutionId ?? null,
    );
    return { executions, nextToken: output.NextToken ?? null };
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
        const executionId = executionIdOf(raw);
        this.#unreadable.push({
          operation,
          reason: error.message,
          executionId,
          fingerprint: `${operation}|${executionId ?? ''}|${error.message}`,
        });
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
    addsSteps: addsSteps(raw),
  };
}

/**
 * Whether SSM may add steps to this execution while it runs instead of listing them all up front:
 * rate control (one step per target), multi-account runs, change requests and interactive runs.
 * SSM shows a plain run with `Targets: []` and empty `ResolvedTargets` (aws-cli example output).
 */
function addsSteps(raw: AutomationExecutionMetadata): boolean {
  return (
    raw.TargetParameterName !== undefined ||
    (raw.Targets?.length ?? 0) > 0 ||
    (raw.TargetMaps?.length ?? 0) > 0 ||
    (raw.ResolvedTargets?.ParameterValues?.length ?? 0) > 0 ||
    raw.MaxConcurrency !== undefined ||
    raw.AutomationType === 'CrossAccount' ||
    raw.TargetLocationsURL !== undefined ||
    raw.AutomationSubtype === 'ChangeRequest' ||
    (raw.Runbooks?.length ?? 0) > 0 ||
    (raw.Mode !== undefined && raw.Mode !== 'Auto')
  );
}

/**
 * Turns one StepExecution into a view.
 *
 * @throws {@link MalformedRecordError} when the record has no id or no status, saying which
 */
export function toStepView(raw: StepExecution): StepView {
  const status = raw.StepStatus;
  if (!status) {
    throw new MalformedRecordError(
      `step ${raw.StepExecutionId ?? raw.StepName ?? '(unnamed)'} without status`,
    );
  }
  const startTime = isoOf(raw.ExecutionStartTime);
  let stepExecutionId = raw.StepExecutionId;
  if (!stepExecutionId) {
    // SSM may list a step that has not started without an id; it is known by its name until it starts.
    if (!raw.StepName || !isNotStarted({ status, startTime })) {
      throw new MalformedRecordError(`step ${raw.StepName ?? '(unnamed)'} without StepExecutionId`);
    }
    stepExecutionId = plannedStepKey(raw.StepName);
  }
  return {
    stepExecutionId,
    stepName: raw.StepName ?? '',
    action: raw.Action ?? null,
    status,
    startTime,
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
    parentStep: parentStepOf(raw.ParentStepDetails),
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

/**
 * The step a step ran under (`ParentStepDetails`), or null without one. A field of the wrong shape
 * becomes null on its own: the step is still reported, with what can be read of its parent.
 */
export function parentStepOf(raw: StepExecution['ParentStepDetails']): ParentStep | null {
  if (raw === undefined || raw === null || typeof raw !== 'object') return null;
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    stepExecutionId: text(raw.StepExecutionId),
    stepName: text(raw.StepName),
    action: text(raw.Action),
    iteration: Number.isSafeInteger(raw.Iteration) ? (raw.Iteration as number) : null,
    iteratorValue: text(raw.IteratorValue),
  };
}

/** SSM's step filters for a query; none lists every step. */
function stepFiltersOf(query: StepQuery): StepExecutionFilter[] {
  const filters: StepExecutionFilter[] = [];
  if (query.startedAfter !== undefined) filters.push({ Key: 'StartTimeAfter', Values: [query.startedAfter] });
  if (query.startedBefore !== undefined)
    filters.push({ Key: 'StartTimeBefore', Values: [query.startedBefore] });
  if (query.stepExecutionIds !== undefined)
    filters.push({ Key: 'StepExecutionId', Values: [...query.stepExecutionIds] });
  if (query.stepNames !== undefined) filters.push({ Key: 'StepName', Values: [...query.stepNames] });
  if (query.statuses !== undefined) filters.push({ Key: 'StepExecutionStatus', Values: [...query.statuses] });
  return filters;
}
