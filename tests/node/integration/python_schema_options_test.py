"""Table and keyspace options on postfork-node through an unmodified python3-cassandra (Debian's).

Every option form Cassandra 5.0 accepts, normalized and reported in system_schema and in the
driver's schema metadata as Cassandra reports them; the options kept across a restart; the
refusals with Cassandra's error classes and texts; ALTER TABLE RENAME of key columns.
Usage: /usr/bin/python3 python_schema_options_test.py <path to postfork-node>
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra import InvalidRequest  # noqa: E402
from cassandra.cluster import NoHostAvailable  # noqa: E402
from cassandra.protocol import ConfigurationException, SyntaxException  # noqa: E402

KS = "sopt"


class SchemaOptionsTest(node_process.KeyspaceTest):
    KEYSPACE = KS

    def table_row(self, table):
        return self.session.execute(
            "SELECT * FROM system_schema.tables WHERE keyspace_name = %s AND table_name = %s",
            (KS, table)).one()

    def test_options_normalized_and_kept_across_restart(self):
        s = self.session
        s.execute("CREATE TABLE opts (k int PRIMARY KEY, v int) WITH "
                  "compression = {'class': 'DeflateCompressor', 'min_compress_ratio': '2'} "
                  "AND compaction = {'class': 'TimeWindowCompactionStrategy', "
                  "'compaction_window_unit': 'HOURS'} "
                  "AND caching = {'rows_per_partition': '0'} "
                  "AND speculative_retry = '99.9PERCENTILE' AND additional_write_policy = '12.5ms' "
                  "AND incremental_backups = 'no' AND cdc = true AND memtable = 'default'")
        expected = {
            "compression": {"chunk_length_in_kb": "16", "min_compress_ratio": "2.0",
                            "class": "org.apache.cassandra.io.compress.DeflateCompressor"},
            "compaction": {"class": "org.apache.cassandra.db.compaction.TimeWindowCompactionStrategy",
                           "compaction_window_unit": "HOURS", "max_threshold": "32",
                           "min_threshold": "4"},
            "caching": {"keys": "NONE", "rows_per_partition": "NONE"},
            "speculative_retry": "99.9p",
            "additional_write_policy": "12ms",
            "incremental_backups": False,
            "allow_auto_snapshot": None,
            # Written only with cdc_enabled / a non-default memtable, as Cassandra does.
            "cdc": None,
            "memtable": None,
        }

        def check():
            row = self.table_row("opts")._asdict()
            for name, value in expected.items():
                got = row[name]
                if hasattr(got, "items"):
                    got = dict(got.items())
                self.assertEqual(got, value, name)

        check()
        self.cluster.refresh_schema_metadata()
        options = self.cluster.metadata.keyspaces[KS].tables["opts"].options
        self.assertEqual(options["speculative_retry"], "99.9p")
        self.assertEqual(dict(options["caching"]), expected["caching"])
        type(self).restart_node(KS)
        check()

    def test_refusals(self):
        cases = [
            ("compression = {'class': 'LZ4Compressor', 'chunk_length_in_kb': '0'}",
             ConfigurationException, "Invalid negative or null chunk_length_in_kb"),
            ("compression = {'class': 'ZstdCompressor', 'compression_level': '100'}",
             ConfigurationException, "compression_level=100 is invalid"),
            ("compression = {'class': 'LZ4Compressor', 'min_compress_ratio': '0.5'}",
             ConfigurationException,
             "min_compress_ratio can either be 0 or greater than or equal to 1"),
            ("compaction = {'class': 'LeveledCompactionStrategy', 'sstable_size_in_mb': '0'}",
             ConfigurationException, "sstable_size_in_mb must be larger than 0, but was 0"),
            ("compaction = {'class': 'SizeTieredCompactionStrategy', 'bogus': '1'}",
             ConfigurationException,
             "Properties specified [bogus] are not understood by SizeTieredCompactionStrategy"),
            ("compaction = {'min_threshold': '2'}", ConfigurationException,
             "Missing sub-option 'class' for the 'compaction' option"),
            ("caching = {'rows_per_partition': '-1'}", ConfigurationException,
             "Invalid value '-1' for caching sub-option 'rows_per_partition'"),
            ("speculative_retry = 'MIN(10ms,20ms)'", ConfigurationException,
             "MIN()/MAX() arguments should be of different types, but both are of type FIXED"),
            ("crc_check_chance = 1.5", ConfigurationException,
             "crc_check_chance must be larger than or equal to 0 and smaller than or equal to "
             "1.0 (got 1.5)"),
            ("max_index_interval = 64", ConfigurationException,
             "max_index_interval must be greater than or equal to min_index_interval (128) "
             "(got 64)"),
            ("memtable = {'class': 'x'}", SyntaxException,
             "Invalid value for property 'memtable'. It should be a string"),
            ("id = 'x'", ConfigurationException, "Invalid table id"),
            # Names before values, in a Java HashMap's order ('q' before 'b').
            ("b = 1 AND q = 2", SyntaxException, "Unknown property 'q'"),
            ("gc_grace_seconds = -1 AND zz = 1", SyntaxException, "Unknown property 'zz'"),
            ("compression = {'class': 'LZ4Compressor', 'chunk_length_in_kb': null}",
             SyntaxException, "Invalid property value: NULL for property: 'chunk_length_in_kb'"),
            ("compression = {null: 'x'}", SyntaxException, "Invalid property name: NULL"),
            ("caching = {'keys': 'ALL', 'keys': 'NONE'}", SyntaxException,
             "Multiple definition for property keys"),
        ]
        for option, error, text in cases:
            with self.subTest(option=option):
                with self.assertRaises(error) as ctx:
                    self.session.execute("CREATE TABLE bad (k int PRIMARY KEY) WITH " + option)
                self.assertIn(text, str(ctx.exception))
        with self.assertRaises(InvalidRequest) as ctx:
            self.session.execute("CREATE TABLE bad (k int, c int, d int, PRIMARY KEY (k, c, d)) "
                                 "WITH CLUSTERING ORDER BY (d ASC)")
        self.assertIn("Missing CLUSTERING ORDER for column c", str(ctx.exception))
        with self.assertRaises(InvalidRequest) as ctx:
            self.session.execute("CREATE KEYSPACE system WITH replication = "
                                 "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        self.assertIn("System keyspace 'system' is not user-modifiable", str(ctx.exception))
        with self.assertRaises(ConfigurationException) as ctx:
            self.session.execute("CREATE KEYSPACE bad WITH replication = "
                                 "{'class': 'NetworkTopologyStrategy', 'REPLICATION_FACTOR': 1}")
        self.assertIn("replication_factor should not appear as an option", str(ctx.exception))
        with self.assertRaises(SyntaxException) as ctx:
            self.session.execute("CREATE KEYSPACE bad WITH replication = {'class': null}")
        self.assertIn("Invalid property value: NULL for property: 'class'", str(ctx.exception))
        prepared = "CREATE KEYSPACE bad WITH replication = {'class': 'SimpleStrategy', 'x': ?}"
        with self.assertRaises(SyntaxException) as ctx:
            self.session.prepare(prepared)
        self.assertIn("Invalid property value: ? for property: 'x' (bind variables are not "
                      "supported in DDL queries)", str(ctx.exception))
        # A server error is Cassandra's answer to an unknown read_repair value.
        with self.assertRaises(NoHostAvailable) as ctx:
            self.session.execute("CREATE TABLE bad (k int PRIMARY KEY) WITH read_repair = 'x'")
        self.assertIn("ReadRepairStrategy.X", str(ctx.exception))
        self.assertIsNone(self.table_row("bad"))

    def test_rename_key_columns(self):
        s = self.session
        s.execute("CREATE TABLE ren (k int, c int, v int, PRIMARY KEY (k, c))")
        s.execute("INSERT INTO ren (k, c, v) VALUES (1, 2, 3)")
        s.execute("ALTER TABLE ren RENAME c TO c2")
        self.assertEqual(list(s.execute("SELECT c2, v FROM ren WHERE k = 1").one()), [2, 3])
        with self.assertRaises(InvalidRequest) as ctx:
            s.execute("ALTER TABLE ren RENAME IF EXISTS nosuch TO x")
        self.assertIn("Undefined column name nosuch in table sopt.ren", str(ctx.exception))
        with self.assertRaises(InvalidRequest) as ctx:
            s.execute("ALTER TABLE ren RENAME k TO c2")
        self.assertIn("another column with that name already exists", str(ctx.exception))


if __name__ == "__main__":
    node_process.main_with_node()
