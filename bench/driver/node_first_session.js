// The npm cassandra-driver's first session in a fresh process: new Client(...).connect().
// Usage: NODE_PATH=tests/node/nodejs/node_modules node node_first_session.js PORT KEYSPACE
// Prints one line, "node_first_session_ms X"; loading the driver module is not counted.
'use strict';
const cassandra = require('cassandra-driver');

async function main() {
  const [port, keyspace] = process.argv.slice(2);
  const t0 = process.hrtime.bigint();
  const client = new cassandra.Client({
    contactPoints: [`127.0.0.1:${port}`], localDataCenter: 'datacenter1', keyspace,
  });
  await client.connect();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await client.shutdown();
  console.log(`node_first_session_ms ${ms.toFixed(4)}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
