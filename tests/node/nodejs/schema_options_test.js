// Table and keyspace options through npm's unmodified cassandra-driver: the forms Cassandra 5.0
// accepts, stored and reported in system_schema (and in the driver's table metadata) as
// Cassandra reports them, the ones it refuses with its error codes and texts, ALTER TABLE
// RENAME of key columns, and CLUSTERING ORDER BY errors (a duplicate column once crashed the
// node).
// Usage: node schema_options_test.js <path to postfork-node>
'use strict';
const assert = require('assert');
const path = require('path');
const { expectError, withNode } = require('./node_process');

const binary = path.resolve(process.argv[2]);
const kConfig = 0x2300;
const kInvalid = 0x2200;
const kSyntax = 0x2000;

async function tableRow(c, table) {
  const rs = await c.execute(
      'SELECT * FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
      ['so', table], { prepare: true });
  assert.strictEqual(rs.rows.length, 1, `system_schema.tables row of ${table}`);
  return rs.first();
}

async function accepted(c) {
  await c.execute("CREATE TABLE so.off (k int PRIMARY KEY) WITH compression = {'enabled': 'false'}");
  let row = await tableRow(c, 'off');
  assert.deepStrictEqual(row.compression, { enabled: 'false' });
  await c.execute("CREATE TABLE so.lz4 (k int PRIMARY KEY) WITH compression = " +
                  "{'class': 'LZ4Compressor', 'lz4_compressor_type': 'high', " +
                  "'lz4_high_compressor_level': '9', 'chunk_length_in_kb': '64'} " +
                  "AND speculative_retry = 'max(99PERCENTILE, 10MS)' " +
                  "AND additional_write_policy = 'none' AND caching = {'keys': 'all'} " +
                  "AND read_repair = 'none' AND allow_auto_snapshot = false");
  row = await tableRow(c, 'lz4');
  assert.deepStrictEqual(row.compression, {
    chunk_length_in_kb: '64', class: 'org.apache.cassandra.io.compress.LZ4Compressor',
    lz4_compressor_type: 'high', lz4_high_compressor_level: '9',
  });
  assert.strictEqual(row.speculative_retry, 'MAX(99p,10ms)');
  assert.strictEqual(row.additional_write_policy, 'NEVER');
  assert.deepStrictEqual(row.caching, { keys: 'ALL', rows_per_partition: 'NONE' });
  assert.strictEqual(row.read_repair, 'NONE');
  assert.strictEqual(row.allow_auto_snapshot, false);
  assert.strictEqual(row.incremental_backups, null);
  assert.strictEqual(row.memtable, null);
  await c.execute("CREATE TABLE so.lcs (k int PRIMARY KEY) WITH compaction = " +
                  "{'class': 'LeveledCompactionStrategy', 'fanout_size': '10'}");
  row = await tableRow(c, 'lcs');
  assert.strictEqual(row.bloom_filter_fp_chance, 0.1, 'leveled compaction bloom filter default');
  assert.deepStrictEqual(row.compaction, {
    class: 'org.apache.cassandra.db.compaction.LeveledCompactionStrategy', fanout_size: '10',
    max_threshold: '32', min_threshold: '4',
  });
  // ALTER replaces caching as a whole: a sub-option left out is NONE.
  await c.execute("ALTER TABLE so.lz4 WITH caching = {'rows_per_partition': '10'}");
  row = await tableRow(c, 'lz4');
  assert.deepStrictEqual(row.caching, { keys: 'NONE', rows_per_partition: '10' });
  await c.execute("CREATE KEYSPACE so_nts WITH replication = {'class': 'NetworkTopologyStrategy'}");
  await c.execute("CREATE KEYSPACE so_simple WITH replication = {'class': 'SimpleStrategy'}");
  const ks = await c.execute("SELECT keyspace_name, replication FROM system_schema.keyspaces " +
                             "WHERE keyspace_name IN ('so_nts', 'so_simple')");
  const replication = Object.fromEntries(ks.rows.map((r) => [r.keyspace_name, r.replication]));
  assert.deepStrictEqual(replication.so_nts, {
    class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', datacenter1: '1',
  });
  assert.deepStrictEqual(replication.so_simple, {
    class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '1',
  });
  // The driver's own metadata reads the same rows.
  const meta = await c.metadata.getTable('so', 'lz4');
  assert.strictEqual(meta.speculativeRetry, 'MAX(99p,10ms)');
  assert.strictEqual(meta.compression.class, 'org.apache.cassandra.io.compress.LZ4Compressor');
}

