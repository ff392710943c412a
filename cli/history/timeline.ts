// Pure rendering of a run's history as a self-contained HTML page: summary, failures, then steps and targets on a time axis.
import { createHash } from 'node:crypto';
import type { ExecutionListing } from '../../lambda/core/history';
import { isFailureStatus, isTerminal } from '../../lambda/core/status';
import { stepLabel } from './format';
import type { HistoryReport } from './report';
import {
  failedFirst,
  type RunExecution,
  type RunStep,
  type RunTarget,
  type RunTree,
  stepEntries,
  targetsOf,
} from './run-tree';
import type { HistorySummary, StatusCounts, SummaryFailure } from './summary';
import { durationWords } from './times';

/** What a status looks like on the timeline. */
export type StatusCategory =
  | 'success'
  | 'failure'
  | 'timedout'
  | 'cancelled'
  | 'running'
  | 'waiting'
  | 'other';

/** Text colour of a step that never started: greyed, and never a bar. */
export const NOT_STARTED_COLOUR = '#6e7781';

/** Fill colour of each status category (colour-blind safe enough with the legend and hover text). */
export const STATUS_COLOURS: Readonly<Record<StatusCategory, string>> = {
  success: '#2e7d32',
  failure: '#c62828',
  timedout: '#ef6c00',
  cancelled: '#757575',
  running: '#1565c0',
  waiting: '#f9a825',
  other: '#6a1b9a',
};

const CATEGORY_OF: Readonly<Record<string, StatusCategory>> = {
  Success: 'success',
  CompletedWithSuccess: 'success',
  Approved: 'success',
  Failed: 'failure',
  CompletedWithFailure: 'failure',
  Rejected: 'failure',
  ChangeCalendarOverrideRejected: 'failure',
  TimedOut: 'timedout',
  Cancelled: 'cancelled',
  Cancelling: 'cancelled',
  Exited: 'cancelled',
  InProgress: 'running',
  RunbookInProgress: 'running',
  Pending: 'waiting',
  Waiting: 'waiting',
  PendingApproval: 'waiting',
  Scheduled: 'waiting',
  PendingChangeCalendarOverride: 'waiting',
  ChangeCalendarOverrideApproved: 'waiting',
};

/** The category of a status; statuses SSM adds later are `other`. */
export function statusCategory(status: string): StatusCategory {
  return CATEGORY_OF[status] ?? 'other';
}

/**
 * One row of the page's run tree, as the page's data carries it (short keys keep a 1,000-target
 * page small): a step, a loop, a loop iteration, or a target (a child execution) with what is below
 * it in `c`, drawn only when the row is expanded.
 */
export interface TimelineNode {
  /** Name shown: step name, loop name, `#iteration value`, target value (or child execution id). */
  readonly n: string;
  /** Kind: `s` step, `l` loop, `i` iteration, `t` target, `r` step that never started. */
  readonly k: 's' | 'l' | 'i' | 't' | 'r';
  /** Status (last recorded), or `not run` / `not started`. */
  readonly s: string;
  /** Seconds from the page's time origin to the start and end; absent when unknown. */
  readonly b?: number;
  readonly e?: number;
  /** 1 when still running when last seen. */
  readonly o?: 1;
  /** Failure message, whole. */
  readonly m?: string;
  /** Alarm names, comma-separated. */
  readonly a?: string;
  /** Action or document name, shown small beside the name. */
  readonly d?: string;
  /** A target's child execution id, and its Region when it has a console page. */
  readonly x?: string;
  readonly g?: string;
  /** 1 when it or anything below it failed. */
  readonly f?: 1;
  /** What is below it. */
  readonly c?: readonly TimelineNode[];
}

/** The data the page draws its run tree from. */
export interface TimelineData {
  /** Epoch ms of the time origin; every `b` and `e` counts seconds from here. */
  readonly from: number;
  /** Seconds from `from` to the right edge of the time axis. */
  readonly span: number;
  readonly nodes: readonly TimelineNode[];
}

const REGION_NAME = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

function seconds(t: number, from: number): number {
  return Math.round((t - from) / 100) / 10;
}

