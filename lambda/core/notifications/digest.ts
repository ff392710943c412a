// Which notifications an event makes: one message per event for plain runs, a digest (first failure, bounded updates, final summary) for a run with child executions; and the whole stack's messages simulated.
import { isTerminal, TERMINAL_STATUSES } from '../status';
import {
  type DigestProblem,
  type DigestSummary,
  digestMessage,
  eventMessage,
  LISTED_FAILURE_CHARS,
} from './content';
import { type NotifiedEvent, notifiedEventOf } from './notified-event';
import { type NotificationMessage, type RenderedNotification, renderNotification } from './render';
import { cleanText, cutMiddle } from './text';

/** Fifteen minutes: the default interval between two digest updates of one run. */
export const DEFAULT_DIGEST_INTERVAL_SECONDS = 900;
/** Event ids a thread's state remembers to drop a repeated event (EventBridge delivers at least once). */
export const SEEN_KEPT = 1000;
/** Failures a digest lists (the newest). */
export const PROBLEMS_LISTED = 5;
/** Characters of an event id kept for dedupe: 64 bits, so a thread's state stays small. */
const SEEN_ID_CHARS = 16;
const EXECUTE_AUTOMATION = 'aws:executeAutomation';

/** How the notifier groups and when it speaks. */
export interface NotifyOptions {
  /** Step and execution statuses that are failures worth a message (`notifications.statuses`). */
  readonly statuses: readonly string[];
  /** Least time between two digest messages of one run (after the first failure), ms. */
  readonly digestIntervalMs: number;
  /** One message per event of every execution, children included, instead of a run's digest. */
  readonly perChildMessages: boolean;
}

/** A run with child executions, as its digest remembers it. */
export interface DigestState {
  readonly documentName: string;
  readonly account: string;
  readonly region: string;
  /** Child executions ended, by status. */
  readonly children: Readonly<Record<string, number>>;
  readonly alarms: number;
  /** The parent's `aws:executeAutomation` steps seen failing: one per failed target. */
  readonly failedTargets: number;
  /** Problems seen (failure-like step and execution events, alarms). */
  readonly problems: number;
  /** The newest problems, newest last, merged by the child they are about. */
  readonly latest: readonly DigestProblem[];
  /** Digest messages decided so far. */
  readonly sent: number;
  /** When the last one was (epoch ms); null before the first. */
  readonly lastSentAt: number | null;
  /** A problem came after the last message. */
  readonly newProblems: boolean;
  /** The parent's final status, once it ended. */
  readonly endStatus: string | null;
  readonly finalSent: boolean;
}

/** What the notifier keeps of one thread: an execution of a plain run, or a run with children. */
export interface NotificationState {
  readonly threadId: string;
  /** Short ids of the events already handled, newest last (at most {@link SEEN_KEPT}). */
  readonly seen: readonly string[];
  /** Messages decided for the thread so far: numbers their ids. */
  readonly sequence: number;
  /** Set once the thread is a run with child executions. */
  readonly digest: DigestState | null;
}

/** The outcome of one event. */
export interface NotificationStep {
  /** The thread's state after the event; unchanged (the same object) when nothing is to be saved. */
  readonly state: NotificationState | null;
  /** Whether the state changed and must be saved. */
  readonly changed: boolean;
  /** The event was handled before (its id is remembered). */
  readonly duplicate: boolean;
  readonly messages: readonly NotificationMessage[];
}

/**
 * The thread an event belongs to: its parent's for a child (unless every execution speaks for
 * itself), else its own execution's.
 */
export function threadOf(event: NotifiedEvent, options: Pick<NotifyOptions, 'perChildMessages'>): string {
  return options.perChildMessages ? event.executionId : (event.parentExecutionId ?? event.executionId);
}

/**
 * The statuses of the execution rule: the failure-like ones, and every terminal one, so that a run
 * with children is counted and its end summarised (a plain run's execution speaks only for the
 * failure-like ones).
 */
export function executionRuleStatuses(statuses: readonly string[]): string[] {
  return [...new Set([...statuses, ...TERMINAL_STATUSES])];
}

/** Whether the stack's rules hand this event to the notifier at all. */
export function isRouted(event: NotifiedEvent, statuses: readonly string[]): boolean {
  if (event.kind === 'alarm') return true;
  if (event.kind === 'step') return statuses.includes(event.step?.status ?? '');
  return executionRuleStatuses(statuses).includes(event.executionStatus);
}

