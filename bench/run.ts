// `npm run bench`: both step-read strategies on three simulated fleets over the real local stack, plus core CPU.
//
// Each (fleet, strategy) run is a child process of this script (`--worker`), two at a time, so the
// in-process dynalite of one run does not share an event loop with another. Everything runs on a
// virtual clock: no wall-clock sleep anywhere.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { StepReadStrategy } from '../lambda/core/read-plan';
import { type CoreCpuFigures, measureCoreCpu } from './core-cpu';
import { BenchError } from './errors';
import { allFleets, type Fleet, POLL_INTERVAL_SECONDS } from './fleets';
import { measureLatency, printLatency } from './latency';
import { measureFleet, type RunFigures } from './measure';

/** SSM's Describe quota, per API, account and region. */
const QUOTA_TPS = 3;
/** The freshness target: every execution read at least once a minute. */
const STALENESS_SECONDS = 60;
/**
 * The default deployment: one token bucket of 2 calls a second shared by both Describe APIs, and
 * about 45 s of polling per one-minute invocation (timeout 55 s less the 10 s deadline reserve).
 */
const DEFAULT_BUCKET_TPS = 2;
const DEFAULT_USABLE_SECONDS = 45;
const STRATEGIES: readonly StepReadStrategy[] = ['full', 'window'];

/** The figures of one strategy on one fleet, over the steady-state cycles (all but the warm-up). */
interface StrategyFigures {
  ssmCallsPerCycle: number;
  listCallsPerCycle: number;
  stepCallsPerCycle: number;
  lowerBoundPerCycle: number;
  ratioToLowerBound: number;
  dataBoundPerCycle: number;
  ratioToDataBound: number;
  dynamoReadsPerCycle: number;
  dynamoWritesPerCycle: number;
  putEventsCallsPerCycle: number;
  eventsPerCycle: number;
  eventsTotal: number;
  expectedTransitions: number;
  lost: number;
  duplicates: number;
  unexpected: number;
  stepCallsPerExecution: number;
  listCallsPerExecution: number;
  largestFleetAt3Tps: number;
  largestFleetDefaultBucket: number;
  warmupWallMs: number;
  cycleWallMs: number;
  virtualWaitMs: number;
}

interface FleetReport {
  title: string;
  cycles: number;
  measuredCycles: number;
  executionsPerCycle: number;
  full?: StrategyFigures;
  window?: StrategyFigures;
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
const mean = (values: readonly number[]): number =>
  values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;

/**
 * Largest fleet kept at <= 60 s staleness: each Describe API allows QUOTA_TPS x 60 calls a minute, so
 * n executions fit while n x (step calls per execution per cycle) <= 180 and
 * n x (list calls per execution per cycle) <= 180.
 */
function largestFleet(stepCallsPerExecution: number, listCallsPerExecution: number): number {
  const budget = QUOTA_TPS * STALENESS_SECONDS;
  const byStep = stepCallsPerExecution > 0 ? budget / stepCallsPerExecution : Number.POSITIVE_INFINITY;
  const byList = listCallsPerExecution > 0 ? budget / listCallsPerExecution : Number.POSITIVE_INFINITY;
  return Math.floor(Math.min(byStep, byList));
}

function summarise(run: RunFigures): StrategyFigures {
  const steady = run.cycles.slice(1);
  const sum = (pick: (c: (typeof steady)[number]) => number): number =>
    steady.reduce((n, c) => n + pick(c), 0);
  const calls = sum((c) => c.listCalls + c.stepCalls);
  const lower = sum((c) => (c.bound?.executions ?? 0) + c.listCalls);
  const data = sum((c) => (c.bound?.stepPages ?? 0) + c.listCalls);
  const polled = sum((c) => c.executionsPolled);
  const perCycle = (pick: (c: (typeof steady)[number]) => number): number => round(mean(steady.map(pick)), 1);
  const stepPerExecution = polled > 0 ? sum((c) => c.stepCalls) / polled : 0;
  const listPerExecution = polled > 0 ? sum((c) => c.listCalls) / polled : 0;
  return {
    ssmCallsPerCycle: perCycle((c) => c.listCalls + c.stepCalls),
    listCallsPerCycle: perCycle((c) => c.listCalls),
    stepCallsPerCycle: perCycle((c) => c.stepCalls),
    lowerBoundPerCycle: perCycle((c) => (c.bound?.executions ?? 0) + c.listCalls),
    ratioToLowerBound: lower > 0 ? round(calls / lower) : 0,
    dataBoundPerCycle: perCycle((c) => (c.bound?.stepPages ?? 0) + c.listCalls),
    ratioToDataBound: data > 0 ? round(calls / data) : 0,
    dynamoReadsPerCycle: perCycle((c) => c.dynamoReads),
    dynamoWritesPerCycle: perCycle((c) => c.dynamoWrites),
    putEventsCallsPerCycle: perCycle((c) => c.putEventsCalls),
    eventsPerCycle: perCycle((c) => c.events),
    eventsTotal: run.cycles.reduce((n, c) => n + c.events, 0),
    expectedTransitions: run.delivery.expected,
    lost: run.delivery.lost,
    duplicates: run.delivery.duplicates,
    unexpected: run.delivery.unexpected,
    stepCallsPerExecution: round(stepPerExecution, 3),
    listCallsPerExecution: round(listPerExecution, 3),
    largestFleetAt3Tps: largestFleet(stepPerExecution, listPerExecution),
    largestFleetDefaultBucket: Math.floor(
      (DEFAULT_BUCKET_TPS * DEFAULT_USABLE_SECONDS) / Math.max(1e-9, stepPerExecution + listPerExecution),
    ),
    warmupWallMs: Math.round(run.cycles[0]?.wallMs ?? 0),
    cycleWallMs: Math.round(mean(steady.map((c) => c.wallMs))),
    virtualWaitMs: run.cycles.reduce((n, c) => n + c.waitedMs, 0),
  };
}

/** Runs one (fleet, strategy) job in a child process and returns its figures. */
function runWorker(fleet: string, strategy: StepReadStrategy, cycles: number): Promise<RunFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--worker', fleet, strategy, String(cycles)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) {
        reject(new BenchError(`bench worker ${fleet}/${strategy} exited with ${code}`));
        return;
      }
      try {
        resolve(JSON.parse(last) as RunFigures);
      } catch (error) {
        reject(new BenchError(`bench worker ${fleet}/${strategy} printed no result`, { cause: error }));
      }
    });
  });
}