function stepNode(step: RunStep, from: number): TimelineNode {
  return {
    n: step.stepName,
    k: 's',
    s: step.status,
    b: seconds(step.start, from),
    e: seconds(step.end, from),
    ...(step.open && { o: 1 as const }),
    ...(step.failureMessage !== null && { m: step.failureMessage }),
    ...(step.alarms.length > 0 && { a: [...new Set(step.alarms.map((x) => x.name))].join(', ') }),
    ...(step.action !== null && { d: step.action }),
    ...(isFailureStatus(step.status) && { f: 1 as const }),
  };
}

function span(nodes: readonly TimelineNode[]): { b?: number; e?: number } {
  const starts = nodes.flatMap((n) => (n.b === undefined ? [] : [n.b]));
  const ends = nodes.flatMap((n) => (n.e === undefined ? [] : [n.e]));
  return {
    ...(starts.length > 0 && { b: Math.min(...starts) }),
    ...(ends.length > 0 && { e: Math.max(...ends) }),
  };
}

function entryNodes(steps: readonly RunStep[], from: number, insideLoop?: string): TimelineNode[] {
  return stepEntries(steps, insideLoop).map((entry): TimelineNode => {
    if (entry.kind === 'step') return stepNode(entry.step, from);
    const { loop } = entry;
    const iterations = loop.iterations.map((iteration): TimelineNode => {
      const c = entryNodes(iteration.steps, from, loop.key);
      const failed = c.some((n) => n.f === 1);
      const last = c.at(-1);
      return {
        n: `#${iteration.iteration ?? '?'}${iteration.iteratorValue === null ? '' : ` ${iteration.iteratorValue}`}`,
        k: 'i',
        s: failed ? (c.find((n) => n.f === 1)?.s ?? 'Failed') : (last?.s ?? 'unknown'),
        ...span(c),
        ...(failed && { f: 1 as const }),
        c,
      };
    });
    const own = loop.step ? stepNode(loop.step, from) : null;
    const failed = iterations.some((n) => n.f === 1) || own?.f === 1;
    return {
      ...(own ?? { n: loop.stepName, k: 'l', s: iterations.at(-1)?.s ?? 'unknown', ...span(iterations) }),
      k: 'l',
      d: `${own?.d ?? 'aws:loop'} · ${iterations.length} iteration${iterations.length === 1 ? '' : 's'}`,
      ...(failed && { f: 1 as const }),
      c: iterations,
    };
  });
}

function notStartedNodes(execution: RunExecution): TimelineNode[] {
  return execution.notStarted.map((step) => ({ n: step.stepName, k: 'r', s: step.label }));
}

/** The rows below an execution: its steps (loops grouped), its steps that never started, then its targets failed first. */
function executionNodes(tree: RunTree, execution: RunExecution, seen: Set<string>): TimelineNode[] {
  seen.add(execution.executionId);
  const targets = failedFirst(targetsOf(tree, execution));
  const targetSteps = new Set(targets.flatMap((t) => (t.step ? [t.step.stepExecutionId] : [])));
  const targetNotStarted = new Set(
    targets.flatMap((t) => (t.child === null && t.step === null ? [t.value] : [])),
  );
  const steps = execution.steps.filter((s) => !targetSteps.has(s.stepExecutionId));
  return [
    ...entryNodes(steps, tree.from),
    ...notStartedNodes(execution).filter((n) => !targetNotStarted.has(n.n)),
    ...targets
      .filter((t) => !(t.child && seen.has(t.child.executionId)))
      .map((t) => targetNode(tree, t, seen)),
  ];
}

function targetNode(tree: RunTree, target: RunTarget, seen: Set<string>): TimelineNode {
  const child = target.child;
  const c = child ? executionNodes(tree, child, seen) : [];
  const from = tree.from;
  const start = child?.start ?? target.step?.start ?? null;
  const end = child?.end ?? (target.step && !target.step.open ? target.step.end : null);
  const failedStep = c.find((n) => n.f === 1 && n.m !== undefined);
  const message = failedStep?.m ?? child?.failureMessage ?? target.step?.failureMessage ?? null;
  const alarms = child
    ? [...child.alarms, ...child.steps.flatMap((s) => s.alarms)].map((a) => a.name)
    : (target.step?.alarms.map((a) => a.name) ?? []);
  const failed = isFailureStatus(target.outcome) || c.some((n) => n.f === 1);
  return {
    n: target.value ?? child?.executionId ?? '(unnamed target)',
    k: 't',
    s: target.outcome,
    ...(start !== null && { b: seconds(start, from) }),
    ...(end !== null && { e: seconds(end, from) }),
    ...(child &&
      end === null &&
      start !== null &&
      child.status !== null &&
      !isTerminal(child.status) && { o: 1 as const }),
    ...(message !== null && { m: message }),
    ...(alarms.length > 0 && { a: [...new Set(alarms)].join(', ') }),
    ...(child && { d: child.documentName, x: child.executionId }),
    ...(child?.region && REGION_NAME.test(child.region) && { g: child.region }),
    ...(failed && { f: 1 as const }),
    ...(c.length > 0 && { c }),
  };
}

