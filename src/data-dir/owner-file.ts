import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { commandLine, isRunning, processStart } from './process-inspection.js';

/** Who holds a data directory: written into `DATA_DIR/threadline.pid` by the process that claimed it. */
export interface DataDirOwner {
  pid: number;
  /** processStart() of that PID when it claimed the directory: tells the owner from a later process given the same PID. */
  started: string | null;
  command: string;
}

/** A live process owns the data directory; it is never signalled. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: DataDirOwner,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by a running Threadline process (pid ${owner.pid}: ${owner.command}). ` +
        `Stop that process first (it shuts down cleanly on SIGTERM: kill ${owner.pid}), or give this one its own DATA_DIR and ports ` +
        '(PORT, EMBEDDED_PG_PORT, EMBEDDED_REDIS_PORT). A worker or a migration beside a running server: set DATABASE_URL (and REDIS_URL) ' +
        'to that server’s embedded services instead.',
    );
  }
}

/**
 * Makes this process the owner of `dataDir`, or throws DataDirInUseError when a live process
 * is. An owner file left by a dead process (kill -9) is replaced. The file is created whole or
 * not at all (written aside, then hard-linked into place, which fails if one exists), so a
 * concurrent claimer never reads a half-written one.
 */
export async function takeOwnership(dataDir: string): Promise<{ release(): Promise<void> }> {
  await mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, 'threadline.pid');
  const mine: DataDirOwner = { pid: process.pid, started: processStart(process.pid) ?? null, command: (commandLine(process.pid) ?? process.argv).join(' ') };
  const draft = `${file}.${process.pid}.tmp`;
  await writeFile(draft, `${JSON.stringify(mine)}\n`);
  try {
    for (let attempt = 0; ; attempt += 1) {
      if (await link(draft, file).then(() => true, (error) => ignoreExisting(error))) break;
      const previous = await readFile(file, 'utf8').catch(() => undefined);
      const owner = previous === undefined ? undefined : parseOwner(previous);
      if (owner && isAlive(owner)) throw new DataDirInUseError(dataDir, owner);
      // Dead or unreadable: replace it, unless someone else just did (then look again).
      if (attempt >= 5) throw new Error(`Could not take ownership of ${dataDir}: ${file} keeps changing`);
      if ((await readFile(file, 'utf8').catch(() => undefined)) === previous) await unlink(file).catch(() => undefined);
    }
  } finally {
    await unlink(draft).catch(() => undefined);
  }
  return {
    async release() {
      const current = parseOwner(await readFile(file, 'utf8').catch(() => ''));
      if (current?.pid === process.pid) await unlink(file).catch(() => undefined);
    },
  };
}

function ignoreExisting(error: NodeJS.ErrnoException): false {
  if (error.code !== 'EEXIST') throw error;
  return false;
}

function parseOwner(text: string): DataDirOwner | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<DataDirOwner>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, started: parsed.started ?? null, command: String(parsed.command ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

/** Running, and the same process that wrote the file (not a later one that was given its PID). */
function isAlive(owner: DataDirOwner): boolean {
  if (!isRunning(owner.pid)) return false;
  const started = processStart(owner.pid);
  return owner.started === null || started === undefined || started === owner.started;
}
