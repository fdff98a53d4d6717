// Non-pure native functions (uuid(), now(), currentTimestamp(), ...) through npm's unmodified
// cassandra-driver: every execution of a prepared statement, of a batch of them and of a plain
// query evaluates them anew, so no execution overwrites another's row. Also the statement
// orderings and result shapes Cassandra gives (IN with ORDER BY DESC, an empty IN, SELECT *
// column order, decimal clustering keys by value, request tracing), and arithmetic in selectors.
// Usage: node functions_test.js <path to postfork-node>
'use strict';
const assert = require('assert');
const path = require('path');
const { expectError, withNode } = require('./node_process');

const binary = path.resolve(process.argv[2]);
const RUNS = 40;

async function count(c, table) {
  return (await c.execute(`SELECT count(*) FROM f.${table}`)).first().count.toNumber();
}

async function nonPureFunctions(c) {
  await c.execute('CREATE TABLE f.u (id uuid PRIMARY KEY, v int, ts timestamp)');
  await c.execute('CREATE TABLE f.tu (id timeuuid PRIMARY KEY, v int)');
  const prep = { prepare: true };
  for (let i = 0; i < RUNS; i++) {
    await c.execute('INSERT INTO f.u (id, v, ts) VALUES (uuid(), ?, currentTimestamp())', [i], prep);
  }
  assert.strictEqual(await count(c, 'u'), RUNS, 'prepared uuid() inserts');
  for (let i = 0; i < RUNS; i++) {
    await c.execute('INSERT INTO f.tu (id, v) VALUES (now(), ?)', [i], prep);
  }
  assert.strictEqual(await count(c, 'tu'), RUNS, 'prepared now() inserts');
  const queries = [];
  for (let i = 0; i < 10; i++) {
    queries.push({ query: 'INSERT INTO f.u (id, v) VALUES (uuid(), ?)', params: [1000 + i] });
  }
  await c.batch(queries, prep);
  // Unprepared: the driver would send numbers as doubles, so the values are inline.
  await c.batch(queries.map((q) => `INSERT INTO f.u (id, v) VALUES (uuid(), ${q.params[0]})`));
  assert.strictEqual(await count(c, 'u'), RUNS + 20, 'batched uuid() inserts');
  for (let i = 0; i < 10; i++) await c.execute('INSERT INTO f.u (id, v) VALUES (uuid(), 5)');
  assert.strictEqual(await count(c, 'u'), RUNS + 30, 'unprepared uuid() inserts');
  await expectError(c.execute('INSERT INTO f.tu (id, v) VALUES (uuid(), 1)', [], prep), 0x2200,
                    /cannot assign result of function system.uuid \(type uuid\) to id/);
}

async function orderingAndShapes(c) {
  await c.execute('CREATE TABLE f.o (k int, c int, s int static, v int, PRIMARY KEY (k, c))');
  for (let i = 0; i < 4; i++) {
    await c.execute('INSERT INTO f.o (k, c, s, v) VALUES (0, ?, 9, ?)', [i, i], { prepare: true });
  }
  let rs = await c.execute('SELECT c FROM f.o WHERE k = 0 AND c IN (0, 2) ORDER BY c DESC');
  assert.deepStrictEqual(rs.rows.map((r) => r.c), [2, 0]);
  rs = await c.execute('SELECT c FROM f.o WHERE k = 0 AND c IN ()');
  assert.strictEqual(rs.rows.length, 0);
  rs = await c.execute('SELECT * FROM f.o WHERE k = 0 AND c = 1');
  assert.deepStrictEqual(rs.columns.map((col) => col.name), ['k', 'c', 's', 'v']);
}

// Decimal clustering keys compare by value (Cassandra's DecimalType): 1230 and 1.23E+3 are one
// row, which keeps the bytes first written.
async function decimalKeys(c) {
  const { BigDecimal } = require('cassandra-driver').types;
  await c.execute('CREATE TABLE f.d (p int, c decimal, v int, PRIMARY KEY (p, c))');
  const prep = { prepare: true };
  await c.execute('INSERT INTO f.d (p, c, v) VALUES (0, ?, 1)', [BigDecimal.fromString('1230')], prep);
  await c.execute('INSERT INTO f.d (p, c, v) VALUES (0, ?, 2)', [new BigDecimal(123, -1)], prep);
  await c.execute('INSERT INTO f.d (p, c, v) VALUES (0, 0.5, 3)');
  let rs = await c.execute('SELECT c, v FROM f.d WHERE p = 0');
  assert.deepStrictEqual(rs.rows.map((r) => [r.c.toString(), r.v]), [['0.5', 3], ['1230', 2]]);
  rs = await c.execute('SELECT v FROM f.d WHERE p = 0 AND c = ?', [BigDecimal.fromString('1230.00')],
                       prep);
  assert.deepStrictEqual(rs.rows.map((r) => r.v), [2]);
}

