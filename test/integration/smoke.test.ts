import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

describe('server smoke', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('answers viewer for an authenticated user', async () => {
    const user = newUserId();
    const response = await app.gql(user, '{ viewer { id } }');
    expect(response.data).toEqual({ viewer: { id: user } });
  });
});
