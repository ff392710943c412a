// `npm run chaos`: the long fault-injection run — hundreds of generated scenarios (some with a huge execution or a backlog), spread over the SSM switch combinations, under every fault kind, checked against ground truth.
import { fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import {
  BEHAVIOUR_MATRIX,
  BEHAVIOUR_PAIRWISE,
  BEHAVIOUR_SWITCHES,
  parseBehaviourLabel,
  type SsmBehaviour,
} from '../../sandbox/ssm-behaviour';
import {
  behaviourArb,
  CASE_SHAPES,
  type CaseShape,
  caseArbOfShape,
  type FaultCase,
  HINTED_EVERY,
  hintPlanFor,
  SHAPED_EVERY,
  shapeFor,
} from './generators';
import { HINT_ACTIVITY, HINT_FAULT_UNITS, type HintFaultName } from './hint-driver';
import { violationsOf } from './invariants';
import { FAULT_NAMES, FAULT_UNITS, FaultRunner } from './runner';

/** Figures of one switch combination, of one worker or of the whole run. */
interface Figures {
  scenarios: number;
  cycles: number;
  /** Cycles that left work for the next (executionsDeferred > 0). */
  deferredCycles: number;
  standDowns: number;
  conditionalCheckFailed: number;
  groundTruthChanges: number;
  observed: number;
  transitions: number;
  deliveries: number;
  duplicates: number;
  lost: number;
  phantom: number;
  order: number;
  previous: number;
  badDuplicates: number;
  errors: number;
}

/** Totals of one worker, or of the whole run. */
interface Totals {
  readonly all: Figures;
  /** By behaviour label. */
  readonly byCombination: Record<string, Figures>;
  /** Scenarios run with hints, by hint fault that took effect in them (`hints` for all of them). */
  readonly byHintFault: Record<string, Figures>;
  /** By {@link CaseShape}. */
  readonly byShape: Record<string, Figures>;
  readonly faults: Record<string, number>;
  /** Failing scenarios, described for replay. */
  readonly failures: string[];
}

/** Messages a worker sends. */
type WorkerMessage = { kind: 'progress'; done: number } | { kind: 'done'; totals: Totals };

/** How scenarios get their switch combination. */
type Combos = 'matrix' | 'pairwise' | 'drawn';
const COMBOS: readonly Combos[] = ['matrix', 'pairwise', 'drawn'];

const USAGE =
  'Usage: npm run chaos -- [--scenarios 500] [--seed 20261125] [--combos matrix|pairwise|drawn] [--workers <cores>] [--only <index>]';

function emptyFigures(): Figures {
  return {
    scenarios: 0,
    cycles: 0,
    deferredCycles: 0,
    standDowns: 0,
    conditionalCheckFailed: 0,
    groundTruthChanges: 0,
    observed: 0,
    transitions: 0,
    deliveries: 0,
    duplicates: 0,
    lost: 0,
    phantom: 0,
    order: 0,
    previous: 0,
    badDuplicates: 0,
    errors: 0,
  };
}

function emptyTotals(): Totals {
  return {
    all: emptyFigures(),
    byCombination: {},
    byHintFault: {},
    byShape: {},
    faults: Object.fromEntries(FAULT_NAMES.map((name) => [name, 0])),
    failures: [],
  };
}

function addFigures(into: Figures, from: Figures): void {
  for (const key of Object.keys(into) as (keyof Figures)[]) into[key] += from[key];
}

function violationCount(f: Figures): number {
  return f.lost + f.phantom + f.order + f.previous + f.badDuplicates;
}

/**
 * The case of global index `index`: `matrix` and `pairwise` go round-robin over their combinations,
 * `drawn` draws each switch on its own; its shape comes from the index ({@link shapeFor}), the
 * scenario and faults from `seed + index`, so one case replays alone.
 */
function caseAt(combos: Combos, seed: number, index: number): FaultCase {
  const list = combos === 'matrix' ? BEHAVIOUR_MATRIX : BEHAVIOUR_PAIRWISE;
  const behaviour: SsmBehaviour | fc.Arbitrary<SsmBehaviour> =
    combos === 'drawn' ? behaviourArb : (list[index % list.length] as SsmBehaviour);
  const arbitrary = caseArbOfShape(behaviour, shapeFor(index));
  const [faultCase] = fc.sample(arbitrary, { seed: seed + index, numRuns: 1 });
  if (faultCase === undefined) throw new RangeError(`no case for index ${index}`);
  // One scenario in HINTED_EVERY also feeds SSM's own events, with hint faults, to the hint handler.
  const hints = hintPlanFor(seed, index);
  return hints ? { ...faultCase, hints } : faultCase;
}

/** Plays the global indexes `indexes`, on one local stack. */
async function work(
  combos: Combos,
  seed: number,
  indexes: readonly number[],
  report: (m: WorkerMessage) => void,
): Promise<void> {
  const totals = emptyTotals();
  const runner = await FaultRunner.start();
  try {
    for (const index of indexes) {
      const faultCase = caseAt(combos, seed, index);
      const result = await runner.run(faultCase);
      const { report: r } = result;
      const figures: Figures = {
        scenarios: 1,
        cycles: result.cycles,
        deferredCycles: result.deferredCycles,
        standDowns: result.standDowns,
        conditionalCheckFailed: result.conditionalCheckFailed,
        groundTruthChanges: result.groundTruthChanges,
        observed: r.observed,
        transitions: r.transitions,
        deliveries: r.deliveries,
        duplicates: r.duplicates,
        lost: r.lost.length,
        phantom: r.phantom.length,
        order: r.order.length,
        previous: r.previous.length,
        badDuplicates: r.badDuplicates.length,
        errors: result.errors.length,
      };
      addFigures(totals.all, figures);
      const combination = totals.byCombination[result.behaviourLabel] ?? emptyFigures();
      addFigures(combination, figures);
      totals.byCombination[result.behaviourLabel] = combination;
      const shape: CaseShape = shapeFor(index);
      const shaped = totals.byShape[shape] ?? emptyFigures();
      addFigures(shaped, figures);
      totals.byShape[shape] = shaped;
      for (const [name, n] of Object.entries(result.faults))
        totals.faults[name] = (totals.faults[name] ?? 0) + n;
      if (faultCase.hints) {
        for (const name of ['hints', ...HINT_FAULT_NAMES].filter(
          (n) => n === 'hints' || (result.faults[n] ?? 0) > 0,
        )) {
          const row = totals.byHintFault[name] ?? emptyFigures();
          addFigures(row, figures);
          totals.byHintFault[name] = row;
        }
      }
      const violations = violationsOf(r);
      if (violations.length > 0 || result.errors.length > 0) {
        const file = `test-artifacts/chaos-${seed}-${index}.json`;
        await mkdir('test-artifacts', { recursive: true });
        await writeFile(file, JSON.stringify({ seed, combos, index, faultCase, result }, null, 2));
        totals.failures.push(
          [
            `scenario ${index} of seed ${seed}, ${shapeFor(index)}, ${result.behaviourLabel} (replay: --seed ${seed} --combos ${combos} --only ${index}; details in ${file})`,
            ...violations.slice(0, 5).map((v) => `  ${v.invariant}: ${v.entity}: ${v.message}`),
            ...result.errors.slice(0, 3).map((e) => `  error: ${e.split('\n')[0]}`),
          ].join('\n'),
        );
      }
      report({ kind: 'progress', done: totals.all.scenarios });
    }
  } finally {
    await runner.stop();
  }
  report({ kind: 'done', totals });
}

function addTotals(into: Totals, from: Totals): void {
  addFigures(into.all, from.all);
  for (const [label, figures] of Object.entries(from.byCombination)) {
    const combination = into.byCombination[label] ?? emptyFigures();
    addFigures(combination, figures);
    into.byCombination[label] = combination;
  }
  for (const [name, n] of Object.entries(from.faults)) into.faults[name] = (into.faults[name] ?? 0) + n;
  for (const [shape, figures] of Object.entries(from.byShape)) {
    const row = into.byShape[shape] ?? emptyFigures();
    addFigures(row, figures);
    into.byShape[shape] = row;
  }
  for (const [name, figures] of Object.entries(from.byHintFault)) {
    const row = into.byHintFault[name] ?? emptyFigures();
    addFigures(row, figures);
    into.byHintFault[name] = row;
  }
  into.failures.push(...from.failures);
}

/** A label without the fixed `history` field, for tables. */
function shortLabel(label: string): string {
  return label.replace(/,history=[^,]*$/, '');
}

const HINT_FAULT_NAMES = Object.keys(HINT_FAULT_UNITS) as HintFaultName[];

const COLUMNS = [
  'scenarios',
  'cycles',
  'transitions',
  'lost',
  'phantom',
  'order',
  'previous',
  'dups',
  'bad dups',
];

function row(name: string, width: number, f: Figures): string {
  const cells = [
    f.scenarios,
    f.cycles,
    f.transitions,
    f.lost,
    f.phantom,
    f.order,
    f.previous,
    f.duplicates,
    f.badDuplicates,
  ];
  return `${name.padEnd(width)} ${cells.map((c, i) => String(c).padStart((COLUMNS[i] ?? '').length + 1)).join('')}`;
}

function table(title: string, rows: readonly [string, Figures][]): string[] {
  const width = Math.max(title.length, ...rows.map(([name]) => name.length));
  return [
    `${title.padEnd(width)} ${COLUMNS.map((c) => ` ${c}`).join('')}`,
    ...rows.map(([name, figures]) => row(name, width, figures)),
  ];
}

/** The figures per value of each switch, summed over the combinations that hold it. */
function bySwitchValue(byCombination: Record<string, Figures>): [string, Figures][] {
  const rows: [string, Figures][] = [];
  for (const [name, values] of Object.entries(BEHAVIOUR_SWITCHES)) {
    const seen = new Set<string>();
    for (const label of Object.keys(byCombination))
      seen.add(String(parseBehaviourLabel(label)[name as keyof SsmBehaviour]));
    const ordered = [...new Set([...(values as readonly (string | number)[]).map(String), ...seen])];
    for (const value of ordered) {
      const sum = emptyFigures();
      for (const [label, figures] of Object.entries(byCombination)) {
        if (String(parseBehaviourLabel(label)[name as keyof SsmBehaviour]) === value)
          addFigures(sum, figures);
      }
      rows.push([`${name}=${value}`, sum]);
    }
  }
  return rows;
}

/** Runs the workers, one local stack each, and prints the figures; exit code 1 on any violation. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenarios: { type: 'string', default: '500' },
      seed: { type: 'string', default: '20261125' },
      combos: { type: 'string', default: 'matrix' },
      workers: { type: 'string', default: String(availableParallelism()) },
      only: { type: 'string' },
      worker: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const scenarios = Number(values.scenarios);
  const seed = Number(values.seed);
  const only = values.only === undefined ? null : Number(values.only);
  const workers = only === null ? Number(values.workers) : 1;
  const combos = values.combos as Combos;
  if (
    ![scenarios, seed, workers].every(Number.isInteger) ||
    scenarios < 1 ||
    workers < 1 ||
    (only !== null && !(Number.isInteger(only) && only >= 0))
  ) {
    process.stderr.write(
      `chaos: --scenarios, --seed, --workers and --only must be whole numbers. ${USAGE}\n`,
    );
    process.exitCode = 2;
    return;
  }
  if (!COMBOS.includes(combos)) {
    process.stderr.write(`chaos: --combos must be one of ${COMBOS.join(', ')}. ${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const all = only === null ? Array.from({ length: scenarios }, (_, i) => i) : [only];

  // A worker: `--worker <w>` plays every workers-th index from w and reports over IPC.
  if (values.worker !== undefined) {
    const w = Number(values.worker);
    await work(
      combos,
      seed,
      all.filter((_, i) => i % workers === w),
      (message) => process.send?.(message),
    );
    return;
  }

  const started = performance.now();
  const totals = emptyTotals();
  const progress = new Map<number, number>();
  let lastPrinted = 0;
  await Promise.all(
    Array.from(
      { length: workers },
      (_, w) =>
        new Promise<void>((resolve, reject) => {
          const args = ['--worker', String(w), '--scenarios', String(scenarios), '--seed', String(seed)];
          args.push(
            '--combos',
            combos,
            '--workers',
            String(workers),
            ...(only === null ? [] : ['--only', String(only)]),
          );
          const child = fork(process.argv[1] ?? '', args, {
            execArgv: process.execArgv,
            env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          });
          let finished = false;
          child.on('message', (message: WorkerMessage) => {
            if (message.kind === 'progress') {
              progress.set(w, message.done);
              const done = [...progress.values()].reduce((a, b) => a + b, 0);
              if (done - lastPrinted >= 50) {
                lastPrinted = done;
                process.stderr.write(
                  `chaos: ${done} scenarios done, ${Math.round((performance.now() - started) / 1000)} s\n`,
                );
              }
            } else {
              addTotals(totals, message.totals);
              finished = true;
            }
          });
          child.on('error', reject);
          child.on('exit', (code) => {
            if (finished && code === 0) resolve();
            else reject(new Error(`chaos worker ${w} exited with code ${code} before reporting`));
          });
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;

  const f = totals.all;
  const hinted = (totals.byHintFault.hints?.scenarios ?? 0) > 0;
  const neverInjected = [...FAULT_NAMES, ...(hinted ? HINT_FAULT_NAMES : [])].filter(
    (name) => (totals.faults[name] ?? 0) === 0,
  );
  const combinations = Object.entries(totals.byCombination).sort(([a], [b]) => a.localeCompare(b));
  const clean = combinations.filter(([, figures]) => violationCount(figures) === 0 && figures.errors === 0);
  const lines = [
    `chaos: seed ${seed}, combinations ${combos}, ${workers} workers, ${seconds.toFixed(1)} s wall time`,
    `scenarios: ${f.scenarios} over ${combinations.length} switch combinations (${clean.length} without a violation)`,
    '',
    'per switch combination (dups: same eventId, byte-identical detail; bad dups: another eventId or detail):',
    ...table(
      'combination',
      combinations.map(([label, figures]) => [shortLabel(label), figures]),
    ),
    '',
    'per switch value (summed over the combinations holding it):',
    ...table('switch=value', bySwitchValue(totals.byCombination)),
    '',
    `per shape (one scenario in ${SHAPED_EVERY} not hinted has a huge execution, one a backlog; cycles on a budget):`,
    ...table(
      'shape',
      CASE_SHAPES.flatMap((shape): [string, Figures][] => {
        const figures = totals.byShape[shape];
        return figures ? [[shape, figures]] : [];
      }),
    ),
    '',
    ...table('total', [['all', f]]),
    '',
    `cycles: ${f.cycles} (${f.standDowns} stood down for a rival's lease; ${f.deferredCycles} left work for the next cycle, ${CASE_SHAPES.filter(
      (s) => s !== 'plain',
    )
      .map((s) => `${totals.byShape[s]?.deferredCycles ?? 0} of them ${s}`)
      .join(', ')})`,
    'faults injected by kind:',
    ...FAULT_NAMES.map(
      (name) => `  ${name.padEnd(18)} ${String(totals.faults[name] ?? 0).padStart(6)}  ${FAULT_UNITS[name]}`,
    ),
    `  ${'(resulting)'.padEnd(18)} ${String(f.conditionalCheckFailed).padStart(6)}  ConditionalCheckFailed answers from DynamoDB`,
    ...(hinted
      ? [
          `hint faults (one scenario in ${HINTED_EVERY} feeds SSM's own events to the real hint handler between its cycles):`,
          ...HINT_FAULT_NAMES.map(
            (name) =>
              `  ${name.padEnd(18)} ${String(totals.faults[name] ?? 0).padStart(6)}  ${HINT_FAULT_UNITS[name]}`,
          ),
          `  hint path: ${HINT_ACTIVITY.map((name) => `${name} ${totals.faults[name] ?? 0}`).join(', ')}`,
          '',
          'scenarios with hints, per hint fault that took effect in them:',
          ...table(
            'hint fault',
            ['hints', ...HINT_FAULT_NAMES].flatMap((name): [string, Figures][] => {
              const row = totals.byHintFault[name];
              return row ? [[name === 'hints' ? 'any (all hinted)' : name, row]] : [];
            }),
          ),
          '',
        ]
      : []),
    `transitions: ${f.transitions} delivered (distinct eventIds); ${f.groundTruthChanges} in ground truth; ${f.observed} observed by committed reads`,
    `lost: ${f.lost}`,
    `phantom: ${f.phantom}`,
    `out of order: ${f.order}`,
    `wrong previousStatus on a first step event: ${f.previous}`,
    `duplicates: ${f.duplicates} (same eventId, byte-identical detail); ${f.badDuplicates} with another eventId or detail`,
    `cycle errors no fault explains: ${f.errors}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (neverInjected.length > 0 && only === null) {
    process.stdout.write(`fault kinds that never took effect: ${neverInjected.join(', ')}\n`);
  }
  if (totals.failures.length > 0) process.stdout.write(`failing scenarios:\n${totals.failures.join('\n')}\n`);
  const failed = violationCount(f) > 0 || f.errors > 0 || (neverInjected.length > 0 && only === null);
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