// traceQuery: the driver reads the session and its events from system_traces.
async function tracing(c) {
  await c.execute('CREATE TABLE f.tr (k int PRIMARY KEY, v int)');
  let rs = await c.execute('INSERT INTO f.tr (k, v) VALUES (1, 2)', [], { traceQuery: true });
  assert.ok(rs.info.traceId, 'a traced request gets a session id');
  let trace = await c.metadata.getTrace(rs.info.traceId);
  assert.strictEqual(trace.requestType, 'Execute CQL3 query');
  assert.strictEqual(trace.parameters.query, 'INSERT INTO f.tr (k, v) VALUES (1, 2)');
  assert.ok(trace.events.some((e) => e.activity === 'Adding to tr memtable'));
  rs = await c.execute('SELECT v FROM f.tr WHERE k = ?', [1], { prepare: true, traceQuery: true });
  trace = await c.metadata.getTrace(rs.info.traceId);
  assert.strictEqual(trace.requestType, 'Execute CQL3 prepared query');
  assert.deepStrictEqual(trace.events.map((e) => e.activity),
                         ['Executing single-partition query on tr',
                          'Read 1 live rows and 0 tombstone cells']);
  rs = await c.execute('SELECT v FROM f.tr WHERE k = 1');
  assert.strictEqual(rs.info.traceId, undefined);
}

// Element and slice selection of sets and maps, and the write times of elements.
async function elementSelection(c) {
  await c.execute('CREATE TABLE f.e (k int PRIMARY KEY, m map<text, int>, s set<int>, l list<int>)');
  await c.execute("INSERT INTO f.e (k, m, s, l) VALUES (1, {'a': 1, 'b': 2}, {5, 6}, [1]) " +
                  'USING TIMESTAMP 10');
  await c.execute('UPDATE f.e USING TIMESTAMP 20 SET s = s + {7} WHERE k = 1');
  let rs = await c.execute("SELECT m['b'], s[6], s[9], m['a'..'a'] FROM f.e WHERE k = 1");
  assert.deepStrictEqual(rs.columns.map((col) => col.name),
                         ["m['b']", 's[6]', 's[9]', "m['a'..'a']"]);
  const row = rs.first();
  assert.strictEqual(row["m['b']"], 2);
  assert.strictEqual(row['s[6]'], 6);
  assert.strictEqual(row['s[9]'], null);
  assert.deepStrictEqual(row["m['a'..'a']"], { a: 1 });
  rs = await c.execute('SELECT writetime(s[7]), writetime(s) FROM f.e WHERE k = 1');
  assert.strictEqual(rs.first()['writetime(s[7])'].toNumber(), 20);
  assert.deepStrictEqual(rs.first()['writetime(s)'].map((t) => t.toNumber()), [10, 10, 20]);
  rs = await c.execute('SELECT m[?] FROM f.e WHERE k = 1', ['a'], { prepare: true });
  assert.strictEqual(rs.first()["m[?]"], 1);
  await expectError(c.execute('SELECT l[0] FROM f.e'), 0x2200,
                    /Element selection is only allowed on sets and maps, but l is a list/);
}

// Arithmetic in selectors (Cassandra 5.0's operators), functions of aggregates, a division by
// zero as FunctionFailure, partitions of an IN in key order, and GROUP BY past an equality.
async function selectorArithmetic(c) {
  await c.execute('CREATE TABLE f.a (k int, c int, i int, b bigint, PRIMARY KEY (k, c))');
  for (const [k, cc, i] of [[2, 1, 5], [1, 1, 7], [1, 2, 3]]) {
    await c.execute('INSERT INTO f.a (k, c, i, b) VALUES (?, ?, ?, 10000000000)', [k, cc, i],
                    { prepare: true });
  }
  let rs = await c.execute('SELECT i + 1, b * i, (i - 1) % 4, i * (int)? FROM f.a WHERE k = 1 ' +
                           'AND c = 1', [3], { prepare: true });
  assert.deepStrictEqual(rs.columns.map((col) => col.name),
                         ['i + 1', 'b * i', '(i - 1) % 4', 'i * (int)?']);
  const row = rs.first();
  assert.strictEqual(row['i + 1'], 8);
  assert.strictEqual(row['b * i'].toString(), '70000000000');
  assert.strictEqual(row['(i - 1) % 4'], 2);
  assert.strictEqual(row['i * (int)?'], 21);
  rs = await c.execute('SELECT max(i) + 1, count(*) * 2 FROM f.a WHERE k = 1');
  assert.strictEqual(rs.first()['system.max(i) + 1'], 8);
  assert.strictEqual(rs.first()['count * 2'].toNumber(), 4);
  await expectError(c.execute('SELECT i / 0 FROM f.a'), 0x1400,
                    /the operation 'int \/ int' failed: \/ by zero/);
  await expectError(c.execute('SELECT i + ? FROM f.a', [1], { prepare: true }), 0x2200,
                    /Ambiguous '\+' operation with args i and \?/);
  rs = await c.execute('SELECT k FROM f.a WHERE k IN (2, 1)');
  assert.deepStrictEqual(rs.rows.map((r) => r.k), [1, 1, 2]);
  rs = await c.execute('SELECT c, count(*) FROM f.a WHERE k = 1 GROUP BY c');
  assert.deepStrictEqual(rs.rows.map((r) => r.c), [1, 2]);
}

async function main() {
  await withNode(binary, 'f', async (c) => {
    await nonPureFunctions(c);
    await decimalKeys(c);
    await tracing(c);
    await orderingAndShapes(c);
    await elementSelection(c);
    await selectorArithmetic(c);
  });
  console.log('nodejs functions test: OK');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