/**
 * The page's data: the rows of the execution asked for — its steps with loops grouped by
 * iteration, its steps that never started, then its targets (children) failed first, each with its
 * own steps and children below it.
 */
export function timelineData(tree: RunTree, executionId: string): TimelineData {
  const root = tree.executions.find((e) => e.executionId === executionId) ?? tree.executions[0];
  const seen = new Set<string>();
  const nodes = root ? executionNodes(tree, root, seen) : [];
  // Executions the table links to no parent it shows (a broken link): at the end, as targets.
  for (const execution of tree.executions) {
    if (seen.has(execution.executionId)) continue;
    nodes.push(
      targetNode(
        tree,
        {
          value: null,
          parentExecutionId: '',
          child: execution,
          step: null,
          outcome: execution.status ?? 'unknown',
        },
        seen,
      ),
    );
  }
  return { from: tree.from, span: Math.max(0.1, seconds(tree.to, tree.from)), nodes };
}

/** Input of {@link renderTimeline}. */
export interface TimelineInput {
  /** The report of the run (its filter does not apply to the page: the page filters itself). */
  readonly report: HistoryReport;
  /** The snapshot of the execution asked for, for the header; null when the table has none. */
  readonly execution: ExecutionListing | null;
  /** The execution asked for. */
  readonly executionId: string;
  /** Shown in the footer, e.g. the table name. @default none */
  readonly source?: string;
}

/** Failures listed on the page itself; the rest are in the run tree (`Failed only`). */
export const MAX_LISTED_FAILURES = 200;

const STYLE = `${(Object.keys(STATUS_COLOURS) as StatusCategory[])
  .map((c) => `.bg-${c} { background: ${STATUS_COLOURS[c]}; }`)
  .join('\n')}
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #ffffff; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; padding: 20px 28px; font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 20px; margin: 0 0 2px; }
h2 { font-size: 16px; margin: 18px 0 6px; }
.sub { color: var(--muted); margin: 0 0 10px; font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: 12.5px; }
.t, td, dd { unicode-bidi: isolate; }
a { color: #0969da; }
dl.facts { display: grid; grid-template-columns: repeat(4, max-content minmax(0, auto)); gap: 3px 12px; margin: 0 0 6px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0 24px 0 0; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-weight: 600; font-size: 12.5px; white-space: nowrap; }
.badge.bg-waiting { color: #1b1f24; }
.badge.not-started { background: none; color: ${NOT_STARTED_COLOUR}; border: 1px dashed ${NOT_STARTED_COLOUR}; font-style: italic; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; position: sticky; top: 0; background: var(--bg); }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.msg { white-space: pre-wrap; overflow-wrap: anywhere; min-width: 260px; max-width: 620px; }
td.name { white-space: nowrap; max-width: 380px; overflow: hidden; text-overflow: ellipsis; }
table.failures td.msg { max-width: none; }
.controls { display: flex; gap: 16px; align-items: center; margin: 4px 0 8px; color: var(--muted); }
.controls input[type=search] { font: inherit; padding: 2px 6px; width: 260px; }
button.toggle { font: inherit; border: 0; background: none; cursor: pointer; width: 18px; padding: 0; color: var(--muted); }
button.more { font: inherit; margin: 8px 0; }
td.bar-cell { width: 300px; min-width: 200px; }
.track { position: relative; height: 14px; background: var(--soft); border-radius: 3px; }
.bar { position: absolute; top: 2px; height: 10px; border-radius: 2px; min-width: 2px; }
.bar.open { opacity: .55; }
tr.k-t > td { background: #fbfcfd; }
tr.k-r td { color: ${NOT_STARTED_COLOUR}; font-style: italic; }
.kind { color: var(--muted); font-size: 11.5px; margin-left: 6px; }
.axis { display: flex; justify-content: space-between; color: var(--muted); font-size: 11px; font-weight: 400; }
footer { margin-top: 18px; color: var(--muted); font-size: 12px; }
`;

