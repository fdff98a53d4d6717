"""postfork-node through an unmodified python3-cassandra (Debian's), default Cluster settings.

Usage: /usr/bin/python3 python_driver_test.py <path to postfork-node>
"""
import datetime
import hashlib
import decimal
import ipaddress
import logging
import os
import signal
import sys
import threading
import time
import unittest
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from node_process import NodeProcess  # noqa: E402

from cassandra import AlreadyExists, InvalidRequest, ProtocolVersion  # noqa: E402
from cassandra.cluster import Cluster  # noqa: E402
from cassandra.concurrent import execute_concurrent_with_args  # noqa: E402
from cassandra.protocol import SyntaxException  # noqa: E402
from cassandra.query import BatchStatement, SimpleStatement, UNSET_VALUE  # noqa: E402
from cassandra.util import Date, Duration, Time  # noqa: E402

BINARY = None
NODE = None
logging.basicConfig(level=logging.ERROR)


def setUpModule():
    global NODE
    NODE = NodeProcess(BINARY, extra_args=["--metrics", "127.0.0.1:0"]).start()


def tearDownModule():
    NODE.cleanup()


def connect(keyspace=None, node=None):
    # Default settings: the driver negotiates the protocol version and fetches full metadata.
    cluster = Cluster(["127.0.0.1"], port=(node or NODE).port)
    return cluster, cluster.connect(keyspace)


class PythonDriverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster, cls.session = connect()
        cls.session.execute(
            "CREATE KEYSPACE IF NOT EXISTS pyks WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        cls.session.set_keyspace("pyks")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.shutdown()

    def test_negotiates_v5_and_reads_system_tables(self):
        # The driver offers DSE_V2, DSE_V1, then V5: the node refuses the first two with
        # Cassandra's text and accepts v5 (segments from READY on).
        self.assertEqual(self.cluster.protocol_version, ProtocolVersion.V5)
        local = self.session.execute("SELECT release_version, partitioner FROM system.local").one()
        self.assertTrue(local.release_version.startswith("4.1"))
        self.assertEqual(local.partitioner, "org.apache.cassandra.dht.Murmur3Partitioner")

    def test_metadata_shows_keyspaces_tables_columns_and_keys(self):
        self.session.execute(
            "CREATE TABLE meta_t (a int, b text, c timeuuid, d double, s int static, "
            "PRIMARY KEY ((a, b), c)) WITH CLUSTERING ORDER BY (c DESC) AND comment = 'hello'")
        self.cluster.refresh_schema_metadata()
        ks = self.cluster.metadata.keyspaces["pyks"]
        self.assertEqual(ks.replication_strategy.replication_factor, 1)
        t = ks.tables["meta_t"]
        self.assertEqual([c.name for c in t.partition_key], ["a", "b"])
        self.assertEqual([c.name for c in t.clustering_key], ["c"])
        self.assertEqual(t.columns["d"].cql_type, "double")
        self.assertTrue(t.columns["s"].is_static)
        self.assertTrue(t.clustering_key[0].is_reversed)
        self.assertEqual(t.options["comment"], "hello")
        self.assertIn("system", self.cluster.metadata.keyspaces)

    def test_crud(self):
        s = self.session
        s.execute("CREATE TABLE crud (k int PRIMARY KEY, v text, n int)")
        s.execute("INSERT INTO crud (k, v, n) VALUES (1, 'one', 10)")
        s.execute("INSERT INTO crud (k, v) VALUES (2, 'two')")
        self.assertEqual(s.execute("SELECT v, n FROM crud WHERE k = 1").one(), ("one", 10))
        s.execute("UPDATE crud SET v = 'uno' WHERE k = 1")
        self.assertEqual(s.execute("SELECT v FROM crud WHERE k = 1").one().v, "uno")
        s.execute("DELETE n FROM crud WHERE k = 1")
        self.assertIsNone(s.execute("SELECT n FROM crud WHERE k = 1").one().n)
        s.execute("DELETE FROM crud WHERE k = 2")
        self.assertIsNone(s.execute("SELECT * FROM crud WHERE k = 2").one())
        self.assertEqual(s.execute("SELECT COUNT(*) FROM crud").one().count, 1)
        # UPDATE does not create a row marker: deleting its only cell removes the row.
        s.execute("UPDATE crud SET v = 'x' WHERE k = 3")
        s.execute("DELETE v FROM crud WHERE k = 3")
        self.assertIsNone(s.execute("SELECT * FROM crud WHERE k = 3").one())

    def test_timestamps_decide_conflicts(self):
        s = self.session
        s.execute("CREATE TABLE ts (k int PRIMARY KEY, v int)")
        s.execute("INSERT INTO ts (k, v) VALUES (1, 1) USING TIMESTAMP 100")
        s.execute("INSERT INTO ts (k, v) VALUES (1, 2) USING TIMESTAMP 50")
        self.assertEqual(s.execute("SELECT v FROM ts WHERE k = 1").one().v, 1)
        s.execute("DELETE FROM ts USING TIMESTAMP 90 WHERE k = 1")
        self.assertEqual(s.execute("SELECT v FROM ts WHERE k = 1").one().v, 1)
        s.execute("DELETE FROM ts USING TIMESTAMP 200 WHERE k = 1")
        self.assertIsNone(s.execute("SELECT v FROM ts WHERE k = 1").one())
        s.execute("INSERT INTO ts (k, v) VALUES (1, 3) USING TIMESTAMP 150")
        self.assertIsNone(s.execute("SELECT v FROM ts WHERE k = 1").one())
        self.assertEqual(s.execute("SELECT writetime(v) FROM ts WHERE k = 1").one(), None)

    def test_every_native_type_round_trips(self):
        s = self.session
        s.execute(
            "CREATE TABLE types (k int PRIMARY KEY, a ascii, b bigint, bl blob, bo boolean, "
            "dt date, de decimal, do double, du duration, f float, i inet, ii int, si smallint, "
            "t text, tm time, ts timestamp, tu timeuuid, ti tinyint, u uuid, vc varchar, vi varint)")
        values = {
            "a": "ascii", "b": -(2 ** 62), "bl": b"\x00\x01\xff", "bo": True,
            "dt": Date(datetime.date(2024, 2, 29)), "de": decimal.Decimal("-12.345"),
            "do": 3.5, "du": Duration(1, 2, 3000000000), "f": 1.5,
            "i": "::1", "ii": -7, "si": 300, "t": "héllo ✓",
            "tm": Time(13 * 3600 * 10 ** 9 + 123), "ts": datetime.datetime(2024, 2, 29, 13, 30, 54, 234000),
            "tu": uuid.uuid1(), "ti": -5, "u": uuid.uuid4(), "vc": "varchar", "vi": 2 ** 80,
        }
        cols = sorted(values)
        insert = s.prepare("INSERT INTO types (k, %s) VALUES (?, %s)" % (
            ", ".join(cols), ", ".join("?" for _ in cols)))
        s.execute(insert, [1] + [values[c] for c in cols])
        row = s.execute("SELECT * FROM types WHERE k = 1").one()._asdict()
        for c in cols:
            got = row[c]
            want = values[c]
            if c == "i":
                got, want = ipaddress.ip_address(got), ipaddress.ip_address(want)
            self.assertEqual(got, want, c)
        # Literals too.
        s.execute(
            "INSERT INTO types (k, a, b, bl, bo, dt, de, do, f, i, ii, si, t, tm, ts, ti, u, vi) "
            "VALUES (2, 'x', 5, 0xcafe, false, '2020-01-02', 1.25, -0.5, 2.5, '10.0.0.1', 3, 4, "
            "'y', '01:02:03.5', '2020-01-02 03:04:05+0000', 6, "
            "123e4567-e89b-12d3-a456-426614174000, -99999999999999999999)")
        row = s.execute("SELECT * FROM types WHERE k = 2").one()
        self.assertEqual(row.bl, b"\xca\xfe")
        self.assertEqual(row.dt, Date(datetime.date(2020, 1, 2)))
        self.assertEqual(row.de, decimal.Decimal("1.25"))
        self.assertEqual(row.ts, datetime.datetime(2020, 1, 2, 3, 4, 5))
        self.assertEqual(row.vi, -99999999999999999999)
        self.assertEqual(row.i, "10.0.0.1")

    def test_prepared_with_null_and_unset(self):
        s = self.session
        s.execute("CREATE TABLE nulls (k int PRIMARY KEY, a text, b text)")
        p = s.prepare("INSERT INTO nulls (k, a, b) VALUES (?, ?, ?)")
        s.execute(p, (1, "a", "b"))
        s.execute(p, (1, UNSET_VALUE, None))  # unset keeps a, null deletes b
        self.assertEqual(s.execute("SELECT a, b FROM nulls WHERE k = 1").one(), ("a", None))
        sel = s.prepare("SELECT a FROM nulls WHERE k = ?")
        # Cassandra's id: MD5 of the session keyspace followed by the query text.
        self.assertEqual(sel.query_id,
                         hashlib.md5(b"pyksSELECT a FROM nulls WHERE k = ?").digest())
        self.assertEqual(sel.routing_key_indexes, [0])
        self.assertEqual([c.name for c in sel.column_metadata], ["k"])
        self.assertEqual(s.execute(sel, [1]).one().a, "a")
        self.assertEqual(list(s.execute(sel, [42])), [])
        with self.assertRaises(InvalidRequest):
            s.execute(p, (None, "a", "b"))

    def test_paging_through_20000_rows_with_default_page_size(self):
        s = self.session
        s.execute("CREATE TABLE paged (p int, c int, v text, PRIMARY KEY (p, c))")
        ins = s.prepare("INSERT INTO paged (p, c, v) VALUES (?, ?, ?)")
        rows = [(i % 7, i, "v%d" % i) for i in range(20000)]
        for ok, result in execute_concurrent_with_args(s, ins, rows, concurrency=64):
            self.assertTrue(ok, result)
        result = s.execute("SELECT p, c FROM paged")
        self.assertTrue(result.has_more_pages)  # default fetch size 5000
        seen = [(r.p, r.c) for r in result]
        self.assertEqual(len(seen), 20000)
        self.assertEqual(len(set(seen)), 20000)
        # One partition, paged, in clustering order; with LIMIT across pages.
        st = SimpleStatement("SELECT c FROM paged WHERE p = 3", fetch_size=100)
        cs = [r.c for r in s.execute(st)]
        self.assertEqual(cs, sorted(c for (p, c, _) in rows if p == 3))
        st = SimpleStatement("SELECT c FROM paged WHERE p = 3 LIMIT 250", fetch_size=100)
        self.assertEqual(len(list(s.execute(st))), 250)
        self.assertEqual(s.execute("SELECT COUNT(*) FROM paged").one().count, 20000)
        # Token ranges, as drivers and Spark split scans.
        lo = s.execute("SELECT COUNT(*) FROM paged WHERE token(p) <= 0").one().count
        hi = s.execute("SELECT COUNT(*) FROM paged WHERE token(p) > 0").one().count
        self.assertEqual(lo + hi, 20000)

    def test_batches_apply_atomically(self):
        s = self.session
        s.execute("CREATE TABLE b (k int, c int, v int, PRIMARY KEY (k, c))")
        ins = s.prepare("INSERT INTO b (k, c, v) VALUES (?, ?, ?)")
        batch = BatchStatement()
        for c in range(10):
            batch.add(ins, (1, c, c))
        batch.add(SimpleStatement("UPDATE b SET v = 100 WHERE k = 2 AND c = 0"))
        s.execute(batch)
        self.assertEqual(s.execute("SELECT COUNT(*) FROM b WHERE k = 1").one().count, 10)
        self.assertEqual(s.execute("SELECT v FROM b WHERE k = 2 AND c = 0").one().v, 100)
        s.execute("BEGIN BATCH INSERT INTO b (k, c, v) VALUES (3, 1, 1); "
                  "DELETE FROM b WHERE k = 1 AND c = 0; APPLY BATCH")
        self.assertEqual(s.execute("SELECT COUNT(*) FROM b WHERE k = 1").one().count, 9)
        # A failing statement leaves nothing applied.
        bad = BatchStatement()
        bad.add(ins, (4, 1, 1))
        bad.add(SimpleStatement("INSERT INTO b (k, c, v) VALUES (4, 2, 'text')"))
        with self.assertRaises(InvalidRequest):
            s.execute(bad)
        self.assertIsNone(s.execute("SELECT * FROM b WHERE k = 4").one())

    def test_clustering_order_and_slices(self):
        s = self.session
        s.execute("CREATE TABLE co (k int, c1 int, c2 text, v int, PRIMARY KEY (k, c1, c2)) "
                  "WITH CLUSTERING ORDER BY (c1 DESC, c2 ASC)")
        ins = s.prepare("INSERT INTO co (k, c1, c2, v) VALUES (?, ?, ?, ?)")
        for c1 in range(5):
            for c2 in "abc":
                s.execute(ins, (1, c1, c2, c1))
        got = [(r.c1, r.c2) for r in s.execute("SELECT c1, c2 FROM co WHERE k = 1 AND c1 >= 3")]
        self.assertEqual(got, [(4, "a"), (4, "b"), (4, "c"), (3, "a"), (3, "b"), (3, "c")])
        got = [(r.c1, r.c2) for r in s.execute(
            "SELECT c1, c2 FROM co WHERE k = 1 AND c1 > 1 AND c1 < 4 ORDER BY c1 ASC")]
        self.assertEqual(got, [(2, "c"), (2, "b"), (2, "a"), (3, "c"), (3, "b"), (3, "a")])
        got = [r.c2 for r in s.execute("SELECT c2 FROM co WHERE k = 1 AND c1 = 2 AND c2 > 'a'")]
        self.assertEqual(got, ["b", "c"])
        s.execute("CREATE TABLE co2 (k int, c1 int, c2 text, PRIMARY KEY (k, c1, c2))")
        for c1 in range(3):
            for c2 in "abc":
                s.execute("INSERT INTO co2 (k, c1, c2) VALUES (1, %s, %s)", (c1, c2))
        got = [(r.c1, r.c2) for r in s.execute(
            "SELECT c1, c2 FROM co2 WHERE k = 1 AND (c1, c2) >= (1, 'b') AND (c1, c2) < (2, 'b')")]
        self.assertEqual(got, [(1, "b"), (1, "c"), (2, "a")])
        got = [r.c1 for r in s.execute("SELECT c1 FROM co WHERE k = 1 AND c1 IN (0, 4) AND c2 = 'a'")]
        self.assertEqual(got, [4, 0])
        # Multi-column slices over columns of mixed order (c1 DESC, c2 ASC).
        got = [(r.c1, r.c2) for r in s.execute(
            "SELECT c1, c2 FROM co WHERE k = 1 AND (c1, c2) >= (3, 'b')")]
        self.assertEqual(got, [(4, "a"), (4, "b"), (4, "c"), (3, "b"), (3, "c")])
        got = [(r.c1, r.c2) for r in s.execute(
            "SELECT c1, c2 FROM co WHERE k = 1 AND (c1, c2) < (1, 'b')")]
        self.assertEqual(got, [(1, "a"), (0, "a"), (0, "b"), (0, "c")])
        s.execute("DELETE FROM co WHERE k = 1 AND c1 > 2")
        self.assertEqual(s.execute("SELECT COUNT(*) FROM co WHERE k = 1").one().count, 9)
        self.assertEqual(len(list(s.execute("SELECT * FROM co WHERE k = 1 LIMIT 4"))), 4)
        self.assertEqual(len(list(s.execute("SELECT * FROM co PER PARTITION LIMIT 1"))), 1)
        rows = list(s.execute("SELECT * FROM co WHERE v = 1 ALLOW FILTERING"))
        self.assertEqual(len(rows), 3)

    def test_errors_are_the_drivers_exception_types(self):
        s = self.session
        with self.assertRaises(AlreadyExists) as cm:
            s.execute("CREATE KEYSPACE pyks WITH replication = "
                      "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        self.assertEqual(cm.exception.keyspace, "pyks")
        s.execute("CREATE TABLE dup (k int PRIMARY KEY)")
        with self.assertRaises(AlreadyExists) as cm:
            s.execute("CREATE TABLE dup (k int PRIMARY KEY)")
        self.assertEqual(cm.exception.table, "dup")
        with self.assertRaisesRegex(InvalidRequest, "table nope does not exist"):
            s.execute("SELECT * FROM nope")
        with self.assertRaisesRegex(InvalidRequest, "Undefined column name zz"):
            s.execute("SELECT zz FROM dup")
        with self.assertRaisesRegex(InvalidRequest, "keyspace nokeyspace does not exist"):
            s.execute("SELECT * FROM nokeyspace.t")
        with self.assertRaisesRegex(InvalidRequest, "Invalid STRING constant"):
            s.execute("INSERT INTO dup (k) VALUES ('x')")
        s.execute("CREATE TABLE ck (k1 int, k2 int, c int, v int, PRIMARY KEY ((k1, k2), c))")
        with self.assertRaisesRegex(InvalidRequest, "Some partition key parts are missing: k2"):
            s.execute("UPDATE ck SET v = 1 WHERE k1 = 1 AND c = 1")
        with self.assertRaisesRegex(InvalidRequest, "Some clustering keys are missing: c"):
            s.execute("INSERT INTO ck (k1, k2, v) VALUES (1, 2, 3)")
        with self.assertRaisesRegex(InvalidRequest, "Non PRIMARY KEY columns found in where clause: v"):
            s.execute("UPDATE ck SET v = 1 WHERE k1 = 1 AND k2 = 1 AND c = 1 AND v = 2")
        with self.assertRaisesRegex(SyntaxException, "line 1:"):
            s.execute("SELEC * FROM dup")
        with self.assertRaisesRegex(InvalidRequest, "ALLOW FILTERING"):
            s.execute("CREATE TABLE filt (k int PRIMARY KEY, v int)")
            s.execute("SELECT * FROM filt WHERE v = 1")
        # The session still works after errors.
        self.assertEqual(list(s.execute("SELECT * FROM dup")), [])

    def test_schema_changes_reach_prepared_select_star(self):
        s = self.session
        s.execute("CREATE TABLE evolve (k int PRIMARY KEY, a int)")
        sel = s.prepare("SELECT * FROM evolve WHERE k = ?")
        s.execute("INSERT INTO evolve (k, a) VALUES (1, 1)")
        self.assertEqual(s.execute(sel, [1]).one()._fields, ("k", "a"))
        s.execute("ALTER TABLE evolve ADD b text")
        s.execute("INSERT INTO evolve (k, a, b) VALUES (1, 1, 'bee')")
        row = s.execute(sel, [1]).one()
        self.assertEqual(row.b, "bee")

    def test_metrics_count_statements_by_table(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % NODE.metrics_port) as r:
            text = r.read().decode()
        self.assertIn('postfork_node_table_statements_total{keyspace="system",table="local"}', text)
        self.assertIn('postfork_node_requests_total{opcode="QUERY"}', text)
        self.assertIn("postfork_node_request_latency_seconds_count", text)


def create_table_t(session, keyspace):
    """Creates `keyspace` (RF 1) and its table t (k int PRIMARY KEY, v text); returns its
    prepared INSERT of (k, v)."""
    session.execute("CREATE KEYSPACE %s WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}" % keyspace)
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v text)" % keyspace)
    return session.prepare("INSERT INTO %s.t (k, v) VALUES (?, ?)" % keyspace)


class DurabilityTest(unittest.TestCase):
    def test_acknowledged_writes_survive_restart_and_kill_9(self):
        with NodeProcess(BINARY) as node:
            cluster, s = connect(node=node)
            ins = create_table_t(s, "dur")
            for i in range(200):
                s.execute(ins, (i, "a%d" % i))
            cluster.shutdown()
            self.assertEqual(node.restart(signal.SIGTERM), 0)
            cluster, s = connect("dur", node=node)
            self.assertEqual(s.execute("SELECT COUNT(*) FROM t").one().count, 200)
            ins = s.prepare("INSERT INTO t (k, v) VALUES (?, ?)")
            for i in range(200, 400):
                s.execute(ins, (i, "b%d" % i))
            s.execute("DELETE FROM t WHERE k = 0")
            cluster.shutdown()
            node.restart(signal.SIGKILL)
            cluster, s = connect("dur", node=node)
            self.assertEqual(s.execute("SELECT COUNT(*) FROM t").one().count, 399)
            self.assertEqual(s.execute("SELECT v FROM t WHERE k = 399").one().v, "b399")
            self.assertIn("t", cluster.metadata.keyspaces["dur"].tables)
            cluster.shutdown()

    def test_writes_acknowledged_in_one_read_survive_kill_9(self):
        # Prepared single-row writes run on the network thread, and the WAL records of one read's
        # requests reach the OS together, before their answers: with 64 in flight many share a
        # read, and every acknowledged one must survive a killed process.
        with NodeProcess(BINARY) as node:
            cluster, s = connect(node=node)
            ins = create_table_t(s, "durc")
            upd = s.prepare("UPDATE durc.t SET v = ? WHERE k = ?")
            results = execute_concurrent_with_args(
                s, ins, [(i, "a%d" % i) for i in range(3000)], concurrency=64)
            self.assertTrue(all(ok for ok, _ in results))
            results = execute_concurrent_with_args(
                s, upd, [("u%d" % i, i) for i in range(0, 3000, 2)], concurrency=64)
            self.assertTrue(all(ok for ok, _ in results))
            cluster.shutdown()
            node.restart(signal.SIGKILL)
            cluster, s = connect("durc", node=node)
            rows = {r.k: r.v for r in s.execute("SELECT k, v FROM t")}
            self.assertEqual(len(rows), 3000)
            for i in range(3000):
                self.assertEqual(rows[i], ("u%d" if i % 2 == 0 else "a%d") % i)
            cluster.shutdown()


class WriteStallTest(unittest.TestCase):
    def test_reads_answer_while_writes_stall(self):
        # --provoke-write-stalls: a 64 KiB memtable flushed at 32 KiB/s, so RocksDB slows or stops
        # writes for seconds after each flush. A prepared single-row write runs on the network
        # thread and must not wait out a stall there (it goes to the request threads instead), so
        # reads on another connection keep being answered meanwhile (they would wait seconds
        # behind a stalled write otherwise); and every acknowledged write is there afterwards.
        with NodeProcess(BINARY, extra_args=["--provoke-write-stalls"]) as node:
            writer, ws = connect(node=node)
            ws.execute("CREATE KEYSPACE stall WITH replication = "
                       "{'class': 'SimpleStrategy', 'replication_factor': 1}")
            ws.execute("CREATE TABLE stall.t (k int PRIMARY KEY, v text)")
            ws.execute("INSERT INTO stall.t (k, v) VALUES (-1, 'probe')")
            reader, rs = connect(node=node)
            read = rs.prepare("SELECT v FROM stall.t WHERE k = -1")
            ins = ws.prepare("INSERT INTO stall.t (k, v) VALUES (?, ?)")
            value = "x" * 512
            n = 600  # 330 KB: about five memtables
            latencies = []
            done = threading.Event()

            def read_meanwhile():
                while not done.is_set():
                    asked = time.monotonic()
                    rs.execute(read).one()
                    latencies.append(time.monotonic() - asked)

            reads = threading.Thread(target=read_meanwhile)
            reads.start()
            started = time.monotonic()
            try:
                results = execute_concurrent_with_args(
                    ws, ins, [(i, value) for i in range(n)], concurrency=64)
            finally:
                done.set()
                reads.join()
            writing = time.monotonic() - started
            self.assertTrue(all(ok for ok, _ in results))
            # Unstalled, these writes take a tenth of a second.
            self.assertGreater(writing, 1.0)
            # RocksDB's log says that it slowed or stopped writes.
            logs = [os.path.join(d, f) for d, _, files in os.walk(node.data_dir)
                    for f in files if f.startswith("LOG")]
            stalled = False
            for path in logs:
                with open(path, errors="replace") as f:
                    text = f.read()
                    stalled = stalled or "Stalling writes" in text or "Stopping writes" in text
            self.assertTrue(stalled, logs)
            # No read waited out a stall (the margin is for a loaded machine).
            self.assertGreater(len(latencies), 10)
            self.assertLess(max(latencies), 0.5, sorted(latencies)[-5:])
            rows = {r.k: r.v for r in rs.execute("SELECT k, v FROM stall.t")}
            self.assertEqual(len(rows), n + 1)
            self.assertTrue(all(rows[i] == value for i in range(n)))
            writer.shutdown()
            reader.shutdown()


if __name__ == "__main__":
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
