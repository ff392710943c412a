// Pure rendering of an execution's history as a self-contained HTML page with an SVG timeline.
import { createHash } from 'node:crypto';
import type { ExecutionListing } from '../../lambda/core/history';
import { isFailureStatus, isTerminal } from '../../lambda/core/status';
import { type HistoryRow, isNotStartedRow } from './format';

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

/** An alarm on the timeline. */
export interface TimelineAlarm {
  readonly name: string;
  readonly state: string;
  /** Epoch ms it was observed. */
  readonly at: number;
}

/** One step's bar: from its start to its end (or to the last observation while it runs). */
export interface TimelineStep {
  readonly executionId: string;
  readonly stepExecutionId: string;
  readonly stepName: string;
  readonly action: string | null;
  /** Last status recorded. */
  readonly status: string;
  readonly start: number;
  readonly end: number;
  /** True when the step has no end yet (not terminal when last seen). */
  readonly open: boolean;
  readonly failureMessage: string | null;
  readonly alarms: readonly TimelineAlarm[];
}

/** A step that never started: a labelled row without a bar. */
export interface TimelineNotStartedStep {
  readonly executionId: string;
  /** Null when SSM listed the step without an id. */
  readonly stepExecutionId: string | null;
  readonly stepName: string;
  /** `not run` once the execution has ended, `not started` while it is in flight. */
  readonly label: 'not run' | 'not started';
}

/** One execution: a header row, execution-level alarms, its steps' bars, then its steps that never started. */
export interface TimelineLane {
  readonly executionId: string;
  readonly documentName: string;
  readonly depth: number;
  readonly status: string | null;
  readonly failureMessage: string | null;
  readonly alarms: readonly TimelineAlarm[];
  readonly steps: readonly TimelineStep[];
  readonly notStarted: readonly TimelineNotStartedStep[];
}

/** The timeline's data, before drawing. */
export interface TimelineModel {
  readonly lanes: readonly TimelineLane[];
  /** Epoch ms of the left and right edges of the time axis. */
  readonly from: number;
  readonly to: number;
}

interface StepDraft {
  executionId: string;
  stepExecutionId: string;
  stepName: string;
  action: string | null;
  status: string;
  startTime: number | null;
  endTime: number | null;
  firstSeen: number;
  lastSeen: number;
  failureMessage: string | null;
  alarms: TimelineAlarm[];
  order: number;
}

interface LaneDraft {
  executionId: string;
  documentName: string;
  depth: number;
  status: string | null;
  failureMessage: string | null;
  alarms: TimelineAlarm[];
  steps: Map<string, StepDraft>;
  notStarted: TimelineNotStartedStep[];
}

/**
 * Builds the timeline from history rows (in history order): lanes in order of first appearance,
 * steps by start time; a step's status, times and failure message are the last ones recorded.
 * Steps that never started (`not-run` / `not-started` rows) come after the bars of their lane.
 */
