// postfork-node through npm's unmodified cassandra-driver (default client options).
// Usage: node driver_test.js <path to postfork-node>
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const cassandra = require('cassandra-driver');
const { startNode, stopNode, client, expectError } = require('./node_process');

const { types } = cassandra;
const binary = path.resolve(process.argv[2]);

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfork-node-js-'));
  let node = await startNode(binary, dataDir);
  let c;
  try {
    c = client(node.port);
    await c.connect();
    assert.strictEqual(c.getState().getConnectedHosts().length, 1);
    await c.execute("CREATE KEYSPACE js WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await c.execute('CREATE TABLE js.t (k int, c int, v text, PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY (c DESC)');
    const meta = await c.metadata.getTable('js', 't');
    assert.deepStrictEqual(meta.partitionKeys.map((x) => x.name), ['k']);
    assert.deepStrictEqual(meta.clusteringKeys.map((x) => x.name), ['c']);
    assert.deepStrictEqual(meta.clusteringOrder, ['DESC']);

    // CRUD with prepared statements, null and unset.
    const ins = 'INSERT INTO js.t (k, c, v) VALUES (?, ?, ?)';
    await c.execute(ins, [1, 1, 'a'], { prepare: true });
    await c.execute(ins, [1, 2, 'b'], { prepare: true });
    let rs = await c.execute('SELECT c, v FROM js.t WHERE k = ?', [1], { prepare: true });
    assert.deepStrictEqual(rs.rows.map((r) => r.c), [2, 1]);
    await c.execute(ins, [1, 2, types.unset], { prepare: true });
    rs = await c.execute('SELECT v FROM js.t WHERE k = 1 AND c = 2');
    assert.strictEqual(rs.first().v, 'b');
    await c.execute(ins, [1, 2, null], { prepare: true });
    rs = await c.execute('SELECT v FROM js.t WHERE k = 1 AND c = 2');
    assert.strictEqual(rs.first().v, null);
    await c.execute('UPDATE js.t SET v = ? WHERE k = ? AND c = ?', ['z', 1, 1], { prepare: true });
    await c.execute('DELETE FROM js.t WHERE k = 1 AND c = 2');
    rs = await c.execute('SELECT * FROM js.t WHERE k = 1');
    assert.deepStrictEqual(rs.rows.map((r) => [r.c, r.v]), [[1, 'z']]);
    rs = await c.execute('SELECT c FROM js.t WHERE k = 1 AND c >= 0 AND c < 5 ORDER BY c ASC');
    assert.strictEqual(rs.rowLength, 1);

    // Every native type.
    await c.execute('CREATE TABLE js.types (k int PRIMARY KEY, a ascii, b bigint, bl blob, bo boolean, ' +
      'dt date, de decimal, do double, f float, i inet, si smallint, t text, tm time, ts timestamp, ' +
      'tu timeuuid, ti tinyint, u uuid, vi varint, du duration)');
    const values = {
      a: 'ascii', b: types.Long.fromString('-4611686018427387904'), bl: Buffer.from([0, 1, 255]),
      bo: true, dt: types.LocalDate.fromString('2024-02-29'), de: types.BigDecimal.fromString('-12.345'),
      do: 3.25, f: 1.5, i: types.InetAddress.fromString('10.1.2.3'), si: 300, t: 'héllo ✓',
      tm: types.LocalTime.fromString('13:30:54.234'), ts: new Date(Date.UTC(2024, 1, 29, 13, 30, 54, 234)),
      tu: types.TimeUuid.now(), ti: -5, u: types.Uuid.random(),
      vi: types.Integer.fromString('1208925819614629174706176'), du: new types.Duration(1, 2, types.Long.fromNumber(3000)),
    };
    const cols = Object.keys(values);
    await c.execute(`INSERT INTO js.types (k, ${cols.join(', ')}) VALUES (?, ${cols.map(() => '?').join(', ')})`,
                    [1, ...cols.map((k) => values[k])], { prepare: true });
    const row = (await c.execute('SELECT * FROM js.types WHERE k = 1')).first();
    for (const k of cols) {
      const got = row[k];
      const want = values[k];
      if (got && got.equals) assert.ok(got.equals(want), `${k}: ${got} != ${want}`);
      else if (want instanceof Date) assert.strictEqual(got.getTime(), want.getTime(), k);
      else assert.deepStrictEqual(got, want, k);
    }

    // Paging through 20,000 rows with the default fetch size.
    await c.execute('CREATE TABLE js.paged (p int, c int, PRIMARY KEY (p, c))');
    const params = [];
    for (let i = 0; i < 20000; i++) params.push([i % 5, i]);
    await cassandra.concurrent.executeConcurrent(c, 'INSERT INTO js.paged (p, c) VALUES (?, ?)', params,
                                                 { concurrencyLevel: 64 });
    let pages = 0;
    let state;
    const seen = new Set();
    do {
      const res = await c.execute('SELECT p, c FROM js.paged', [], { prepare: true, pageState: state });
      pages++;
      for (const r of res.rows) seen.add(`${r.p}/${r.c}`);
      state = res.pageState;
    } while (state);
    const count = seen.size;
    assert.strictEqual(count, 20000);
    assert.ok(pages >= 4, `pages: ${pages}`);

    // Batches.
    await c.batch([
      { query: ins, params: [7, 1, 'x'] },
      { query: ins, params: [7, 2, 'y'] },
      { query: 'DELETE FROM js.t WHERE k = 1 AND c = 1' },
    ], { prepare: true });
    rs = await c.execute('SELECT COUNT(*) FROM js.t');
    assert.strictEqual(rs.first().count.toNumber(), 2);

    // Booleans 0x01 and 0x02, and every NaN bit pattern, are one value as in Cassandra (bound as
    // raw bytes: the driver sends a Buffer as it is); the row keeps the key first written.
    await c.execute('CREATE TABLE js.eqv (k int, b boolean, f float, v int, PRIMARY KEY (k, b, f))');
    const eqIns = 'INSERT INTO js.eqv (k, b, f, v) VALUES (1, ?, ?, ?)';
    const hex = (h) => Buffer.from(h, 'hex');
    await c.execute(eqIns, [hex('02'), hex('7fc00000'), 1], { prepare: true });
    await c.execute(eqIns, [hex('01'), hex('ffc00001'), 2], { prepare: true });
    rs = await c.execute('SELECT booleanAsBlob(b) AS b, floatAsBlob(f) AS f, v FROM js.eqv WHERE k = 1');
    assert.deepStrictEqual(rs.rows.map((r) => [r.b.toString('hex'), r.f.toString('hex'), r.v]),
      [['02', '7fc00000', 2]]);
    rs = await c.execute('SELECT v FROM js.eqv WHERE k = 1 AND b = ? AND f IN ?',
      [hex('09'), [hex('7f800001'), hex('3f800000')]], { prepare: true });
    assert.deepStrictEqual(rs.rows.map((r) => r.v), [2]);

    // Errors as the driver's ResponseError codes.
    const rc = types.responseErrorCodes;
    await expectError(c.execute('SELECT * FROM js.nope'), rc.invalid, /table nope does not exist/);
    await expectError(c.execute('SELEC 1'), rc.syntaxError, /line 1:0/);
    const ae = await expectError(c.execute('CREATE TABLE js.t (k int PRIMARY KEY)'), rc.alreadyExists);
    assert.strictEqual(ae.table, 't');
    await expectError(c.execute("INSERT INTO js.t (k, c, v) VALUES ('x', 1, 'a')"), rc.invalid);
    await c.shutdown();

    // Restart and kill -9: acknowledged writes survive.
    assert.strictEqual(await stopNode(node, 'SIGTERM'), 0);
    node = await startNode(binary, dataDir);
    c = client(node.port, 'js');
    rs = await c.execute('SELECT COUNT(*) FROM paged');
    assert.strictEqual(rs.first().count.toNumber(), 20000);
    await c.execute('INSERT INTO t (k, c, v) VALUES (9, 9, ?)', ['acked'], { prepare: true });
    await c.shutdown();
    await stopNode(node, 'SIGKILL');
    node = await startNode(binary, dataDir);
    c = client(node.port, 'js');
    rs = await c.execute('SELECT v FROM t WHERE k = 9 AND c = 9');
    assert.strictEqual(rs.first().v, 'acked');
    await c.shutdown();
    c = null;
    console.log('nodejs driver test: OK');
  } finally {
    if (c) await c.shutdown().catch(() => {});
    await stopNode(node, 'SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
