// What this machine has of the Python toolchain jsii-pacmak's Python target needs, and in words what it lacks.
import { spawnSync } from 'node:child_process';

/**
 * The Python modules `jsii-pacmak --targets python` uses to build the wheel: it makes a venv (with
 * the system's site-packages), pip-installs its requirements into it, runs `python -m build` and
 * `python -m twine check`; setuptools and wheel are the build backend.
 */
export const PACMAK_PYTHON_MODULES = ['venv', 'pip', 'setuptools', 'wheel', 'build', 'twine'] as const;

/** The Python modules a venv needs to run a synthesized StepWatch: the jsii runtime and the CDK. */
export const SYNTH_PYTHON_MODULES = ['jsii', 'aws_cdk', 'constructs'] as const;

/** What a probe of `python3` found. */
export interface PythonProbe {
  /** `python3 --version`, or undefined when there is no `python3` on the PATH. */
  readonly version: string | undefined;
  /** Which of the modules asked about import. */
  readonly importable: ReadonlySet<string>;
}

/** Whether a step can run here and, when it cannot, why. */
export interface ToolchainVerdict {
  readonly ready: boolean;
  /** The missing pieces, by name; empty when ready. */
  readonly missing: readonly string[];
  /** One sentence: what is used, or what is missing. */
  readonly reason: string;
}

/** The verdict for a step needing `modules`, from a probe: pure, so it is tested with plain values. */
export function toolchainVerdict(
  probe: PythonProbe,
  modules: readonly string[],
  step: string,
): ToolchainVerdict {
  if (probe.version === undefined) {
    return {
      ready: false,
      missing: ['python3'],
      reason: `${step} needs python3, and there is none on the PATH.`,
    };
  }
  const missing = modules.filter((module) => !probe.importable.has(module));
  if (missing.length === 0) return { ready: true, missing, reason: `${step} runs with ${probe.version}.` };
  return {
    ready: false,
    missing,
    reason: `${step} needs the Python modules ${modules.join(', ')}; ${probe.version} lacks ${missing.join(', ')} (and packages cannot be downloaded here).`,
  };
}

/** Asks `python3` which of `modules` it can import (without importing them). */
export function probePython(modules: readonly string[]): PythonProbe {
  const version = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) return { version: undefined, importable: new Set() };
  const script = `import importlib.util, sys\nfor m in sys.argv[1:]:\n    print(m) if importlib.util.find_spec(m) else None`;
  const found = spawnSync('python3', ['-c', script, ...modules], { encoding: 'utf8' });
  const importable = new Set(found.stdout.split('\n').filter((line) => line !== ''));
  return { version: version.stdout.trim() || version.stderr.trim(), importable };
}
