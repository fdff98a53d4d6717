"""The row cache through an unmodified python3-cassandra (Debian's): every write path
interleaved with reads of the partitions it changes, on a node with the cache (the shared node)
and on a node without it (--row-cache-size 0), comparing every read; then concurrent writers and
readers on several connections, each read checked against what its writer knows is acknowledged.
Usage: /usr/bin/python3 python_row_cache_test.py <path to postfork-node>
"""
import multiprocessing
import os
import random
import re
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra.cluster import Cluster  # noqa: E402
from cassandra.query import BatchStatement, BatchType, SimpleStatement  # noqa: E402

KS = "rc"
TTL = 6  # seconds: the TTL steps' cells, read live, then expired


def metric(node, event):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % node.metrics_port) as r:
        text = r.read().decode()
    m = re.search(r'postfork_node_row_cache_total\{event="%s"\} (\d+)' % event, text)
    return int(m.group(1)) if m else None


class RowCacheAgainstNoCacheTest(unittest.TestCase):
    """Each statement runs on both nodes; each read must answer the same on both."""

    @classmethod
    def setUpClass(cls):
        cls.ref_node = node_process.NodeProcess(node_process.SHARED.binary,
                                                extra_args=["--row-cache-size", "0", "--metrics",
                                                            "127.0.0.1:0"]).start()
        cls.clusters = [Cluster(["127.0.0.1"], port=node_process.SHARED.port),
                        Cluster(["127.0.0.1"], port=cls.ref_node.port)]
        cls.sessions = [c.connect() for c in cls.clusters]
        cls.both("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
                "{'class': 'SimpleStrategy', 'replication_factor': 1}" % KS)
        for s in cls.sessions:
            s.set_keyspace(KS)

    @classmethod
    def tearDownClass(cls):
        for c in cls.clusters:
            c.shutdown()
        cls.ref_node.cleanup()

    @classmethod
    def both(cls, query, params=None):
        results = []
        for s in cls.sessions:
            try:
                results.append(("ok", list(s.execute(query, params))))
            except Exception as e:  # the error must be the same on both
                results.append(("error", type(e).__name__))
        return results

    def write(self, query, params=None):
        a, b = self.both(query, params)
        self.assertEqual(a[0] == "ok", b[0] == "ok", (query, a, b))
        return a[1]

    def check(self, query, params=None, fetch_size=None):
        """Runs a read on both nodes (twice on the cached one: once filling, once from the
        cache) and compares the rows, following every page."""
        answers = []
        for i, s in enumerate(self.sessions + self.sessions[:1]):
            st = SimpleStatement(query, fetch_size=fetch_size)
            answers.append([tuple(r) for r in s.execute(st, params)])
        self.assertEqual(answers[0], answers[1], query)
        self.assertEqual(answers[2], answers[1], query)
        return answers[0]

    def reads(self, table, keys, static=False):
        """The reads every write is followed by: partitions, slices, order, IN, limits, paging,
        the scan, DISTINCT and token ranges."""
        cols = "k, c, v, w" + (", s" if static else "")
        self.check("SELECT %s FROM %s" % (cols, table))
        self.check("SELECT %s FROM %s" % (cols, table), fetch_size=3)
        self.check("SELECT k FROM %s WHERE token(k) > 0" % table)
        self.check("SELECT DISTINCT k%s FROM %s" % (", s" if static else "", table))
        self.check("SELECT %s FROM %s PER PARTITION LIMIT 2" % (cols, table))
        self.check("SELECT %s FROM %s WHERE k IN (%s)" % (cols, table, ",".join(map(str, keys))))
        self.check("SELECT %s FROM %s WHERE k IN (%s) LIMIT 3" % (cols, table,
                                                                 ",".join(map(str, keys))))
        for k in keys:
            self.check("SELECT %s FROM %s WHERE k = %%s" % (cols, table), (k,))
            self.check("SELECT %s FROM %s WHERE k = %%s" % (cols, table), (k,), fetch_size=2)
            self.check("SELECT %s FROM %s WHERE k = %%s ORDER BY c DESC" % (cols, table), (k,))
            self.check("SELECT %s FROM %s WHERE k = %%s ORDER BY c DESC" % (cols, table), (k,),
                       fetch_size=2)
            self.check("SELECT %s FROM %s WHERE k = %%s AND c > 2 AND c <= 7" % (cols, table), (k,))
            self.check("SELECT %s FROM %s WHERE k = %%s AND c IN (1, 5, 9)" % (cols, table), (k,))
            self.check("SELECT %s FROM %s WHERE k = %%s AND c = 3" % (cols, table), (k,))
            self.check("SELECT %s FROM %s WHERE k = %%s LIMIT 2" % (cols, table), (k,))

    def test_every_write_path_interleaved_with_reads(self):
        self.write("CREATE TABLE t (k int, c int, v int, w text, s int static, PRIMARY KEY (k, c))")
        self.write("CREATE TABLE cnt (k int PRIMARY KEY, n counter)")
        keys = [1, 2, 3]
        steps = [
            # plain writes
            "INSERT INTO t (k, c, v, w) VALUES (1, 1, 10, 'a')",
            "INSERT INTO t (k, c, v, w) VALUES (1, 2, 20, 'b')",
            "UPDATE t SET v = 30 WHERE k = 1 AND c = 3",
            "INSERT INTO t (k, c, v) VALUES (2, 5, 50)",
            "UPDATE t SET s = 7 WHERE k = 2",
            "UPDATE t SET s = 8 WHERE k = 3",  # a partition of statics only
            "INSERT INTO t (k, c, v) VALUES (1, 9, 90) USING TIMESTAMP 1",  # old timestamp
            "UPDATE t USING TIMESTAMP 2 SET v = 99 WHERE k = 1 AND c = 9",
            # batches
            "BEGIN BATCH INSERT INTO t (k, c, v) VALUES (1, 4, 40); "
            "INSERT INTO t (k, c, v) VALUES (2, 6, 60); UPDATE t SET s = 9 WHERE k = 3; APPLY BATCH",
            "BEGIN UNLOGGED BATCH INSERT INTO t (k, c, v) VALUES (1, 5, 50); "
            "DELETE v FROM t WHERE k = 2 AND c = 6; APPLY BATCH",
            # LWT
            "INSERT INTO t (k, c, v) VALUES (1, 6, 60) IF NOT EXISTS",
            "INSERT INTO t (k, c, v) VALUES (1, 6, 61) IF NOT EXISTS",  # not applied
            "UPDATE t SET v = 62 WHERE k = 1 AND c = 6 IF v = 60",
            "UPDATE t SET v = 63 WHERE k = 1 AND c = 6 IF v = 60",  # not applied
            "DELETE FROM t WHERE k = 1 AND c = 5 IF EXISTS",
            "UPDATE t SET s = 10 WHERE k = 2 IF s = 7",
            # deletes
            "DELETE v FROM t WHERE k = 1 AND c = 1",
            "DELETE FROM t WHERE k = 1 AND c = 2",
            "DELETE FROM t WHERE k = 1 AND c > 3 AND c <= 5",
            "DELETE FROM t WHERE k = 2",
            "INSERT INTO t (k, c, v) VALUES (2, 1, 11)",  # after the partition deletion
            "DELETE s FROM t WHERE k = 3",
            # TTL: live now, expired below. Long enough that no read of these steps meets the
            # expiry: a cell expires at the second boundary after its write plus the TTL, and
            # the two nodes get each write a few ms apart (a second boundary may fall between).
            "INSERT INTO t (k, c, v, w) VALUES (3, 1, 31, 'ttl') USING TTL %d" % TTL,
            "UPDATE t USING TTL %d SET w = 'gone' WHERE k = 1 AND c = 3" % TTL,
        ]
        self.reads("t", keys, static=True)
        first_ttl = None
        for step in steps:
            written = time.time()
            if first_ttl is None and "TTL" in step:
                first_ttl = written
            self.write(step)
            self.reads("t", keys, static=True)
        self.assertLess(time.time() - first_ttl, TTL - 1, "the TTL steps' reads took too long")
        time.sleep(max(0.0, written + TTL + 1.5 - time.time()))
        self.reads("t", keys, static=True)  # the TTL cells expired in cached partitions

        # counters, alone and in a counter batch
        for step in ["UPDATE cnt SET n = n + 1 WHERE k = 1",
                     "UPDATE cnt SET n = n + 5 WHERE k = 1",
                     "BEGIN COUNTER BATCH UPDATE cnt SET n = n + 2 WHERE k = 1; "
                     "UPDATE cnt SET n = n - 1 WHERE k = 2; APPLY BATCH",
                     "DELETE n FROM cnt WHERE k = 2"]:
            self.write(step)
            self.check("SELECT k, n FROM cnt WHERE k = 1")
            self.check("SELECT k, n FROM cnt")
        self.assertEqual(self.check("SELECT n FROM cnt WHERE k = 1"), [(8,)])

        # a secondary index maintained by writes, and created on data
        self.write("CREATE INDEX t_v ON t (v)")
        self.check("SELECT k, c FROM t WHERE v = 11")
        self.write("UPDATE t SET v = 12 WHERE k = 2 AND c = 1")
        self.check("SELECT k, c FROM t WHERE v = 11")
        self.check("SELECT k, c FROM t WHERE v = 12")
        self.reads("t", keys, static=True)

        # ALTER: a dropped column disappears from cached partitions; re-added, it is empty
        self.write("ALTER TABLE t DROP w")
        self.check("SELECT * FROM t")
        self.check("SELECT * FROM t WHERE k = 1")
        self.write("ALTER TABLE t ADD w text")
        self.check("SELECT * FROM t")
        self.check("SELECT * FROM t WHERE k = 1")
        self.write("INSERT INTO t (k, c, v, w) VALUES (1, 1, 1, 'back')")
        self.reads("t", keys, static=True)

        # TRUNCATE, then DROP and CREATE under the same name
        self.write("TRUNCATE t")
        self.reads("t", keys, static=True)
        self.assertEqual(self.check("SELECT * FROM t"), [])
        self.write("INSERT INTO t (k, c, v) VALUES (1, 1, 1)")
        self.reads("t", keys, static=True)
        self.write("DROP TABLE t")
        self.write("CREATE TABLE t (k int, c int, v int, w text, PRIMARY KEY (k, c))")
        self.assertEqual(self.check("SELECT * FROM t"), [])
        self.assertEqual(self.check("SELECT * FROM t WHERE k = 1"), [])
        self.write("INSERT INTO t (k, c, v) VALUES (1, 2, 3)")
        self.reads("t", keys)

        # the cache answered most of these reads
        self.assertGreater(metric(node_process.SHARED, "hits"), 100)
        self.assertEqual(metric(self.ref_node, "hits"), 0)

    def test_random_writes_and_reads(self):
        self.write("CREATE TABLE r (k int, c int, v int, w text, PRIMARY KEY (k, c))")
        rng = random.Random(14)
        for i in range(250):
            k, c = rng.randrange(6), rng.randrange(10)
            op = rng.randrange(8)
            if op == 0:
                self.write("INSERT INTO r (k, c, v, w) VALUES (%d, %d, %d, 'x%d')" % (k, c, i, i))
            elif op == 1:
                self.write("UPDATE r SET v = %d WHERE k = %d AND c = %d" % (i, k, c))
            elif op == 2:
                self.write("DELETE FROM r WHERE k = %d AND c = %d" % (k, c))
            elif op == 3:
                self.write("DELETE FROM r WHERE k = %d AND c >= %d" % (k, c))
            elif op == 4:
                self.write("BEGIN BATCH INSERT INTO r (k, c, v) VALUES (%d, %d, %d); "
                           "DELETE w FROM r WHERE k = %d AND c = %d; APPLY BATCH"
                           % (k, c, i, (k + 1) % 6, c))
            elif op == 5:
                self.write("UPDATE r SET v = %d WHERE k = %d AND c = %d IF EXISTS" % (i, k, c))
            elif op == 6 and rng.randrange(10) == 0:
                self.write("DELETE FROM r WHERE k = %d" % k)
            q = rng.randrange(4)
            if q == 0:
                self.check("SELECT * FROM r WHERE k = %d" % k)
            elif q == 1:
                self.check("SELECT * FROM r WHERE k = %d ORDER BY c DESC" % k, fetch_size=3)
            elif q == 2:
                self.check("SELECT * FROM r")
            else:
                self.check("SELECT * FROM r WHERE k IN (%d, %d) AND c < %d" % (k, (k + 2) % 6, c))


