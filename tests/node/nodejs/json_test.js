// JSON, empty values and CAST through npm's unmodified cassandra-driver, with Cassandra 5.0's
// answers: SELECT JSON keys and number texts, INSERT JSON with UDTs and tuples, the error texts
// of INSERT JSON (Jackson's parse errors included) and fromJson() failures as FunctionFailure,
// empty values inside collections, CAST refusals.
// Usage: node json_test.js <path to postfork-node>
'use strict';
const assert = require('assert');
const path = require('path');
const { expectError, withNode } = require('./node_process');

const binary = path.resolve(process.argv[2]);

async function selectJson(c) {
  await c.execute('CREATE TABLE j.t (p int PRIMARY KEY, v int, "Up" int, d double, f float, ' +
                  'i inet)');
  await c.execute("INSERT INTO j.t (p, v, \"Up\", d, f, i) VALUES (1, 2, 3, 1e-5, 1e10, '::1')");
  await c.execute('INSERT INTO j.t (p, d, f) VALUES (2, NaN, Infinity)');
  let rs = await c.execute('SELECT JSON p, ttl(v), v AS "Foo", "Up", d, f, i FROM j.t WHERE p = 1');
  assert.strictEqual(rs.first()['[json]'],
                     '{"p": 1, "ttl(v)": null, "\\"Foo\\"": 2, "\\"Up\\"": 3, "d": 1.0E-5, ' +
                     '"f": 1.0E10, "i": "0:0:0:0:0:0:0:1"}');
  rs = await c.execute('SELECT toJson(d), toJson(f) FROM j.t WHERE p = 2');
  assert.deepStrictEqual(Object.values(rs.first()), ['null', 'null']);
}

async function insertJson(c) {
  await c.execute('CREATE TYPE j.ut (a int, "B" text)');
  await c.execute('CREATE TABLE j.v (p int PRIMARY KEY, v int, u frozen<ut>, ' +
                  'tu tuple<int, text>, s set<int>)');
  await c.execute('INSERT INTO j.v JSON ?',
                  ['{"p": 1, "u": {"a": 1, "\\"B\\"": "x"}, "tu": [1, null], "s": "[2, 1]"}'],
                  { prepare: true });
  const rs = await c.execute('SELECT JSON u, tu, s FROM j.v WHERE p = 1');
  assert.strictEqual(rs.first()['[json]'],
                     '{"u": {"a": 1, "\\"B\\"": "x"}, "tu": [1, null], "s": [1, 2]}');
  const refused = [
    ['{"p": 1, "v": "dog"}', /^Error decoding JSON value for v: Unable to make int from 'dog'$/],
    ['{"p": 1, "v": 1.5}', /^Error decoding JSON value for v: Expected an int value, but got a Double: 1.5$/],
    ['{"p": 1, "u": {"x": 1}}', /Unknown field 'x' in value of user defined type ut$/],
    ['{"p": 1, "nosuch": 1}', /^JSON values map contains unrecognized column: nosuch$/],
    ['{"p": 1 "v": 2}', /^Could not decode JSON string as a map: com\.fasterxml\.jackson\.core\.JsonParseException: Unexpected character \('"' \(code 34\)\): was expecting comma to separate Object entries\n at \[Source: REDACTED \(`StreamReadFeature\.INCLUDE_SOURCE_IN_LOCATION` disabled\); line: 1, column: 9\]\. \(String was: \{"p": 1 "v": 2\}\)$/],
  ];
  for (const [doc, pattern] of refused) {
    await expectError(c.execute('INSERT INTO j.v JSON ?', [doc], { prepare: true }), 0x2200, pattern);
  }
}

async function fromJson(c) {
  await expectError(c.execute("INSERT INTO j.v (p, v) VALUES (2, fromJson('\"dog\"'))"), 0x1400,
                    /^org\.apache\.cassandra\.serializers\.MarshalException: Unable to make int from 'dog'$/);
  await expectError(c.execute('INSERT INTO j.v (p, v) VALUES (?, fromJson(?))', [2, '2147483648'],
                              { prepare: true }),
                    0x1400, /Expected an int value, but got a Long: 2147483648$/);
  await c.execute('INSERT INTO j.v (p, v) VALUES (2, fromJson(null))');
  assert.strictEqual((await c.execute('SELECT v FROM j.v WHERE p = 2')).first().v, null);
}

async function emptyValues(c) {
  await c.execute('CREATE TABLE j.e (k int PRIMARY KEY, i int, l list<int>, si smallint)');
  await c.execute('INSERT INTO j.e (k, i, l) VALUES (1, blobAsInt(0x), [1, blobAsInt(0x)])');
  const rs = await c.execute('SELECT JSON i, l FROM j.e WHERE k = 1');
  assert.strictEqual(rs.first()['[json]'], '{"i": "", "l": [1, ""]}');
  await expectError(c.execute('INSERT INTO j.e (k, si) VALUES (2, blobAsSmallint(0x))'), 0x2200,
                    /^In call to function system\.blobassmallint, value 0x is not a valid binary representation for type smallint$/);
  await expectError(c.execute('SELECT * FROM j.e WHERE k = blobAsInt(0x)'), 0x2200,
                    /^Key may not be empty$/);
}

async function casts(c) {
  const rs = await c.execute('SELECT CAST(i AS int), CAST(k AS text) FROM j.e WHERE k = 1');
  assert.deepStrictEqual(rs.columns.map((col) => col.name), ['i', 'cast(k as text)']);
  await expectError(c.execute('SELECT CAST(l AS text) FROM j.e'), 0x2200,
                    /^Invalid call to function system\.cast_as_text, none of its type signatures match \(known type signatures: .*system\.cast_as_text : \(varint\) -> text/);
  await expectError(c.execute('SELECT CAST(i AS nosuch) FROM j.e'), 0x2000,
                    /^line 1:17 no viable alternative at input 'nosuch' \(SELECT CAST\(i AS \[nosuch\]\.\.\.\)$/);
}

async function main() {
  await withNode(binary, 'j', async (c) => {
    await selectJson(c);
    await insertJson(c);
    await fromJson(c);
    await emptyValues(c);
    await casts(c);
  });
  console.log('nodejs json test: OK');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
