// `npm run bench`: both step-read strategies on three fleets, under each placement of not-started steps, over the real local stack.
//
// Each (fleet, strategy, placement) run is a child process of this script (`--worker`), two at a
// time, so the in-process dynalite of one run does not share an event loop with another. Everything
// runs on a virtual clock: no wall-clock sleep anywhere.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { StepReadStrategy } from '../lambda/core/read-plan';
import { type AuditReport, measureAudit, printAudit } from './audit';
import { type CoreCpuFigures, measureCoreCpu } from './core-cpu';
import { BenchError } from './errors';
import { allFleets, type Fleet, POLL_INTERVAL_SECONDS } from './fleets';
import { measureLatency, printLatency } from './latency';
import {
  type ExcessGroup,
  type ListCalls,
  measureFleet,
  PLACEMENTS,
  type Placement,
  type RunFigures,
} from './measure';
import { measureOrganization, type OrganizationReport, printOrganization } from './organization';
import { measureStress, printStress, type StressReport } from './stress';

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
const STRATEGIES: readonly StepReadStrategy[] = ['window', 'full'];
/** Targets of the window strategy: SSM calls at most this many times the data bound, per fleet. */
const TARGET_RATIO: Readonly<Record<string, number>> = { a: 1.1, b: 1.25, c: 1.1 };
/** Placements of not-started steps every fleet is measured under, and the targets apply to. */
const TARGET_PLACEMENTS: readonly Placement[] = ['first', 'last'];
/** Excess groups kept in the report per run. */
const EXCESS_REPORTED = 4;

/** The figures of one run, over the measured cycles (all but the warm-up). */
interface RunReport {
  ssmCallsPerCycle: number;
  listCallsPerCycle: number;
  listCallsBy: ListCalls;
  stepCallsPerCycle: number;
  dataBoundPerCycle: number;
  listBoundPerCycle: number;
  stepBoundPerCycle: number;
  ratioToDataBound: number;
  /** Reads after an end that came within the visibility lag, per cycle (see `CycleBound.lagSweeps`). */
  lagSweepsPerCycle: number;
  /** SSM calls / (data bound + one page per lag sweep). */
  ratioToDataBoundWithLagSweeps: number;
  listRatioToBound: number;
  stepRatioToBound: number;
  dynamoReadsPerCycle: number;
  dynamoWritesPerCycle: number;
  putEventsCallsPerCycle: number;
  eventsPerCycle: number;
  eventsTotal: number;
  expectedTransitions: number;
  lost: number;
  duplicates: number;
  unexpected: number;
  deliverySamples: readonly string[];
  executionsPolledPerCycle: number;
  stepCallsPerExecution: number;
  listCallsPerExecution: number;
  largestFleetAt3Tps: number;
  largestFleetDefaultBucket: number;
  warmupWallMs: number;
  cycleWallMs: number;
  virtualWaitMs: number;
  /** Step calls against the bound by kind of read, largest excess first. */
  excess: readonly ExcessGroup[];
}

type StrategyReport = Partial<Record<Placement, RunReport>>;