def writer(port, worker, rounds, errors):
    """Owns partitions worker*100 .. +4: writes through one connection, reads through another,
    and checks every read against what was acknowledged."""
    try:
        w = Cluster(["127.0.0.1"], port=port)
        r = Cluster(["127.0.0.1"], port=port)
        ws, rs = w.connect(KS), r.connect(KS)
        rng = random.Random(worker)
        model = {}  # (k, c) -> v
        ins = ws.prepare("INSERT INTO conc (k, c, v) VALUES (?, ?, ?)")
        read_part = rs.prepare("SELECT c, v FROM conc WHERE k = ?")
        for i in range(rounds):
            k = worker * 100 + rng.randrange(4)
            c = rng.randrange(5)
            op = rng.randrange(6)
            if op <= 1:
                ws.execute(ins, (k, c, i))
                model[(k, c)] = i
            elif op == 2:
                b = BatchStatement(batch_type=BatchType.LOGGED)
                b.add(ins, (k, c, i))
                b.add(ins, (k, (c + 1) % 5, i))
                ws.execute(b)
                model[(k, c)] = model[(k, (c + 1) % 5)] = i
            elif op == 3:
                ws.execute("DELETE FROM conc WHERE k = %s AND c = %s", (k, c))
                model.pop((k, c), None)
            elif op == 4:
                res = ws.execute("UPDATE conc SET v = %s WHERE k = %s AND c = %s IF EXISTS",
                                 (i, k, c)).one()
                if res.applied:
                    if (k, c) not in model:
                        errors.put("worker %d: LWT updated a row (%d, %d) that was deleted"
                                   % (worker, k, c))
                    model[(k, c)] = i
                elif (k, c) in model:
                    errors.put("worker %d: LWT saw no row (%d, %d) that exists" % (worker, k, c))
            else:
                ws.execute("DELETE FROM conc WHERE k = %s", (k,))
                for key in [x for x in model if x[0] == k]:
                    del model[key]
            got = {(k, row.c): row.v for row in rs.execute(read_part, (k,))}
            want = {key: v for key, v in model.items() if key[0] == k}
            if got != want:
                errors.put("worker %d round %d: read %r, acknowledged %r" % (worker, i, got, want))
                break
            rs.execute("UPDATE hot SET n = n + 1 WHERE k = 0")
        w.shutdown()
        r.shutdown()
    except Exception as e:  # reported, not lost in the child
        errors.put("worker %d: %r" % (worker, e))


