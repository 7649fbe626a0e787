/**
 * What every tier can store, checked once, before anything is acknowledged. Two kinds of text
 * that JSON and GraphQL strings may carry cannot be kept:
 * - NUL (U+0000): Postgres refuses it in text and in jsonb;
 * - a lone UTF-16 surrogate (`"\ud800"`): it has no UTF-8 form, so a text column would silently
 *   store U+FFFD instead and jsonb refuses its escape. Two different strings would also become
 *   the same one (`"\ud800"` and `"\ufffd"` as token subjects were the same user).
 * A write acked from Redis and refused later by Postgres would be a lost message, so such text is
 * the client's error (BAD_USER_INPUT) and changes nothing.
 */
export const UNSTORABLE_TEXT_RULE = 'Text must be well-formed Unicode (no lone UTF-16 surrogates) and must not contain the NUL character (U+0000)';

export function isStorableText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000');
}

/**
 * Where the first unstorable string sits in a JSON-like value (object keys included), as a path
 * of keys and indexes; undefined when every string is storable. Iterative, and each entry keeps
 * only a link to its parent, so a value nested thousands of levels deep costs neither the stack
 * nor a copy of its path per level.
 */
export function findUnstorableText(value: unknown): Array<string | number> | undefined {
  type Visit = { value: unknown; key?: string | number; parent?: Visit };
  const pathOf = (visit: Visit | undefined, last?: string): Array<string | number> => {
    const path: Array<string | number> = last === undefined ? [] : [last];
    for (let at = visit; at?.key !== undefined; at = at.parent) path.unshift(at.key);
    return path;
  };
  const pending: Visit[] = [{ value }];
  for (let visit = pending.pop(); visit; visit = pending.pop()) {
    const current = visit.value;
    if (typeof current === 'string') {
      if (!isStorableText(current)) return pathOf(visit);
    } else if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) pending.push({ value: current[index], key: index, parent: visit });
    } else if (current !== null && typeof current === 'object' && !(current instanceof Date)) {
      for (const [key, item] of Object.entries(current)) {
        if (!isStorableText(key)) return pathOf(visit, key);
        pending.push({ value: item, key, parent: visit });
      }
    }
  }
  return undefined;
}
