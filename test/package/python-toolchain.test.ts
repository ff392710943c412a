// The Python toolchain verdict: what the jsii Python steps need, and the sentence saying what is missing.
import { describe, expect, it } from 'vitest';
import { PACMAK_PYTHON_MODULES, probePython, toolchainVerdict } from './python-toolchain';

describe('Function: toolchainVerdict', () => {
  it('is ready when every module imports', () => {
    // Act
    const verdict = toolchainVerdict(
      { version: 'Python 3.12.1', importable: new Set(PACMAK_PYTHON_MODULES) },
      PACMAK_PYTHON_MODULES,
      'Building the wheel',
    );

    // Assess
    expect(verdict).toEqual({
      ready: true,
      missing: [],
      reason: 'Building the wheel runs with Python 3.12.1.',
    });
  });

  it('names each missing module and the Python that lacks it', () => {
    // Act
    const verdict = toolchainVerdict(
      { version: 'Python 3.11.7', importable: new Set(['venv', 'pip', 'setuptools']) },
      PACMAK_PYTHON_MODULES,
      'Building the wheel',
    );

    // Assess
    expect(verdict.ready).toBe(false);
    expect(verdict.missing).toEqual(['wheel', 'build', 'twine']);
    expect(verdict.reason).toBe(
      'Building the wheel needs the Python modules venv, pip, setuptools, wheel, build, twine; Python 3.11.7 lacks wheel, build, twine (and packages cannot be downloaded here).',
    );
  });

  it('says there is no python3 when the probe found none', () => {
    // Act
    const verdict = toolchainVerdict(
      { version: undefined, importable: new Set() },
      ['pip'],
      'Building the wheel',
    );

    // Assess
    expect(verdict).toEqual({
      ready: false,
      missing: ['python3'],
      reason: 'Building the wheel needs python3, and there is none on the PATH.',
    });
  });
});

describe('Function: probePython', () => {
  it('tells a module Python has from one it does not', () => {
    // Act
    const probe = probePython(['json', 'no_such_module_for_step_watch']);

    // Assess: without python3 on the PATH the probe finds nothing at all.
    if (probe.version === undefined) expect(probe.importable.size).toBe(0);
    else expect([...probe.importable]).toEqual(['json']);
  });
});
