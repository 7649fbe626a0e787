import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { round } from './stats.js';

/**
 * Writes a benchmark's results as `<directory>/<name>.json` (the data, numbers rounded to 3
 * digits so reruns diff by what changed) and `<name>.md` (the summary a reader opens).
 */
export async function writeResultFiles(directory: string, name: string, data: unknown, markdown: string): Promise<{ json: string; markdown: string }> {
  await mkdir(directory, { recursive: true });
  const files = { json: path.join(directory, `${name}.json`), markdown: path.join(directory, `${name}.md`) };
  await writeFile(files.json, `${JSON.stringify(data, (_key, value) => (typeof value === 'number' ? round(value) : value), 2)}\n`);
  await writeFile(files.markdown, markdown);
  return files;
}
