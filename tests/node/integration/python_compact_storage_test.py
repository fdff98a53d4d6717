"""COMPACT STORAGE tables on postfork-node through an unmodified python3-cassandra (Debian's).

What the differential corpus (tests/compat/corpus/compact.cql) cannot express: compact tables
and their rows kept across a restart of the node, the driver's own reading of their schema, and
a prepared INSERT without the compact value, which Cassandra refuses when it runs, not when it
is prepared.
Usage: /usr/bin/python3 python_compact_storage_test.py <path to postfork-node>
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra import InvalidRequest  # noqa: E402

KS = "compact"


class CompactStorageTest(node_process.KeyspaceTest):
    KEYSPACE = KS

    def columns(self, table):
        rows = self.session.execute(
            "SELECT column_name, kind, type FROM system_schema.columns "
            "WHERE keyspace_name = %s AND table_name = %s", (KS, table))
        return {r.column_name: (r.kind, r.type) for r in rows}

    def flags(self, table):
        row = self.session.execute(
            "SELECT flags FROM system_schema.tables WHERE keyspace_name = %s AND table_name = %s",
            (KS, table)).one()
        return sorted(row.flags)

    def test_kept_across_restart(self):
        s = self.session
        s.execute("CREATE TABLE st (k int PRIMARY KEY, v int, value text) WITH COMPACT STORAGE")
        s.execute("CREATE TABLE dn (k int, c1 int, c2 int, PRIMARY KEY (k, c1, c2)) "
                  "WITH COMPACT STORAGE")
        s.execute("CREATE TABLE dv (k int, c int, v text, PRIMARY KEY (k, c)) WITH COMPACT STORAGE")
        s.execute("INSERT INTO st (k, v) VALUES (1, 10)")
        s.execute("INSERT INTO dn (k, c1, c2) VALUES (1, 2, 3)")
        s.execute("INSERT INTO dv (k, c, v) VALUES (1, 1, 'a')")
        s.execute("INSERT INTO dv (k, c, v) VALUES (1, 2, 'b')")

        def check():
            self.assertEqual(self.columns("st"), {
                "k": ("partition_key", "int"), "v": ("static", "int"),
                "value": ("static", "text"), "column1": ("clustering", "text"),
                "value1": ("regular", "blob")})
            self.assertEqual(self.columns("dn")["value"], ("regular", "empty"))
            self.assertEqual(self.flags("st"), [])
            self.assertEqual(self.flags("dn"), ["compound", "dense"])
            self.assertEqual(self.flags("dv"), ["dense"])
            self.assertEqual([tuple(r) for r in s.execute("SELECT * FROM st")], [(1, 10, None)])
            self.assertEqual([tuple(r) for r in s.execute("SELECT * FROM dn")], [(1, 2, 3)])
            # No row marker: a dense row goes with its value, after the restart too.
            s.execute("UPDATE dv SET v = null WHERE k = 1 AND c = 2")
            self.assertEqual([tuple(r) for r in s.execute("SELECT * FROM dv")], [(1, 1, "a")])
            with self.assertRaises(InvalidRequest) as ctx:
                s.execute("ALTER TABLE dv ADD x int")
            self.assertIn("Cannot add new column to a COMPACT STORAGE table", str(ctx.exception))

        check()
        self.cluster.shutdown()
        node_process.SHARED.restart()
        type(self).connect()
        s = self.session
        s.set_keyspace(KS)
        check()

    def test_driver_schema_metadata(self):
        s = self.session
        s.execute("CREATE TABLE md (k int, c int, v int, PRIMARY KEY (k, c)) WITH COMPACT STORAGE")
        s.execute("CREATE TABLE md_cql (k int, c int, v int, PRIMARY KEY (k, c))")
        self.cluster.refresh_schema_metadata()
        tables = self.cluster.metadata.keyspaces[KS].tables
        self.assertTrue(tables["md"].is_compact_storage)
        self.assertFalse(tables["md_cql"].is_compact_storage)
        self.assertEqual(list(tables["md"].columns), ["k", "c", "v"])

    def test_prepared_insert_without_value_refused_when_run(self):
        s = self.session
        s.execute("CREATE TABLE pv (k int, c int, v int, PRIMARY KEY (k, c)) WITH COMPACT STORAGE")
        insert = s.prepare("INSERT INTO pv (k, c) VALUES (?, ?)")
        with self.assertRaises(InvalidRequest) as ctx:
            s.execute(insert, (1, 1))
        self.assertIn("Column v is mandatory for this COMPACT STORAGE table", str(ctx.exception))
        self.assertEqual(list(s.execute("SELECT * FROM pv")), [])


if __name__ == "__main__":
    node_process.main_with_node()
