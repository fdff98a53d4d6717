"""Counters on postfork-node through an unmodified python3-cassandra (Debian's).

Counter tables, increments and decrements, counter batches, concurrent increments from several
processes, and Cassandra's restrictions with its error messages.
Usage: /usr/bin/python3 python_counters_test.py <path to postfork-node>
"""
import multiprocessing
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra import InvalidRequest  # noqa: E402
from cassandra.cluster import Cluster  # noqa: E402
from cassandra.query import BatchStatement, BatchType  # noqa: E402


def increment_worker(port, n):
    cluster = Cluster(["127.0.0.1"], port=port)
    session = cluster.connect("cnt")
    inc = session.prepare("UPDATE hits SET c = c + ? WHERE page = 'hot'")
    for _ in range(n):
        session.execute(inc, (1,))
    cluster.shutdown()


class CountersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(["127.0.0.1"], port=node_process.SHARED.port)
        cls.session = cls.cluster.connect()
        cls.session.execute(
            "CREATE KEYSPACE IF NOT EXISTS cnt WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        cls.session.set_keyspace("cnt")
        cls.session.execute("CREATE TABLE hits (page text PRIMARY KEY, c counter, d counter)")
        cls.session.execute("CREATE TABLE plain (k int PRIMARY KEY, v int)")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.shutdown()

    def value(self, page):
        row = self.session.execute("SELECT c, d FROM hits WHERE page = %s", (page,)).one()
        return None if row is None else (row.c, row.d)

    def test_increment_decrement_and_delete(self):
        s = self.session
        s.execute("UPDATE hits SET c = c + 5 WHERE page = 'a'")
        s.execute("UPDATE hits SET c = c - 2, d = d + 1 WHERE page = 'a'")
        s.execute(s.prepare("UPDATE hits SET c = c + ? WHERE page = ?"), (10, "a"))
        self.assertEqual(self.value("a"), (13, 1))
        s.execute("DELETE c FROM hits WHERE page = 'a'")
        self.assertEqual(self.value("a"), (None, 1))
        s.execute("UPDATE hits SET c = c + 1 WHERE page = 'a'")
        self.assertEqual(self.value("a"), (1, 1))

    def test_counter_batch_adds_every_increment(self):
        batch = BatchStatement(batch_type=BatchType.COUNTER)
        for _ in range(3):
            batch.add("UPDATE hits SET c = c + 2 WHERE page = 'b'")
        batch.add("UPDATE hits SET d = d - 1 WHERE page = 'b'")
        self.session.execute(batch)
        self.assertEqual(self.value("b"), (6, -1))
        self.session.execute("BEGIN COUNTER BATCH UPDATE hits SET c = c + 1 WHERE page = 'b'; "
                             "UPDATE hits SET c = c + 1 WHERE page = 'b'; APPLY BATCH")
        self.assertEqual(self.value("b"), (8, -1))

    def test_concurrent_increments_are_not_lost(self):
        procs = [multiprocessing.Process(target=increment_worker, args=(node_process.SHARED.port, 100))
                 for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
            self.assertEqual(p.exitcode, 0)
        self.assertEqual(self.value("hot")[0], 400)

    def test_cassandras_restrictions(self):
        s = self.session
        with self.assertRaisesRegex(InvalidRequest, "Cannot set the value of counter column c"):
            s.execute("UPDATE hits SET c = 5 WHERE page = 'x'")
        with self.assertRaisesRegex(InvalidRequest, "INSERT statements are not allowed on counter"):
            s.execute("INSERT INTO hits (page, c) VALUES ('x', 1)")
        with self.assertRaisesRegex(InvalidRequest, "Cannot provide custom TTL"):
            s.execute("UPDATE hits USING TTL 10 SET c = c + 1 WHERE page = 'x'")
        with self.assertRaisesRegex(InvalidRequest, "Cannot provide custom timestamp"):
            s.execute("UPDATE hits USING TIMESTAMP 10 SET c = c + 1 WHERE page = 'x'")
        with self.assertRaisesRegex(InvalidRequest, "Cannot mix counter and non counter"):
            s.execute("CREATE TABLE mixed (k int PRIMARY KEY, c counter, v int)")
        with self.assertRaisesRegex(InvalidRequest, "for non counter column v"):
            s.execute("UPDATE plain SET v = v + 1 WHERE k = 1")
        logged = BatchStatement()
        logged.add("UPDATE hits SET c = c + 1 WHERE page = 'x'")
        with self.assertRaisesRegex(InvalidRequest, "counter statement in a logged batch"):
            s.execute(logged)
        counter = BatchStatement(batch_type=BatchType.COUNTER)
        counter.add("INSERT INTO plain (k, v) VALUES (1, 1)")
        with self.assertRaisesRegex(InvalidRequest, "non-counter statement in a counter batch"):
            s.execute(counter)
        self.assertIsNone(self.value("x"))

    def test_driver_metadata_and_types(self):
        table = self.cluster.metadata.keyspaces["cnt"].tables["hits"]
        self.assertEqual(table.columns["c"].cql_type, "counter")


if __name__ == "__main__":
    node_process.main_with_node()
