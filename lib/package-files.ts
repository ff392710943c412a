// Where the construct finds its own files (prebuilt Lambda code, event schemas, the Lambda sources) without import.meta, which jsii cannot compile.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StepWatchPackageError } from './errors';

const PACKAGE_NAME = 'ssm-step-watch';

/**
 * The folder this library's modules sit under: `dist/` of the installed package (the build compiles
 * `lib/` to CommonJS, where `__dirname` is defined), or this repository's root when the sources run
 * as they are. Vitest gives the sources a `__dirname`; tsx running them as ES modules does not, and
 * then the root is found from the working directory, as `cdk synth` and `npm test` run in it.
 *
 * @example
 * ```ts
 * const schemas = join(moduleTreeRoot(), 'schemas');
 * ```
 */
export function moduleTreeRoot(): string {
  if (typeof __dirname === 'string') return dirname(__dirname);
  const root = repositoryRootAbove(process.cwd());
  if (root === undefined) {
    throw new StepWatchPackageError(
      `${PACKAGE_NAME}: running from sources, but ${process.cwd()} is not inside the ${PACKAGE_NAME} repository; run from it, or use the built package (npm run build).`,
    );
  }
  return root;
}

/**
 * The prebuilt bundle of a Lambda entry point (`<tree root>/assets/<handlerFile>/index.mjs`, written
 * by `npm run build`), or undefined when running from sources, which bundle at synth instead.
 */
export function prebuiltAssetDirectory(handlerFile: string): string | undefined {
  const directory = join(moduleTreeRoot(), 'assets', handlerFile);
  return existsSync(join(directory, 'index.mjs')) ? directory : undefined;
}

/**
 * The nearest lock file at or above `directory` (npm, pnpm, yarn or bun), which NodejsFunction uses
 * to install and to key its bundling cache; undefined if there is none.
 */
export function lockFileAbove(directory: string): string | undefined {
  const names = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb'];
  for (let current = directory; ; current = dirname(current)) {
    const found = names.map((name) => join(current, name)).find((path) => existsSync(path));
    if (found !== undefined) return found;
    if (dirname(current) === current) return undefined;
  }
}

/** The folder at or above `directory` holding this repository: its package.json and `lambda/handlers/`. */
function repositoryRootAbove(directory: string): string | undefined {
  for (let current = directory; ; current = dirname(current)) {
    if (isRepositoryRoot(current)) return current;
    if (dirname(current) === current) return undefined;
  }
}

function isRepositoryRoot(directory: string): boolean {
  const manifest = join(directory, 'package.json');
  if (!existsSync(manifest) || !existsSync(join(directory, 'lambda', 'handlers'))) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}