interface FleetReport {
  title: string;
  cycles: number;
  measuredCycles: number;
  /** Executions whose steps can have changed, per measured cycle (from the scenario). */
  executionsPerCycle: number;
  window?: StrategyReport;
  full?: StrategyReport;
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
const mean = (values: readonly number[]): number =>
  values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;

/**
 * Fleets also measured with children listed on request only (`childrenOnRequest`), with the window
 * strategy: (c), whose children are of every kind. Fleet (b) would add about a minute of bench time
 * for the same finding; `--fleets b --placements childrenOnRequest` runs it.
 */
const CHILDREN_ON_REQUEST_FLEETS: readonly string[] = ['c'];

/**
 * The placements a fleet is measured under with a strategy by default: both placements of
 * not-started steps always; children listed on request too for {@link CHILDREN_ON_REQUEST_FLEETS},
 * with the window strategy only (full paging adds nothing there but run time). Asked for by
 * `--placements`, `childrenOnRequest` runs with the window strategy on any fleet that has children.
 */
function placementsOf(fleet: Fleet, strategy: StepReadStrategy, asked?: readonly Placement[]): Placement[] {
  const hasChildren = fleet.scenario.executions.some((e) => (e.parentId ?? null) !== null);
  const onRequest =
    hasChildren &&
    strategy === 'window' &&
    (asked ? asked.includes('childrenOnRequest') : CHILDREN_ON_REQUEST_FLEETS.includes(fleet.key));
  const placements: Placement[] = onRequest ? ['first', 'last', 'childrenOnRequest'] : ['first', 'last'];
  return asked ? placements.filter((placement) => asked.includes(placement)) : placements;
}

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

function summarise(run: RunFigures): RunReport {
  const steady = run.cycles.slice(1);
  type Cycle = (typeof steady)[number];
  const sum = (pick: (c: Cycle) => number): number => steady.reduce((n, c) => n + pick(c), 0);
  const perCycle = (pick: (c: Cycle) => number): number => round(mean(steady.map(pick)), 1);
  const listBound = sum((c) => c.bound?.listPages ?? 0);
  const stepBound = sum((c) => c.bound?.stepPages ?? 0);
  const listCalls = sum((c) => c.listCalls);
  const stepCalls = sum((c) => c.stepCalls);
  const polled = sum((c) => c.executionsPolled);
  const stepPerExecution = polled > 0 ? stepCalls / polled : 0;
  const listPerExecution = polled > 0 ? listCalls / polled : 0;
  const ratio = (calls: number, bound: number): number => (bound > 0 ? round(calls / bound) : 0);
  return {
    ssmCallsPerCycle: perCycle((c) => c.listCalls + c.stepCalls),
    listCallsPerCycle: perCycle((c) => c.listCalls),
    listCallsBy: {
      inFlight: perCycle((c) => c.listCallsBy.inFlight),
      startedAfter: perCycle((c) => c.listCallsBy.startedAfter),
      byId: perCycle((c) => c.listCallsBy.byId),
    },
    stepCallsPerCycle: perCycle((c) => c.stepCalls),
    dataBoundPerCycle: perCycle((c) => (c.bound?.listPages ?? 0) + (c.bound?.stepPages ?? 0)),
    listBoundPerCycle: perCycle((c) => c.bound?.listPages ?? 0),
    stepBoundPerCycle: perCycle((c) => c.bound?.stepPages ?? 0),
    ratioToDataBound: ratio(listCalls + stepCalls, listBound + stepBound),
    lagSweepsPerCycle: perCycle((c) => c.bound?.lagSweeps ?? 0),
    ratioToDataBoundWithLagSweeps: ratio(
      listCalls + stepCalls,
      listBound + stepBound + sum((c) => c.bound?.lagSweeps ?? 0),
    ),
    listRatioToBound: ratio(listCalls, listBound),
    stepRatioToBound: ratio(stepCalls, stepBound),
    dynamoReadsPerCycle: perCycle((c) => c.dynamoReads),
    dynamoWritesPerCycle: perCycle((c) => c.dynamoWrites),
    putEventsCallsPerCycle: perCycle((c) => c.putEventsCalls),
    eventsPerCycle: perCycle((c) => c.events),
    eventsTotal: run.cycles.reduce((n, c) => n + c.events, 0),
    expectedTransitions: run.delivery.expected,
    lost: run.delivery.lost,
    duplicates: run.delivery.duplicates,
    unexpected: run.delivery.unexpected,
    deliverySamples: run.delivery.samples,
    executionsPolledPerCycle: perCycle((c) => c.executionsPolled),
    stepCallsPerExecution: round(stepPerExecution, 3),
    listCallsPerExecution: round(listPerExecution, 3),
    largestFleetAt3Tps: largestFleet(stepPerExecution, listPerExecution),
    largestFleetDefaultBucket: Math.floor(
      (DEFAULT_BUCKET_TPS * DEFAULT_USABLE_SECONDS) / Math.max(1e-9, stepPerExecution + listPerExecution),
    ),
    warmupWallMs: Math.round(run.cycles[0]?.wallMs ?? 0),
    cycleWallMs: Math.round(mean(steady.map((c) => c.wallMs))),
    virtualWaitMs: run.cycles.reduce((n, c) => n + c.waitedMs, 0),
    excess: run.excess.slice(0, EXCESS_REPORTED),
  };
}

/** Runs one (fleet, strategy, placement) job in a child process and returns its figures. */
function runWorker(
  fleet: string,
  strategy: StepReadStrategy,
  placement: Placement,
  cycles: number,
): Promise<RunFigures> {
  return runChild<RunFigures>(
    ['--worker', fleet, strategy, placement, String(cycles)],
    `bench worker ${fleet}/${strategy}/${placement}`,
  );
}

/** Runs the organization bench (bench/organization.ts) in a child process and returns its report. */
function runOrganizationWorker(): Promise<OrganizationReport> {
  return runChild<OrganizationReport>(['--organization'], 'organization bench');
}

/** Runs the stress bench (bench/stress.ts) in a child process and returns its report. */
function runStressWorker(): Promise<StressReport> {
  return runChild<StressReport>(['--stress'], 'stress bench');
}

/** Runs the audit bench (bench/audit.ts) in a child process and returns its report. */
function runAuditWorker(): Promise<AuditReport> {
  return runChild<AuditReport>(['--audit'], 'audit bench');
}

/** Runs this script again with `args` in a child process; its last line of output is its result, as JSON. */
function runChild<T>(args: readonly string[], label: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new BenchError(`${label} exited with ${code}`));
        return;
      }
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as T);
      } catch (error) {
        reject(new BenchError(`${label} printed no result`, { cause: error }));
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
  const columns = STRATEGIES.flatMap((strategy) =>
    (Object.keys(PLACEMENTS) as Placement[])
      .filter((placement) => report[strategy]?.[placement])
      .map((placement) => ({ strategy, placement, figures: report[strategy]?.[placement] as RunReport })),
  );
  const cell = (pick: (f: RunReport) => string): string[] => columns.map((c) => pick(c.figures));
  const rows: string[][] = [
    ['', ...columns.map((c) => c.strategy)],
    ['placement of not-started steps', ...columns.map((c) => c.placement)],
    ['SSM calls / cycle', ...cell((f) => f.ssmCallsPerCycle.toFixed(1))],
    ['  DescribeAutomationExecutions', ...cell((f) => f.listCallsPerCycle.toFixed(1))],
    [
      '    in flight / started since / by id',
      ...cell((f) => `${f.listCallsBy.inFlight}/${f.listCallsBy.startedAfter}/${f.listCallsBy.byId}`),
    ],
    ['  DescribeAutomationStepExecutions', ...cell((f) => f.stepCallsPerCycle.toFixed(1))],
    ['data bound / cycle', ...cell((f) => f.dataBoundPerCycle.toFixed(1))],
    ['  list pages', ...cell((f) => f.listBoundPerCycle.toFixed(1))],
    ['  step pages', ...cell((f) => f.stepBoundPerCycle.toFixed(1))],
    ['ratio to data bound', ...cell((f) => f.ratioToDataBound.toFixed(2))],
    ['lag sweeps / cycle (ended within the lag of a poll)', ...cell((f) => f.lagSweepsPerCycle.toFixed(1))],
    ['ratio to data bound + lag sweeps', ...cell((f) => f.ratioToDataBoundWithLagSweeps.toFixed(2))],
    [
      '  list calls / list pages, step calls / step pages',
      ...cell((f) => `${f.listRatioToBound.toFixed(2)}, ${f.stepRatioToBound.toFixed(2)}`),
    ],
    ['DynamoDB reads / cycle', ...cell((f) => f.dynamoReadsPerCycle.toFixed(1))],
    ['DynamoDB writes / cycle', ...cell((f) => f.dynamoWritesPerCycle.toFixed(1))],
    ['PutEvents calls / cycle', ...cell((f) => f.putEventsCallsPerCycle.toFixed(1))],
    ['events / cycle', ...cell((f) => f.eventsPerCycle.toFixed(1))],
    ['events, all cycles (expected)', ...cell((f) => `${f.eventsTotal} (${f.expectedTransitions})`)],
    ['lost / duplicate / unexpected', ...cell((f) => `${f.lost} / ${f.duplicates} / ${f.unexpected}`)],
    ['executions read / cycle', ...cell((f) => f.executionsPolledPerCycle.toFixed(1))],
    ['step calls / execution read', ...cell((f) => f.stepCallsPerExecution.toFixed(3))],
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
      `${report.executionsPerCycle.toFixed(1)} executions whose steps can have changed per cycle\n`,
  );
  console.log(table(rows));
  for (const { strategy, placement, figures } of columns) {
    if (strategy !== 'window') continue;
    const groups = figures.excess
      .filter((g) => g.calls > g.bound)
      .map((g) => `${g.group}: ${g.calls} calls / ${g.bound} bound over ${g.reads} reads`);
    if (groups.length > 0)
      console.log(`step calls above the bound, ${strategy}/${placement}: ${groups.join('; ')}`);
    for (const sample of figures.deliverySamples)
      console.log(`  delivery ${strategy}/${placement}: ${sample}`);
  }
}

