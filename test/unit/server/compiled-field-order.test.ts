import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { compilesInFieldOrder } from '../../../src/server/compiled-field-order.js';

// graphql-jit collects a selection set's fields before its fragments, last fragment first; only
// documents where that is document order may be compiled (server/compiled-queries.ts).
describe('compilesInFieldOrder', () => {
  it.each([
    '{ viewer { id } }',
    '{ thread(id: "x") { id title messages(last: 2) { edges { node { id } } } } }',
    '{ thread(id: "x") { id ...T } } fragment T on Thread { title }',
    '{ node(id: "x") { id ... on Thread { title ... on Node { id } } } }',
    '{ a: thread(id: "x") { ...T } } fragment T on Thread { id ...U } fragment U on Thread { title }',
  ])('keeps order: %s', (query) => expect(compilesInFieldOrder(parse(query))).toBe(true));

  it.each([
    '{ thread(id: "x") { ...T id } } fragment T on Thread { title }',
    '{ thread(id: "x") { ...T ...U } } fragment T on Thread { title } fragment U on Thread { id }',
    '{ node(id: "x") { ... on Thread { title } ... on Message { content } } }',
    '{ thread(id: "x") { id ...T } } fragment T on Thread { ...U title } fragment U on Thread { id }',
    '{ thread(id: "x") { messages(last: 1) { edges { node { ... on Message { id } seq } } } } }',
  ])('may reorder, so runs on graphql-js: %s', (query) => expect(compilesInFieldOrder(parse(query))).toBe(false));
});
