"""Dropped and re-added columns on postfork-node through an unmodified python3-cassandra (Debian's).

Cassandra identifies a column by name: after `ALTER TABLE t DROP c [USING TIMESTAMP n]` and
`ALTER TABLE t ADD c <type>`, cells of c written at or before the drop time stay hidden and those
written after it are the re-added column's. Every expectation here was read off Cassandra 5.0.8.
What the differential corpus (tests/compat/corpus/alter.cql) cannot express: data flushed out of
the memtable and a restart between the drop and the reads, which must not bring cells back.
Usage: /usr/bin/python3 python_dropped_columns_test.py <path to postfork-node>
"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra import InvalidRequest  # noqa: E402
from cassandra.cluster import Cluster  # noqa: E402

KS = "dropped"


def rows(session, query):
    return [tuple(r) for r in session.execute(query)]


class DroppedColumnsTest(node_process.KeyspaceTest):
    KEYSPACE = KS

    def test_cells_after_the_drop_time_come_back(self):
        s = self.session
        s.execute("CREATE TABLE reg (id int, c int, v int, todrop int, st int static, "
                  "PRIMARY KEY (id, c))")
        for i in range(5):
            s.execute("INSERT INTO reg (id, c, v, todrop, st) VALUES (1, %s, %s, %s, %s) "
                      "USING TIMESTAMP %s", (i, i, i, i, 10000 * i))
        s.execute("ALTER TABLE reg DROP (todrop, st) USING TIMESTAMP 20000")
        s.execute("ALTER TABLE reg ADD todrop int")
        s.execute("ALTER TABLE reg ADD st int static")
        s.execute("INSERT INTO reg (id, c, v, todrop) VALUES (1, 100, 100, 100) "
                  "USING TIMESTAMP 30000")
        self.assertEqual(rows(s, "SELECT id, c, v, todrop, st FROM reg"), [
            (1, 0, 0, None, 4), (1, 1, 1, None, 4), (1, 2, 2, None, 4), (1, 3, 3, 3, 4),
            (1, 4, 4, 4, 4), (1, 100, 100, 100, 4)])
        self.assertEqual(rows(s, "SELECT writetime(todrop) FROM reg WHERE id = 1 AND c = 3"),
                         [(30000,)])
        # A write of the re-added column at or before the drop time is the dropped column's.
        s.execute("UPDATE reg USING TIMESTAMP 15000 SET todrop = 7 WHERE id = 1 AND c = 0")
        self.assertEqual(rows(s, "SELECT todrop FROM reg WHERE id = 1 AND c = 0"), [(None,)])

    def test_row_of_only_dropped_cells_is_gone(self):
        s = self.session
        s.execute("CREATE TABLE gone (k int, c int, v int, s int static, PRIMARY KEY (k, c))")
        s.execute("UPDATE gone USING TIMESTAMP 1000 SET v = 3 WHERE k = 2 AND c = 0")
        s.execute("INSERT INTO gone (k, s) VALUES (1, 5)")
        s.execute("INSERT INTO gone (k, c) VALUES (3, 0)")
        s.execute("ALTER TABLE gone DROP v USING TIMESTAMP 2000")
        s.execute("ALTER TABLE gone DROP s")
        s.execute("ALTER TABLE gone ADD v int")
        self.assertEqual(rows(s, "SELECT * FROM gone WHERE k = 1"), [])
        self.assertEqual(rows(s, "SELECT * FROM gone WHERE k = 2"), [])
        self.assertEqual(rows(s, "SELECT * FROM gone"), [(3, 0, None)])
        self.assertEqual(rows(s, "SELECT count(*) FROM gone"), [(1,)])

    def test_drop_without_timestamp_is_now(self):
        s = self.session
        s.execute("CREATE TABLE now (k int PRIMARY KEY, a int)")
        s.execute("UPDATE now USING TIMESTAMP 100 SET a = 1 WHERE k = 1")
        future = 1 << 60
        s.execute("UPDATE now USING TIMESTAMP %s SET a = 2 WHERE k = 2", (future,))
        s.execute("ALTER TABLE now DROP a")
        s.execute("ALTER TABLE now ADD a int")
        self.assertEqual(rows(s, "SELECT * FROM now"), [(2, 2)])
        s.execute("INSERT INTO now (k, a) VALUES (3, 3) USING TIMESTAMP 100")
        s.execute("INSERT INTO now (k, a) VALUES (4, 4)")
        self.assertEqual(sorted(rows(s, "SELECT * FROM now")), [(2, 2), (3, None), (4, 4)])

    def test_drop_again_keeps_earlier_cells_hidden(self):
        s = self.session
        s.execute("CREATE TABLE again (k int PRIMARY KEY, v int)")
        s.execute("UPDATE again USING TIMESTAMP 1000 SET v = 3 WHERE k = 3")
        s.execute("ALTER TABLE again DROP v USING TIMESTAMP 20000")
        s.execute("ALTER TABLE again ADD v int")
        s.execute("UPDATE again USING TIMESTAMP 30000 SET v = 5 WHERE k = 5")
        s.execute("ALTER TABLE again DROP v USING TIMESTAMP 10")
        self.assertEqual(rows(s, "SELECT dropped_time FROM system_schema.dropped_columns WHERE "
                                 "keyspace_name = 'dropped' AND table_name = 'again'")[0][0].year,
                         1970)
        s.execute("ALTER TABLE again ADD v int")
        # Cassandra purges the first drop's cells from its memtable as it drops: a later drop at
        # a lower time does not bring them back.
        self.assertEqual(sorted(rows(s, "SELECT * FROM again")), [(5, 5)])

    def test_collections(self):
        s = self.session
        s.execute("CREATE TABLE coll (k int PRIMARY KEY, l list<text>, m map<int, text>, "
                  "st set<text>)")
        s.execute("UPDATE coll USING TIMESTAMP 100 SET l = ['a'], m = {1: 'a'}, st = {'a'} "
                  "WHERE k = 1")
        s.execute("UPDATE coll USING TIMESTAMP 300 SET l = l + ['b'], m[2] = 'b', "
                  "st = st + {'b'} WHERE k = 1")
        s.execute("ALTER TABLE coll DROP (l, m, st) USING TIMESTAMP 200")
        s.execute("ALTER TABLE coll ADD l list<text>")
        s.execute("ALTER TABLE coll ADD m map<int, blob>")  # a compatible type
        s.execute("ALTER TABLE coll ADD st set<blob>")
        self.assertEqual(rows(s, "SELECT l, m, st FROM coll"), [(["b"], {2: b"b"}, {b"b"})])
        s.execute("UPDATE coll SET l = l + ['c'] WHERE k = 1")
        self.assertEqual(rows(s, "SELECT l FROM coll"), [(["b", "c"],)])

    def test_incompatible_re_add_refused(self):
        s = self.session
        s.execute("CREATE TABLE inc (k int, c int, a int, t text, f frozen<list<int>>, "
                  "s int static, PRIMARY KEY (k, c))")
        s.execute("ALTER TABLE inc DROP (a, t, f, s)")
        for stmt, text in [
                ("ADD a varint", "Cannot add a column 'a' of type varint, incompatible with "
                                 "previously dropped column 'a' of type int"),
                ("ADD f list<int>", "Cannot add a column 'f' of type list<int>, incompatible "
                                    "with previously dropped column 'f' of type "
                                    "frozen<list<int>>"),
                ("ADD s int", "Cannot re-add previously dropped column 's' of kind REGULAR, "
                              "incompatible with previous kind STATIC")]:
            with self.assertRaises(InvalidRequest) as ctx:
                s.execute("ALTER TABLE inc " + stmt)
            self.assertIn(text, str(ctx.exception))
        s.execute("ALTER TABLE inc ADD t blob")


class DroppedColumnsOnDiskTest(unittest.TestCase):
    """Drops kept across flushes of the memtable (1 MiB) and restarts of the node."""

    def test_hidden_after_flush_and_restart(self):
        with tempfile.TemporaryDirectory() as data_dir:
            node = node_process.NodeProcess(node_process.SHARED.binary, data_dir=data_dir,
                                            extra_args=("--memtable-size", "1")).start()
            try:
                self.run_on(node)
            finally:
                node.cleanup()

    def session(self, node):
        cluster = Cluster(["127.0.0.1"], port=node.port)
        return cluster, cluster.connect()

    def run_on(self, node):
        cluster, s = self.session(node)
        s.execute("CREATE KEYSPACE ks WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.set_keyspace("ks")
        s.execute("CREATE TABLE t (k int, c int, v int, m map<int, int>, PRIMARY KEY (k, c))")
        s.execute("CREATE TABLE filler (k int PRIMARY KEY, b blob)")
        for i in range(5):
            s.execute("UPDATE t USING TIMESTAMP %s SET v = %s, m[%s] = %s "
                      "WHERE k = 0 AND c = %s", (10000 * i, i, i, i, i))
        fill = s.prepare("INSERT INTO filler (k, b) VALUES (?, ?)")
        for i in range(64):  # 4 MiB: the memtable of 1 MiB is flushed several times
            s.execute(fill, (i, os.urandom(64 << 10)))
        s.execute("ALTER TABLE t DROP (v, m) USING TIMESTAMP 20000")
        s.execute("ALTER TABLE t ADD v int")
        s.execute("ALTER TABLE t ADD m map<int, int>")
        expected = [(0, 3, {3: 3}, 3), (0, 4, {4: 4}, 4)]
        query = "SELECT k, c, m, v FROM t"
        self.assertEqual(rows(s, query), expected)
        for i in range(64, 128):
            s.execute(fill, (i, os.urandom(64 << 10)))
        self.assertEqual(rows(s, query), expected)
        cluster.shutdown()
        node.restart()
        cluster, s = self.session(node)
        s.set_keyspace("ks")
        self.assertEqual(rows(s, query), expected)
        cluster.shutdown()


if __name__ == "__main__":
    node_process.main_with_node()