// The page's only script. Every string from the data goes into the page as text (textContent,
// title), never as markup; the console link is built from a Region checked against its pattern.
const SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('run-data').textContent);
  var body = document.getElementById('rows');
  var onlyFailed = document.getElementById('only-failed');
  var find = document.getElementById('find');
  var count = document.getElementById('count');
  var PAGE = 1000;
  var shown = PAGE;
  var CATEGORY = ${JSON.stringify(CATEGORY_OF)};
  function category(s) { return CATEGORY[s] || (s === 'not run' || s === 'not started' ? 'not-started' : 'other'); }
  function duration(n) {
    if (n.b === undefined || n.e === undefined) return '-';
    var s = Math.max(0, n.e - n.b), out = [];
    [['d', 86400], ['h', 3600], ['m', 60]].forEach(function (u) { if (s >= u[1]) { out.push(Math.floor(s / u[1]) + u[0]); s = s % u[1]; } });
    if (s > 0 || out.length === 0) out.push(Number(s.toFixed(1)) + 's');
    return out.join(' ') + (n.o ? ' …' : '');
  }
  function iso(n) { return n.b === undefined ? '-' : new Date(data.from + n.b * 1000).toISOString().replace('T', ' ').slice(0, 19); }
  function cell(tr, cls, text) { var td = document.createElement('td'); if (cls) td.className = cls; if (text !== undefined) td.textContent = text; tr.appendChild(td); return td; }
  function row(n, depth) {
    var tr = document.createElement('tr');
    tr.className = 'k-' + n.k + (n.f ? ' failed' : '');
    tr.setAttribute('data-kind', n.k);
    tr.setAttribute('data-status', n.s);
    var name = cell(tr, 'name');
    name.style.paddingLeft = (depth * 18) + 'px';
    name.title = n.n;
    if (n.c && n.c.length) {
      var b = document.createElement('button');
      b.className = 'toggle'; b.textContent = '▸'; b.setAttribute('aria-expanded', 'false');
      b.setAttribute('aria-label', 'Show what ran for ' + n.n);
      b.addEventListener('click', function () { toggle(tr, n, depth, b); });
      name.appendChild(b);
    } else {
      name.appendChild(document.createElement('span')).className = 'toggle-space';
      name.lastChild.style.display = 'inline-block'; name.lastChild.style.width = '18px';
    }
    var label = name.appendChild(document.createElement('span'));
    label.className = 't label'; label.textContent = n.n;
    if (n.d) { var d = name.appendChild(document.createElement('span')); d.className = 'kind t'; d.textContent = n.d; }
    var st = cell(tr, 'status');
    var badge = st.appendChild(document.createElement('span'));
    var c = category(n.s);
    badge.className = c === 'not-started' ? 'badge not-started' : 'badge bg-' + c;
    badge.textContent = n.s;
    cell(tr, 'time', iso(n));
    cell(tr, 'time', duration(n));
    var barCell = cell(tr, 'bar-cell');
    if (n.b !== undefined) {
      var track = barCell.appendChild(document.createElement('div')); track.className = 'track';
      var bar = track.appendChild(document.createElement('div'));
      bar.className = 'bar bg-' + c + (n.o ? ' open' : '');
      var end = n.e === undefined ? data.span : n.e;
      bar.style.left = (100 * n.b / data.span).toFixed(2) + '%';
      bar.style.width = (100 * Math.max(0, end - n.b) / data.span).toFixed(2) + '%';
      bar.title = n.n + ' — ' + n.s + ' (' + duration(n) + ')';
    }
    cell(tr, 'alarms t', n.a || '');
    var msg = cell(tr, 'msg t', n.m || '');
    if (n.x) {
      var link = msg.insertBefore(document.createElement('div'), msg.firstChild);
      link.className = 'kind';
      link.appendChild(document.createTextNode(n.x + ' '));
      if (n.g) {
        var a = link.appendChild(document.createElement('a'));
        a.href = 'https://' + n.g + '.console.aws.amazon.com/systems-manager/automation/execution/' + encodeURIComponent(n.x) + '?region=' + n.g;
        a.rel = 'noopener noreferrer'; a.target = '_blank'; a.textContent = 'console';
      }
    }
    tr._node = n; tr._depth = depth;
    return tr;
  }
  function toggle(tr, n, depth, b) {
    if (b.getAttribute('aria-expanded') === 'true') {
      var next = tr.nextSibling;
      while (next && next._depth > depth) { var gone = next; next = next.nextSibling; body.removeChild(gone); }
      b.setAttribute('aria-expanded', 'false'); b.textContent = '▸';
      return;
    }
    var after = tr.nextSibling, frag = document.createDocumentFragment();
    n.c.forEach(function (child) { if (!onlyFailed.checked || child.f) frag.appendChild(row(child, depth + 1)); });
    body.insertBefore(frag, after);
    b.setAttribute('aria-expanded', 'true'); b.textContent = '▾';
  }
  function draw() {
    var q = find.value.trim().toLowerCase();
    var keep = data.nodes.filter(function (n) { return (!onlyFailed.checked || n.f) && (!q || n.n.toLowerCase().indexOf(q) >= 0); });
    var frag = document.createDocumentFragment();
    keep.slice(0, shown).forEach(function (n) { frag.appendChild(row(n, 0)); });
    body.textContent = '';
    body.appendChild(frag);
    count.textContent = (keep.length > shown ? shown + ' of ' : '') + keep.length + ' row' + (keep.length === 1 ? '' : 's');
    more.hidden = keep.length <= shown;
  }
  var more = document.getElementById('more');
  more.addEventListener('click', function () { shown += PAGE; draw(); });
  onlyFailed.addEventListener('change', function () { shown = PAGE; draw(); });
  find.addEventListener('input', function () { shown = PAGE; draw(); });
  draw();
})();
`;

/** JSON for a `<script type="application/json">` block: `<`, `>` and `&` escaped so no text ends the block. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

/**
 * Renders the history as one HTML page that needs nothing but a browser: inline CSS and one inline
 * script (allowed by hash in a Content-Security-Policy that forbids every network request). It
 * opens on the summary and the failures (each message whole); below them the run as rows — steps,
 * loops by iteration, then one row per target, failed first — collapsed, expanded on demand, with
 * a bar on a shared time axis. Every text from the table is escaped or set as text.
 */
export function renderTimeline(input: TimelineInput): string {
  const { report, execution } = input;
  const summary = report.summary;
  const data = timelineData(report.tree, input.executionId);
  const documentName = summary.documentName || 'Automation execution';
  const csp = [
    "default-src 'none'",
    `style-src '${sha256(STYLE)}'`,
    `script-src '${sha256(SCRIPT)}'`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const alarmCount = summary.alarms.length;
  const facts: [string, string][] = [
    ['Status', badge(summary.status)],
    ['Started', escapeHtml(summary.startTime ?? '-')],
    ['Ended', escapeHtml(summary.endTime ?? '-')],
    ['Duration', escapeHtml(durationWords(summary.durationSeconds))],
    ['Account', text(summary.account ?? '-')],
    ['Region', text(summary.region ?? '-')],
    ['Steps', countsHtml(summary.steps)],
    ['Alarms', String(alarmCount)],
  ];
  if (summary.children.total > 0) facts.push(['Child executions', countsHtml(summary.children)]);
  if (summary.targets) facts.push(['Targets', countsHtml(summary.targets)]);
  const tickLabels = axisTicks(data.from, data.from + data.span * 1000)
    .filter((_, i, all) => i === 0 || i === all.length - 1 || all.length <= 5)
    .map((t) => `<span>${escapeHtml(tickLabel(t, data.span * 1000))}</span>`)
    .join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${documentName} · ${input.executionId} · step-watch history`)}</title>