export function buildTimeline(rows: readonly HistoryRow[]): TimelineModel {
  const lanes = new Map<string, LaneDraft>();
  let latest = Number.NEGATIVE_INFINITY;
  let earliest = Number.POSITIVE_INFINITY;
  let order = 0;
  for (const row of rows) {
    const observed = parseTime(row.observedAt);
    if (observed !== null) {
      latest = Math.max(latest, observed);
      earliest = Math.min(earliest, observed);
    }
    let lane = lanes.get(row.executionId);
    if (!lane) {
      lane = {
        executionId: row.executionId,
        documentName: row.documentName,
        depth: row.depth,
        status: null,
        failureMessage: null,
        alarms: [],
        steps: new Map(),
        notStarted: [],
      };
      lanes.set(row.executionId, lane);
    }
    if (isNotStartedRow(row)) {
      lane.notStarted.push({
        executionId: row.executionId,
        stepExecutionId: row.stepExecutionId,
        stepName: row.stepName ?? '',
        label: row.kind === 'not-run' ? 'not run' : 'not started',
      });
      continue;
    }
    lane.documentName ||= row.documentName;
    if (row.executionStatus) lane.status = row.executionStatus;
    if (row.kind === 'execution') {
      lane.status = row.status ?? lane.status;
      lane.failureMessage = row.failureMessage ?? lane.failureMessage;
    }
    const step = row.detail?.step;
    if ((row.kind === 'step' || row.kind === 'alarm') && step) {
      const at = observed ?? latest;
      let draft = lane.steps.get(step.stepExecutionId);
      if (!draft) {
        draft = {
          executionId: row.executionId,
          stepExecutionId: step.stepExecutionId,
          stepName: step.stepName,
          action: null,
          status: step.status,
          startTime: null,
          endTime: null,
          firstSeen: at,
          lastSeen: at,
          failureMessage: null,
          alarms: [],
          order: order++,
        };
        lane.steps.set(step.stepExecutionId, draft);
      }
      draft.stepName = step.stepName || draft.stepName;
      draft.action = typeof step.action === 'string' ? step.action : draft.action;
      draft.status = step.status;
      draft.startTime = parseTime(step.startTime) ?? draft.startTime;
      // The last record decides: an end time a record left out is no end time.
      draft.endTime = parseTime(step.endTime);
      draft.lastSeen = Math.max(draft.lastSeen, at);
      draft.failureMessage =
        typeof step.failureMessage === 'string' ? step.failureMessage : draft.failureMessage;
    }
    if (row.kind === 'alarm' && row.alarmName !== null) {
      const alarm = { name: row.alarmName, state: row.alarmState ?? '', at: observed ?? latest };
      const owner = step ? lane.steps.get(step.stepExecutionId) : undefined;
      (owner ? owner.alarms : lane.alarms).push(alarm);
    }
  }

  const built: TimelineLane[] = [];
  for (const lane of lanes.values()) {
    const steps = [...lane.steps.values()].map((draft): TimelineStep & { order: number } => {
      const start = draft.startTime ?? draft.firstSeen;
      const open = draft.endTime === null && !isTerminal(draft.status);
      const end = draft.endTime ?? (open ? Math.max(latest, start) : Math.max(draft.lastSeen, start));
      earliest = Math.min(earliest, start);
      latest = Math.max(latest, end);
      return {
        executionId: draft.executionId,
        stepExecutionId: draft.stepExecutionId,
        stepName: draft.stepName,
        action: draft.action,
        status: draft.status,
        start,
        end,
        open,
        failureMessage: draft.failureMessage,
        alarms: draft.alarms,
        order: draft.order,
      };
    });
    steps.sort((a, b) => a.start - b.start || a.order - b.order);
    built.push({
      executionId: lane.executionId,
      documentName: lane.documentName,
      depth: lane.depth,
      status: lane.status,
      failureMessage: lane.failureMessage,
      alarms: lane.alarms,
      steps: steps.map(({ order: _order, ...step }) => step),
      notStarted: lane.notStarted,
    });
  }
  for (const lane of built) for (const alarm of lane.alarms) latest = Math.max(latest, alarm.at);
  if (!Number.isFinite(earliest)) earliest = 0;
  if (!Number.isFinite(latest) || latest <= earliest) latest = earliest + 1000;
  return { lanes: built, from: earliest, to: latest };
}

/** Input of {@link renderTimeline}. */
export interface TimelineInput {
  /** The history rows, in history order. */
  readonly rows: readonly HistoryRow[];
  /** The snapshot of the execution asked for, for the header; null when the table has none. */
  readonly execution: ExecutionListing | null;
  /** The execution asked for (used when there is no snapshot). */
  readonly executionId: string;
  /** Shown in the footer, e.g. the table name. @default none */
  readonly source?: string;
}

const CHART_WIDTH = 1100;
const LABEL_WIDTH = 270;
const RIGHT_MARGIN = 40;
const AXIS_HEIGHT = 34;
const LANE_HEIGHT = 30;
const STEP_HEIGHT = 26;
const BAR_HEIGHT = 16;

