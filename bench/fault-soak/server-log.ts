import { readFile } from 'node:fs/promises';

export interface ServerLogSummary {
  /** Lines at warn level or above, counted by message. */
  warnings: Record<string, number>;
  /** When the circuit opened and closed, s since the soak's epoch. */
  circuit: Array<{ atSec: number; event: 'open' | 'closed' }>;
}

/** What the server said about the run (pino JSON lines): its warnings by message, and the circuit's transitions. */
export async function summariseServerLog(file: string, epochMs: number): Promise<ServerLogSummary> {
  const summary: ServerLogSummary = { warnings: {}, circuit: [] };
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const entry = parseLine(line);
    if (!entry) continue;
    const atSec = Math.round(((entry.time ?? 0) - epochMs) / 100) / 10;
    if (entry.msg?.startsWith('Redis circuit open')) summary.circuit.push({ atSec, event: 'open' });
    if (entry.msg?.startsWith('Redis circuit closed')) summary.circuit.push({ atSec, event: 'closed' });
    if ((entry.level ?? 0) >= 40) summary.warnings[entry.msg ?? '?'] = (summary.warnings[entry.msg ?? '?'] ?? 0) + 1;
  }
  return summary;
}

function parseLine(line: string): { level?: number; time?: number; msg?: string } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as { level?: number; time?: number; msg?: string };
  } catch {
    return undefined;
  }
}