def scanner(port, seconds, errors):
    """Scans while the writers write: the shared counter never goes down."""
    try:
        cl = Cluster(["127.0.0.1"], port=port)
        s = cl.connect(KS)
        last = 0
        deadline = time.time() + seconds
        while time.time() < deadline:
            row = s.execute("SELECT n FROM hot WHERE k = 0").one()
            n = row.n if row else 0
            if n < last:
                errors.put("counter went down: %d after %d" % (n, last))
                break
            last = n
            list(s.execute("SELECT * FROM conc"))
        cl.shutdown()
    except Exception as e:
        errors.put("scanner: %r" % e)


class ConcurrentWritersAndReadersTest(unittest.TestCase):
    def test_reads_see_every_acknowledged_write(self):
        port = node_process.SHARED.port
        cl = Cluster(["127.0.0.1"], port=port)
        s = cl.connect()
        s.execute("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 1}" % KS)
        s.execute("CREATE TABLE %s.conc (k int, c int, v int, PRIMARY KEY (k, c))" % KS)
        s.execute("CREATE TABLE %s.hot (k int PRIMARY KEY, n counter)" % KS)
        errors = multiprocessing.Queue()
        workers, rounds = 4, 150
        procs = [multiprocessing.Process(target=writer, args=(port, w, rounds, errors))
                 for w in range(workers)]
        procs += [multiprocessing.Process(target=scanner, args=(port, 8, errors)) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=240)
        found = []
        while not errors.empty():
            found.append(errors.get())
        self.assertEqual(found, [])
        for p in procs:
            self.assertEqual(p.exitcode, 0)
        self.assertEqual(s.execute("SELECT n FROM %s.hot WHERE k = 0" % KS).one().n,
                         workers * rounds)
        cl.shutdown()


if __name__ == "__main__":
    node_process.main_with_node(extra_args=["--metrics", "127.0.0.1:0"])
