// `npm run build`: the npm package in dist/ — the construct library as CommonJS with .d.ts and its jsii assembly, the Lambda bundles prebuilt, the CLI as one ES module.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUNDLED_HANDLER_FILES, BUNDLED_RUNTIME, BUNDLING } from '../lib/bundled-function';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

/**
 * The construct library: jsii with tsconfig.jsii.json (package.json's `jsii` section), CommonJS with
 * declarations and jsii's runtime type information, and the `.jsii` assembly at the package root that
 * Python, Java, .NET and Go users load it through. The sources are ES modules with extension-less
 * imports, which Node's ES module loader cannot resolve; CommonJS resolves them and lets a consumer's
 * app `require` or `import` the package alike. The `package.json` in dist/ tells Node these `.js`
 * files are CommonJS (the repository's says module).
 */
function compileLibrary(): void {
  const jsii = createRequire(import.meta.url).resolve('jsii/bin/jsii');
  execFileSync(process.execPath, [jsii], { cwd: root, stdio: 'inherit' });
  writeFileSync(join(dist, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
  cpSync(join(root, 'schemas'), join(dist, 'schemas'), { recursive: true });
}

/**
 * Each Lambda entry point bundled with the esbuild settings NodejsFunction uses at synth
 * (lib/bundled-function.ts), into dist/assets/<handler>/index.mjs, where the compiled construct
 * finds it: a consumer's synth then needs no esbuild, Docker or lock file.
 */
async function bundleHandlers(): Promise<void> {
  const target = BUNDLED_RUNTIME.name.replace(/^nodejs(\d+).*$/, 'node$1');
  for (const handlerFile of BUNDLED_HANDLER_FILES) {
    await build({
      entryPoints: [join(root, 'lambda', 'handlers', `${handlerFile}.ts`)],
      outfile: join(dist, 'assets', handlerFile, 'index.mjs'),
      bundle: true,
      platform: 'node',
      target,
      format: BUNDLING.format,
      mainFields: BUNDLING.mainFields,
      banner: { js: BUNDLING.banner },
      minify: BUNDLING.minify,
      keepNames: BUNDLING.keepNames,
      sourcemap: BUNDLING.sourceMap,
      sourcesContent: BUNDLING.sourcesContent,
      external: BUNDLING.externalModules,
      logLevel: 'warning',
    });
  }
}

/**
 * The CLI as one ES module (dist/bin/step-watch.mjs), its dependencies left to node_modules: an ES
 * module keeps the sandbox's `import.meta.url` paths, and one file needs no rewriting of import paths.
 * The demo scenario goes where sandbox/scenario.ts looks for it, beside the module.
 */
async function bundleCli(): Promise<void> {
  const outfile = join(dist, 'bin', 'step-watch.mjs');
  await build({
    entryPoints: [join(root, 'bin', 'step-watch.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
  });
  // The sources start with a tsx shebang; the package runs the compiled module on plain Node.
  const code = readFileSync(outfile, 'utf8').replace(/^#!.*\n/, '');
  writeFileSync(outfile, `#!/usr/bin/env node\n${code}`);
  chmodSync(outfile, 0o755);
  mkdirSync(join(dirname(outfile), 'scenarios'), { recursive: true });
  cpSync(join(root, 'sandbox', 'scenarios'), join(dirname(outfile), 'scenarios'), { recursive: true });
}

rmSync(dist, { recursive: true, force: true });
compileLibrary();
await bundleHandlers();
await bundleCli();
process.stdout.write(`built ${dist}\n`);
