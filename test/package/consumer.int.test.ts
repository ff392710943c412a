// The npm package as a user gets it: built, packed, installed into a fresh CDK app, imported, synthesized, its CLI run; its jsii assembly, API.md and Python package.
import { execFile } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PACMAK_PYTHON_MODULES,
  probePython,
  SYNTH_PYTHON_MODULES,
  toolchainVerdict,
} from './python-toolchain';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const PACMAK = join(ROOT, 'node_modules', 'jsii-pacmak', 'bin', 'jsii-pacmak');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** Enough shards that the list leaves the environment for a file beside the prebuilt bundle. */
const SHARD_COUNT = 40;

/** A consumer's app: the package's public import, non-default props, synthesized into the folder CDK_OUTDIR names. */
const APP_TS = `import { App, Stack } from 'aws-cdk-lib';
import { StepWatch, StepWatchLogLevel, type StepWatchShard } from 'ssm-step-watch';

const shards: StepWatchShard[] = Array.from({ length: ${SHARD_COUNT} }, (_, i) => ({
  account: String(200_000_000_000 + i),
  region: 'eu-west-1',
  roleArn: \`arn:aws:iam::\${200_000_000_000 + i}:role/StepWatchReader\`,
}));
const app = new App();
const stack = new Stack(app, 'Consumer', { env: { account: '111122223333', region: 'eu-west-1' } });
const watch = new StepWatch(stack, 'Watch', {
  schedule: 'rate(5 minutes)',
  historyRetention: 30,
  shards,
  logLevel: StepWatchLogLevel.WARN,
});
watch.table.tableName satisfies string;
app.synth();
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  },
  files: ['app.ts'],
};

interface PackedFile {
  readonly path: string;
}

interface CfnFunction {
  readonly Properties: {
    readonly Handler: string;
    readonly Code: { readonly S3Key: string };
    readonly Environment?: { readonly Variables: Record<string, string> };
  };
}

/** The parts of a jsii assembly (`.jsii`, spec `jsii/0.10.0`) these tests read. */
interface JsiiAssembly {
  readonly name: string;
  readonly dependencies: Record<string, string>;
  readonly targets: Record<string, unknown>;
  readonly types: Record<string, JsiiType>;
}

interface JsiiType {
  readonly kind: 'class' | 'interface' | 'enum';
  readonly datatype?: boolean;
  readonly docs?: JsiiDocs;
  readonly properties?: readonly {
    readonly name: string;
    readonly optional?: boolean;
    readonly docs?: JsiiDocs;
  }[];
  readonly members?: readonly { readonly name: string }[];
}

interface JsiiDocs {
  readonly summary?: string;
  readonly default?: string;
}

/** The pieces the Python steps need on this machine, asked once. */
const PYTHON = probePython([...PACMAK_PYTHON_MODULES, ...SYNTH_PYTHON_MODULES]);
const WHEEL = toolchainVerdict(
  PYTHON,
  PACMAK_PYTHON_MODULES,
  'Building the Python wheel (jsii-pacmak --targets python)',
);
const PYTHON_SYNTH = toolchainVerdict(
  PYTHON,
  [...PACMAK_PYTHON_MODULES, ...SYNTH_PYTHON_MODULES],
  'Synthesizing a StepWatch from Python',
);

/** A CDK app in Python, as docs/library.md shows it: the enums spelled as Python spells them. */
const APP_PY = `import aws_cdk as cdk
from ssm_step_watch import StepWatch, StepWatchLogLevel

