"""COMPACT STORAGE tables on postfork-node through an unmodified python3-cassandra (Debian's).

What the differential corpus (tests/compat/corpus/compact.cql) cannot express: compact tables
and their rows kept across a restart of the node, the driver's own reading of their schema, and
a prepared INSERT without the compact value, which Cassandra refuses when it runs, not when it
is prepared, and rows keyed by a clustering prefix paged by the driver and kept across a restart.
Usage: /usr/bin/python3 python_compact_storage_test.py <path to postfork-node>
"""
import os
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra import InvalidRequest  # noqa: E402
from cassandra.query import SimpleStatement  # noqa: E402

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
        s = type(self).restart_node(KS)
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

    def test_prefix_rows(self):
        """Rows keyed by a clustering prefix: written through prepared statements, read in
        clustering order by pages of one row, conditional writes on them, and kept across a
        restart (their keys and written decimals decode as before)."""
        s = self.session
        s.execute("CREATE TABLE px (k int, a decimal, b text, v int, PRIMARY KEY (k, a, b)) "
                  "WITH COMPACT STORAGE AND CLUSTERING ORDER BY (a DESC, b ASC)")
        insert_prefix = s.prepare("INSERT INTO px (k, a, v) VALUES (?, ?, ?)")
        insert_full = s.prepare("INSERT INTO px (k, a, b, v) VALUES (?, ?, ?, ?)")
        s.execute(insert_full, (1, Decimal("1.0"), "x", 1))
        s.execute(insert_prefix, (1, Decimal("1.00"), 2))  # one value with 1.0: kept as written
        s.execute(insert_full, (1, Decimal("1"), "", 3))
        s.execute(insert_full, (1, Decimal("2"), "y", 4))
        s.execute(insert_prefix, (1, Decimal("0.5"), 5))
        update_prefix = s.prepare("UPDATE px SET v = ? WHERE k = ? AND a = ?")
        s.execute(update_prefix, (6, 1, Decimal("2")))
        expected = [(1, Decimal("2"), None, 6), (1, Decimal("2"), "y", 4),
                    (1, Decimal("1.00"), None, 2), (1, Decimal("1"), "", 3),
                    (1, Decimal("1.0"), "x", 1), (1, Decimal("0.5"), None, 5)]

        def check():
            select = SimpleStatement("SELECT * FROM px WHERE k = 1", fetch_size=1)
            self.assertEqual([tuple(r) for r in s.execute(select)], expected)
            reverse = SimpleStatement("SELECT * FROM px WHERE k = 1 ORDER BY a ASC", fetch_size=2)
            self.assertEqual([tuple(r) for r in s.execute(reverse)], expected[::-1])
            one = s.execute("SELECT * FROM px WHERE k = 1 AND a = 1")
            self.assertEqual([tuple(r) for r in one], expected[2:5])

        check()
        applied = s.execute("INSERT INTO px (k, a, v) VALUES (1, 1, 7) IF NOT EXISTS").one()
        self.assertEqual(tuple(applied), (False, 1, Decimal("1.00"), None, 2))
        self.assertTrue(s.execute("INSERT INTO px (k, a, v) VALUES (1, 3, 8) IF NOT EXISTS")
                        .one()[0])
        s.execute("DELETE FROM px WHERE k = 1 AND a = 3")
        with self.assertRaises(InvalidRequest) as ctx:
            s.execute("INSERT INTO px (k, b, v) VALUES (1, 'x', 9)")
        self.assertIn('PRIMARY KEY column "b" cannot be restricted as preceding column "a" is not '
                      'restricted', str(ctx.exception))
        s = type(self).restart_node(KS)
        check()
        s.execute("DELETE FROM px WHERE k = 1 AND a = 1")
        self.assertEqual([tuple(r) for r in s.execute("SELECT * FROM px WHERE k = 1")],
                         expected[:2] + expected[5:])


if __name__ == "__main__":
    node_process.main_with_node()
