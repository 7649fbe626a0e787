import { cpuBetween, cpuSnapshot, waitForQuietMachine } from './cpu-meter.js';

/** How quiet the rest of the machine must be for a measurement to count. */
export interface QuietSettings {
  /** Wait until others use under this many cores before starting... */
  maxOtherCores: number;
  /** ...but no longer than this, ms. */
  maxWaitMs: number;
  /** A run during which others used more than this is run again... */
  maxOtherCoresDuringRun: number;
  /** ...at most this many times in all; the last attempt is kept, flagged `contended`. */
  maxAttempts: number;
}

export interface QuietRun<T> {
  result: T;
  cpu: ReturnType<typeof cpuBetween>;
  attempts: number;
  contended: boolean;
}

/**
 * Runs a measurement on a quiet machine, and again if other processes used the CPU meanwhile
 * (other sessions share this machine). `prepare` runs before each attempt (e.g. a full GC, so
 * that a run does not pay for the garbage of the one before it).
 */
export async function quietly<T>(quiet: QuietSettings, measure: () => Promise<T>, prepare: () => void = () => undefined): Promise<QuietRun<T>> {
  for (let attempt = 1; ; attempt++) {
    prepare();
    await waitForQuietMachine(quiet.maxOtherCores, quiet.maxWaitMs);
    const before = cpuSnapshot();
    const result = await measure();
    const cpu = cpuBetween(before, cpuSnapshot());
    const contended = (cpu?.otherCores ?? 0) > quiet.maxOtherCoresDuringRun;
    if (!contended || attempt >= quiet.maxAttempts) return { result, cpu, attempts: attempt, contended };
    console.log(`    other processes used ${cpu?.otherCores} cores during the run; running it again`);
  }
}