app = cdk.App()
stack = cdk.Stack(app, "Consumer", env=cdk.Environment(account="111122223333", region="eu-west-1"))
StepWatch(stack, "Watch", schedule="rate(5 minutes)", log_level=StepWatchLogLevel.WARN)
app.synth()
`;

/** jsii's tools print a banner about Node 20 on stderr; the tests only want their output. */
const JSII_ENV = { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' };

describe('Package: ssm-step-watch installed into a fresh CDK app', () => {
  let work: string;
  let app: string;
  let packed: PackedFile[];
  let functions: CfnFunction[];
  let outdir: string;

  beforeAll(async () => {
    // Prepare: build, pack, install the tarball into an empty app. The peer dependencies are the
    // repository's own copies, linked, so the install fetches only the package's dependencies.
    work = await mkdtemp(join(tmpdir(), 'ssm-step-watch-consumer-'));
    app = join(work, 'app');
    outdir = join(app, 'cdk.out');
    await run('npm', ['run', 'build'], { cwd: ROOT });
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: ROOT,
    });
    const [tarball] = JSON.parse(stdout) as { filename: string; files: PackedFile[] }[];
    if (!tarball) throw new Error('npm pack printed no tarball');
    packed = tarball.files;
    await run('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    writeFileSync(join(app, 'app.ts'), APP_TS);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    await run(
      'npm',
      [
        'install',
        join(work, tarball.filename),
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--legacy-peer-deps',
      ],
      { cwd: app },
    );
    for (const peer of ['aws-cdk-lib', 'constructs']) {
      symlinkSync(join(ROOT, 'node_modules', peer), join(app, 'node_modules', peer), 'dir');
    }

    // Act: type-check the app against the package's declarations, and synthesize it.
    await Promise.all([
      run(process.execPath, [TSC, '-p', app], { cwd: app }),
      run(process.execPath, [TSX, 'app.ts'], { cwd: app, env: { ...process.env, CDK_OUTDIR: outdir } }),
    ]);
    const template = JSON.parse(readFileSync(join(outdir, 'Consumer.template.json'), 'utf8')) as {
      Resources: Record<string, CfnFunction & { Type: string }>;
    };
    functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  }, 240_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('packs the compiled library, the prebuilt Lambda code and the CLI, and no tests or sources', async () => {
    // Act
    const { stdout } = await run('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: ROOT });
    const [dryRun] = JSON.parse(stdout) as { files: PackedFile[] }[];
    const paths = (dryRun?.files ?? []).map((file) => file.path);

    // Assess
    expect(paths).toEqual(packed.map((file) => file.path));
    expect(paths).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'package.json',
        '.jsii',
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'dist/bin/step-watch.mjs',
        'dist/assets/poll/index.mjs',
        'dist/assets/dispatcher/index.mjs',
        'dist/assets/hints/index.mjs',
        'dist/schemas/step-status-change.schema.json',
      ]),
    );
    expect(paths.filter((path) => /(^|\/)test\/|\.test\.|(?<!\.d)\.ts$|lock\.json$/.test(path))).toEqual([]);
  });

  it('synthesizes every function on its prebuilt bundle, the long shard list in a file beside it', async () => {
    // Prepare
    const assets = new Map<string, string[]>();
    for (const entry of await readdir(outdir)) {
      if (entry.startsWith('asset.'))
        assets.set(entry.slice('asset.'.length), await readdir(join(outdir, entry)));
    }

    // Assess
    expect(functions.map((fn) => fn.Properties.Handler).sort()).toEqual([
      'index.dispatcher',
      'index.handler',
      'index.hintHandler',
    ]);
    for (const fn of functions) {
      const files = assets.get(fn.Properties.Code.S3Key.replace(/\.zip$/, ''));
      // Every function reads the shard list: the poll function checks each work item against it.
      expect(files?.sort(), fn.Properties.Handler).toEqual(['index.mjs', 'index.mjs.map', 'shards.json']);
    }
    const pollAsset = functions.find((fn) => fn.Properties.Handler === 'index.handler')?.Properties.Code
      .S3Key;
    expect(readFileSync(join(outdir, `asset.${pollAsset?.replace(/\.zip$/, '')}`, 'index.mjs'))).toEqual(
      readFileSync(join(ROOT, 'dist', 'assets', 'poll', 'index.mjs')),
    );
  });

  it('imports from an ES module app as from a CommonJS one', async () => {
    // Act
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { StepWatch } from 'ssm-step-watch'; console.log(typeof StepWatch);",
      ],
      { cwd: app },
    );

    // Assess
    expect(stdout.trim()).toBe('function');
  });

  it('runs the CLI from the installed package with plain Node, under both command names', async () => {
    // Act
    const versions = await Promise.all(
      ['ssm-step-watch', 'step-watch'].map((bin) =>
        run(join(app, 'node_modules', '.bin', bin), ['--version'], { cwd: app }),
      ),
    );

    // Assess
    for (const { stdout } of versions) expect(stdout.trim()).toBe(PACKAGE.version);
  });

  it('passes an enum prop through to the function, as the string the handler reads', () => {
    // Assess
    for (const fn of functions) {
      if (fn.Properties.Environment?.Variables.POWERTOOLS_LOG_LEVEL !== undefined)
        expect(fn.Properties.Environment.Variables.POWERTOOLS_LOG_LEVEL, fn.Properties.Handler).toBe('WARN');
    }
    expect(functions.some((fn) => fn.Properties.Environment?.Variables.POWERTOOLS_LOG_LEVEL === 'WARN')).toBe(
      true,
    );
  });

  it('exports the error classes at ssm-step-watch/errors, outside the jsii entry', async () => {
    // Act
    const { stdout } = await run(
      process.execPath,
      [
        '-e',
        `const { App, Stack } = require('aws-cdk-lib');
