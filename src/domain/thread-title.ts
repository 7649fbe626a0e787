/** Longest derived title, in characters; well under the stored limit, as titles show in lists. */
const DERIVED_TITLE_LENGTH = 60;

/**
 * A short title from the first user message: its first line or sentence, markdown and extra
 * whitespace removed, cut at a word boundary. Deterministic and local: no model is asked.
 */
export function deriveThreadTitle(firstUserMessage: string): string | null {
  const firstLine = firstUserMessage.split(/\r?\n/).map((line) => line.trim()).find((line) => line.length > 0) ?? '';
  const plain = firstLine
    .replace(/```[^`]*```/g, ' ')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[#>*_`~|]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const sentence = /^(.+?[.!?])(\s|$)/.exec(plain)?.[1] ?? plain;
  if (sentence.length === 0) return null;
  if (sentence.length <= DERIVED_TITLE_LENGTH) return sentence.replace(/[.]$/, '');
  const cut = sentence.slice(0, DERIVED_TITLE_LENGTH - 1);
  const atWord = cut.lastIndexOf(' ') > DERIVED_TITLE_LENGTH / 2 ? cut.slice(0, cut.lastIndexOf(' ')) : cut;
  return `${atWord.replace(/[\s,;:.-]+$/, '')}…`;
}