function isProblem(event: NotifiedEvent, statuses: readonly string[]): boolean {
  if (event.kind === 'alarm') return true;
  if (event.kind === 'step') return statuses.includes(event.step?.status ?? '');
  return statuses.includes(event.executionStatus);
}

/** Whether the plain-run message of this event is due: a failure-like status, or an alarm. */
function speaksAlone(event: NotifiedEvent, statuses: readonly string[]): boolean {
  return isProblem(event, statuses);
}

/**
 * Folds one event into its thread's state and says which messages it makes. Pure: `now` is when the
 * notifier handles it (epoch ms). An event whose id the state remembers makes nothing.
 *
 * Plain runs: a failure-like step or execution status, or an alarm, makes one message. A run with
 * child executions (an event with `parentExecutionId`, an `aws:executeAutomation` step, or a thread
 * already digested) makes a digest: its first problem at once; then at most one update per
 * interval, when a new problem came, going out with the first event after the interval; and a final
 * summary when the parent ends (if anything failed). Without a timer, an update that is due waits
 * for the next event of the run or its final summary.
 */
export function foldNotification(
  state: NotificationState | null,
  event: NotifiedEvent,
  now: number,
  options: NotifyOptions,
): NotificationStep {
  const seenId = event.eventId.slice(0, SEEN_ID_CHARS);
  if (state?.seen.includes(seenId)) return { state, changed: false, duplicate: true, messages: [] };
  const threadId = threadOf(event, options);
  const base: NotificationState = state ?? { threadId, seen: [], sequence: 0, digest: null };
  const seen = [...base.seen, seenId].slice(-SEEN_KEPT);
  const inDigest =
    !options.perChildMessages &&
    (event.parentExecutionId !== null ||
      (event.kind === 'step' && event.step?.action === EXECUTE_AUTOMATION) ||
      base.digest !== null);

  if (!inDigest) {
    if (!speaksAlone(event, options.statuses))
      return { state, changed: false, duplicate: false, messages: [] };
    const message = eventMessage(event, event.eventId);
    return {
      state: { ...base, seen, sequence: base.sequence + 1 },
      changed: true,
      duplicate: false,
      messages: [message],
    };
  }

  const before = base.digest ?? newDigest(event);
  const problem = isProblem(event, options.statuses);
  let digest = foldIntoDigest(before, event, threadId, now, problem);
  const isRootEnd =
    event.kind === 'execution' && event.executionId === threadId && isTerminal(event.executionStatus);
  let kind: DigestSummary['kind'] | null = null;
  let late = false;
  if (isRootEnd && !digest.finalSent) {
    digest = { ...digest, endStatus: event.executionStatus, finalSent: true };
    if (digest.sent > 0 || digest.problems > 0 || options.statuses.includes(event.executionStatus))
      kind = 'digest-final';
  } else if (digest.sent === 0 && problem) {
    kind = 'digest-first';
  } else if (
    digest.newProblems &&
    digest.lastSentAt !== null &&
    now - digest.lastSentAt >= options.digestIntervalMs
  ) {
    kind = 'digest-update';
    late = digest.finalSent;
  }
  const messages: NotificationMessage[] = [];
  let sequence = base.sequence;
  if (kind !== null) {
    sequence += 1;
    messages.push(
      digestMessage({
        kind,
        id: `${threadId}/${kind}/${sequence}`,
        rootId: threadId,
        documentName: digest.documentName,
        account: digest.account,
        region: digest.region,
        children: digest.children,
        failedChildren: failedChildren(digest, options.statuses),
        alarms: digest.alarms,
        problems: [...digest.latest].reverse(),
        endStatus: digest.endStatus,
        intervalSeconds: options.digestIntervalMs / 1000,
        late,
      }),
    );
    digest = { ...digest, sent: digest.sent + 1, lastSentAt: now, newProblems: false };
  }
  return { state: { ...base, seen, sequence, digest }, changed: true, duplicate: false, messages };
}

function failedChildren(digest: DigestState, statuses: readonly string[]): number {
  const ended = statuses.reduce((sum, status) => sum + (digest.children[status] ?? 0), 0);
  return Math.max(ended, digest.failedTargets ?? 0);
}

function newDigest(event: NotifiedEvent): DigestState {
  return {
    documentName: event.documentName,
    account: event.account,
    region: event.region,
    children: {},
    alarms: 0,
    failedTargets: 0,
    problems: 0,
    latest: [],
    sent: 0,
    lastSentAt: null,
    newProblems: false,
    endStatus: null,
    finalSent: false,
  };
}