const { StepWatch } = require('ssm-step-watch');
const { StepWatchConfigError, StepWatchError } = require('ssm-step-watch/errors');
try {
  new StepWatch(new Stack(new App(), 'Bad'), 'Watch', { eventSource: 'aws.ssm' });
} catch (error) {
  console.log(error instanceof StepWatchConfigError, error instanceof StepWatchError, error.message);
}`,
      ],
      { cwd: app },
    );

    // Assess
    expect(stdout.trim()).toMatch(/^true true eventSource .*aws\./);
  });

  it('carries the jsii assembly: StepWatch and its props, the enums by their strings, a default on every optional prop', () => {
    // Prepare
    const assembly = JSON.parse(
      readFileSync(join(app, 'node_modules', 'ssm-step-watch', '.jsii'), 'utf8'),
    ) as JsiiAssembly;
    const type = (name: string) => assembly.types[`ssm-step-watch.${name}`];
    const undocumented = Object.entries(assembly.types).flatMap(([fqn, t]) => [
      ...(t.docs?.summary ? [] : [fqn]),
      ...(t.properties ?? []).flatMap((p) => [
        ...(p.docs?.summary ? [] : [`${fqn}.${p.name}`]),
        ...(t.datatype && p.optional && p.docs?.default === undefined ? [`${fqn}.${p.name} @default`] : []),
      ]),
    ]);

    // Assess
    expect(assembly.name).toBe('ssm-step-watch');
    expect(Object.keys(assembly.dependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(assembly.targets).toHaveProperty('python', {
      distName: 'ssm-step-watch',
      module: 'ssm_step_watch',
    });
    expect(type('StepWatch')?.kind).toBe('class');
    expect(type('StepWatchProps')?.datatype).toBe(true);
    expect(type('StepWatchProps')?.properties?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['schedule', 'shards', 'organization', 'logLevel', 'notifications', 'hints']),
    );
    expect(type('StepWatchLogLevel')?.members?.map((m) => m.name)).toEqual([
      'DEBUG',
      'INFO',
      'WARN',
      'ERROR',
    ]);
    expect(type('StepWatchCallAs')?.members?.map((m) => m.name)).toEqual(['SELF', 'DELEGATED_ADMIN']);
    expect(undocumented).toEqual([]);
  });

  it('has API.md as jsii-docgen renders the packed assembly', async () => {
    // Prepare: the assemblies are the installed package's and its linked peers'.
    const { Documentation, Language } = await import('jsii-docgen');
    const docs = await Documentation.forAssembly('ssm-step-watch', app);

    // Act
    const markdown = await docs.toMarkdown({ language: Language.TYPESCRIPT, allSubmodules: true });

    // Assess: when this fails, run `npm run build && npm run docgen` and commit API.md.
    expect(readFileSync(join(ROOT, 'API.md'), 'utf8')).toBe(markdown.render());
  }, 60_000);

  it('generates the Python package from the packed assembly (jsii-pacmak --code-only)', async () => {
    // Act
    const outdir = join(work, 'python-code');
    await run(
      process.execPath,
      [PACMAK, '--targets', 'python', '--code-only', '--no-npmignore', '--outdir', outdir],
      {
        cwd: join(app, 'node_modules', 'ssm-step-watch'),
        // npm pack of the installed package must not run its prepack build.
        env: { ...JSII_ENV, npm_config_ignore_scripts: 'true' },
      },
    );
    const python = join(outdir, 'python');
    const module = readFileSync(join(python, 'src', 'ssm_step_watch', '__init__.py'), 'utf8');
    const bundled = await readdir(join(python, 'src', 'ssm_step_watch', '_jsii'));

    // Assess
    expect(module).toMatch(/^class StepWatch\(/m);
    expect(module).toMatch(/^class StepWatchLogLevel\(enum\.Enum\):/m);
    expect(module).toContain('DELEGATED_ADMIN = "DELEGATED_ADMIN"');
    expect(module).toContain('log_level: typing.Optional[StepWatchLogLevel] = None');
    expect(bundled).toContain(`ssm-step-watch@${PACKAGE.version}.jsii.tgz`);
    expect(readFileSync(join(python, 'setup.py'), 'utf8')).toMatch(/"aws-cdk-lib>=2\.276\.0, <3\.0\.0"/);
  }, 60_000);

  it.runIf(!WHEEL.ready)('cannot build the Python wheel on this machine, and names what is missing', () => {
    // Assess: the detection found the gap it reports.
    console.warn(`[python] ${WHEEL.reason}`);
    expect(WHEEL.missing.length).toBeGreaterThan(0);
    for (const piece of WHEEL.missing) {
      expect(piece === 'python3' ? PYTHON.version : PYTHON.importable.has(piece)).toBeFalsy();
    }
  });

  it.runIf(WHEEL.ready)(
    'builds the Python wheel with jsii-pacmak',
    async () => {
      // Act
      const outdir = join(work, 'python-dist');
      await run(process.execPath, [PACMAK, '--targets', 'python', '--no-npmignore', '--outdir', outdir], {
        cwd: join(app, 'node_modules', 'ssm-step-watch'),
        env: { ...JSII_ENV, npm_config_ignore_scripts: 'true' },
      });

      // Assess
      const wheels = (await readdir(join(outdir, 'python'))).filter((file) => file.endsWith('.whl'));
      expect(wheels).toEqual([`ssm_step_watch-${PACKAGE.version}-py3-none-any.whl`]);
      if (!PYTHON_SYNTH.ready) {
        console.warn(`[python] ${PYTHON_SYNTH.reason}`);
        return;
      }
      const venv = join(work, 'venv');
      await run('python3', ['-m', 'venv', '--system-site-packages', venv]);
      await run(join(venv, 'bin', 'pip'), [
        'install',
        '--no-deps',
        '--no-index',
        join(outdir, 'python', wheels[0] ?? ''),
      ]);
      writeFileSync(join(work, 'app.py'), APP_PY);
      const pyOut = join(work, 'cdk.out.py');
      await run(join(venv, 'bin', 'python'), [join(work, 'app.py')], {
        env: { ...JSII_ENV, CDK_OUTDIR: pyOut },
      });
      const template = readFileSync(join(pyOut, 'Consumer.template.json'), 'utf8');
      expect(template).toContain('"POWERTOOLS_LOG_LEVEL": "WARN"');
    },
    300_000,
  );
});
