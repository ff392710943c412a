// Synthesizes StepWatch stacks once per test file into a temporary cloud assembly, and removes it afterwards.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StepWatchStack, type StepWatchStackProps } from '../../lib/step-watch-stack';

/** Stacks synthesized into one temporary cloud assembly. */
export interface InfraFixture<K extends string> {
  /** The cloud assembly directory. */
  readonly outdir: string;
  readonly app: App;
  readonly stacks: Readonly<Record<K, StepWatchStack>>;
  readonly templates: Readonly<Record<K, Template>>;
  /**
   * Absolute path of the directory holding a stack's bundled function (`index.mjs`) whose Lambda
   * handler is `handler`: the poller's by default, `index.hintHandler` for the hint reader's.
   */
  functionAssetDir(key: K, handler?: string): string;
  /** Deletes the cloud assembly. */
  cleanup(): void;
}

/**
 * Builds one stack per entry in one App whose cloud assembly lives in a fresh directory under the OS
 * temp dir, then synthesizes it. Pass a function to build props that need the App (e.g. an imported key). The handler is bundled once: stacks with the same bundling share the asset.
 *
 * @example
 * ```ts
 * let fixture: InfraFixture<'main'>;
 * beforeAll(() => { fixture = createInfraFixture({ main: {} }); });
 * afterAll(() => fixture.cleanup());
 * ```
 */
export function createInfraFixture<K extends string>(
  propsOf:
    | Readonly<Record<K, StepWatchStackProps>>
    | ((app: App) => Readonly<Record<K, StepWatchStackProps>>),
): InfraFixture<K> {
  const outdir = mkdtempSync(join(tmpdir(), 'step-watch-infra-'));
  try {
    // Asset metadata (what the CLI turns on) records where each bundled asset lives in the assembly.
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const props = typeof propsOf === 'function' ? propsOf(app) : propsOf;
    const keys = Object.keys(props) as K[];
    const stacks = Object.fromEntries(
      keys.map((key) => [key, new StepWatchStack(app, key, props[key])]),
    ) as Record<K, StepWatchStack>;
    app.synth();
    const templates = Object.fromEntries(keys.map((key) => [key, Template.fromStack(stacks[key])])) as Record<
      K,
      Template
    >;
    return {
      outdir,
      app,
      stacks,
      templates,
      functionAssetDir(key, handler = 'index.handler') {
        const [fn] = Object.values(
          templates[key].findResources('AWS::Lambda::Function', { Properties: { Handler: handler } }),
        );
        const assetPath = (fn as { Metadata?: Record<string, unknown> } | undefined)?.Metadata?.[
          'aws:asset:path'
        ];
        assert(typeof assetPath === 'string', `stack ${key} has no Lambda asset path for ${handler}`);
        return join(outdir, assetPath);
      },
      cleanup() {
        rmSync(outdir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
}
