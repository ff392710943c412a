// `npm run chaos`: the long fault-injection run — hundreds of generated scenarios under every fault kind, checked against ground truth.
import { fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { faultCaseArb } from './generators';
import { violationsOf } from './invariants';
import { FAULT_NAMES, FAULT_UNITS, FaultRunner } from './runner';

/** Totals of one worker, or of the whole run. */
interface Totals {
  scenarios: number;
  cycles: number;
  standDowns: number;
  faults: Record<string, number>;
  conditionalCheckFailed: number;
  groundTruthChanges: number;
  observed: number;
  transitions: number;
  deliveries: number;
  duplicates: number;
  lost: number;
  phantom: number;
  order: number;
  badDuplicates: number;
  errors: number;
  /** Failing scenarios, described for replay. */
  failures: string[];
}

/** Messages a worker sends. */
type WorkerMessage = { kind: 'progress'; done: number } | { kind: 'done'; totals: Totals };

const USAGE =
  'Usage: npm run chaos -- [--scenarios 500] [--seed 20261125] [--workers <cores>] [--only <worker>:<index>]';

function emptyTotals(): Totals {
  return {
    scenarios: 0,
    cycles: 0,
    standDowns: 0,
    faults: Object.fromEntries(FAULT_NAMES.map((name) => [name, 0])),
    conditionalCheckFailed: 0,
    groundTruthChanges: 0,
    observed: 0,
    transitions: 0,
    deliveries: 0,
    duplicates: 0,
    lost: 0,
    phantom: 0,
    order: 0,
    badDuplicates: 0,
    errors: 0,
    failures: [],
  };
}

/** Plays `count` scenarios generated from `seed`, or only the one at `only`. */
async function work(seed: number, count: number, only: number | null, report: (m: WorkerMessage) => void) {
  const totals = emptyTotals();
  const cases = fc.sample(faultCaseArb, { seed, numRuns: only === null ? count : only + 1 });
  const runner = await FaultRunner.start();
  try {
    for (const [index, faultCase] of cases.entries()) {
      if (only !== null && index !== only) continue;
      const result = await runner.run(faultCase);
      const { report: r } = result;
      totals.scenarios++;
      totals.cycles += result.cycles;
      totals.standDowns += result.standDowns;
      for (const [name, n] of Object.entries(result.faults))
        totals.faults[name] = (totals.faults[name] ?? 0) + n;
      totals.conditionalCheckFailed += result.conditionalCheckFailed;
      totals.groundTruthChanges += result.groundTruthChanges;
      totals.observed += r.observed;
      totals.transitions += r.transitions;
      totals.deliveries += r.deliveries;
      totals.duplicates += r.duplicates;
      totals.lost += r.lost.length;
      totals.phantom += r.phantom.length;
      totals.order += r.order.length;
      totals.badDuplicates += r.badDuplicates.length;
      totals.errors += result.errors.length;
      const violations = violationsOf(r);
      if (violations.length > 0 || result.errors.length > 0) {
        const file = `test-artifacts/chaos-${seed}-${index}.json`;
        await mkdir('test-artifacts', { recursive: true });
        await writeFile(file, JSON.stringify({ seed, index, faultCase, result }, null, 2));
        totals.failures.push(
          [
            `scenario ${index} of seed ${seed} (replay: --seed ${seed} --workers 1 --only 0:${index}; details in ${file})`,
            ...violations.slice(0, 5).map((v) => `  ${v.invariant}: ${v.entity}: ${v.message}`),
            ...result.errors.slice(0, 3).map((e) => `  error: ${e.split('\n')[0]}`),
          ].join('\n'),
        );
      }
      report({ kind: 'progress', done: totals.scenarios });
    }
  } finally {
    await runner.stop();
  }
  report({ kind: 'done', totals });
}

function add(into: Totals, from: Totals): void {
  for (const key of Object.keys(into) as (keyof Totals)[]) {
    const value = from[key];
    if (typeof value === 'number') (into[key] as number) += value;
  }
  for (const [name, n] of Object.entries(from.faults)) into.faults[name] = (into.faults[name] ?? 0) + n;
  into.failures.push(...from.failures);
}

/** Runs the workers, one local stack each, and prints the figures; exit code 1 on any violation. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenarios: { type: 'string', default: '500' },
      seed: { type: 'string', default: '20261125' },
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
  const workers = Number(values.workers);
  if (![scenarios, seed, workers].every(Number.isInteger) || scenarios < 1 || workers < 1) {
    process.stderr.write(`chaos: --scenarios, --seed and --workers must be whole numbers. ${USAGE}\n`);
    process.exitCode = 2;
    return;
  }

  // A worker: `--worker <index>` plays its share and reports over IPC.
  if (values.worker !== undefined) {
    const index = Number(values.worker);
    const share = Math.floor(scenarios / workers) + (index < scenarios % workers ? 1 : 0);
    const only = values.only === undefined ? null : Number(values.only.split(':')[1]);
    await work(seed + index, share, only, (message) => process.send?.(message));
    return;
  }

  const started = performance.now();
  const onlyWorker = values.only === undefined ? null : Number(values.only.split(':')[0]);
  const indexes = Array.from({ length: workers }, (_, i) => i).filter(
    (i) => onlyWorker === null || i === onlyWorker,
  );
  const totals = emptyTotals();
  const progress = new Map<number, number>();
  let lastPrinted = 0;
  await Promise.all(
    indexes.map(
      (index) =>
        new Promise<void>((resolve, reject) => {
          const args = ['--worker', String(index), '--scenarios', String(scenarios), '--seed', String(seed)];
          args.push('--workers', String(workers), ...(values.only ? ['--only', values.only] : []));
          const child = fork(process.argv[1] ?? '', args, {
            execArgv: process.execArgv,
            env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          });
          let finished = false;
          child.on('message', (message: WorkerMessage) => {
            if (message.kind === 'progress') {
              progress.set(index, message.done);
              const done = [...progress.values()].reduce((a, b) => a + b, 0);
              if (done - lastPrinted >= 50) {
                lastPrinted = done;
                process.stderr.write(
                  `chaos: ${done} scenarios done, ${Math.round((performance.now() - started) / 1000)} s\n`,
                );
              }
            } else {
              add(totals, message.totals);
              finished = true;
            }
          });
          child.on('error', reject);
          child.on('exit', (code) => {
            if (finished && code === 0) resolve();
            else reject(new Error(`chaos worker ${index} exited with code ${code} before reporting`));
          });
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;

  const neverInjected = FAULT_NAMES.filter((name) => (totals.faults[name] ?? 0) === 0);
  const violations = totals.lost + totals.phantom + totals.order + totals.badDuplicates;
  const lines = [
    `chaos: seed ${seed}, ${workers} workers, ${seconds.toFixed(1)} s wall time`,
    `scenarios: ${totals.scenarios}`,
    `cycles: ${totals.cycles} (${totals.standDowns} stood down for a rival's lease)`,
    'faults injected by kind:',
    ...FAULT_NAMES.map(
      (name) => `  ${name.padEnd(18)} ${String(totals.faults[name] ?? 0).padStart(6)}  ${FAULT_UNITS[name]}`,
    ),
    `  ${'(resulting)'.padEnd(18)} ${String(totals.conditionalCheckFailed).padStart(6)}  ConditionalCheckFailed answers from DynamoDB`,
    `transitions: ${totals.transitions} delivered (distinct eventIds); ${totals.groundTruthChanges} in ground truth; ${totals.observed} observed by committed reads`,
    `lost: ${totals.lost}`,
    `phantom: ${totals.phantom}`,
    `out of order: ${totals.order}`,
    `duplicates: ${totals.duplicates} (same eventId, byte-identical detail); ${totals.badDuplicates} with another eventId or detail`,
    `cycle errors no fault explains: ${totals.errors}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (neverInjected.length > 0 && values.only === undefined) {
    process.stdout.write(`fault kinds that never took effect: ${neverInjected.join(', ')}\n`);
  }
  if (totals.failures.length > 0) process.stdout.write(`failing scenarios:\n${totals.failures.join('\n')}\n`);
  const failed =
    violations > 0 || totals.errors > 0 || (neverInjected.length > 0 && values.only === undefined);
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