async function refused(c) {
  const cases = [
    ["compression = {'class': 'NoSuchCompressor'}", kConfig,
     /^Could not create Compression for type org\.apache\.cassandra\.io\.compress\.NoSuchCompressor$/],
    ["compression = {'class': 'LZ4Compressor', 'chunk_length_in_kb': '3'}", kConfig,
     /^chunk_length_in_kb must be a power of 2$/],
    ["compression = {'class': 'LZ4Compressor', 'foo': 'bar'}", kConfig,
     /^Unknown compression options foo$/],
    ["compaction = {'class': 'NoSuchStrategy'}", kConfig,
     /^Unable to find compaction strategy class 'org\.apache\.cassandra\.db\.compaction\.NoSuchStrategy'$/],
    ["compaction = {'class': 'SizeTieredCompactionStrategy', 'min_threshold': '1'}", kConfig,
     /^Min compaction threshold cannot be less than 2 \(got 1\)$/],
    ["caching = {'keys': 'SOME'}", kConfig,
     /^Invalid value 'SOME' for caching sub-option 'keys': only 'ALL' and 'NONE' are allowed$/],
    ["speculative_retry = '101p'", kConfig,
     /^Invalid value 101p for PERCENTILE option 'speculative_retry': must be between \(0\.0 and 100\.0\)$/],
    ["bloom_filter_fp_chance = 2.0", kConfig,
     /^bloom_filter_fp_chance must be larger than 6\.71E-5 and less than or equal to 1\.0 \(got 2\.0\)$/],
    ["read_repair = 'SOMETIMES'", 0x0000, /No enum constant .*ReadRepairStrategy\.SOMETIMES$/],
    ["memtable = 'nosuch'", kConfig, /^Memtable configuration "nosuch" not found\.$/],
    ["cdc = 'maybe'", kSyntax, /^Invalid boolean value maybe for 'cdc'\. Positive values/],
    // Names are checked before values, in a Java HashMap's order ('q' before 'b').
    ["b = 1 AND q = 2", kSyntax, /^Unknown property 'q'$/],
    ["gc_grace_seconds = -1 AND b = 1", kSyntax, /^Unknown property 'b'$/],
    ["caching = {'keys': null}", kSyntax, /^Invalid property value: NULL for property: 'keys'$/],
    ["compaction = {'class': 'LeveledCompactionStrategy', 'class': 'x'}", kSyntax,
     /^Multiple definition for property class$/],
  ];
  for (const [option, code, pattern] of cases) {
    await expectError(c.execute(`CREATE TABLE so.bad (k int PRIMARY KEY) WITH ${option}`), code,
                      pattern);
  }
  await expectError(
      c.execute('CREATE TABLE so.bad (k int, c int, PRIMARY KEY (k, c)) ' +
                'WITH CLUSTERING ORDER BY (c DESC, c ASC)'),
      kInvalid, /^Duplicate column 'c' in CLUSTERING ORDER BY clause for table 'bad'$/);
  await expectError(
      c.execute('CREATE TABLE so.bad (k int, c int, PRIMARY KEY (k, c)) ' +
                'WITH CLUSTERING ORDER BY (k ASC)'),
      kInvalid, /: \[k\] are not clustering columns$/);
  await expectError(
      c.execute("CREATE KEYSPACE so_bad WITH replication = " +
                "{'class': 'NetworkTopologyStrategy', 'nosuchdc': 1}"),
      kConfig, /^Unrecognized strategy option \{nosuchdc\} passed to NetworkTopologyStrategy/);
  await expectError(
      c.execute("CREATE KEYSPACE so_bad WITH replication = " +
                "{'class': 'SimpleStrategy', 'replication_factor': -1}"),
      kConfig, /^Replication factor must be non-negative, found -1$/);
  await expectError(
      c.execute("CREATE KEYSPACE so_bad WITH replication = {'class': null}"), kSyntax,
      /^Invalid property value: NULL for property: 'class'$/);
  await expectError(
      c.execute("CREATE KEYSPACE so_bad WITH replication = {'class': 'SimpleStrategy'} " +
                'AND b = 1 AND q = 2'),
      kSyntax, /^Unknown property 'q'$/);
  await expectError(c.execute('CREATE KEYSPACE so_bad WITH durable_writes = true'), kInvalid,
                    /^Missing mandatory option 'replication'$/);
  // The node keeps serving after every refusal.
  assert.strictEqual((await c.execute('SELECT release_version FROM system.local')).rows.length, 1);
}

async function rename(c) {
  await c.execute('CREATE TABLE so.r (k int, c int, v int, PRIMARY KEY (k, c))');
  await c.execute('INSERT INTO so.r (k, c, v) VALUES (1, 2, 3)');
  await c.execute('ALTER TABLE so.r RENAME c TO cc AND k TO kk');
  const rs = await c.execute('SELECT kk, cc, v FROM so.r WHERE kk = 1');
  assert.deepStrictEqual([rs.first().kk, rs.first().cc, rs.first().v], [1, 2, 3]);
  await expectError(c.execute('ALTER TABLE so.r RENAME v TO w'), kInvalid,
                    /^Cannot rename non PRIMARY KEY column v$/);
}

async function main() {
  await withNode(binary, 'so', async (c) => {
    await accepted(c);
    await refused(c);
    await rename(c);
  });
  console.log('nodejs schema options test: OK');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
