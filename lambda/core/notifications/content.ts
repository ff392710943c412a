// What each notification says: one step, execution or alarm event of a plain run, or a run's digest (first failure, update, final summary).
import type { NotifiedEvent } from './notified-event';
import type { MessageLine, NotificationMessage, TextPart } from './render';
import { cleanText, cutMiddle } from './text';

/** Code points SSM's text keeps, per channel, by what it is. */
const BUDGET = {
  /** Runbook, step, alarm, target names, statuses, ids. */
  name: { slack: 200, email: 500 },
  status: { slack: 40, email: 80 },
  /** A failure message in a message about one event. */
  failure: { slack: 1500, email: 8000 },
  /** A failure message in a digest's list. */
  listedFailure: { slack: 250, email: 1000 },
  /** A loop's item. */
  iteratorValue: { slack: 200, email: 1000 },
} as const;

/** The Chatbot `eventType` of a digest's messages. */
export const DIGEST_EVENT_TYPE = 'Automation Run Digest';

const ours = (text: string): TextPart => ({ ours: text });
/**
 * SSM's text in a message, cleaned and cut to the larger of its channels' budgets as the message is
 * built: a failure message can be 256 KB, and a message waits in the thread's item until it is sent.
 * Each channel cuts it again to its own budget when it is rendered.
 */
const ssm = (text: string, budget: { slack: number; email: number }, multiline = false): TextPart => ({
  ssm: cutSsmText(text, Math.max(budget.slack, budget.email), multiline),
  ...budget,
  ...(multiline && { multiline }),
});

/** Text left as is when short enough, else cleaned as the channels clean it and cut in the middle. */
function cutSsmText(text: string, maxChars: number, multiline: boolean): string {
  if (text.length <= maxChars) return text;
  return cutMiddle(cleanText(text, multiline), maxChars);
}

