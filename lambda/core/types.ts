// Plain shapes the poll core works on: what SSM shows, what the store remembers, what we emit.

/** An alarm SSM lists in `TriggeredAlarms`. */
export interface AlarmState {
  readonly name: string;
  /** `ALARM` or `UNKNOWN` today; any other string passes through. */
  readonly state: string;
}

/** Where a step ran, for multi-account / multi-region steps. */
export interface StepTargetLocation {
  readonly accounts?: readonly string[];
  readonly regions?: readonly string[];
  readonly executionRoleName?: string;
  readonly targetLocationMaxConcurrency?: string;
  readonly targetLocationMaxErrors?: string;
}

/** One automation execution as SSM describes it now. Times are ISO 8601 UTC strings. */
export interface ExecutionView {
  readonly executionId: string;
  readonly documentName: string;
  readonly documentVersion: string | null;
  readonly status: string;
  readonly parentExecutionId: string | null;
  readonly startTime: string | null;
  readonly endTime: string | null;
  readonly failureMessage: string | null;
  readonly triggeredAlarms: readonly AlarmState[];
  /**
   * Whether SSM may add steps while the execution runs, so not all of them are listed up front:
   * rate control (`Targets`, `TargetMaps`, `MaxConcurrency`) or a multi-account run. Unknown
   * (absent) counts as yes.
   */
  readonly addsSteps?: boolean;
}

/**
 * The step a step execution ran under (SSM's `ParentStepDetails`): for the steps inside an
 * `aws:loop`, the loop step, which repetition of the loop and which item of its `Iterators`. Each
 * field is null when SSM leaves it out or sends it in a shape the model does not allow.
 */
export interface ParentStep {
  /** The parent step's `StepExecutionId`. */
  readonly stepExecutionId: string | null;
  /** The parent step's name. */
  readonly stepName: string | null;
  /** The parent step's action, e.g. `aws:loop`. */
  readonly action: string | null;
  /** "The current repetition of the loop represented by an integer." */
  readonly iteration: number | null;
  /** "The current value of the specified iterator in the loop." Free text from the runbook's `Iterators`. */
  readonly iteratorValue: string | null;
}

/** One step execution as SSM describes it now. Times are ISO 8601 UTC strings. */
export interface StepView {
  readonly stepExecutionId: string;
  readonly stepName: string;
  readonly action: string | null;
  readonly status: string;
  readonly startTime: string | null;
  readonly endTime: string | null;
  readonly onFailure: string | null;
  readonly maxAttempts: number | null;
  readonly isCritical: boolean | null;
  readonly failureMessage: string | null;
  readonly failureDetails: Readonly<Record<string, unknown>> | null;
  readonly response: string | null;
  readonly responseCode: string | null;
  readonly inputs: Readonly<Record<string, string>> | null;
  readonly outputs: Readonly<Record<string, readonly string[]>> | null;
  readonly targetLocation: StepTargetLocation | null;
  readonly triggeredAlarms: readonly AlarmState[];
  /** The step it ran under (a loop iteration's `aws:loop` step), or null for a step of the runbook itself. */
  readonly parentStep: ParentStep | null;
}

/**
 * What the store remembers of a step: enough to diff, nothing more.
 * `transitions` and `alarmsRaised` count what was emitted, and make event ids unique when a
 * status comes back (a retried step, an execution that waits twice).
 */
export interface StepSnapshot {
  readonly stepExecutionId: string;
  readonly stepName: string;
  readonly status: string;
  readonly startTime: string | null;
  readonly transitions: number;
  /** Names of alarms already reported in `ALARM`. */
  readonly alarms: readonly string[];
  readonly alarmsRaised: number;
  /**
   * The step's `MaxAttempts` when SSM gave one. A failed step with more than one attempt may run
   * again under the same id, so the step-read window keeps it in view. Absent means SSM's default, 1.
   */
  readonly maxAttempts?: number;
}