/** Counts the event into the digest and, for a problem, keeps it among the latest. */
function foldIntoDigest(
  digest: DigestState,
  event: NotifiedEvent,
  rootId: string,
  now: number,
  problem: boolean,
): DigestState {
  const isChild = event.executionId !== rootId;
  let next: DigestState = {
    ...digest,
    // A child's events name the parent's runbook too; a parent's own event is the better source.
    ...(!isChild && event.documentName !== '' && { documentName: event.documentName }),
    ...(digest.account === '' && { account: event.account }),
    ...(digest.region === '' && { region: event.region }),
  };
  if (isChild && event.kind === 'execution' && isTerminal(event.executionStatus)) {
    next = {
      ...next,
      children: {
        ...next.children,
        [event.executionStatus]: (next.children[event.executionStatus] ?? 0) + 1,
      },
    };
  }
  if (event.kind === 'alarm') next = { ...next, alarms: next.alarms + 1 };
  if (!problem || (!isChild && event.kind === 'execution')) return next;
  if (!isChild && event.step?.action === EXECUTE_AUTOMATION)
    next = { ...next, failedTargets: (next.failedTargets ?? 0) + 1 };
  const found = problemOf(event, rootId, now);
  const earlier = next.latest.find((p) => p.key === found.key);
  const merged: DigestProblem = earlier
    ? {
        ...found,
        target: found.target ?? earlier.target,
        stepName: found.stepName ?? earlier.stepName,
        alarmName: found.alarmName ?? earlier.alarmName,
        // A step's failure message says more than its execution's; keep the first one found.
        message: earlier.message ?? found.message,
        executionId: earlier.executionId,
      }
    : found;
  const latest = [...next.latest.filter((p) => p.key !== found.key), merged].slice(-PROBLEMS_LISTED);
  return { ...next, problems: next.problems + 1, latest, newProblems: true };
}

function problemOf(event: NotifiedEvent, rootId: string, now: number): DigestProblem {
  const { step } = event;
  const message = step?.failureMessage ?? (event.kind === 'execution' ? event.failureMessage : null);
  const cut = message === null ? null : cutMiddle(cleanText(message, true), LISTED_FAILURE_CHARS);
  const isChild = event.executionId !== rootId;
  // The parent's step for a target starts the child; it is named after the target.
  const child = !isChild && step?.action === EXECUTE_AUTOMATION ? step.childExecutionId : null;
  const executionId = isChild ? event.executionId : (child ?? event.executionId);
  const key =
    isChild || child
      ? executionId
      : event.alarm
        ? `alarm:${event.alarm.name}`
        : (step?.stepExecutionId ?? event.eventId);
  return {
    key,
    at: now,
    executionId,
    target: !isChild && step?.action === EXECUTE_AUTOMATION ? step.stepName : null,
    stepName: step && !(step.action === EXECUTE_AUTOMATION && !isChild) ? step.stepName : null,
    alarmName: event.alarm?.name ?? null,
    status:
      event.kind === 'alarm' ? (event.alarm?.state ?? 'ALARM') : (step?.status ?? event.executionStatus),
    message: cut,
  };
}

/** One event as it was observed: its detail type, its detail and when the notifier would handle it. */
export interface ObservedEvent {
  /** Epoch ms. */
  readonly at: number;
  readonly detailType: string;
  readonly detail: unknown;
}

/** A message the stack would send, when, rendered for every channel. */
export interface SimulatedMessage {
  /** Epoch ms. */
  readonly at: number;
  readonly message: NotificationMessage;
  readonly rendered: RenderedNotification;
}

/**
 * The exact messages the stack would send for these events, handled one after the other in the
 * given order at their times: only the events the rules route, each folded into its thread's state
 * as the notify function does. The preview (`step-watch notify preview`) and the bench use it.
 *
 * @example
 * const sent = simulateNotifications(events, { statuses: FAILURE_STATUSES, digestIntervalMs: 900_000, perChildMessages: false });
 */
export function simulateNotifications(
  events: readonly ObservedEvent[],
  options: NotifyOptions,
): SimulatedMessage[] {
  const states = new Map<string, NotificationState>();
  const sent: SimulatedMessage[] = [];
  for (const observed of events) {
    const event = notifiedEventOf(observed.detailType, observed.detail);
    if (event === null || !isRouted(event, options.statuses)) continue;
    const threadId = threadOf(event, options);
    const step = foldNotification(states.get(threadId) ?? null, event, observed.at, options);
    if (step.changed && step.state) states.set(threadId, step.state);
    for (const message of step.messages)
      sent.push({ at: observed.at, message, rendered: renderNotification(message) });
  }
  return sent;
}
