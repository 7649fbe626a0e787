import { z } from 'zod';

/**
 * What a run cost, as its agent reports it: the model it ran on and the tokens it used. The
 * agent reports the run's totals so far with a status transition; the latest report replaces
 * the one before (it is not added to it), so a report sent twice counts once.
 */
export interface RunUsage {
  inputTokens: number;
  outputTokens: number;
}

/** Longest model name, in characters: the limit of other short names (titles, tool names). */
export const MAX_MODEL_LENGTH = 200;

/**
 * Most tokens of one kind a run may report. A billion is far beyond any context window, and it
 * keeps `totalTokens` (input + output, at most 2·10⁹) inside GraphQL's 32-bit Int.
 */
export const MAX_TOKEN_COUNT = 1_000_000_000;

export const modelSchema = z.string().min(1, 'model must not be empty').max(MAX_MODEL_LENGTH, `model must be at most ${MAX_MODEL_LENGTH} characters`);

export const tokenCountSchema = z
  .number()
  .int()
  .min(0, 'token counts must be 0 or more')
  .max(MAX_TOKEN_COUNT, `token counts must be at most ${MAX_TOKEN_COUNT}`);

/** Input and output together: derived, never stored. */
export function totalTokensOf(usage: RunUsage): number {
  return usage.inputTokens + usage.outputTokens;
}