<style>${STYLE}</style>
</head>
<body>
<header id="summary">
<h1>${text(documentName)}${execution?.documentVersion ? ` <small>v${text(execution.documentVersion)}</small>` : ''}</h1>
<p class="sub">${text(input.executionId)}${summary.parentExecutionId ? ` · child of ${text(summary.parentExecutionId)}` : ''}${summary.consoleUrl ? ` · <a href="${escapeHtml(summary.consoleUrl)}" rel="noopener noreferrer" target="_blank">Open in the Systems Manager console</a>` : ''}</p>
<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
</header>
${failuresSection(summary.failures, summary.targets !== null)}
${alarmsSection(summary, alarmCount)}
<section id="run">
<h2>${summary.targets ? 'Steps and targets' : 'Steps'}</h2>
<div class="controls"><label><input type="checkbox" id="only-failed"> Failed only</label><input type="search" id="find" placeholder="Find a step or target" aria-label="Find a step or target"><span id="count"></span></div>
<table class="tree"><thead><tr><th>Name</th><th>Status</th><th>Start (UTC)</th><th>Duration</th><th><div class="axis">${tickLabels}</div></th><th>Alarms</th><th>Message</th></tr></thead><tbody id="rows"></tbody></table>
<button type="button" class="more" id="more" hidden>Show more</button>
<noscript><p>The rows need JavaScript; the summary and failures above do not.</p></noscript>
</section>
<footer>Generated by step-watch history from the transitions recorded${input.source ? ` in ${text(input.source)}` : ''}. Times are UTC.</footer>
<script type="application/json" id="run-data">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** SSM-controlled text as element content: escaped, and isolated so bidi controls cannot reorder what follows. */
function text(value: string): string {
  return `<bdi>${escapeHtml(value)}</bdi>`;
}

