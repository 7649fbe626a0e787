import { readdir, symlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * A directory to use as the whole PATH: a link to every program of the current PATH except
 * `hidden`. How a test runs something on a machine without redis-server (or sudo) while this
 * one has it: nothing is uninstalled, nothing is faked.
 */
export async function pathWithout(directory: string, hidden: string[]): Promise<string> {
  const seen = new Set(hidden);
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((entry) => !seen.has(entry))) {
      seen.add(name);
      await symlink(path.join(dir, name), path.join(directory, name));
    }
  }
  return directory;
}
