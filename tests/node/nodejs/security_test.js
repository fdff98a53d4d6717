// postfork-node's security through npm's unmodified cassandra-driver: TLS with the driver's
// sslOptions (server certificate verified against its CA), login with PlainTextAuthProvider,
// wrong credentials and plaintext refused, and permissions granted and revoked with the
// Cassandra authorizer.
// Usage: node security_test.js <path to postfork-node>
'use strict';
const assert = require('assert');
const childProcess = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const cassandra = require('cassandra-driver');
const { startNode, stopNode, expectError } = require('./node_process');

const binary = path.resolve(process.argv[2]);

function selfSigned(dir) {
  const cert = path.join(dir, 'node.pem');
  const key = path.join(dir, 'node.key');
  childProcess.execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-subj', '/CN=127.0.0.1', '-days', '1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { cert, key };
}

function client(port, user, password, ca, keyspace) {
  const options = {
    contactPoints: [`127.0.0.1:${port}`], localDataCenter: 'datacenter1', keyspace,
    authProvider: new cassandra.auth.PlainTextAuthProvider(user, password),
  };
  if (ca) options.sslOptions = { ca: [fs.readFileSync(ca)], rejectUnauthorized: true };
  return new cassandra.Client(options);
}

// A connect that must fail: the driver reports NoHostAvailableError with the per-host cause.
async function expectConnectFailure(c, pattern) {
  try {
    await c.connect();
  } catch (err) {
    const causes = Object.values(err.innerErrors || {}).map((e) => `${e.name}: ${e.message}`);
    assert.match(causes.join('; ') || err.message, pattern);
    return;
  } finally {
    await c.shutdown().catch(() => {});
  }
  throw new Error(`connect should have failed with ${pattern}`);
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfork-node-js-security-'));
  const { cert, key } = selfSigned(dir);
  const node = await startNode(binary, path.join(dir, 'db'), [
    '--authenticator', 'Password', '--authorizer', 'Cassandra', '--tls-cert', cert, '--tls-key', key,
  ]);
  const clients = [];
  try {
    const admin = client(node.port, 'cassandra', 'cassandra', cert);
    clients.push(admin);
    await admin.connect();
    await admin.execute("CREATE KEYSPACE sec WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await admin.execute('CREATE TABLE sec.t (k int PRIMARY KEY, v text)');
    await admin.execute("INSERT INTO sec.t (k, v) VALUES (1, 'one')");
    await admin.execute("CREATE ROLE app WITH PASSWORD = 'app-pw' AND LOGIN = true");

    await expectConnectFailure(client(node.port, 'app', 'wrong', cert), /AuthenticationError.*incorrect/);
    // Plaintext on the TLS port: the node closes it at the failed handshake; the driver reports
    // the connection closed (or, depending on its state, the request it was waiting for).
    const plain = client(node.port, 'cassandra', 'cassandra', null);
    plain.options.socketOptions.readTimeout = 3000;
    await expectConnectFailure(plain, /closed|reset|hang up|OperationTimedOut/i);

    const app = client(node.port, 'app', 'app-pw', cert);
    clients.push(app);
    await app.connect();
    await expectError(app.execute('SELECT v FROM sec.t WHERE k = 1'), 0x2100,
                      /User app has no SELECT permission on <table sec.t>/);
    await admin.execute('GRANT SELECT ON KEYSPACE sec TO app');
    const rs = await app.execute('SELECT v FROM sec.t WHERE k = ?', [1], { prepare: true });
    assert.strictEqual(rs.first().v, 'one');
    await expectError(app.execute("INSERT INTO sec.t (k, v) VALUES (2, 'x')"), 0x2100,
                      /no MODIFY permission/);
    await admin.execute('REVOKE SELECT ON KEYSPACE sec FROM app');
    await expectError(app.execute('SELECT v FROM sec.t WHERE k = 1'), 0x2100, /no SELECT permission/);
    console.log('nodejs security test: OK');
  } finally {
    for (const c of clients) await c.shutdown().catch(() => {});
    await stopNode(node, 'SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