function countsHtml(counts: StatusCounts): string {
  const parts = Object.entries(counts.byStatus).map(([status, n]) => `${n} ${text(status)}`);
  return `${counts.total}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

function failuresSection(failures: readonly SummaryFailure[], byTarget: boolean): string {
  if (failures.length === 0) return '<section id="failures"><h2>Failures</h2><p>None.</p></section>';
  const listed = failures.slice(0, MAX_LISTED_FAILURES);
  const rows = listed.map(
    (f) =>
      `<tr><td class="name">${text(f.target ?? f.executionId)}</td><td>${badge(f.status)}</td><td>${text(stepLabel({ ...f, loop: f.loopStepName }) ?? '(execution)')}</td><td class="msg">${escapeHtml(f.failureMessage ?? '')}</td><td class="time">${f.consoleUrl ? `<a href="${escapeHtml(f.consoleUrl)}" rel="noopener noreferrer" target="_blank">console</a>` : ''}</td></tr>`,
  );
  const more =
    failures.length > listed.length
      ? `<p>${failures.length - listed.length} more: tick <em>Failed only</em> below, or run <code>step-watch history --failed</code>.</p>`
      : '';
  return `<section id="failures"><h2>Failures (${failures.length})</h2><table class="failures"><thead><tr><th>${byTarget ? 'Target' : 'Execution'}</th><th>Status</th><th>Step</th><th>Message</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}</section>`;
}

function alarmsSection(summary: HistorySummary, count: number): string {
  if (count === 0) return '';
  const rows = summary.alarms.map(
    (a) =>
      `<tr><td class="name">${text(a.name)}</td><td>${text(a.state)}</td><td>${text(a.target ?? a.executionId)}</td><td>${text(a.stepName ?? '(execution)')}</td><td class="time">${escapeHtml(a.observedAt ?? '-')}</td></tr>`,
  );
  return `<section id="alarms"><h2>Alarms (${count})</h2><table class="alarms"><thead><tr><th>Alarm</th><th>State</th><th>${summary.targets ? 'Target' : 'Execution'}</th><th>Step</th><th>Observed</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function badge(status: string): string {
  return `<span class="badge bg-${statusCategory(status)}" data-status="${escapeHtml(status)}">${escapeHtml(status)}</span>`;
}

const TICK_STEPS_MS = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000,
];

/** Tick times at a round interval, at most about eight of them. */
function axisTicks(from: number, to: number): number[] {
  const span = to - from;
  const step = TICK_STEPS_MS.find((s) => span / s <= 8) ?? Math.ceil(span / 8 / 86_400_000) * 86_400_000;
  const ticks: number[] = [from];
  for (let t = Math.ceil(from / step) * step; t < to; t += step) if (t > from) ticks.push(t);
  ticks.push(to);
  return ticks;
}

function tickLabel(t: number, span: number): string {
  const iso = new Date(t).toISOString();
  if (span >= 2 * 86_400_000) return iso.slice(5, 16).replace('T', ' ');
  return iso.slice(11, 19);
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}
