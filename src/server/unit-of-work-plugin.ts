import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ExecutionContext } from '../context/execution-context.js';
import type { ErrorCode } from '../errors/error-codes.js';

/**
 * Ends each operation's unit of work: commit once when it succeeded, roll back when any field
 * failed. A mutation that rolled back answers with its errors and no data, so a client never
 * sees rows that were not kept.
 */
export function useUnitOfWork(): Plugin<ExecutionContext> {
  return {
    onExecute({ args }) {
      const ctx = args.contextValue as ExecutionContext;
      return {
        async onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          const single = result as ExecutionResult;
          if (!ctx.uow.hasWrites) return void (await ctx.uow.commit());
          if (single.errors?.length) {
            await ctx.uow.rollback();
            setResult({ data: null, errors: single.errors });
            return;
          }
          try {
            await ctx.uow.commit();
          } catch (error) {
            ctx.log.error({ err: error }, 'commit failed');
            setResult({ data: null, errors: [new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL' satisfies ErrorCode } })] });
          }
        },
      };
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
