"""Native protocol v5 through Debian's python3-cassandra: negotiated by default, forced v5 and
forced v4, LZ4 segment compression; prepared statements, paging, batches and results larger than
one segment on each.

Usage: /usr/bin/python3 python_v5_test.py <path to postfork-node>
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra import ProtocolVersion  # noqa: E402
from cassandra.cluster import Cluster  # noqa: E402
from cassandra.query import BatchStatement, BatchType, SimpleStatement  # noqa: E402


def setUpModule():
    cluster = Cluster(["127.0.0.1"], port=node_process.SHARED.port)
    session = cluster.connect()
    session.execute("CREATE KEYSPACE IF NOT EXISTS v5ks WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE IF NOT EXISTS v5ks.rows (p int, c int, v text, "
                    "PRIMARY KEY (p, c))")
    cluster.shutdown()


class ProtocolVersionsTest(unittest.TestCase):
    def connect(self, **kwargs):
        cluster = Cluster(["127.0.0.1"], port=node_process.SHARED.port, **kwargs)
        self.addCleanup(cluster.shutdown)
        return cluster, cluster.connect("v5ks")

    def exercise(self, session, partition):
        """Prepared inserts in a batch, paged reads, a result above 128 KiB (several segments)."""
        insert = session.prepare("INSERT INTO rows (p, c, v) VALUES (?, ?, ?)")
        batch = BatchStatement(batch_type=BatchType.UNLOGGED)
        for c in range(100):
            batch.add(insert, (partition, c, "v%d" % c))
        session.execute(batch)
        select = session.prepare("SELECT c, v FROM rows WHERE p = ?")
        select.fetch_size = 7
        rows = list(session.execute(select, (partition,)))
        self.assertEqual([r.c for r in rows], list(range(100)))
        self.assertEqual(rows[42].v, "v42")
        big = "x" * 300000
        session.execute(insert, (partition, 1000, big))
        got = session.execute(SimpleStatement("SELECT v FROM rows WHERE p = %s AND c = 1000"),
                              (partition,)).one()
        self.assertEqual(got.v, big)

    def test_default_negotiates_v5(self):
        cluster, session = self.connect()
        self.assertEqual(cluster.protocol_version, ProtocolVersion.V5)
        self.exercise(session, 1)

    def test_explicit_v5(self):
        cluster, session = self.connect(protocol_version=5)
        self.assertEqual(cluster.protocol_version, 5)
        self.exercise(session, 2)

    def test_explicit_v4(self):
        cluster, session = self.connect(protocol_version=4)
        self.assertEqual(cluster.protocol_version, 4)
        self.exercise(session, 3)

    def test_v5_with_lz4_segments(self):
        cluster, session = self.connect(protocol_version=5, compression="lz4")
        self.assertEqual(cluster.protocol_version, 5)
        pool = list(session.get_pools())[0]
        conn = pool.borrow_connection(timeout=5)[0]
        try:
            self.assertEqual(conn._compression_type, "lz4")
            self.assertTrue(conn._is_checksumming_enabled)
        finally:
            pool.return_connection(conn)
        self.exercise(session, 4)

    def test_metadata_changed_after_alter_reaches_the_prepared_statement(self):
        cluster, session = self.connect(protocol_version=5)
        session.execute("CREATE TABLE IF NOT EXISTS evolving (k int PRIMARY KEY, a int)")
        session.execute("INSERT INTO evolving (k, a) VALUES (1, 10)")
        select = session.prepare("SELECT * FROM evolving WHERE k = ?")
        self.assertEqual(list(session.execute(select, (1,)).one()._fields), ["k", "a"])
        session.execute("ALTER TABLE evolving ADD b text")
        session.execute("UPDATE evolving SET b = 'new' WHERE k = 1")
        row = session.execute(select, (1,)).one()
        self.assertEqual(list(row._fields), ["k", "a", "b"])
        self.assertEqual(row.b, "new")


if __name__ == "__main__":
    node_process.main_with_node()