/** What the store remembers of an execution. */
export interface ExecutionSnapshot {
  readonly executionId: string;
  readonly documentName: string;
  readonly documentVersion: string | null;
  readonly status: string;
  readonly parentExecutionId: string | null;
  readonly startTime: string | null;
  readonly endTime: string | null;
  readonly transitions: number;
  readonly alarms: readonly string[];
  readonly alarmsRaised: number;
  /** Optimistic-lock counter; a write succeeds only against the version it read. */
  readonly version: number;
  /** When the steps were last read completely (ISO); null before the first complete read. */
  readonly stepsReadAt: string | null;
  /**
   * For an ended execution, when a complete read settles it (ISO): its end plus the time a step
   * may take to show up in SSM's listing. Until a complete read at or after it, the execution is
   * still watched, so a step that shows up late is still reported. Null while in flight; absent in
   * snapshots written before it existed (the end time then counts).
   */
  readonly settledAfter?: string | null;
  /**
   * A complete step listing (the first read, or the read after the end) that ran out of time: where
   * it goes on next cycle. Absent or null when none is under way.
   */
  readonly listing?: StepListing | null;
  /**
   * Names of started steps a cut read held back because they might be a step the snapshot holds as
   * not started (see `lambda/cycle/step-reader.ts`); the next read asks for them by name.
   */
  readonly heldNames?: readonly string[];
  /**
   * False while the status stored here has not been announced yet: the first read of an execution
   * that had already ended spans cycles, and its final status waits for the end of that read, so it
   * comes after its steps. Absent means announced.
   */
  readonly announced?: boolean;
  /** Steps seen in a failure-like status, for listings. */
  readonly failedSteps: number;
  /** Alarms raised so far, execution and step level, for listings. */
  readonly alarmCount: number;
}

/**
 * Where a complete step listing that spans cycles stands. SSM documents no order that a listing cut
 * short could go on from, so it goes on by start-time windows, whatever the order within each: every
 * step started before `after` has been read; the next window lists the steps started from `after`
 * for `widthSeconds`, then the next, up to the steps started since, and last the ones not started
 * yet. What it read is complete as of `since`, when it began.
 */
export interface StepListing {
  /** When the listing began (ISO). */
  readonly since: string;
  /** Every step started before it has been read (ISO). */
  readonly after: string;
  /** The width of the next window, in seconds: halved when a window is not read in one go, doubled when it is. */
  readonly widthSeconds: number;
}

/** An execution's snapshot together with its steps' snapshots. */
export interface ExecutionState {
  readonly execution: ExecutionSnapshot;
  readonly steps: ReadonlyMap<string, StepSnapshot>;
}

/** The three detail types of the public event contract. */
export const DETAIL_TYPES = {
  step: 'Automation Step Status Change',
  alarm: 'Automation Step Alarm Triggered',
  execution: 'Automation Execution Status Change',
} as const;

/** One of the three detail types. */
export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/** A change the diff found, before it is turned into an event. */
export type Transition =
  | {
      readonly kind: 'step';
      readonly step: StepView;
      readonly previousStatus: string | null;
      /** Ordinal of this transition for the step (0 for first sight). */
      readonly ordinal: number;
    }
  | {
      readonly kind: 'execution';
      readonly status: string;
      readonly previousStatus: string | null;
      readonly ordinal: number;
    }
  | {
      readonly kind: 'alarm';
      readonly alarm: AlarmState;
      /** The step that raised it, or null for an execution-level alarm. */
      readonly step: StepView | null;
      readonly ordinal: number;
    };

/**
 * What a recorded transition is, as typed fields beside its serialised detail: what catching a
 * snapshot up folds onto it (see `catchUp`), so nothing parses a detail back or recomputes an id.
 * `ordinal` is the {@link Transition}'s ordinal.
 */
export type RecordedTransition =
  | {
      readonly kind: 'step';
      readonly ordinal: number;
      readonly stepExecutionId: string;
      readonly stepName: string;
      readonly status: string;
      readonly previousStatus: string | null;
      readonly startTime: string | null;
      readonly maxAttempts: number | null;
    }
  | {
      readonly kind: 'execution';
      readonly ordinal: number;
      readonly stepExecutionId: null;
      readonly status: string;
      readonly previousStatus: string | null;
    }
  | {
      readonly kind: 'alarm';
      readonly ordinal: number;
      /** The step that raised it, or null for an execution-level alarm. */
      readonly stepExecutionId: string | null;
      readonly alarmName: string;
    }
  | {
      /**
       * Stored without these fields (by a version before they existed, or damaged): sent like any
       * other, but it cannot tell whether a snapshot reflects it, so catching up skips it.
       */
      readonly kind: 'untyped';
      readonly stepExecutionId: string | null;
    };

/** An event ready to send, as it is stored in the outbox: the entry, and the transition it records. */
export type OutboxEvent = RecordedTransition & {
  readonly eventId: string;
  readonly executionId: string;
  readonly detailType: DetailType;
  /** The `resources` of the entry: the execution ARN. */
  readonly resources: readonly string[];
  /** The `detail`, already serialised and within the size limit. */
  readonly detail: string;
  /** When the transition was first observed (ISO); kept on every resend. */
  readonly observedAt: string;
  /** Order of the event within its cycle, so history reads back in emission order. */
  readonly sequence: number;
};
