// postfork-node's CQL data model through npm's unmodified cassandra-driver: collections (every
// update form), nested and frozen types, tuples, static columns, TTL expiry with ttl() and
// writetime(), lightweight transactions read through the driver's wasApplied(), and user-defined
// types (frozen, non-frozen, nested in collections) as the driver's metadata and encoder see them.
// Usage: node model_test.js <path to postfork-node>
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const cassandra = require('cassandra-driver');
const { startNode, stopNode, client, expectError } = require('./node_process');

const { types } = cassandra;
const binary = path.resolve(process.argv[2]);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function collections(c) {
  await c.execute('CREATE TABLE m.col (k int PRIMARY KEY, l list<int>, s set<text>, ' +
                  'm map<text, int>, fz frozen<map<int, frozen<list<text>>>>, t tuple<int, text>)');
  const prep = { prepare: true };
  await c.execute('INSERT INTO m.col (k, l, s, m, fz, t) VALUES (?, ?, ?, ?, ?, ?)',
                  [1, [1, 2], ['b', 'a'], { x: 1 }, { 7: ['p', 'q'] }, new types.Tuple(5, 'five')],
                  prep);
  await c.execute('UPDATE m.col SET l = l + ?, s = s - ?, m[?] = ? WHERE k = ?',
                  [[3], ['b'], 'y', 2, 1], prep);
  await c.execute('UPDATE m.col SET l = ? + l WHERE k = 1', [[0]], prep);
  await c.execute('DELETE l[1] FROM m.col WHERE k = 1');
  const row = (await c.execute('SELECT * FROM m.col WHERE k = 1')).first();
  assert.deepStrictEqual(row.l, [0, 2, 3]);
  assert.deepStrictEqual(row.s, ['a']);
  assert.deepStrictEqual(row.m, { x: 1, y: 2 });
  assert.deepStrictEqual(row.fz, { 7: ['p', 'q'] });
  assert.strictEqual(row.t.get(0), 5);
  assert.strictEqual(row.t.get(1), 'five');
  await expectError(c.execute('UPDATE m.col SET fz = fz + {1: []} WHERE k = 1'), 0x2200,
                    /frozen collection column fz/);
}

async function staticsAndTtl(c) {
  await c.execute('CREATE TABLE m.st (k int, ck int, s text static, v int, PRIMARY KEY (k, ck))');
  await c.execute("INSERT INTO m.st (k, ck, s, v) VALUES (1, 1, 'shared', 10)");
  await c.execute('INSERT INTO m.st (k, ck, v) VALUES (1, 2, 20)');
  let rs = await c.execute('SELECT ck, s, v FROM m.st WHERE k = 1');
  assert.deepStrictEqual(rs.rows.map((r) => [r.ck, r.s, r.v]), [[1, 'shared', 10], [2, 'shared', 20]]);
  await c.execute('UPDATE m.st USING TTL 1 SET v = 21 WHERE k = 1 AND ck = 2');
  rs = await c.execute('SELECT ttl(v), writetime(v) FROM m.st WHERE k = 1 AND ck = 2');
  const ttl = rs.first()['ttl(v)'];
  assert.ok(ttl >= 0 && ttl <= 1, `ttl(v) = ${ttl}`);
  assert.ok(rs.first()['writetime(v)'] > 0);
  await sleep(2100);
  rs = await c.execute('SELECT v FROM m.st WHERE k = 1 AND ck = 2');
  assert.strictEqual(rs.first().v, null, 'the expired cell reads as null');
}

async function lwt(c) {
  await c.execute('CREATE TABLE m.acct (id int PRIMARY KEY, balance int)');
  let rs = await c.execute('INSERT INTO m.acct (id, balance) VALUES (1, 100) IF NOT EXISTS');
  assert.strictEqual(rs.wasApplied(), true);
  rs = await c.execute('INSERT INTO m.acct (id, balance) VALUES (1, 5) IF NOT EXISTS');
  assert.strictEqual(rs.wasApplied(), false);
  assert.strictEqual(rs.first().balance, 100);
  rs = await c.execute('UPDATE m.acct SET balance = ? WHERE id = ? IF balance = ?', [90, 1, 100],
                       { prepare: true });
  assert.strictEqual(rs.wasApplied(), true);
  rs = await c.execute('UPDATE m.acct SET balance = ? WHERE id = ? IF balance = ?', [80, 1, 100],
                       { prepare: true });
  assert.strictEqual(rs.wasApplied(), false);
  assert.strictEqual(rs.first().balance, 90);
  rs = await c.execute('DELETE FROM m.acct WHERE id = 1 IF EXISTS');
  assert.strictEqual(rs.wasApplied(), true);
}

async function udts(c) {
  await c.execute('CREATE TYPE m.phone (country int, number text)');
  await c.execute('CREATE TYPE m.contact (name text, phones frozen<list<frozen<phone>>>)');
  await c.execute('CREATE TABLE m.people (k int PRIMARY KEY, main contact, ' +
                  'others map<text, frozen<contact>>)');
  const udt = await c.metadata.getUdt('m', 'contact');
  assert.deepStrictEqual(udt.fields.map((f) => f.name), ['name', 'phones']);
  const ann = { name: 'ann', phones: [{ country: 44, number: '123' }] };
  await c.execute('INSERT INTO m.people (k, main, others) VALUES (?, ?, ?)',
                  [1, ann, { bob: { name: 'bob', phones: [] } }], { prepare: true });
  await c.execute('UPDATE m.people SET main.name = ? WHERE k = ?', ['anne', 1], { prepare: true });
  const row = (await c.execute('SELECT main, others, main.phones FROM m.people WHERE k = 1')).first();
  assert.strictEqual(row.main.name, 'anne');
  assert.deepStrictEqual(row.main.phones, [{ country: 44, number: '123' }]);
  assert.deepStrictEqual(row['main.phones'], [{ country: 44, number: '123' }]);
  assert.strictEqual(row.others.bob.name, 'bob');
  await expectError(c.execute('DROP TYPE m.phone'), 0x2200, /still used by user types contact/);
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfork-node-js-model-'));
  const node = await startNode(binary, dataDir);
  let c;
  try {
    c = client(node.port);
    await c.connect();
    await c.execute("CREATE KEYSPACE m WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await collections(c);
    await staticsAndTtl(c);
    await lwt(c);
    await udts(c);
    console.log('nodejs model test: OK');
  } finally {
    if (c) await c.shutdown().catch(() => {});
    await stopNode(node, 'SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
