import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { InvalidInputError } from '../../errors/domain-errors.js';
import type { PageWindow } from '../../repositories/page-window.js';

/** Largest page a client may ask for; larger requests are refused, not silently clipped. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export interface ConnectionArgs {
  first?: number | null | undefined;
  last?: number | null | undefined;
  after?: string | null | undefined;
  before?: string | null | undefined;
}

/**
 * Resolves a Relay connection over a keyset-paginated source: validates the page size,
 * decodes cursors into the source's keys, and lets Pothos compute edges and pageInfo.
 */
export async function resolvePage<T, Cursor>(
  args: ConnectionArgs,
  cursors: { toCursor: (item: T) => string; parse: (cursor: string) => Cursor },
  fetch: (window: PageWindow<Cursor>) => Promise<T[]>,
) {
  for (const name of ['first', 'last'] as const) {
    const size = args[name];
    if (size != null && (size < 0 || size > MAX_PAGE_SIZE)) {
      throw new InvalidInputError(`"${name}" must be between 0 and ${MAX_PAGE_SIZE}, got ${size}`, { argument: name });
    }
  }
  const parse = (cursor: string | undefined) => (cursor ? cursors.parse(cursor) : undefined);
  return resolveCursorConnection(
    { args, toCursor: cursors.toCursor, defaultSize: DEFAULT_PAGE_SIZE, maxSize: MAX_PAGE_SIZE },
    ({ before, after, limit, inverted }: ResolveCursorConnectionArgs) =>
      fetch({ after: parse(after), before: parse(before), limit, backwards: inverted }),
  );
}
