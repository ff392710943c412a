// The npm package as a user gets it: built, packed, installed into a fresh CDK app, imported, synthesized, its CLI run.
import { execFile } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** Enough shards that the list leaves the environment for a file beside the prebuilt bundle. */
const SHARD_COUNT = 40;

/** A consumer's app: the package's public import, non-default props, synthesized into the folder CDK_OUTDIR names. */
const APP_TS = `import { App, Stack } from 'aws-cdk-lib';
import { StepWatch, type StepWatchShard } from 'ssm-step-watch';

const shards: StepWatchShard[] = Array.from({ length: ${SHARD_COUNT} }, (_, i) => ({
  account: String(200_000_000_000 + i),
  region: 'eu-west-1',
  roleArn: \`arn:aws:iam::\${200_000_000_000 + i}:role/StepWatchReader\`,
}));
const app = new App();
const stack = new Stack(app, 'Consumer', { env: { account: '111122223333', region: 'eu-west-1' } });
const watch = new StepWatch(stack, 'Watch', { schedule: 'rate(5 minutes)', historyRetention: 30, shards });
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
  readonly Properties: { readonly Handler: string; readonly Code: { readonly S3Key: string } };
}

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
      const shardFile = fn.Properties.Handler === 'index.handler' ? [] : ['shards.json'];
      expect(files?.sort(), fn.Properties.Handler).toEqual(['index.mjs', 'index.mjs.map', ...shardFile]);
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
});
