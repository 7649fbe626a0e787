import { Kind, type DocumentNode, type SelectionSetNode } from 'graphql';

const verdicts = new WeakMap<DocumentNode, boolean>();

/**
 * Whether graphql-jit answers this document with its fields in the order graphql-js (and the
 * spec's CollectFields) gives them. graphql-jit collects a selection set's fields first and
 * its fragments afterwards, last fragment first, so `{ ...A id }` or `{ ...A ...B }` come out
 * reordered; a selection set whose only fragment is its last selection comes out in order.
 * Cached per parsed document, which yoga's parse cache keeps.
 */
export function compilesInFieldOrder(document: DocumentNode): boolean {
  let verdict = verdicts.get(document);
  if (verdict === undefined) {
    verdict = document.definitions.every((definition) => !('selectionSet' in definition) || selectionsInOrder(definition.selectionSet));
    verdicts.set(document, verdict);
  }
  return verdict;
}

function selectionsInOrder({ selections }: SelectionSetNode): boolean {
  return selections.every((selection, index) => {
    if (selection.kind === Kind.FIELD) return !selection.selectionSet || selectionsInOrder(selection.selectionSet);
    const isLast = index === selections.length - 1;
    return isLast && (selection.kind === Kind.FRAGMENT_SPREAD || selectionsInOrder(selection.selectionSet));
  });
}