function parseArgs(argv: readonly string[]): {
  cycles?: number;
  fleets?: string[];
  strategies: StepReadStrategy[];
  placements?: Placement[];
  organization: boolean;
  stress: boolean;
  audit: boolean;
  /** Only this part of the bench (`--only audit`). */
  only?: 'audit';
} {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const cycles = value('--cycles');
  const strategies = (value('--strategies')?.split(',') ?? [...STRATEGIES]).filter(
    (s): s is StepReadStrategy => s === 'full' || s === 'window',
  );
  const onlyValue = value('--only');
  if (onlyValue !== undefined && onlyValue !== 'audit') {
    throw new BenchError(`--only takes audit; got "${onlyValue}".`);
  }
  const only = onlyValue;
  const placements = value('--placements')
    ?.split(',')
    .filter((p): p is Placement => p in PLACEMENTS);
  return {
    ...(cycles !== undefined && { cycles: Math.max(2, Number(cycles)) }),
    ...(value('--fleets') !== undefined && { fleets: value('--fleets')?.split(',') }),
    strategies,
    ...(placements !== undefined && { placements }),
    organization: !argv.includes('--no-organization'),
    stress: !argv.includes('--no-stress'),
    audit: !argv.includes('--no-audit'),
    ...(only !== undefined && { only }),
  };
}