/** Chatbot keywords (statuses, the runbook name), cut as SSM's names are. */
function keywordsOf(...keywords: readonly string[]): string[] {
  return keywords.map((keyword) => cutSsmText(keyword, BUDGET.name.email, false));
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const EXECUTION_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * The Systems Manager console's page of an execution; null when the region or id is not one a URL
 * may carry as is (never SSM text in our own link).
 */
export function consoleLink(region: string, executionId: string): string | null {
  if (!REGION.test(region) || !EXECUTION_ID.test(executionId)) return null;
  return `https://${region}.console.aws.amazon.com/systems-manager/automation/execution/${executionId}?region=${region}`;
}

function consoleLine(region: string, executionId: string): MessageLine[] {
  const link = consoleLink(region, executionId);
  return link ? [{ label: 'Console', value: [], link }] : [];
}

function executionLine(event: Pick<NotifiedEvent, 'executionId' | 'account' | 'region'>): MessageLine {
  return {
    label: 'Execution',
    value: [
      ssm(event.executionId, BUDGET.name),
      ours(' in '),
      ssm(event.account, BUDGET.name),
      ours(' '),
      ssm(event.region, BUDGET.name),
    ],
  };
}

function statusChange(previous: string | null, status: string): TextPart[] {
  if (previous === null) return [ssm(status, BUDGET.status), ours(' (first seen)')];
  return [ssm(previous, BUDGET.status), ours(' → '), ssm(status, BUDGET.status)];
}

/** A message about one event of a plain run (or of any run, with per-child messages). */
export function eventMessage(event: NotifiedEvent, id: string): NotificationMessage {
  const runbook: MessageLine = { label: 'Runbook', value: [ssm(event.documentName, BUDGET.name)] };
  const common = { id, threadId: event.executionId, eventType: event.detailType };
  const { step, alarm } = event;
  if (event.kind === 'alarm' && alarm) {
    return {
      ...common,
      kind: 'alarm',
      title: [
        ours('Alarm '),
        ssm(alarm.name, BUDGET.name),
        ours(' triggered during SSM Automation '),
        ssm(event.documentName, BUDGET.name),
      ],
      lines: [
        runbook,
        {
          label: 'Alarm',
          value: [ssm(alarm.name, BUDGET.name), ours(' ('), ssm(alarm.state, BUDGET.status), ours(')')],
        },
        ...(step ? [{ label: 'Step', value: stepParts(step) }] : []),
        executionLine(event),
        ...consoleLine(event.region, event.executionId),
      ],
      keywords: keywordsOf('ALARM', event.documentName),
    };
  }
  if (event.kind === 'step' && step) {
    return {
      ...common,
      kind: 'step',
      title: [
        ours('SSM Automation step '),
        ssm(step.stepName, BUDGET.name),
        ours(' '),
        ssm(step.status, BUDGET.status),
      ],
      lines: [
        runbook,
        { label: 'Step', value: stepParts(step) },
        ...loopLines(step),
        { label: 'Status', value: statusChange(step.previousStatus, step.status) },
        ...failureLines(step.failureMessage),
        executionLine(event),
        ...consoleLine(event.region, event.executionId),
      ],
      keywords: keywordsOf(step.status, event.documentName),
    };
  }
  return {
    ...common,
    kind: 'execution',
    title: [
      ours('SSM Automation '),
      ssm(event.documentName, BUDGET.name),
      ours(' '),
      ssm(event.executionStatus, BUDGET.status),
    ],
    lines: [
      runbook,
      { label: 'Status', value: statusChange(event.previousStatus, event.executionStatus) },
      ...failureLines(event.failureMessage),
      executionLine(event),
      ...consoleLine(event.region, event.executionId),
    ],
    keywords: keywordsOf(event.executionStatus, event.documentName),
  };
}

function stepParts(step: NonNullable<NotifiedEvent['step']>): TextPart[] {
  return [
    ssm(step.stepName, BUDGET.name),
    ...(step.action ? [ours(' ('), ssm(step.action, BUDGET.name), ours(')')] : []),
  ];
}

/** The loop iteration a step ran in, when its event names one (`step.parentStep`). */
function loopLines(step: NonNullable<NotifiedEvent['step']>): MessageLine[] {
  const parent = step.parentStep;
  if (!parent) return [];
  const value: TextPart[] = [ssm(parent.stepName ?? 'loop', BUDGET.name)];
  if (parent.iteration !== null) value.push(ours(` iteration ${parent.iteration}`));
  if (parent.iteratorValue !== null)
    value.push(ours(', item '), ssm(parent.iteratorValue, BUDGET.iteratorValue));
  return [{ label: 'Loop', value }];
}

function failureLines(message: string | null): MessageLine[] {
  return message ? [{ label: 'Failure', value: [ssm(message, BUDGET.failure, true)] }] : [];
}

/** One failure (or alarm) of a run, as a digest keeps it: merged by the child it is about. */
export interface DigestProblem {
  /** The child execution it is about (or the step, or the alarm, of the parent itself). */
  readonly key: string;
  /** Epoch ms when the notifier saw it. */
  readonly at: number;
  /** The execution the console link opens. */
  readonly executionId: string;
  /** The target (the parent's step named after it), when known. */
  readonly target: string | null;
  readonly stepName: string | null;
  readonly alarmName: string | null;
  readonly status: string;
  /** Already cut to the e-mail budget of a listed failure, so a digest's state stays small. */
  readonly message: string | null;
}

/** What a digest message reports of its run. */
export interface DigestSummary {
  readonly kind: 'digest-first' | 'digest-update' | 'digest-final';
  readonly id: string;
  readonly rootId: string;
  readonly documentName: string;
  readonly account: string;
  readonly region: string;
  /** Child executions ended, by status. */
  readonly children: Readonly<Record<string, number>>;
  /**
   * Child executions that failed: the parent's failed steps for its targets, or the children ended in
   * a failure-like status, whichever is more (a child's own end may be notified after its parent's).
   */
  readonly failedChildren: number;
  readonly alarms: number;
  /** Newest first. */
  readonly problems: readonly DigestProblem[];
  /** The parent's final status, once it ended. */
  readonly endStatus: string | null;
  /** The interval between updates, for the first message's promise, in seconds. */
  readonly intervalSeconds: number;
  /** An update of events that came after the final summary. */
  readonly late: boolean;
}

/** Cuts a failure message to what a digest's list shows at most, keeping its end. */
export const LISTED_FAILURE_CHARS = BUDGET.listedFailure.email;

function problemLine(problem: DigestProblem, label?: string): MessageLine {
  const value: TextPart[] = [];
  if (problem.target !== null) value.push(ours('target '), ssm(problem.target, BUDGET.name), ours(', '));
  value.push(ours('execution '), ssm(problem.executionId, BUDGET.name));
  if (problem.alarmName !== null) value.push(ours(', alarm '), ssm(problem.alarmName, BUDGET.name));
  if (problem.stepName !== null) value.push(ours(', step '), ssm(problem.stepName, BUDGET.name));
  value.push(ours(' '), ssm(problem.status, BUDGET.status));
  if (problem.message) value.push(ours(': '), ssm(problem.message, BUDGET.listedFailure, true));
  return { ...(label ? { label } : { bullet: true }), value };
}

function countsText(children: Readonly<Record<string, number>>): string {
  const entries = Object.entries(children).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  return entries.length === 0 ? 'none yet' : entries.map(([status, n]) => `${status} ${n}`).join(' · ');
}

/** A digest's message: the first failure, an update, or the final summary of a run with child executions. */
export function digestMessage(summary: DigestSummary): NotificationMessage {
  const doc = ssm(summary.documentName, BUDGET.name);
  const title: TextPart[] =
    summary.kind === 'digest-first'
      ? [ours('SSM Automation '), doc, ours(': first failure in a run of child executions')]
      : summary.kind === 'digest-final'
        ? [
            ours('SSM Automation '),
            doc,
            ours(' '),
            ssm(summary.endStatus ?? 'ended', BUDGET.status),
            ours(`: ${summary.failedChildren} child executions failed`),
          ]
        : [
            ours('SSM Automation '),
            doc,
            ours(
              summary.late
                ? `: ${summary.failedChildren} child executions failed (after the run ended)`
                : `: ${summary.failedChildren} child executions failed so far`,
            ),
          ];
  const run: MessageLine = {
    label: 'Run',
    value: [
      ssm(summary.rootId, BUDGET.name),
      ours(' in '),
      ssm(summary.account, BUDGET.name),
      ours(' '),
      ssm(summary.region, BUDGET.name),
    ],
  };
  const runbook: MessageLine = { label: 'Runbook', value: [doc] };
  const lines: MessageLine[] = [runbook, run];
  if (summary.kind === 'digest-final')
    lines.push({ label: 'Status', value: [ssm(summary.endStatus ?? 'ended', BUDGET.status)] });
  if (summary.kind === 'digest-first') {
    const [first] = summary.problems;
    if (first) lines.push(withLink(problemLine(first, 'First failure'), summary.region, first.executionId));
    lines.push({
      label: 'Next',
      value: [
        ours(
          `at most one update every ${intervalText(summary.intervalSeconds)}, and a summary when the run ends`,
        ),
      ],
    });
  } else {
    lines.push({ label: 'Child executions ended', value: [ssm(countsText(summary.children), BUDGET.name)] });
    if (summary.alarms > 0) lines.push({ label: 'Alarms', value: [ours(String(summary.alarms))] });
    if (summary.problems.length > 0) {
      lines.push({ label: 'Latest failures', value: [] });
      for (const problem of summary.problems)
        lines.push(withLink(problemLine(problem), summary.region, problem.executionId));
    }
  }
  lines.push(...consoleLine(summary.region, summary.rootId));
  return {
    id: summary.id,
    kind: summary.kind,
    threadId: summary.rootId,
    eventType: DIGEST_EVENT_TYPE,
    title,
    lines,
    keywords: keywordsOf(summary.endStatus ?? 'Failed', summary.documentName),
  };
}

/**
 * An interval as the first digest message promises it: whole minutes, else seconds.
 *
 * @example
 * intervalText(900) // '15 minutes'
 * intervalText(20) // '20 seconds'
 */
export function intervalText(seconds: number): string {
  const whole = Math.max(1, Math.round(seconds));
  if (whole % 60 === 0) return whole === 60 ? '1 minute' : `${whole / 60} minutes`;
  return whole === 1 ? '1 second' : `${whole} seconds`;
}

function withLink(line: MessageLine, region: string, executionId: string): MessageLine {
  const link = consoleLink(region, executionId);
  return link ? { ...line, link } : line;
}
