// An SSM client that records what each answer showed, as the delivery checker's observations, per invocation of a poller.
import { SSMClient } from '@aws-sdk/client-ssm';
import { LOCAL_REGION } from '../../sandbox/local-stack';
import type { Observation } from './invariants';

/**
 * Records what each SSM answer showed, as the checker's observations, per invocation of a poller
 * built on its `client` (a handler that builds its own poller, which the checker cannot wrap).
 */
export class ObservingClient {
  readonly client: SSMClient;
  #pending: { steps: Observation[]; executions: Map<string, Observation> } | undefined;

  constructor(endpoint: string, clock: () => number, order: { next: number }) {
    this.client = new SSMClient({
      endpoint,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 3,
    });
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const pending = this.#pending;
        if (pending === undefined) return result;
        const at = clock();
        const input = args.input as { AutomationExecutionId?: string };
        const output = result.output as {
          StepExecutions?: {
            StepExecutionId?: string;
            StepStatus?: string;
            ExecutionStartTime?: Date;
            TriggeredAlarms?: { Name?: string; State?: string }[];
          }[];
          AutomationExecutionMetadataList?: {
            AutomationExecutionId?: string;
            AutomationExecutionStatus?: string;
            TriggeredAlarms?: { Name?: string; State?: string }[];
          }[];
        };
        const alarms = (list: { Name?: string; State?: string }[] | undefined): string[] =>
          (list ?? []).filter((a) => a.State === 'ALARM').map((a) => a.Name ?? '');
        if (context.commandName === 'DescribeAutomationStepExecutionsCommand') {
          for (const step of output.StepExecutions ?? []) {
            pending.steps.push({
              kind: 'step',
              executionId: input.AutomationExecutionId ?? '',
              stepExecutionId: step.StepExecutionId ?? '',
              startTime: step.ExecutionStartTime?.toISOString() ?? null,
              status: step.StepStatus ?? '',
              alarms: alarms(step.TriggeredAlarms),
              at,
              order: order.next++,
            });
          }
        } else {
          // The cycle keeps the last view it got of an execution; so do we.
          for (const view of output.AutomationExecutionMetadataList ?? []) {
            const id = view.AutomationExecutionId ?? '';
            pending.executions.set(id, {
              kind: 'execution',
              executionId: id,
              status: view.AutomationExecutionStatus ?? '',
              alarms: alarms(view.TriggeredAlarms),
              at,
              order: order.next++,
            });
          }
        }
        return result;
      },
      { step: 'initialize', name: 'observeAnswers' },
    );
  }

  /** Starts collecting the answers of one invocation. */
  begin(): void {
    this.#pending = { steps: [], executions: new Map() };
  }

  /** Ends the invocation: its reads, when it committed them, else none. */
  end(committed: boolean): Observation[] {
    const pending = this.#pending;
    this.#pending = undefined;
    if (!pending || !committed) return [];
    return [...pending.executions.values(), ...pending.steps];
  }
}
