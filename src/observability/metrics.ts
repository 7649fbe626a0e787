import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics, served on /metrics. One registry per process; tests read
 * values through it rather than through logs.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'threadline_' });

export const messageReads = new Counter({
  name: 'threadline_message_reads_total',
  help: 'Message page reads by where they were served from: redis (window hit) or postgres (miss).',
  labelNames: ['source'] as const,
  registers: [metricsRegistry],
});

export const messageWrites = new Counter({
  name: 'threadline_message_writes_total',
  help: 'Messages acknowledged, by path: hot (Redis), postgres (fallback while Redis is unavailable).',
  labelNames: ['path'] as const,
  registers: [metricsRegistry],
});

export const persistedMessages = new Counter({
  name: 'threadline_persisted_messages_total',
  help: 'Messages written to Postgres by the persister (redeliveries included).',
  registers: [metricsRegistry],
});

export const persistLag = new Histogram({
  name: 'threadline_persist_lag_seconds',
  help: 'Time from a message being acked to its Postgres commit.',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [metricsRegistry],
});

export const redisCircuit = new Gauge({
  name: 'threadline_redis_circuit_open',
  help: '1 while the Redis circuit breaker is open (writes and reads go to Postgres).',
  registers: [metricsRegistry],
});

// Real time. Gauges move by inc/dec, not set, so two apps in one process (tests) add up.
export const realtimeSubscriptions = new Gauge({
  name: 'threadline_realtime_subscriptions',
  help: 'Subscriptions registered in this instance (the subscription registry size).',
  registers: [metricsRegistry],
});

export const realtimeSockets = new Gauge({
  name: 'threadline_realtime_sockets',
  help: 'Open graphql-ws sockets.',
  registers: [metricsRegistry],
});

export const realtimeChannels = new Gauge({
  name: 'threadline_realtime_redis_channels',
  help: 'Thread channels this instance is subscribed to in Redis (one per thread with a local subscriber).',
  registers: [metricsRegistry],
});

export const realtimeSharedFrames = new Counter({
  name: 'threadline_realtime_shared_frames_total',
  help: 'Subscription events written straight to a socket as a frame rendered once per audience (the rest go through graphql-ws one by one).',
  registers: [metricsRegistry],
});

export const realtimeResyncs = new Counter({
  name: 'threadline_realtime_resyncs_total',
  help: 'Subscription catch-ups by cause: reconnect (Redis came back) or gap (a live seq skipped ahead).',
  labelNames: ['cause'] as const,
  registers: [metricsRegistry],
});

/**
 * A gauge read from storage when /metrics is scraped. Apps in one process (tests, benchmarks)
 * each report a source, and they share one Redis and one Postgres: the largest count is the count.
 * `report` makes the gauge count with `count` until the function it returns is called.
 */
function storageGauge(name: string, help: string) {
  const counters = new Set<() => Promise<number>>();
  new Gauge({
    name,
    help,
    registers: [metricsRegistry],
    async collect() {
      const counts = await Promise.all([...counters].map((count) => count().catch(() => 0)));
      this.set(Math.max(0, ...counts));
    },
  });
  return (count: () => Promise<number>): (() => void) => {
    counters.add(count);
    return () => void counters.delete(count);
  };
}

export const reportDeadLetters = storageGauge(
  'threadline_dead_letters',
  'Entries in the dead-letter stream (tl:stream:dead): acked writes a tier refused, waiting for `npm run dead-letters`.',
);

export const reportOutboxPending = storageGauge(
  'threadline_outbox_pending',
  'Changes committed in Postgres not yet relayed to Redis (the outbox): grows while Redis is down, drains when it is back.',
);

export const reportOutboxSetAside = storageGauge(
  'threadline_outbox_set_aside',
  'Outbox entries the relay set aside because Redis refused them for good: committed changes Redis, the archive and subscribers have not heard of.',
);

export const reportErasuresPending = storageGauge(
  'threadline_erasures_pending',
  'Thread erasures requested and not yet complete in every tier (Redis, Postgres, ClickHouse): see the erasure(threadId) query.',
);
