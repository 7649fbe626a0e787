import {
  BREAK, getNamedType, isScalarType, Kind, TypeInfo, visit, visitWithTypeInfo,
  type ASTNode, type DocumentNode, type GraphQLSchema,
} from 'graphql';

const verdicts = new WeakMap<DocumentNode, boolean>();

/**
 * Whether graphql-jit reads every scalar literal of the document as graphql-js does. It parses a
 * literal with no variables, so a scalar whose parseLiteral takes them (JSON) loses any variable
 * inside its literal: `threads(metadata: { a: $v })` would filter by `{}` and match every thread,
 * and it prints "Scalar with variable inputs…" to stderr for every such literal. A document with
 * a literal of such a scalar keeps graphql-js. Remembered per parsed document.
 */
export function readsScalarLiteralsAlike(schema: GraphQLSchema, document: DocumentNode): boolean {
  let verdict = verdicts.get(document);
  if (verdict === undefined) verdicts.set(document, (verdict = !hasVariableAwareLiteral(schema, document)));
  return verdict;
}

const LITERAL_KINDS = new Set<string>([Kind.INT, Kind.FLOAT, Kind.STRING, Kind.BOOLEAN, Kind.NULL, Kind.ENUM, Kind.LIST, Kind.OBJECT]);

function hasVariableAwareLiteral(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let found = false;
  visit(document, visitWithTypeInfo(typeInfo, {
    enter(node: ASTNode) {
      if (!LITERAL_KINDS.has(node.kind)) return undefined;
      const type = getNamedType(typeInfo.getInputType() ?? undefined);
      if (isScalarType(type) && type.parseLiteral.length > 1) {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  }));
  return found;
}
