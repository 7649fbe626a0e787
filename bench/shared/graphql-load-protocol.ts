/** One GraphQL request as the load client sends it: a JSON body and the token it is sent with. */
export interface GraphqlRequest {
  body: string;
  token: string;
}

/** One autocannon run of GraphQL POSTs, bounded by `durationSec`. */
export interface GraphqlLoadJob {
  cmd: 'load';
  name: string;
  url: string;
  connections: number;
  durationSec: number;
  /** Sent round robin, one after the other over all connections. */
  requests: GraphqlRequest[];
}

export interface GraphqlLoadResult {
  job: string;
  durationSec: number;
  /** Responses with HTTP 200, `data` and no `errors`. */
  requests: number;
  requestsPerSec: number;
  /** Exact client-side latencies of the successful responses, ms. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Mean size of a successful response body, bytes. */
  meanResponseBytes: number;
  /** HTTP errors, non-200 answers and answers carrying GraphQL `errors` or no `data`. */
  graphqlErrors: number;
  errors: number;
  timeouts: number;
  firstError?: string;
}
