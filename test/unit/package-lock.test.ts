import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

interface LockedPackage {
  version?: string;
  dependencies?: Record<string, string>;
  /** Recorded for the root package only. */
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const LOCKFILE = new URL('../../package-lock.json', import.meta.url);

/** The lock entry Node's resolution would find for `name` required from the package at `from`. */
function resolveInLock(packages: Record<string, LockedPackage>, from: string, name: string): string | undefined {
  for (let base = from; ; base = base.slice(0, Math.max(0, base.lastIndexOf('/node_modules/')))) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (candidate in packages) return candidate;
    if (!base) return undefined;
  }
}

// `npm ci` refuses a lockfile in which a dependency has no entry. npm 11.16+ writes no entry for
// an optional dependency that is not on the registry (chdb's other-platform libraries are 404),
// then rejects its own lockfile (npm/cli#9846). The `{ "optional": true }` placeholders that keep
// `npm ci` working are dropped by any later `npm install`; this catches that before CI does.
describe('package-lock.json', () => {
  it('has an entry for every dependency and optional dependency it records', async () => {
    const { packages } = JSON.parse(await readFile(LOCKFILE, 'utf8')) as { packages: Record<string, LockedPackage> };
    const missing = Object.entries(packages).flatMap(([path, pkg]) =>
      Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies })
        .filter((name) => resolveInLock(packages, path, name) === undefined)
        .map((name) => `${path || '(root)'} → ${name}`),
    );
    expect(missing, 'restore the placeholders with `npx npm@11.13.0 install --package-lock-only --ignore-scripts`').toEqual([]);
  });
});