const STYLE = `${(Object.keys(STATUS_COLOURS) as StatusCategory[])
  .map((c) => `.bg-${c} { background: ${STATUS_COLOURS[c]}; } svg .fg-${c} { fill: ${STATUS_COLOURS[c]}; }`)
  .join('\n')}
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #ffffff; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 20px; margin: 0 0 4px; }
.sub { color: var(--muted); margin: 0 0 16px; font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: 12.5px; }
dl.facts { display: grid; grid-template-columns: repeat(4, max-content auto); gap: 4px 12px; margin: 0 0 18px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0 24px 0 0; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-weight: 600; font-size: 12.5px; white-space: nowrap; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 0 0 10px; color: var(--muted); font-size: 12.5px; }
.legend svg { vertical-align: -2px; margin-right: 4px; }
.chart { border: 1px solid var(--line); border-radius: 6px; overflow-x: auto; }
svg text { font: 12.5px system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif; fill: var(--fg); }
svg .lane-label { font-weight: 600; }
svg .axis text { fill: var(--muted); font-size: 11.5px; }
svg .grid { stroke: #eaeef2; }
svg .lane-row { fill: #f6f8fa; }
svg .step:hover .bar, svg .step:focus .bar { stroke: #1b1f24; stroke-width: 1.5; }
svg .step:focus { outline: none; }
svg .alarm-marker path { fill: #ffb300; stroke: #1b1f24; stroke-width: 1; }
table.steps { border-collapse: collapse; margin-top: 22px; width: 100%; font-size: 13px; }
table.steps th, table.steps td { text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
table.steps th { color: var(--muted); font-weight: 600; }
table.steps td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
table.steps td.msg { white-space: pre-wrap; max-width: 520px; }
svg .lane-status { font-weight: 600; }
svg .not-started text { fill: ${NOT_STARTED_COLOUR}; }
svg .not-started .not-started-note { font-style: italic; }
.badge.not-started { background: none; color: ${NOT_STARTED_COLOUR}; border: 1px dashed ${NOT_STARTED_COLOUR}; font-style: italic; }
#tip { position: fixed; z-index: 10; max-width: 480px; padding: 8px 10px; border-radius: 6px; background: #1b1f24; color: #fff; font-size: 12.5px; white-space: pre-wrap; pointer-events: none; box-shadow: 0 4px 14px rgba(0,0,0,.25); }
#tip[hidden] { display: none; }
footer { margin-top: 18px; color: var(--muted); font-size: 12px; }
`;

// The tooltip reads the already-escaped data-tip attribute and sets it as text, never as HTML.
const SCRIPT = `
(function () {
  var tip = document.getElementById('tip');
  function show(el, x, y) {
    tip.textContent = el.getAttribute('data-tip');
    tip.hidden = false;
    place(x, y);
  }
  function place(x, y) {
    var w = tip.offsetWidth, h = tip.offsetHeight;
    tip.style.left = Math.max(4, Math.min(x + 14, window.innerWidth - w - 4)) + 'px';
    tip.style.top = Math.max(4, Math.min(y + 14, window.innerHeight - h - 4)) + 'px';
  }
  function hide() { tip.hidden = true; }
  document.querySelectorAll('[data-tip]').forEach(function (el) {
    el.addEventListener('mouseenter', function (e) { show(el, e.clientX, e.clientY); });
    el.addEventListener('mousemove', function (e) { place(e.clientX, e.clientY); });
    el.addEventListener('mouseleave', hide);
    el.addEventListener('focus', function () { var r = el.getBoundingClientRect(); show(el, r.left, r.bottom); });
    el.addEventListener('blur', hide);
  });
})();
`;

/**
 * Renders the history as one HTML page that needs nothing but a browser: inline CSS, inline script
 * (allowed by hash in a Content-Security-Policy that forbids every network request), inline SVG.
 * Every text from the table is escaped, so a step named `<script>` shows as text.
 */
