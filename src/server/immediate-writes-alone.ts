import { GraphQLError, Kind, type ASTVisitor, type FieldNode, type SelectionSetNode, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../errors/error-codes.js';
import { isImmediateWrite } from '../schema/immediate-write.js';

/**
 * A mutation operation commits or rolls back as a whole (unit-of-work-plugin.ts), except for
 * writes acknowledged from Redis as they run (sendMessage and the streaming mutations): no later
 * failure in the operation can take those back. Rather than answer "data: null" for an operation
 * whose message was kept, such a write must be its operation's only field; combined with any
 * other, the operation is refused before it runs, over HTTP and graphql-ws alike.
 */
export function useImmediateWritesAlone(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(immediateWritesAlone);
    },
  };
}

function immediateWritesAlone(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(operation) {
      const mutationType = context.getSchema().getMutationType();
      if (operation.operation !== 'mutation' || !mutationType) return;
      const fields = rootFields(operation.selectionSet, context);
      if (fields.length < 2) return;
      const definitions = mutationType.getFields();
      const immediate = fields.filter((field) => isImmediateWrite(definitions[field.name.value]?.extensions));
      if (immediate.length === 0) return;
      const names = [...new Set(immediate.map((field) => field.name.value))].join(', ');
      context.reportError(
        new GraphQLError(
          `${names} must be the only field of its mutation operation: its write is acknowledged as it runs and cannot be ` +
            'rolled back with the rest of the operation. Send it as an operation of its own.',
          { nodes: immediate, extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode } },
        ),
      );
    },
  };
}

/** The operation's root fields, through fragments (whatever @skip/@include would decide: they may depend on variables). */
function rootFields(selectionSet: SelectionSetNode, context: ValidationContext, seen = new Set<string>()): FieldNode[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value.startsWith('__') ? [] : [selection];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFields(selection.selectionSet, context, seen);
    const name = selection.name.value;
    const fragment = context.getFragment(name);
    if (!fragment || seen.has(name)) return [];
    seen.add(name);
    return rootFields(fragment.selectionSet, context, seen);
  });
}
