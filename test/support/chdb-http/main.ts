// A ClickHouse HTTP interface in front of chDB, for tests that need a CLICKHOUSE_URL: no
// ClickHouse server package fits this machine, and chDB is the real engine. chDB binds one data
// path per process, so this runs as a process of its own (test/support/chdb-http-process.ts).
//
//   node --import tsx test/support/chdb-http/main.ts <data path> <port>
//
// Prints one JSON line `{"listening":<port>}` when it answers; SIGTERM stops it cleanly.
import { createServer } from 'node:http';
import { drainPending, Session } from 'chdb';
import { createRequestHandler } from './handle-request.js';

const [dataPath, portText] = process.argv.slice(2);
if (!dataPath || !portText) {
  process.stderr.write('usage: main.ts <data path> <port>\n');
  process.exit(2);
}

// Held for the life of the process: the path is bound once, and an unusable one (locked by
// another process) fails here, before anyone is told the server is up.
const holder = new Session(dataPath);
const serverVersion = (await holder.queryAsync('SELECT version()', { format: 'TabSeparated' })).text().trim();
const server = createServer(createRequestHandler(dataPath, serverVersion));
server.listen(Number(portText), '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ listening: Number(portText), serverVersion })}\n`));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    // Queries still running on chDB's threads must finish before the sessions go.
    void drainPending().finally(() => {
      holder.close();
      process.exit(0);
    });
  });
}