export function renderTimeline(input: TimelineInput): string {
  const model = buildTimeline(input.rows);
  const root = model.lanes[0];
  const execution = input.execution;
  const status = execution?.status ?? root?.status ?? 'unknown';
  const documentName = execution?.documentName || root?.documentName || 'Automation execution';
  const stepCount = model.lanes.reduce((n, lane) => n + lane.steps.length, 0);
  const alarmCount = model.lanes.reduce(
    (n, lane) => n + lane.alarms.length + lane.steps.reduce((m, step) => m + step.alarms.length, 0),
    0,
  );
  const failed = model.lanes.reduce(
    (n, lane) => n + lane.steps.filter((step) => isFailureStatus(step.status)).length,
    0,
  );
  const notStarted = model.lanes.flatMap((lane) => lane.notStarted);
  const notRun = notStarted.filter((step) => step.label === 'not run').length;
  const started = execution?.startTime ?? isoOrNull(model.lanes.length > 0 ? model.from : null);
  const ended = execution?.endTime ?? null;
  const csp = [
    "default-src 'none'",
    `style-src '${sha256(STYLE)}'`,
    `script-src '${sha256(SCRIPT)}'`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');

  const facts: [string, string][] = [
    ['Status', badge(status)],
    ['Started', escapeHtml(started ?? '-')],
    ['Ended', escapeHtml(ended ?? '-')],
    ['Duration', escapeHtml(durationText(started, ended))],
    ['Steps', String(stepCount)],
    ['Failed steps', String(failed)],
    ['Alarms', String(alarmCount)],
    ['Child executions', String(Math.max(0, model.lanes.length - 1))],
  ];
  if (notRun > 0) facts.push(['Steps not run', String(notRun)]);
  if (notStarted.length > notRun) facts.push(['Steps not started', String(notStarted.length - notRun)]);

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
<header>
<h1>${escapeHtml(documentName)}${execution?.documentVersion ? ` <small>v${escapeHtml(execution.documentVersion)}</small>` : ''}</h1>
<p class="sub">${escapeHtml(input.executionId)}${execution?.parentExecutionId ? ` · child of ${escapeHtml(execution.parentExecutionId)}` : ''}</p>
<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
</header>
${legend()}
<div class="chart">${model.lanes.length === 0 ? '<p>No transitions recorded.</p>' : chartSvg(model)}</div>
${stepTable(model)}
<footer>Generated by step-watch history from the transitions recorded${input.source ? ` in ${escapeHtml(input.source)}` : ''}. Times are UTC.</footer>
<div id="tip" role="tooltip" hidden></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function chartSvg(model: TimelineModel): string {
  const plotLeft = LABEL_WIDTH;
  const plotRight = CHART_WIDTH - RIGHT_MARGIN;
  const span = model.to - model.from;
  const x = (t: number): number => plotLeft + ((t - model.from) / span) * (plotRight - plotLeft);
  const height =
    AXIS_HEIGHT +
    model.lanes.reduce(
      (h, lane) => h + LANE_HEIGHT + (lane.steps.length + lane.notStarted.length) * STEP_HEIGHT,
      0,
    ) +
    8;

  const ticks = axisTicks(model.from, model.to);
  const parts: string[] = [];
  parts.push('<g class="axis">');
  for (const tick of ticks) {
    const tx = x(tick).toFixed(1);
    parts.push(
      `<line class="grid" x1="${tx}" x2="${tx}" y1="${AXIS_HEIGHT - 6}" y2="${height}"></line>`,
      `<text x="${tx}" y="${AXIS_HEIGHT - 12}" text-anchor="middle">${escapeHtml(tickLabel(tick, model.to - model.from))}</text>`,
    );
  }
  parts.push('</g>');

  let y = AXIS_HEIGHT;
  for (const lane of model.lanes) {
    const indent = 8 + lane.depth * 14;
    const laneLabel = `${lane.depth > 0 ? '↳ ' : ''}${lane.documentName || lane.executionId}`;
    const laneTip = [
      `${lane.documentName} — ${lane.status ?? 'unknown'}`,
      lane.executionId,
      lane.failureMessage ?? '',
    ]
      .filter(Boolean)
      .join('\n');
    parts.push(
      `<g class="lane" data-execution-id="${escapeHtml(lane.executionId)}">`,
      `<rect class="lane-row" x="0" y="${y}" width="${CHART_WIDTH}" height="${LANE_HEIGHT}"></rect>`,
      `<text class="lane-label" x="${indent}" y="${y + 19}" data-tip="${escapeHtml(laneTip)}"><title>${escapeHtml(laneTip)}</title>${escapeHtml(clip(laneLabel, 36))}</text>`,
    );
    if (lane.status) {
      parts.push(
        `<text class="lane-status fg-${statusCategory(lane.status)}" x="${plotRight}" y="${y + 19}" text-anchor="end">${escapeHtml(lane.status)}</text>`,
      );
    }
    for (const alarm of lane.alarms) parts.push(alarmMarker(alarm, x(alarm.at), y + LANE_HEIGHT / 2, null));
    parts.push('</g>');
    y += LANE_HEIGHT;

    for (const step of lane.steps) {
      const x1 = x(step.start);
      const width = Math.max(3, x(step.end) - x1);
      const colour = STATUS_COLOURS[statusCategory(step.status)];
      const tip = stepTip(step);
      const barY = y + (STEP_HEIGHT - BAR_HEIGHT) / 2;
      parts.push(
        `<g class="step" tabindex="0" data-step-id="${escapeHtml(step.stepExecutionId)}" data-status="${escapeHtml(step.status)}" data-tip="${escapeHtml(tip)}">`,
        `<title>${escapeHtml(tip)}</title>`,
        `<text class="step-label" x="${indent + 14}" y="${y + 17}">${escapeHtml(clip(step.stepName, 34))}</text>`,
        `<rect class="bar${step.open ? ' open' : ''}" x="${x1.toFixed(1)}" y="${barY}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" rx="3" fill="${colour}"${step.open ? ` fill-opacity="0.55" stroke-dasharray="4 3" stroke="${colour}"` : ''}></rect>`,
        '</g>',
      );
      for (const alarm of step.alarms)
        parts.push(alarmMarker(alarm, x(alarm.at), y + STEP_HEIGHT / 2, step.stepName));
      y += STEP_HEIGHT;
    }

    // A step that never started has no start or end: its row is labelled, without a bar.
    for (const step of lane.notStarted) {
      const tip = notStartedTip(step);
      parts.push(
        `<g class="not-started" tabindex="0" data-step-name="${escapeHtml(step.stepName)}" data-label="${step.label}" data-tip="${escapeHtml(tip)}">`,
        `<title>${escapeHtml(tip)}</title>`,
        `<text class="step-label" x="${indent + 14}" y="${y + 17}">${escapeHtml(clip(step.stepName, 34))}</text>`,
        `<text class="not-started-note" x="${plotLeft + 4}" y="${y + 17}">${step.label}</text>`,
        '</g>',
      );
      y += STEP_HEIGHT;
    }
  }

  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Step timeline" width="${CHART_WIDTH}" height="${height}" viewBox="0 0 ${CHART_WIDTH} ${height}">${parts.join('')}</svg>`;
}

function alarmMarker(alarm: TimelineAlarm, cx: number, cy: number, stepName: string | null): string {
  const tip = `Alarm ${alarm.name} (${alarm.state})${stepName === null ? ' on the execution' : ` during ${stepName}`}\nobserved ${isoOrNull(alarm.at) ?? '?'}`;
  const r = 7;
  const d = `M${cx.toFixed(1)} ${cy - r}L${(cx + r).toFixed(1)} ${cy}L${cx.toFixed(1)} ${cy + r}L${(cx - r).toFixed(1)} ${cy}Z`;
  return `<g class="alarm-marker" tabindex="0" data-alarm="${escapeHtml(alarm.name)}" data-tip="${escapeHtml(tip)}"><title>${escapeHtml(tip)}</title><path d="${d}"></path></g>`;
}

function stepTip(step: TimelineStep): string {
  const start = isoOrNull(step.start) ?? '?';
  const end = step.open ? 'still running when last observed' : (isoOrNull(step.end) ?? '?');
  const lines = [
    `${step.stepName} — ${step.status}`,
    `${step.action ? `${step.action} · ` : ''}${start} → ${end} (${durationText(start, step.open ? null : end)})`,
  ];
  if (step.failureMessage) lines.push(step.failureMessage);
  for (const alarm of step.alarms) lines.push(`Alarm ${alarm.name} (${alarm.state})`);
  return lines.join('\n');
}

function notStartedTip(step: TimelineNotStartedStep): string {
  return step.label === 'not run'
    ? `${step.stepName} — not run\nListed Pending by SSM and still Pending when the execution ended: it never ran.`
    : `${step.stepName} — not started\nListed Pending by SSM: it has not started yet.`;
}

function stepTable(model: TimelineModel): string {
  const rows = model.lanes.flatMap((lane) => [
    ...lane.steps.map(
      (step) =>
        `<tr><td>${escapeHtml(lane.documentName)}</td><td>${escapeHtml(step.stepName)}</td><td>${badge(step.status)}</td><td class="time">${escapeHtml(isoOrNull(step.start) ?? '-')}</td><td class="time">${escapeHtml(step.open ? '-' : (isoOrNull(step.end) ?? '-'))}</td><td>${escapeHtml(step.alarms.map((a) => a.name).join(', '))}</td><td class="msg">${escapeHtml(step.failureMessage ?? '')}</td></tr>`,
    ),
    ...lane.notStarted.map(
      (step) =>
        `<tr class="not-started"><td>${escapeHtml(lane.documentName)}</td><td>${escapeHtml(step.stepName)}</td><td><span class="badge not-started">${step.label}</span></td><td class="time">-</td><td class="time">-</td><td></td><td class="msg"></td></tr>`,
    ),
  ]);
  if (rows.length === 0) return '';
  return `<table class="steps"><thead><tr><th>Execution</th><th>Step</th><th>Status</th><th>Start</th><th>End</th><th>Alarms</th><th>Failure</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function legend(): string {
  const entries: [StatusCategory, string][] = [
    ['success', 'Success'],
    ['failure', 'Failed'],
    ['timedout', 'Timed out'],
    ['cancelled', 'Cancelled'],
    ['running', 'In progress'],
    ['waiting', 'Waiting / pending'],
    ['other', 'Other'],
  ];
  const swatches = entries.map(
    ([category, label]) =>
      `<span><svg width="12" height="12"><rect width="12" height="12" rx="2" fill="${STATUS_COLOURS[category]}"></rect></svg>${label}</span>`,
  );
  swatches.push(
    '<span><svg width="12" height="12"><path d="M6 0L12 6L6 12L0 6Z" fill="#ffb300" stroke="#1b1f24"></path></svg>Alarm</span>',
    `<span><svg width="12" height="12"><rect x="0.5" y="0.5" width="11" height="11" rx="2" fill="none" stroke="${NOT_STARTED_COLOUR}" stroke-dasharray="2 2"></rect></svg>Not run / not started (no bar)</span>`,
  );
  return `<div class="legend">${swatches.join('')}</div>`;
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
  const ticks: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
  return ticks;
}

function tickLabel(t: number, span: number): string {
  const iso = new Date(t).toISOString();
  if (span >= 2 * 86_400_000) return iso.slice(5, 16).replace('T', ' ');
  return iso.slice(11, 19);
}

function durationText(start: string | null, end: string | null): string {
  const a = parseTime(start);
  const b = parseTime(end);
  if (a === null || b === null) return '-';
  let seconds = Math.max(0, Math.round((b - a) / 100) / 10);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0 || parts.length === 0) parts.push(`${Number(seconds.toFixed(1))}s`);
  return parts.join(' ');
}

function parseTime(value: string | null | undefined): number | null {
  if (typeof value !== 'string') return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

function isoOrNull(t: number | null): string | null {
  return t === null || !Number.isFinite(t) ? null : new Date(t).toISOString();
}

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
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
