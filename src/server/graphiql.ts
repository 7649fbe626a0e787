import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { GraphiQLOptions } from 'graphql-yoga';

/** A user name the development playground mints a token for: `?user=alice`. */
export const PLAYGROUND_USER = /^[\w.@-]{1,200}$/;

export interface PlaygroundOptions {
  /**
   * Signs a token for `?user=<name>` (HS256 with the server's secret); null where the server must
   * not mint tokens for anyone who asks (NODE_ENV=production, or no secret to sign with).
   */
  signToken: ((userId: string) => Promise<string>) | null;
}

/**
 * GraphiQL at /graphql, rendered from @graphql-yoga/render-graphiql: its scripts and styles ship
 * inside the page, so it works where yoga's default (loaded from a CDN) stays at "Loading…":
 * air-gapped deployments, CI, this machine. Subscriptions go over graphql-ws, like every client's.
 */
export function graphiqlOf(options: PlaygroundOptions) {
  const base: GraphiQLOptions = { title: 'Threadline', defaultQuery: '{ viewer { id } }', subscriptionsProtocol: 'WS' };
  return {
    renderGraphiQL,
    graphiql: async (request: Request): Promise<GraphiQLOptions> => {
      const user = new URL(request.url).searchParams.get('user');
      if (!options.signToken || !user || !PLAYGROUND_USER.test(user)) return base;
      // Not persisted: the prefilled header belongs to this page load's user, not to the next one.
      const headers = JSON.stringify({ Authorization: `Bearer ${await options.signToken(user)}` });
      return { ...base, headers, shouldPersistHeaders: false };
    },
  };
}
