import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import { resolveNodeIdsSynchronously } from './synchronous-node-ids.js';
import './types/scalars.js';
import './types/viewer.js';
import './types/thread.js';
import './types/run.js';
import './types/message.js';
import './types/message-search.js';
import './types/message-feedback.js';
import './types/thread-mutations.js';
import './types/thread-erasure.js';
import './types/thread-fork.js';
import './types/run-mutations.js';
import './types/required-action.js';
import './types/message-mutations.js';
import './types/streaming-message-mutations.js';
import './types/message-change-mutations.js';
import './types/analytics.js';
import './types/message-added.js';
import './types/thread-event.js';
import './types/run-updated.js';
import './types/viewer-event.js';

export const schema: GraphQLSchema = resolveNodeIdsSynchronously(builder.toSchema());

/** The SDL checked in as schema.graphql; sorted so the file diffs cleanly. */
export function printSchemaSdl(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
