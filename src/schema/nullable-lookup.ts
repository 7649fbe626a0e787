import type DataLoader from 'dataloader';
import { NotFoundError } from '../errors/domain-errors.js';

/** Loader results for nullable lookups: absent (or not the viewer's) becomes null, other failures throw. */
export function nullWhenNotFound<T>(results: Array<T | Error>): Array<T | null> {
  return results.map((result) => {
    if (result instanceof NotFoundError) return null;
    if (result instanceof Error) throw result;
    return result;
  });
}

/** One lookup by ID for a nullable field such as `thread(id:)`: null when absent or another user's. */
export async function loadOrNull<K, T>(loader: DataLoader<K, T>, key: K): Promise<T | null> {
  const [result] = nullWhenNotFound(await loader.loadMany([key]));
  return result ?? null;
}