/** Runs the jobs, `parallel` at a time, in order. */
async function runPool<T>(jobs: readonly (() => Promise<T>)[], parallel: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      const job = jobs[index];
      if (job) results[index] = await job();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, lane));
  return results;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  '),
    )
    .join('\n');
}

function printFleet(key: string, report: FleetReport): void {
  const columns = STRATEGIES.filter((s) => report[s]);
  const cell = (pick: (f: StrategyFigures) => string): string[] =>
    columns.map((s) => {
      const figures = report[s];
      return figures ? pick(figures) : '';
    });
  const rows: string[][] = [
    ['', ...columns],
    ['SSM calls / cycle', ...cell((f) => f.ssmCallsPerCycle.toFixed(1))],
    ['  DescribeAutomationExecutions', ...cell((f) => f.listCallsPerCycle.toFixed(1))],
    ['  DescribeAutomationStepExecutions', ...cell((f) => f.stepCallsPerCycle.toFixed(1))],
    ['lower bound / cycle (executions + list pages)', ...cell((f) => f.lowerBoundPerCycle.toFixed(1))],
    ['ratio to lower bound', ...cell((f) => f.ratioToLowerBound.toFixed(2))],
    ['data bound / cycle (pages of must-read steps + list)', ...cell((f) => f.dataBoundPerCycle.toFixed(1))],
    ['ratio to data bound', ...cell((f) => f.ratioToDataBound.toFixed(2))],
    ['DynamoDB reads / cycle', ...cell((f) => f.dynamoReadsPerCycle.toFixed(1))],
    ['DynamoDB writes / cycle', ...cell((f) => f.dynamoWritesPerCycle.toFixed(1))],
    ['PutEvents calls / cycle', ...cell((f) => f.putEventsCallsPerCycle.toFixed(1))],
    ['events / cycle', ...cell((f) => f.eventsPerCycle.toFixed(1))],
    ['events, all cycles (expected)', ...cell((f) => `${f.eventsTotal} (${f.expectedTransitions})`)],
    ['lost / duplicate / unexpected', ...cell((f) => `${f.lost} / ${f.duplicates} / ${f.unexpected}`)],
    ['step calls / execution / cycle', ...cell((f) => f.stepCallsPerExecution.toFixed(3))],
    ['largest fleet at <= 60 s staleness, 3 TPS', ...cell((f) => String(f.largestFleetAt3Tps))],
    [
      '  with the default bucket (2 TPS shared, 45 s a run)',
      ...cell((f) => String(f.largestFleetDefaultBucket)),
    ],
    ['wall ms: warm-up cycle / steady cycle', ...cell((f) => `${f.warmupWallMs} / ${f.cycleWallMs}`)],
  ];
  console.log(
    `\nFleet (${key}): ${report.title}\n` +
      `${report.cycles} cycles ${POLL_INTERVAL_SECONDS} s apart; means over the ${report.measuredCycles} after the warm-up; ` +
      `${report.executionsPerCycle.toFixed(1)} executions to read per cycle\n`,
  );
  console.log(table(rows));
}

