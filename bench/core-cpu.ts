// CPU time of the pure poll core (diff + event building) for one cycle over an in-memory fleet, no I/O.
import { DEFAULT_EVENT_SOURCE, DEFAULT_MAX_ENTRY_BYTES } from '../lambda/core/defaults';
import { diffExecution } from '../lambda/core/diff';
import { buildEvents, type EventContext } from '../lambda/core/events';
import type { ExecutionState, ExecutionView, StepSnapshot, StepView } from '../lambda/core/types';

/** What {@link measureCoreCpu} found. */
export interface CoreCpuFigures {
  readonly executions: number;
  readonly stepsPerExecution: number;
  readonly changedFraction: number;
  /** Steps handed to the diff in the cycle (every step: the worst case, as full paging reads). */
  readonly stepsDiffed: number;
  readonly eventsBuilt: number;
  /** User + system CPU of the first cycle in this process (cold code), ms. */
  readonly coldCpuMs: number;
  /** Median user + system CPU of three further cycles, ms. */
  readonly warmCpuMs: number;
}

const EPOCH = Date.parse('2026-11-25T00:00:00.000Z');
const iso = (seconds: number): string => new Date(EPOCH + seconds * 1000).toISOString();

interface CoreInput {
  readonly execution: ExecutionView;
  readonly steps: readonly StepView[];
  readonly previous: ExecutionState;
}

/**
 * A fleet as the core sees it in one cycle: every execution in flight, every step read, and the
 * last `changedFraction` of each execution's steps moved from InProgress to Success since the snapshot.
 */
function buildInputs(executions: number, stepsPerExecution: number, changedFraction: number): CoreInput[] {
  const changedFrom = Math.round(stepsPerExecution * (1 - changedFraction));
  const inputs: CoreInput[] = [];
  for (let e = 0; e < executions; e++) {
    const executionId = `e${String(e).padStart(7, '0')}-0000-4000-8000-000000000000`;
    const steps: StepView[] = [];
    const snapshots = new Map<string, StepSnapshot>();
    for (let s = 0; s < stepsPerExecution; s++) {
      const stepExecutionId = `s${String(e).padStart(7, '0')}-0000-4000-8000-${String(s).padStart(12, '0')}`;
      const changed = s >= changedFrom;
      steps.push({
        stepExecutionId,
        stepName: `step${s + 1}`,
        action: 'aws:runCommand',
        status: 'Success',
        startTime: iso(s * 10),
        endTime: iso(s * 10 + 8),
        onFailure: 'Continue',
        maxAttempts: 1,
        isCritical: false,
        failureMessage: null,
        failureDetails: null,
        response: null,
        responseCode: null,
        inputs: { InstanceId: `i-${String(s).padStart(17, '0')}`, DocumentName: 'AWS-RunPatchBaseline' },
        outputs: { CommandId: [`cmd-${e}-${s}`], Status: ['Success'] },
        targetLocation: null,
        triggeredAlarms: [],
        parentStep: null,
      });
      snapshots.set(stepExecutionId, {
        stepExecutionId,
        stepName: `step${s + 1}`,
        status: changed ? 'InProgress' : 'Success',
        startTime: iso(s * 10),
        transitions: changed ? 1 : 2,
        alarms: [],
        alarmsRaised: 0,
        maxAttempts: 1,
      });
    }
    const execution: ExecutionView = {
      executionId,
      documentName: 'AWS-PatchInstanceWithRollback',
      documentVersion: '3',
      status: 'InProgress',
      parentExecutionId: null,
      startTime: iso(0),
      endTime: null,
      failureMessage: null,
      triggeredAlarms: [],
    };
    inputs.push({
      execution,
      steps,
      previous: {
        execution: {
          executionId,
          documentName: execution.documentName,
          documentVersion: '3',
          status: 'InProgress',
          parentExecutionId: null,
          startTime: iso(0),
          endTime: null,
          transitions: 1,
          alarms: [],
          alarmsRaised: 0,
          version: 7,
          stepsReadAt: iso(stepsPerExecution * 10 - 60),
          failedSteps: 0,
          alarmCount: 0,
        },
        steps: snapshots,
      },
    });
  }
  return inputs;
}

/** One cycle of the core over the inputs; returns the number of events built. */
function coreCycle(inputs: readonly CoreInput[]): number {
  const context: EventContext = {
    account: '123456789012',
    region: 'eu-west-1',
    partition: 'aws',
    source: DEFAULT_EVENT_SOURCE,
    observedAt: iso(100_000),
    maxEntryBytes: DEFAULT_MAX_ENTRY_BYTES,
  };
  let events = 0;
  for (const input of inputs) {
    const diff = diffExecution({ ...input, stepsComplete: true, readAt: context.observedAt });
    events += buildEvents(input.execution, diff.transitions, context, events).length;
  }
  return events;
}

function cpuMsOf(run: () => void): number {
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/**
 * Measures the CPU time of diffExecution + buildEvents for one cycle over `executions` x
 * `stepsPerExecution` steps, with `changedFraction` of the steps changed. Inputs are built first and
 * not counted.
 */
export function measureCoreCpu(
  executions = 1000,
  stepsPerExecution = 200,
  changedFraction = 0.1,
): CoreCpuFigures {
  const inputs = buildInputs(executions, stepsPerExecution, changedFraction);
  let eventsBuilt = 0;
  const coldCpuMs = cpuMsOf(() => {
    eventsBuilt = coreCycle(inputs);
  });
  const warm = [0, 1, 2].map(() => cpuMsOf(() => coreCycle(inputs))).sort((a, b) => a - b);
  return {
    executions,
    stepsPerExecution,
    changedFraction,
    stepsDiffed: executions * stepsPerExecution,
    eventsBuilt,
    coldCpuMs: Math.round(coldCpuMs),
    warmCpuMs: Math.round(warm[1] ?? coldCpuMs),
  };
}
