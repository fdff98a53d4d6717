"""Lightweight transactions on postfork-node through an unmodified python3-cassandra.

IF NOT EXISTS, IF EXISTS and IF conditions with Cassandra's `[applied]` result sets (read through
the driver's `was_applied`), and linearizability: 8 processes doing conditional increments.
Usage: /usr/bin/python3 python_lwt_test.py <path to postfork-node>
"""
import multiprocessing
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra import InvalidRequest  # noqa: E402
from cassandra.cluster import Cluster  # noqa: E402
from cassandra.query import BatchStatement  # noqa: E402


def increment_worker(port, attempts, out):
    """Reads v, then `UPDATE ... SET v = old + 1 IF v = old`; counts the applied updates."""
    cluster = Cluster(["127.0.0.1"], port=port)
    session = cluster.connect("lwt")
    read = session.prepare("SELECT v FROM counter_row WHERE k = 0")
    update = session.prepare("UPDATE counter_row SET v = ? WHERE k = 0 IF v = ?")
    applied = 0
    for _ in range(attempts):
        old = session.execute(read).one().v
        if session.execute(update, (old + 1, old)).was_applied:
            applied += 1
    cluster.shutdown()
    out.put(applied)


class LwtTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(["127.0.0.1"], port=node_process.SHARED.port)
        cls.session = cls.cluster.connect()
        cls.session.execute(
            "CREATE KEYSPACE IF NOT EXISTS lwt WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        cls.session.set_keyspace("lwt")
        cls.session.execute("CREATE TABLE users (id int PRIMARY KEY, name text, age int, "
                            "tags map<text, int>)")
        cls.session.execute("CREATE TABLE events (k int, ck int, v text, PRIMARY KEY (k, ck))")
        cls.session.execute("CREATE TABLE counter_row (k int PRIMARY KEY, v int)")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.shutdown()

    def test_insert_if_not_exists(self):
        s = self.session
        r = s.execute("INSERT INTO users (id, name, age) VALUES (1, 'ann', 30) IF NOT EXISTS")
        self.assertTrue(r.was_applied)
        self.assertEqual(r.column_names, ["[applied]"])
        r = s.execute("INSERT INTO users (id, name, age) VALUES (1, 'bob', 40) IF NOT EXISTS")
        self.assertFalse(r.was_applied)
        # Not applied: [applied] then every column of the existing row, as Cassandra.
        self.assertEqual(r.column_names, ["[applied]", "id", "age", "name", "tags"])
        row = r.one()
        self.assertEqual((row.id, row.name, row.age), (1, "ann", 30))
        self.assertEqual(s.execute("SELECT name FROM users WHERE id = 1").one().name, "ann")

    def test_update_and_delete_if_exists(self):
        s = self.session
        r = s.execute("UPDATE users SET age = 1 WHERE id = 99 IF EXISTS")
        self.assertFalse(r.was_applied)
        self.assertEqual(r.column_names, ["[applied]"])
        self.assertIsNone(s.execute("SELECT * FROM users WHERE id = 99").one())
        s.execute("INSERT INTO users (id, name) VALUES (2, 'cy')")
        self.assertTrue(s.execute("UPDATE users SET age = 5 WHERE id = 2 IF EXISTS").was_applied)
        self.assertTrue(s.execute("DELETE FROM users WHERE id = 2 IF EXISTS").was_applied)
        self.assertFalse(s.execute("DELETE FROM users WHERE id = 2 IF EXISTS").was_applied)

    def test_conditions_on_columns_and_elements(self):
        s = self.session
        s.execute("INSERT INTO users (id, name, age, tags) VALUES (3, 'dee', 20, {'x': 1})")
        r = s.execute("UPDATE users SET age = 21 WHERE id = 3 IF age = 19")
        self.assertFalse(r.was_applied)
        self.assertEqual(r.column_names, ["[applied]", "age"])
        self.assertEqual(r.one().age, 20)
        self.assertTrue(s.execute("UPDATE users SET age = 21 WHERE id = 3 IF age = 20 AND "
                                  "name = 'dee'").was_applied)
        self.assertTrue(s.execute("UPDATE users SET age = 22 WHERE id = 3 IF age > 20 AND "
                                  "age <= 21 AND name != 'x'").was_applied)
        self.assertTrue(s.execute("UPDATE users SET age = 23 WHERE id = 3 IF age IN (1, 22)")
                        .was_applied)
        self.assertTrue(s.execute("UPDATE users SET name = 'd' WHERE id = 3 IF tags['x'] = 1")
                        .was_applied)
        self.assertFalse(s.execute("UPDATE users SET name = 'e' WHERE id = 3 IF tags['y'] = 1")
                         .was_applied)
        # Conditions on a missing row compare with null.
        self.assertTrue(s.execute("UPDATE users SET name = 'new' WHERE id = 4 IF name = null")
                        .was_applied)
        p = s.prepare("UPDATE users SET age = ? WHERE id = ? IF age = ?")
        self.assertFalse(s.execute(p, (2, 3, 0)).was_applied)
        self.assertTrue(s.execute(p, (2, 3, 23)).was_applied)
        self.assertEqual(s.execute("SELECT age, name FROM users WHERE id = 3").one(), (2, "d"))

    def test_clustered_rows_and_deletes_with_conditions(self):
        s = self.session
        s.execute("INSERT INTO events (k, ck, v) VALUES (1, 1, 'a')")
        self.assertFalse(s.execute("DELETE FROM events WHERE k = 1 AND ck = 1 IF v = 'b'")
                         .was_applied)
        self.assertTrue(s.execute("DELETE FROM events WHERE k = 1 AND ck = 1 IF v = 'a'")
                        .was_applied)
        self.assertIsNone(s.execute("SELECT * FROM events WHERE k = 1 AND ck = 1").one())

    def test_static_columns(self):
        s = self.session
        s.execute("CREATE TABLE st (k int, c int, s int static, v int, PRIMARY KEY (k, c))")
        s.execute("INSERT INTO st (k, c, s, v) VALUES (1, 1, 10, 100)")
        # [applied] rows: key, clustering, statics, then regulars. A refused insert of a
        # clustering row reads the statics only when it writes one (Cassandra's CAS read).
        r = s.execute("INSERT INTO st (k, c, v) VALUES (1, 1, 101) IF NOT EXISTS")
        self.assertEqual(r.column_names, ["[applied]", "k", "c", "s", "v"])
        self.assertEqual(tuple(r.one()), (False, 1, 1, None, 100))
        r = s.execute("INSERT INTO st (k, c, s, v) VALUES (1, 1, 11, 101) IF NOT EXISTS")
        self.assertEqual(tuple(r.one()), (False, 1, 1, 10, 100))
        # A condition on a static column holds against the partition's static row even when the
        # clustering row is missing.
        self.assertTrue(s.execute("UPDATE st SET v = 5 WHERE k = 1 AND c = 9 IF s = 10")
                        .was_applied)
        r = s.execute("UPDATE st SET v = 6 WHERE k = 1 AND c = 9 IF s = 11")
        self.assertEqual(tuple(r.one()), (False, 10))
        # A refused conditional delete returns the values it checked.
        r = s.execute("DELETE FROM st WHERE k = 1 AND c = 9 IF v = 1")
        self.assertEqual(r.column_names, ["[applied]", "v"])
        self.assertEqual(tuple(r.one()), (False, 5))

    def test_invalid_conditional_statements(self):
        s = self.session
        with self.assertRaisesRegex(InvalidRequest, "cannot have IF conditions"):
            s.execute("UPDATE users SET age = 1 WHERE id = 1 IF id = 1")
        with self.assertRaisesRegex(InvalidRequest, "Cannot provide custom timestamp"):
            s.execute("UPDATE users USING TIMESTAMP 5 SET age = 1 WHERE id = 1 IF age = 1")
        with self.assertRaisesRegex(InvalidRequest, "IN on the partition key"):
            s.execute("UPDATE users SET age = 1 WHERE id IN (1, 2) IF age = 1")
        with self.assertRaisesRegex(InvalidRequest, "must restrict all PRIMARY KEY"):
            s.execute("DELETE FROM events WHERE k = 1 IF v = 'a'")
        batch = BatchStatement()
        batch.add("INSERT INTO users (id, name) VALUES (50, 'z') IF NOT EXISTS")
        batch.add("INSERT INTO users (id, name) VALUES (51, 'z')")
        with self.assertRaisesRegex(InvalidRequest, "cannot span multiple partitions"):
            s.execute(batch)
        self.assertIsNone(s.execute("SELECT * FROM users WHERE id = 50").one())
        batch = BatchStatement()
        batch.add("INSERT INTO users (id, name) VALUES (50, 'z') IF NOT EXISTS")
        batch.add("INSERT INTO events (k, ck, v) VALUES (50, 1, 'z')")
        with self.assertRaisesRegex(InvalidRequest, "cannot span multiple tables"):
            s.execute(batch)
        with self.assertRaisesRegex(InvalidRequest, "custom timestamp for conditional BATCH"):
            s.execute("BEGIN BATCH USING TIMESTAMP 5 "
                      "INSERT INTO users (id, name) VALUES (50, 'z') IF NOT EXISTS APPLY BATCH")

    def test_conditional_batches_apply_all_or_nothing(self):
        s = self.session
        s.execute("INSERT INTO events (k, ck, v) VALUES (7, 1, 'a')")
        s.execute("INSERT INTO events (k, ck, v) VALUES (7, 2, 'b')")
        # One condition fails: nothing is written, and the rows checked come back with the key.
        batch = BatchStatement()
        batch.add("UPDATE events SET v = 'x' WHERE k = 7 AND ck = 1 IF v = 'a'")
        batch.add("UPDATE events SET v = 'y' WHERE k = 7 AND ck = 2 IF v = 'nope'")
        batch.add("INSERT INTO events (k, ck, v) VALUES (7, 3, 'c')")
        r = s.execute(batch)
        self.assertFalse(r.was_applied)
        rows = list(r)
        self.assertEqual(r.column_names, ["[applied]", "k", "ck", "v"])
        self.assertEqual([(x.k, x.ck, x.v) for x in rows], [(7, 1, "a"), (7, 2, "b")])
        self.assertEqual([x.v for x in s.execute("SELECT v FROM events WHERE k = 7")], ["a", "b"])
        # Every condition holds: every statement applies, the unconditional one too.
        batch = BatchStatement()
        batch.add("UPDATE events SET v = %s WHERE k = 7 AND ck = 1 IF v = %s", ("x", "a"))
        batch.add("UPDATE events SET v = 'y' WHERE k = 7 AND ck = 2 IF EXISTS")
        batch.add("INSERT INTO events (k, ck, v) VALUES (7, 3, 'c') IF NOT EXISTS")
        batch.add("DELETE FROM events WHERE k = 7 AND ck = 4")
        r = s.execute(batch)
        self.assertTrue(r.was_applied)
        self.assertEqual(r.column_names, ["[applied]"])
        self.assertEqual([x.v for x in s.execute("SELECT v FROM events WHERE k = 7")],
                         ["x", "y", "c"])
        # Prepared conditional batch, checked against the state before the batch.
        ins = s.prepare("INSERT INTO events (k, ck, v) VALUES (?, ?, ?) IF NOT EXISTS")
        batch = BatchStatement()
        batch.add(ins, (8, 1, "p"))
        batch.add(ins, (8, 2, "q"))
        self.assertTrue(s.execute(batch).was_applied)
        batch = BatchStatement()
        batch.add(ins, (8, 2, "again"))
        batch.add(ins, (8, 3, "r"))
        r = s.execute(batch)
        self.assertFalse(r.was_applied)
        self.assertEqual([(x.ck, x.v) for x in r], [(2, "q")])
        self.assertEqual([x.ck for x in s.execute("SELECT ck FROM events WHERE k = 8")], [1, 2])

    def test_eight_clients_conditional_increments_are_linearizable(self):
        self.session.execute("INSERT INTO counter_row (k, v) VALUES (0, 0)")
        out = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=increment_worker, args=(node_process.SHARED.port, 60, out))
                 for _ in range(8)]
        for p in procs:
            p.start()
        applied = sum(out.get(timeout=120) for _ in procs)
        for p in procs:
            p.join(timeout=30)
        final = self.session.execute("SELECT v FROM counter_row WHERE k = 0").one().v
        self.assertGreater(applied, 0)
        self.assertEqual(final, applied)

    def test_conditional_writes_take_the_nodes_time_not_the_clients(self):
        # Cassandra's Paxos commits write at the ballot's time: a client whose clock runs an hour
        # ahead cannot make a later conditional write of another client lose to its own.
        import time
        ahead = int((time.time() + 3600) * 1e6)
        fast = Cluster(["127.0.0.1"], port=node_process.SHARED.port,
                       timestamp_generator=lambda: ahead)
        try:
            s = fast.connect("lwt")
            self.assertTrue(s.execute("INSERT INTO counter_row (k, v) VALUES (7, 1) IF NOT EXISTS")
                            .was_applied)
            written = s.execute("SELECT writetime(v) AS w FROM counter_row WHERE k = 7").one().w
            self.assertLess(abs(written - time.time() * 1e6), 60e6)
            batch = BatchStatement()
            batch.add("UPDATE counter_row SET v = 2 WHERE k = 7 IF v = 1")
            self.assertTrue(s.execute(batch).was_applied)
        finally:
            fast.shutdown()
        self.assertTrue(self.session.execute("UPDATE counter_row SET v = 3 WHERE k = 7 IF v = 2")
                        .was_applied)
        self.assertEqual(self.session.execute("SELECT v FROM counter_row WHERE k = 7").one().v, 3)


if __name__ == "__main__":
    node_process.main_with_node()
