import { expect } from 'vitest';
import type { GraphqlResponse } from './test-app.js';

type GraphqlError = NonNullable<GraphqlResponse['errors']>[number];

/** Asserts the response failed with exactly one error, of `code`, and returns that error. */
export function expectError(response: GraphqlResponse, code: string): GraphqlError {
  expect(response.errors, JSON.stringify(response)).toHaveLength(1);
  const error = response.errors![0]!;
  expect(error.extensions?.code, error.message).toBe(code);
  return error;
}

/** Asserts the response has no errors and returns its data. */
export function expectData<T = any>(response: GraphqlResponse<T>): T {
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  expect(response.data).toBeTruthy();
  return response.data as T;
}

/** A Relay connection as the tests select it: node IDs, cursors and page info. */
export interface IdConnection {
  edges: Array<{ cursor: string; node: { id: string } }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}
