// Helpers of the nodejs driver tests: a postfork-node process on a free port, a client with the
// driver's default options, and an assertion on the driver's error codes.
'use strict';
const assert = require('assert');
const childProcess = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const cassandra = require('cassandra-driver');

function startNode(binary, dataDir, extraArgs = []) {
  return new Promise((resolve, reject) => {
    const proc = childProcess.spawn(binary, ['--port', '0', '--data-dir', dataDir, ...extraArgs],
                                    { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => reject(new Error('node not ready in 20s')), 20000);
    const lines = readline.createInterface({ input: proc.stdout });
    lines.on('line', (line) => {
      const m = /ready: listening for CQL clients on [^ ]+:(\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, port: Number(m[1]) });
      }
    });
    proc.on('exit', (code) => reject(new Error(`postfork-node exited early (${code})`)));
  });
}

function stopNode(node, signal) {
  return new Promise((resolve) => {
    if (node.proc.exitCode !== null || node.proc.signalCode !== null) return resolve(node.proc.exitCode);
    node.proc.removeAllListeners('exit');
    node.proc.on('exit', (code) => resolve(code));
    node.proc.kill(signal);
  });
}

function client(port, keyspace) {
  return new cassandra.Client({
    contactPoints: [`127.0.0.1:${port}`], localDataCenter: 'datacenter1', keyspace,
  });
}

async function expectError(promise, code, pattern) {
  try {
    await promise;
  } catch (err) {
    assert.strictEqual(err.code, code, `error code of ${err.message}`);
    if (pattern) assert.match(err.message, pattern);
    return err;
  }
  throw new Error(`expected error ${code}`);
}

// Runs `body(client)` against a fresh node with its own data directory (removed after) and a
// client connected to it that has created keyspace `keyspace`; stops the node either way.
async function withNode(binary, keyspace, body) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `postfork-node-js-${keyspace}-`));
  const node = await startNode(binary, dataDir);
  let c;
  try {
    c = client(node.port);
    await c.connect();
    await c.execute(`CREATE KEYSPACE ${keyspace} WITH replication = ` +
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}");
    await body(c);
  } finally {
    if (c) await c.shutdown().catch(() => {});
    await stopNode(node, 'SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

module.exports = { startNode, stopNode, client, expectError, withNode };