function parseArgs(argv: readonly string[]): {
  cycles?: number;
  fleets?: string[];
  strategies: StepReadStrategy[];
} {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const cycles = value('--cycles');
  const strategies = (value('--strategies')?.split(',') ?? [...STRATEGIES]).filter(
    (s): s is StepReadStrategy => s === 'full' || s === 'window',
  );
  return {
    ...(cycles !== undefined && { cycles: Math.max(2, Number(cycles)) }),
    ...(value('--fleets') !== undefined && { fleets: value('--fleets')?.split(',') }),
    strategies,
  };
}

async function worker(fleetKey: string, strategy: StepReadStrategy, cycles: number): Promise<void> {
  const fleet = allFleets().find((f) => f.key === fleetKey);
  if (!fleet) throw new BenchError(`no fleet ${fleetKey}`);
  const figures = await measureFleet(fleet, strategy, cycles);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--worker') {
    await worker(argv[1] ?? '', (argv[2] ?? 'window') as StepReadStrategy, Number(argv[3] ?? 2));
    return;
  }
  const args = parseArgs(argv);
  const fleets: Fleet[] = allFleets().filter((f) => !args.fleets || args.fleets.includes(f.key));
  const cyclesOf = (fleet: Fleet): number => args.cycles ?? fleet.cycles;
  const jobs = fleets.flatMap((fleet) =>
    args.strategies.map((strategy) => () => runWorker(fleet.key, strategy, cyclesOf(fleet))),
  );
  const started = performance.now();
  const runs = await runPool(jobs, Math.min(2, availableParallelism()));
  const core: CoreCpuFigures = measureCoreCpu();

  const reports: Record<string, FleetReport> = {};
  for (const fleet of fleets) {
    const mine = runs.filter((r) => r.fleet === fleet.key);
    const first = mine[0];
    const steady = first?.cycles.slice(1) ?? [];
    const report: FleetReport = {
      title: fleet.title,
      cycles: cyclesOf(fleet),
      measuredCycles: steady.length,
      executionsPerCycle: round(mean(steady.map((c) => c.bound?.executions ?? 0)), 1),
    };
    for (const run of mine) report[run.strategy] = summarise(run);
    reports[fleet.key] = report;
    printFleet(fleet.key, report);
  }

  console.log(
    `\nPure core (diffExecution + buildEvents), one cycle over ${core.executions} executions x ` +
      `${core.stepsPerExecution} steps, ${core.changedFraction * 100}% changed: ` +
      `${core.coldCpuMs} ms CPU cold, ${core.warmCpuMs} ms warm (${core.eventsBuilt} events built)`,
  );
  console.log(
    `Largest fleet = floor(min(${QUOTA_TPS} TPS x ${STALENESS_SECONDS} s / step calls per execution per cycle, ` +
      `${QUOTA_TPS} TPS x ${STALENESS_SECONDS} s / list calls per execution per cycle)); each Describe API has its own quota.\n` +
      `Default bucket: floor(${DEFAULT_BUCKET_TPS} TPS x ${DEFAULT_USABLE_SECONDS} s / (step + list calls per execution per cycle)), one bucket for both APIs.`,
  );
  // Issue 12: SSM change -> event on the bus, with hints and on the schedule alone (bench/latency.ts).
  const latency = printLatency(await measureLatency());

  const window = (key: string): StrategyFigures | undefined => reports[key]?.window;
  const allRuns = Object.values(reports)
    .flatMap((r) => [r.full, r.window])
    .filter((f) => f !== undefined);
  const targets = {
    aWindowRatioAtMost1_1: window('a') ? (window('a')?.ratioToLowerBound ?? 0) <= 1.1 : null,
    bWindowRatioAtMost1_5: window('b') ? (window('b')?.ratioToLowerBound ?? 0) <= 1.5 : null,
    noLostNoDuplicates: allRuns.every((f) => f.lost === 0 && f.duplicates === 0),
    coreCpuUnder1s: core.coldCpuMs < 1000,
  };
  console.log(
    `Targets: ${JSON.stringify(targets)}; bench wall time ${Math.round((performance.now() - started) / 1000)} s`,
  );
  console.log(
    JSON.stringify({
      quota: {
        tpsPerApi: QUOTA_TPS,
        stalenessSeconds: STALENESS_SECONDS,
        pollIntervalSeconds: POLL_INTERVAL_SECONDS,
      },
      fleets: reports,
      core,
      targets,
      latency,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