async function worker(
  fleetKey: string,
  strategy: StepReadStrategy,
  placement: Placement,
  cycles: number,
): Promise<void> {
  const fleet = allFleets().find((f) => f.key === fleetKey);
  if (!fleet) throw new BenchError(`no fleet ${fleetKey}`);
  if (!(placement in PLACEMENTS)) throw new BenchError(`no placement ${placement}`);
  const figures = await measureFleet(fleet, strategy, placement, cycles);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--organization') {
    process.stdout.write(`${JSON.stringify(await measureOrganization())}\n`);
    return;
  }
  if (argv[0] === '--stress') {
    process.stdout.write(`${JSON.stringify(await measureStress())}\n`);
    return;
  }
  if (argv[0] === '--audit') {
    process.stdout.write(`${JSON.stringify(await measureAudit())}\n`);
    return;
  }
  if (argv[0] === '--worker') {
    await worker(
      argv[1] ?? '',
      (argv[2] ?? 'window') as StepReadStrategy,
      (argv[3] ?? 'first') as Placement,
      Number(argv[4] ?? 2),
    );
    return;
  }
  const args = parseArgs(argv);
  if (args.only === 'audit') {
    // `npm run bench -- --only audit`: issue 19's figures alone, as the same JSON key.
    const audit = printAudit(await runAuditWorker());
    const targets = {
      auditHistoryAtMost2s: audit.targets.historyAtMost2sEveryFormat,
      auditPageLoadAtMost1s: audit.targets.pageLoadAtMost1s,
    };
    console.log(`Targets: ${JSON.stringify(targets)}`);
    console.log(JSON.stringify({ targets, audit }));
    return;
  }
  const fleets: Fleet[] = allFleets().filter((f) => !args.fleets || args.fleets.includes(f.key));
  const cyclesOf = (fleet: Fleet): number => args.cycles ?? fleet.cycles;
  // The largest runs first, so the two lanes finish close together.
  const jobs = fleets
    .flatMap((fleet) =>
      args.strategies.flatMap((strategy) =>
        placementsOf(fleet, strategy, args.placements).map((placement) => ({ fleet, strategy, placement })),
      ),
    )
    .sort((x, y) => (x.fleet.key === 'b' ? 0 : 1) - (y.fleet.key === 'b' ? 0 : 1))
    .map(
      ({ fleet, strategy, placement }) =>
        () =>
          runWorker(fleet.key, strategy, placement, cyclesOf(fleet)),
    );
  const started = performance.now();
  const runs = await runPool(jobs, Math.min(2, availableParallelism()));
  const core: CoreCpuFigures = measureCoreCpu();

  const reports: Record<string, FleetReport> = {};
  for (const fleet of fleets) {
    const mine = runs.filter((r) => r.fleet === fleet.key);
    const steady = mine[0]?.cycles.slice(1) ?? [];
    const report: FleetReport = {
      title: fleet.title,
      cycles: cyclesOf(fleet),
      measuredCycles: steady.length,
      executionsPerCycle: round(mean(steady.map((c) => c.bound?.executions ?? 0)), 1),
    };
    for (const run of mine) {
      const byPlacement: StrategyReport = report[run.strategy] ?? {};
      byPlacement[run.placement] = summarise(run);
      report[run.strategy] = byPlacement;
    }
    reports[fleet.key] = report;
    printFleet(fleet.key, report);
  }

  console.log(
    `\nPure core (diffExecution + buildEvents), one cycle over ${core.executions} executions x ` +
      `${core.stepsPerExecution} steps, ${core.changedFraction * 100}% changed: ` +
      `${core.coldCpuMs} ms CPU cold, ${core.warmCpuMs} ms warm (${core.eventsBuilt} events built)`,
  );
  console.log(
    `Largest fleet = floor(min(${QUOTA_TPS} TPS x ${STALENESS_SECONDS} s / step calls per execution read, ` +
      `${QUOTA_TPS} TPS x ${STALENESS_SECONDS} s / list calls per execution read)); each Describe API has its own quota.\n` +
      `Default bucket: floor(${DEFAULT_BUCKET_TPS} TPS x ${DEFAULT_USABLE_SECONDS} s / (step + list calls per execution read)), one bucket for both APIs.`,
  );
  // Issue 13: 500 shards through the fan-out (bench/organization.ts), in a child process beside the latency runs.
  const organizationRun = args.organization ? runOrganizationWorker() : Promise.resolve(null);
  // Issue 12: SSM change -> event on the bus, with hints and on the schedule alone (bench/latency.ts).
  const latency = printLatency(await measureLatency());
  const organization = await organizationRun;
  if (organization) printOrganization(organization);
  // Issue 18: a 20,000-step execution and a 6,000-execution backlog beside small ones (bench/stress.ts).
  const stress = args.stress ? printStress(await runStressWorker()) : null;
  // Issue 19: `step-watch history` of a 1,000-target run and a 50-iteration loop, and its page (bench/audit.ts).
  const audit = args.audit ? printAudit(await runAuditWorker()) : null;

  const within = (key: string, placements: readonly Placement[]): boolean | null => {
    const window = reports[key]?.window;
    const limit = TARGET_RATIO[key];
    const measured = placements.map((p) => window?.[p]).filter((f) => f !== undefined);
    if (!window || limit === undefined || measured.length === 0) return null;
    return measured.every((f) => f.ratioToDataBound <= limit);
  };
  const allRuns = Object.values(reports).flatMap((r) =>
    [r.window, r.full].flatMap((s) => Object.values(s ?? {})),
  );
  const targets = {
    aWindowAtMost1_1xDataBound: within('a', TARGET_PLACEMENTS),
    bWindowAtMost1_25xDataBound: within('b', TARGET_PLACEMENTS),
    cWindowAtMost1_1xDataBound: within('c', TARGET_PLACEMENTS),
    childrenOnRequestWithinTheSameTargets:
      within('b', ['childrenOnRequest']) === false || within('c', ['childrenOnRequest']) === false
        ? false
        : (within('b', ['childrenOnRequest']) ?? within('c', ['childrenOnRequest'])),
    noLostNoDuplicates: allRuns.every((f) => f.lost === 0 && f.duplicates === 0),
    coreCpuUnder1s: core.coldCpuMs < 1000,
    organizationStalenessP99AtMost90s: organization ? organization.targets.stalenessP99AtMost90s : null,
    stressDrainRatioAtMost1_2: stress ? stress.targets.drainRatioAtMost1_2 : null,
    stressOtherExecutionsP99AtMost75s: stress ? stress.targets.otherExecutionsP99AtMost75s : null,
    stressStateItemsAtMost350KB: stress ? stress.targets.stateItemsAtMost350KB : null,
    stressNoLostNoDuplicates: stress ? stress.targets.noLostNoDuplicates : null,
    auditHistoryAtMost2s: audit ? audit.targets.historyAtMost2sEveryFormat : null,
    auditPageLoadAtMost1s: audit ? audit.targets.pageLoadAtMost1s : null,
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
      organization,
      stress: stress && { ...stress, runs: undefined },
      audit,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
