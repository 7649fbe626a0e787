import {
  getOperationAST, GraphQLError, Kind,
  type DocumentNode, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode,
} from 'graphql';

/**
 * A field error as graphql-js would have made it, from one graphql-jit made. graphql-jit's errors
 * name their field by path only, without its AST nodes, and yoga rebuilds every error from its
 * nodes before sending it, so they would reach the client without `locations`; and an error of
 * graphql-jit's own (a null in a non-null field) has no original error, where graphql-js wraps
 * one, so the error masking would take it for a client mistake instead of a server fault.
 */
export function asGraphqlJsFieldError(error: GraphQLError, document: DocumentNode, operationName?: string | null): GraphQLError {
  if (error.nodes?.length || !error.path) return error;
  const nodes = fieldNodesAt(document, operationName, error.path);
  return new GraphQLError(error.message, {
    nodes,
    path: error.path,
    originalError: error.originalError ?? new Error(error.message),
    extensions: error.extensions,
  });
}

/** The field nodes a response path names: aliases and names matched through fragments, list indexes skipped. */
function fieldNodesAt(document: DocumentNode, operationName: string | null | undefined, path: ReadonlyArray<string | number>): FieldNode[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const operation = getOperationAST(document, operationName);
  let sets: SelectionSetNode[] = operation ? [operation.selectionSet] : [];
  let fields: FieldNode[] = [];
  for (const key of path) {
    if (typeof key === 'number') continue;
    fields = sets.flatMap((set) => fieldsAnswering(key, set, fragments));
    sets = fields.flatMap((field) => (field.selectionSet ? [field.selectionSet] : []));
  }
  return fields;
}

function fieldsAnswering(responseKey: string, set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): FieldNode[] {
  return set.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return (selection.alias ?? selection.name).value === responseKey ? [selection] : [];
    const inner = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value)?.selectionSet;
    return inner ? fieldsAnswering(responseKey, inner, fragments) : [];
  });
}
