"""Transport and protocol behaviours through Debian's python3-cassandra, each as Cassandra 5.0
has it: custom payloads, error messages that stay UTF-8, strings that are not UTF-8, USE written
with comments, the bounded prepared statement cache and memtable, protocol v3.

Usage: /usr/bin/python3 python_transport_test.py <path to postfork-node>
"""
import os
import re
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra import ConsistencyLevel as CL  # noqa: E402
from cassandra import InvalidRequest, Unavailable  # noqa: E402
from cassandra.protocol import ConfigurationException, ProtocolException, SyntaxException  # noqa: E402
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile  # noqa: E402
from cassandra.policies import FallthroughRetryPolicy  # noqa: E402
from cassandra.query import SimpleStatement  # noqa: E402


CACHE_MIB = 1  # the node runs with a small prepared cache, so that eviction is quick to reach


def metric(name, labels="", node=None):
    """The value of a metric of `node` (default: the shared node); 0 when absent."""
    port = (node or node_process.SHARED).metrics_port
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port) as r:
        text = r.read().decode()
    m = re.search(r"^%s%s (\d+)$" % (re.escape(name), re.escape(labels)), text, re.M)
    return int(m.group(1)) if m else 0


def setUpModule():
    cluster = Cluster(["127.0.0.1"], port=node_process.SHARED.port)
    session = cluster.connect()
    session.execute("CREATE KEYSPACE IF NOT EXISTS tks WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE IF NOT EXISTS tks.kv (k int PRIMARY KEY, v text)")
    cluster.shutdown()


class TransportTest(unittest.TestCase):
    def connect(self, keyspace="tks", **kwargs):
        cluster = Cluster(["127.0.0.1"], port=node_process.SHARED.port, **kwargs)
        self.addCleanup(cluster.shutdown)
        return cluster, cluster.connect(keyspace)

    def test_custom_payload_is_accepted_and_ignored(self):
        _, session = self.connect(protocol_version=4)
        payload = {"key": b"value", "other": b"\x00\x01"}
        session.execute("INSERT INTO kv (k, v) VALUES (1, 'p')", custom_payload=payload)
        rows = list(session.execute(SimpleStatement("SELECT v FROM kv WHERE k = 1"),
                                    custom_payload=payload))
        self.assertEqual([r.v for r in rows], ["p"])
        select = session.prepare("SELECT v FROM kv WHERE k = ?", custom_payload=payload)
        self.assertEqual(session.execute(select, (1,), custom_payload=payload).one().v, "p")

    def test_frames_larger_than_a_read_arrive_whole_on_v4_and_v5(self):
        # Each request is bigger than the node's 64 KiB socket read, so it is assembled from
        # several reads; a small request pipelined behind each one must still be answered.
        for version in (4, 5):
            _, session = self.connect(protocol_version=version)
            insert = session.prepare("INSERT INTO kv (k, v) VALUES (?, ?)")
            for i, size in enumerate((65536 - 20, 65536 + 7, 300001, 1 << 20)):
                big = chr(ord("a") + i) * size
                futures = [session.execute_async(insert, (900 + i, big)),
                           session.execute_async("SELECT v FROM kv WHERE k = 1")]
                for f in futures:
                    f.result()
                row = session.execute("SELECT v FROM kv WHERE k = %d" % (900 + i)).one()
                self.assertEqual(len(row.v), size, (version, size))
                self.assertEqual(row.v, big)

    def test_syntax_error_quoting_non_ascii_text_is_valid_utf8(self):
        _, session = self.connect()
        for query in ("SELECT * FROM kv WHERE k = é", "SELECT ü€ FROM kv", "INSERT INTO kv é"):
            with self.assertRaises(SyntaxException) as caught:
                session.execute(query)
            self.assertIn("line 1:", str(caught.exception))
        # The connection is still usable.
        self.assertIsNotNone(session.execute("SELECT key FROM system.local").one())

    def test_query_that_is_not_utf8_is_cassandras_protocol_error(self):
        # The node answers on a connection that goes on (protocol_test.py checks that on raw
        # frames); python3-cassandra itself closes a connection after any protocol error, as it
        # does against Cassandra, so the next query runs on a new session.
        _, session = self.connect()
        with self.assertRaises(ProtocolException) as caught:
            session.execute(SimpleStatement(b"SELECT * FROM kv WHERE k = '\xc3\x28'"))
        self.assertIn("Cannot decode string as UTF8: '53454c454354202a2046524f4d206b762057484552"
                      "45206b203d2027c32827'; java.nio.charset.MalformedInputException: Input "
                      "length = 1", str(caught.exception))
        _, again = self.connect()
        self.assertIsNotNone(again.execute("SELECT key FROM system.local").one())

    def test_use_with_a_leading_comment_sets_the_keyspace(self):
        _, session = self.connect(keyspace=None)
        session.execute("/* pick it */ USE tks")
        self.assertEqual(session.keyspace, "tks")
        session.execute("INSERT INTO kv (k, v) VALUES (2, 'c')")
        session.execute("USE system")
        session.execute("-- a line comment\nUSE tks")
        self.assertEqual(session.execute("SELECT v FROM kv WHERE k = 2").one().v, "c")

    def test_prepared_cache_is_bounded_and_evicted_statements_are_prepared_again(self):
        _, session = self.connect()
        session.execute("INSERT INTO kv (k, v) VALUES (7, 'seven')")
        first = session.prepare("SELECT v FROM kv WHERE k = ? LIMIT 1")
        unprepared_before = metric("postfork_node_errors_total",
                                   '{code="0x2500",name="Unprepared"}')
        for n in range(2, 700):
            session.prepare("SELECT v FROM kv WHERE k = ? LIMIT %d" % n)
            if n % 100 == 0:
                self.assertLessEqual(metric("postfork_node_prepared_statements_bytes"),
                                     CACHE_MIB << 20)
        count = metric("postfork_node_prepared_statements")
        self.assertGreater(count, 50)
        self.assertLess(count, 699)
        # `first` was evicted: the node answers UNPREPARED and the driver prepares it again.
        self.assertEqual(session.execute(first, (7,)).one().v, "seven")
        self.assertGreater(metric("postfork_node_errors_total", '{code="0x2500",name="Unprepared"}'),
                           unprepared_before)
        self.assertEqual(session.execute(first, (7,)).one().v, "seven")

    def test_statements_are_dropped_with_their_table_and_keyspace(self):
        _, session = self.connect()
        session.execute("CREATE KEYSPACE IF NOT EXISTS gone WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute("CREATE TABLE gone.t1 (k int PRIMARY KEY)")
        session.execute("CREATE TABLE gone.t2 (k int PRIMARY KEY)")
        session.execute("CREATE TABLE tks.dropme (k int PRIMARY KEY, v int)")
        s1 = session.prepare("SELECT k FROM gone.t1 WHERE k = ?")
        session.prepare("INSERT INTO gone.t2 (k) VALUES (?)")
        s3 = session.prepare("SELECT v FROM dropme WHERE k = ?")
        before = metric("postfork_node_prepared_statements")
        session.execute("DROP TABLE dropme")
        self.assertEqual(metric("postfork_node_prepared_statements"), before - 1)
        with self.assertRaises(InvalidRequest):
            session.execute(s3, (1,))
        session.execute("DROP KEYSPACE gone")
        self.assertEqual(metric("postfork_node_prepared_statements"), before - 3)
        with self.assertRaises(InvalidRequest):
            session.execute(s1, (1,))

    def test_protocol_v3_connects_and_works(self):
        import datetime
        from cassandra.query import BatchStatement
        from cassandra.util import Date, Time
        cluster, session = self.connect(protocol_version=3)
        self.assertEqual(cluster.protocol_version, 3)
        session.execute("CREATE TABLE IF NOT EXISTS v3 (k int, c int, dt date, tm time, "
                        "si smallint, ti tinyint, du duration, v text, PRIMARY KEY (k, c))")
        insert = session.prepare("INSERT INTO v3 (k, c, dt, tm, si, ti, v) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?)")
        batch = BatchStatement()
        for c in range(40):
            batch.add(insert, (1, c, datetime.date(2024, 2, 29), datetime.time(13, 30), 300 + c,
                               -c, "v%d" % c))
        session.execute(batch)
        select = session.prepare("SELECT c, dt, tm, si, ti, v FROM v3 WHERE k = ?")
        select.fetch_size = 9
        rows = list(session.execute(select, (1,)))
        self.assertEqual([r.c for r in rows], list(range(40)))
        self.assertEqual(rows[3].dt, Date(datetime.date(2024, 2, 29)))
        self.assertEqual(rows[3].tm, Time(datetime.time(13, 30)))
        self.assertEqual((rows[3].si, rows[3].ti, rows[3].v), (303, -3, "v3"))
        session.execute("UPDATE v3 SET du = 1h2m WHERE k = 2 AND c = 0")
        self.assertEqual(session.execute("SELECT du FROM v3 WHERE k = 2").one().du.nanoseconds,
                         3720 * 10**9)

    def unavailable(self, session, query, cl, serial=None):
        with self.assertRaises(Unavailable) as caught:
            session.execute(SimpleStatement(query, consistency_level=cl,
                                            serial_consistency_level=serial))
        e = caught.exception
        return e.consistency, e.required_replicas, e.alive_replicas, str(e)

    def test_consistency_levels_need_the_replicas_one_node_holds(self):
        # No retries: the Unavailable reaches the test as the node sent it.
        profile = ExecutionProfile(retry_policy=FallthroughRetryPolicy())
        _, session = self.connect(keyspace=None,
                                  execution_profiles={EXEC_PROFILE_DEFAULT: profile})
        session.execute("CREATE KEYSPACE IF NOT EXISTS rf3 WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 3}")
        session.execute("CREATE KEYSPACE IF NOT EXISTS nts WITH replication = "
                        "{'class': 'NetworkTopologyStrategy', 'datacenter1': 3}")
        # A data center the cluster does not know is refused, as Cassandra does, so a one-node
        # cluster cannot hold a keyspace with replicas only elsewhere.
        with self.assertRaises(ConfigurationException) as caught:
            session.execute("CREATE KEYSPACE elsewhere WITH replication = "
                            "{'class': 'NetworkTopologyStrategy', 'dc2': 3}")
        self.assertIn("Unrecognized strategy option {dc2}", str(caught.exception))
        for ks in ("rf3", "nts"):
            session.execute("CREATE TABLE IF NOT EXISTS %s.t (k int PRIMARY KEY, v int)" % ks)
        insert = "INSERT INTO rf3.t (k, v) VALUES (1, 1)"
        session.execute(SimpleStatement(insert, consistency_level=CL.ONE))
        self.assertEqual(session.execute(SimpleStatement(
            "SELECT v FROM rf3.t WHERE k = 1", consistency_level=CL.ONE)).one().v, 1)
        consistency, required, alive, text = self.unavailable(session, insert, CL.QUORUM)
        self.assertEqual((consistency, required, alive), (CL.QUORUM, 2, 1))
        self.assertIn("Cannot achieve consistency level QUORUM", text)
        self.assertEqual(self.unavailable(session, "SELECT v FROM rf3.t WHERE k = 1",
                                          CL.ALL)[:3], (CL.ALL, 3, 1))
        self.assertEqual(self.unavailable(session, insert, CL.LOCAL_QUORUM)[:3],
                         (CL.LOCAL_QUORUM, 2, 1))
        self.assertEqual(self.unavailable(session, insert, CL.TWO)[:3], (CL.TWO, 2, 1))
        # NetworkTopologyStrategy: our datacenter should hold three replicas; this node is one.
        nts = "INSERT INTO nts.t (k, v) VALUES (1, 1)"
        session.execute(SimpleStatement(nts, consistency_level=CL.LOCAL_ONE))
        self.assertEqual(self.unavailable(session, nts, CL.LOCAL_QUORUM)[:3],
                         (CL.LOCAL_QUORUM, 2, 1))
        consistency, required, alive, text = self.unavailable(session, nts, CL.EACH_QUORUM)
        self.assertEqual((consistency, required, alive), (CL.EACH_QUORUM, 2, 1))
        self.assertIn("Cannot achieve consistency level EACH_QUORUM", text)
        # LWT (Cassandra's default Paxos v1): a majority of the replica endpoints (this node),
        # then the current values are read at QUORUM (LOCAL_QUORUM for LOCAL_SERIAL), which RF 3
        # on one node cannot meet; a serial read does the same. RF 1 serves them all.
        lwt = "INSERT INTO rf3.t (k, v) VALUES (2, 2) IF NOT EXISTS"
        for cl, serial in ((CL.ONE, CL.SERIAL), (CL.QUORUM, CL.SERIAL), (CL.ANY, CL.SERIAL)):
            consistency, required, alive, text = self.unavailable(session, lwt, cl, serial)
            self.assertEqual((consistency, required, alive), (CL.QUORUM, 2, 1))
            self.assertIn("Cannot achieve consistency level QUORUM", text)
        self.assertEqual(self.unavailable(session, lwt, CL.ONE, CL.LOCAL_SERIAL)[:3],
                         (CL.LOCAL_QUORUM, 2, 1))
        self.assertEqual(self.unavailable(session, "SELECT v FROM rf3.t WHERE k = 1",
                                          CL.SERIAL)[:3], (CL.QUORUM, 2, 1))
        self.assertEqual(self.unavailable(session, "SELECT v FROM rf3.t WHERE k = 1",
                                          CL.LOCAL_SERIAL)[:3], (CL.LOCAL_QUORUM, 2, 1))
        self.assertEqual(self.unavailable(session, "UPDATE nts.t SET v = 3 WHERE k = 1 IF v = 1",
                                          CL.LOCAL_ONE, CL.LOCAL_SERIAL)[:3],
                         (CL.LOCAL_QUORUM, 2, 1))
        self.assertEqual(session.execute(SimpleStatement(
            "SELECT v FROM rf3.t WHERE k = 2", consistency_level=CL.ONE)).one(), None)
        session.execute("CREATE KEYSPACE IF NOT EXISTS rf1 WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute("CREATE TABLE IF NOT EXISTS rf1.t (k int PRIMARY KEY, v int)")
        self.assertTrue(session.execute(SimpleStatement(
            "INSERT INTO rf1.t (k, v) VALUES (2, 2) IF NOT EXISTS", consistency_level=CL.ONE,
            serial_consistency_level=CL.LOCAL_SERIAL)).one()[0])
        for serial in (CL.SERIAL, CL.LOCAL_SERIAL):
            self.assertEqual(session.execute(SimpleStatement(
                "SELECT v FROM rf1.t WHERE k = 2", consistency_level=serial)).one().v, 2)
        # The commit's level counts only when the conditions hold: nothing is written then.
        self.assertFalse(session.execute(SimpleStatement(
            "UPDATE rf1.t SET v = 3 WHERE k = 2 IF v = 100", consistency_level=CL.TWO)).one()[0])
        self.assertEqual(self.unavailable(session, "UPDATE rf1.t SET v = 3 WHERE k = 2 IF v = 2",
                                          CL.TWO)[:3], (CL.TWO, 2, 1))
        self.assertEqual(session.execute("SELECT v FROM rf1.t WHERE k = 2").one().v, 2)
        with self.assertRaises(InvalidRequest) as caught:
            session.execute(SimpleStatement(insert, consistency_level=CL.SERIAL))
        self.assertIn("You must use conditional updates for serializable writes",
                      str(caught.exception))
        with self.assertRaises(InvalidRequest) as caught:
            session.execute(SimpleStatement("SELECT v FROM rf3.t", consistency_level=CL.ANY))
        self.assertIn("ANY ConsistencyLevel is only supported for writes", str(caught.exception))

    def test_client_warnings_with_cassandras_texts_and_default_thresholds(self):
        from cassandra.query import BatchStatement, BatchType
        _, session = self.connect(protocol_version=4)
        insert = session.prepare("INSERT INTO kv (k, v) VALUES (?, ?)")

        def warnings_of(statement, params=None):
            future = session.execute_async(statement, params)
            future.result()
            return future.warnings or []

        unlogged = BatchStatement(batch_type=BatchType.UNLOGGED)
        for k in range(100, 111):
            unlogged.add(insert, (k, "x"))
        self.assertEqual(warnings_of(unlogged), [
            "Unlogged batch covering 11 partitions detected against table [tks.kv]. You should "
            "use a logged batch for atomicity, or asynchronous writes for performance."])
        ten = BatchStatement(batch_type=BatchType.UNLOGGED)
        for k in range(100, 110):
            ten.add(insert, (k, "x"))
        self.assertEqual(warnings_of(ten), [])
        big = BatchStatement()
        big.add(insert, (200, "a" * 3000))
        big.add(insert, (201, "b" * 3000))
        [warning] = warnings_of(big)
        self.assertRegex(warning, r"^Batch for \[tks\.kv\] is of size (\d+), exceeding specified "
                                  r"threshold of 5120 by (\d+)\.$")
        size = int(warning.split(" is of size ")[1].split(",")[0])
        self.assertGreater(size, 6000)
        self.assertLess(size, 6200)
        one_partition = BatchStatement()
        one_partition.add(insert, (202, "c" * 60000))
        self.assertEqual(warnings_of(one_partition), [])
        too_big = BatchStatement()
        too_big.add(insert, (203, "d" * 30000))
        too_big.add(insert, (204, "e" * 30000))
        with self.assertRaises(InvalidRequest) as caught:
            session.execute(too_big)
        self.assertIn("Batch too large", str(caught.exception))
        self.assertEqual(warnings_of("SELECT count(*) FROM kv"),
                         ["Aggregation query used without partition key"])
        self.assertEqual(warnings_of("SELECT count(*) FROM kv WHERE k IN (1, 2)"),
                         ["Aggregation query used on multiple partition keys (IN restriction)"])
        self.assertEqual(warnings_of("SELECT count(*) FROM kv WHERE k = 1"), [])
        self.assertEqual(warnings_of("SELECT v FROM kv"), [])
        # A replication factor above the one node, and an ALTER that raises it.
        self.assertEqual(warnings_of(
            "CREATE KEYSPACE rfwarn WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 2}"),
            ["Your replication factor 2 for keyspace rfwarn is higher than the number of nodes 1"])
        self.assertEqual(warnings_of(
            "ALTER KEYSPACE rfwarn WITH replication = "
            "{'class': 'NetworkTopologyStrategy', 'datacenter1': 3}"),
            ["Your replication factor 3 for keyspace rfwarn is higher than the number of nodes 1 "
             "for datacenter datacenter1",
             "When increasing replication factor you need to run a full (-full) repair to "
             "distribute the data."])
        self.assertEqual(warnings_of(
            "CREATE KEYSPACE IF NOT EXISTS rfwarn WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 2}"), [])
        session.execute("DROP KEYSPACE rfwarn")
        # A logged batch on a table with gc_grace_seconds 0, even on one partition.
        session.execute("CREATE TABLE IF NOT EXISTS gc0 (k int PRIMARY KEY, v text) "
                        "WITH gc_grace_seconds = 0")
        logged = BatchStatement()
        logged.add(session.prepare("INSERT INTO gc0 (k, v) VALUES (?, ?)"), (1, "x"))
        self.assertEqual(warnings_of(logged), [
            "Executing a LOGGED BATCH on table [tks.gc0], configured with a gc_grace_seconds of "
            "0. The gc_grace_seconds is used to TTL batchlog entries, so setting "
            "gc_grace_seconds too low on tables involved in an atomic batch might cause batchlog "
            "entries to expire before being replayed."])
        unlogged = BatchStatement(batch_type=BatchType.UNLOGGED)
        unlogged.add(session.prepare("INSERT INTO gc0 (k, v) VALUES (?, ?)"), (1, "x"))
        self.assertEqual(warnings_of(unlogged), [])

    def test_tombstone_thresholds_warn_and_fail_reads(self):
        from cassandra import ReadFailure
        _, session = self.connect(protocol_version=4)
        session.execute("CREATE TABLE IF NOT EXISTS tomb (k int, c int, v int, s set<int>, "
                        "PRIMARY KEY (k, c))")

        def warnings_of(statement, params=None):
            future = session.execute_async(statement, params)
            rows = list(future.result())
            return rows, future.warnings or []

        # 1001 element tombstones in one row: over tombstone_warn_threshold (1000).
        elements = ", ".join(str(i) for i in range(1001))
        session.execute("UPDATE tomb SET s = s - {%s} WHERE k = 1 AND c = 0" % elements)
        rows, warnings = warnings_of("SELECT * FROM tomb WHERE k = 1")
        self.assertEqual(rows, [])
        self.assertEqual(warnings, [
            "Read 0 live rows and 1001 tombstone cells for query SELECT * FROM tks.tomb WHERE "
            "k = 1 LIMIT 5000 ALLOW FILTERING; token -4069959284402364209 (see "
            "tombstone_warn_threshold)"])
        # 1000 are not over it; a live row counts as live, its deleted cell as a tombstone.
        session.execute("UPDATE tomb SET s = s - {1000} WHERE k = 2 AND c = 0")
        session.execute("UPDATE tomb SET s = s - {%s} WHERE k = 2 AND c = 0"
                        % ", ".join(str(i) for i in range(999)))
        self.assertEqual(warnings_of("SELECT * FROM tomb WHERE k = 2")[1], [])
        session.execute("INSERT INTO tomb (k, c, v) VALUES (2, 1, 1)")
        session.execute("INSERT INTO tomb (k, c, v) VALUES (2, 2, null)")
        rows, warnings = warnings_of(SimpleStatement("SELECT v, s, k FROM tomb WHERE k = 2",
                                                     fetch_size=100))
        self.assertEqual([r.v for r in rows], [1, None])
        self.assertEqual(warnings, [
            "Read 2 live rows and 1001 tombstone cells for query SELECT s, v FROM tks.tomb WHERE "
            "k = 2 LIMIT 100 ALLOW FILTERING; token -3248873570005575792 (see "
            "tombstone_warn_threshold)"])
        # Deleted rows count one each; a range deletion counts its two bounds.
        for c in range(3, 1003):
            session.execute("DELETE FROM tomb WHERE k = 3 AND c = %d" % c)
        session.execute("DELETE FROM tomb WHERE k = 3 AND c > 5000")
        rows, warnings = warnings_of("SELECT * FROM tomb WHERE k = 3")
        self.assertEqual(len(warnings), 1)
        self.assertTrue(warnings[0].startswith("Read 0 live rows and 1002 tombstone cells"),
                        warnings)
        # A table with gc_grace_seconds 0 purges its tombstones after their second: not counted.
        session.execute("CREATE TABLE IF NOT EXISTS tomb0 (k int, c int, PRIMARY KEY (k, c)) "
                        "WITH gc_grace_seconds = 0")
        for c in range(1002):
            session.execute("DELETE FROM tomb0 WHERE k = 1 AND c = %d" % c)
        time.sleep(1.1)  # purgeable once deleted before now - 0 s
        self.assertEqual(warnings_of("SELECT * FROM tomb0 WHERE k = 1")[1], [])
        # Over tombstone_failure_threshold (this node runs with 3000) the read fails.
        session.execute("UPDATE tomb SET s = s - {%s} WHERE k = 4 AND c = 0"
                        % ", ".join(str(i) for i in range(3001)))
        with self.assertRaises(ReadFailure) as caught:
            session.execute(SimpleStatement("SELECT * FROM tomb WHERE k = 4",
                                            consistency_level=CL.ONE))
        e = caught.exception
        self.assertIn("Operation failed - received 0 responses and 1 failures: "
                      "READ_TOO_MANY_TOMBSTONES from /127.0.0.1:7000", str(e))
        self.assertEqual((e.consistency, e.received_responses, e.required_responses,
                          e.failures), (CL.ONE, 0, 1, 1))
        # The node keeps serving.
        self.assertEqual(warnings_of("SELECT v FROM tomb WHERE k = 2 AND c = 1")[0][0].v, 1)
        # The query text names the clustering restrictions as Cassandra's read command prints
        # them (ReadCommand.toCQLString); IN reads each partition as a command of its own, so
        # two partitions of 600 tombstones each warn of nothing, and only a partition over the
        # threshold is named.
        token1 = "-4069959284402364209"
        self.assertEqual(warnings_of("SELECT * FROM tomb WHERE k = 1 AND c IN (0, 1, 7)")[1], [
            "Read 0 live rows and 1001 tombstone cells for query SELECT * FROM tks.tomb WHERE "
            "k = 1 AND c IN (0, 1, 7) LIMIT 5000 ALLOW FILTERING; token %s (see "
            "tombstone_warn_threshold)" % token1])
        self.assertEqual(warnings_of("SELECT v FROM tomb WHERE k = 1 AND c > -1 AND c <= 3 "
                                     "ORDER BY c DESC")[1], [
            "Read 0 live rows and 1001 tombstone cells for query SELECT v FROM tks.tomb WHERE "
            "k = 1 AND c > -1 AND c <= 3 ORDER BY c DESC LIMIT 5000 ALLOW FILTERING; token %s "
            "(see tombstone_warn_threshold)" % token1])
        for k in (10, 11):
            session.execute("UPDATE tomb SET s = s - {%s} WHERE k = %d AND c = 0"
                            % (", ".join(str(i) for i in range(600)), k))
        self.assertEqual(warnings_of("SELECT * FROM tomb WHERE k IN (10, 11)")[1], [])
        self.assertEqual(warnings_of("SELECT * FROM tomb WHERE k IN (11, 1, 10) AND c = 0")[1], [
            "Read 0 live rows and 1001 tombstone cells for query SELECT * FROM tks.tomb WHERE "
            "k = 1 AND c = 0 LIMIT 5000 ALLOW FILTERING; token %s (see "
            "tombstone_warn_threshold)" % token1])

    def test_prepared_statements_after_alter(self):
        _, a = self.connect(protocol_version=5)
        _, b = self.connect(protocol_version=5)
        a.execute("CREATE TABLE IF NOT EXISTS evolve (k int PRIMARY KEY, x int)")
        a.execute("INSERT INTO evolve (k, x) VALUES (1, 10)")
        select_a = a.prepare("SELECT * FROM evolve WHERE k = ?")
        select_b = b.prepare("SELECT * FROM evolve WHERE k = ?")
        self.assertEqual(select_a.query_id, select_b.query_id)
        old_metadata_id = select_a.result_metadata_id
        lwt = a.prepare("INSERT INTO evolve (k, x) VALUES (?, ?) IF NOT EXISTS")
        self.assertEqual(list(b.execute(select_b, (1,)).one()._fields), ["k", "x"])

        a.execute("ALTER TABLE evolve ADD y text")
        a.execute("UPDATE evolve SET y = 'why' WHERE k = 1")
        # Each session's statement is prepared again (UNPREPARED) or gets the new metadata.
        row = b.execute(select_b, (1,)).one()
        self.assertEqual((list(row._fields), row.y), (["k", "x", "y"], "why"))
        row = a.execute(select_a, (1,)).one()
        self.assertEqual((list(row._fields), row.y), (["k", "x", "y"], "why"))
        _, c = self.connect(protocol_version=5)
        again = c.prepare("SELECT * FROM evolve WHERE k = ?")
        self.assertEqual(again.query_id, select_a.query_id)
        self.assertNotEqual(again.result_metadata_id, old_metadata_id)
        # A conditional statement keeps its id and its (empty) result metadata id.
        self.assertFalse(a.execute(lwt, (1, 5)).one()[0])
        self.assertTrue(a.execute(lwt, (2, 5)).one()[0])
        lwt_again = c.prepare("INSERT INTO evolve (k, x) VALUES (?, ?) IF NOT EXISTS")
        self.assertEqual((lwt_again.query_id, lwt_again.result_metadata_id),
                         (lwt.query_id, lwt.result_metadata_id))
        a.execute("ALTER TABLE evolve DROP y")
        row = b.execute(select_b, (1,)).one()
        self.assertEqual(list(row._fields), ["k", "x"])

    def test_features_cassandra_disables_by_default_get_its_refusal(self):
        _, session = self.connect()
        cases = [
            ("CREATE FUNCTION tks.f (a int) RETURNS NULL ON NULL INPUT RETURNS int "
             "LANGUAGE java AS 'return a;'",
             "User-defined functions are disabled in cassandra.yaml - set "
             "user_defined_functions_enabled=true to enable"),
            ("CREATE OR REPLACE FUNCTION f (a int, b text) CALLED ON NULL INPUT RETURNS text "
             "LANGUAGE javascript AS 'b'",
             "User-defined functions are disabled in cassandra.yaml - set "
             "user_defined_functions_enabled=true to enable"),
            ("CREATE OR REPLACE FUNCTION IF NOT EXISTS f () CALLED ON NULL INPUT RETURNS int "
             "LANGUAGE java AS 'return 1;'",
             "Cannot use both 'OR REPLACE' and 'IF NOT EXISTS' directives"),
            ("CREATE AGGREGATE agg (int) SFUNC st STYPE int FINALFUNC fin INITCOND 0",
             "State function tks.st(int, int) doesn't exist"),
            ("CREATE AGGREGATE nope.agg (int) SFUNC st STYPE int",
             "Keyspace 'nope' doesn't exist"),
            ("CREATE MATERIALIZED VIEW kv_by_v AS SELECT * FROM kv WHERE v IS NOT NULL AND "
             "k IS NOT NULL PRIMARY KEY (v, k)",
             "Materialized views are disabled. Enable in cassandra.yaml to use."),
        ]
        for query, message in cases:
            with self.assertRaises(InvalidRequest) as caught:
                session.execute(query)
            self.assertIn(message, str(caught.exception), query)
        with self.assertRaises(SyntaxException):
            session.execute("CREATE FUNCTION f (a int) RETURNS int LANGUAGE java AS 'x'")


class MemtableSizeTest(unittest.TestCase):
    """--memtable-size bounds the memtable: past it the node writes its data to disk (SST files
    in the data directory), and every acknowledged row reads back, also after a restart. The
    memtable and block cache gauges stay within their bounds."""

    def test_small_memtable_flushes_and_keeps_every_row(self):
        with node_process.NodeProcess(node_process.SHARED.binary,
                                      extra_args=["--memtable-size", "1", "--block-cache-size",
                                                  "1", "--metrics", "127.0.0.1:0"]) as node:
            cluster = Cluster(["127.0.0.1"], port=node.port)
            session = cluster.connect()
            session.execute("CREATE KEYSPACE mt WITH replication = "
                            "{'class': 'SimpleStrategy', 'replication_factor': 1}")
            session.execute("CREATE TABLE mt.t (k int PRIMARY KEY, v text)")
            insert = session.prepare("INSERT INTO mt.t (k, v) VALUES (?, ?)")
            rows = 400  # 400 x 8 KiB: about three times the memtable
            for k in range(rows):
                session.execute(insert, (k, ("%05d" % k) * 1638))
            deadline = time.time() + 30
            while not any(f.endswith(".sst") for f in os.listdir(node.data_dir)):
                self.assertLess(time.time(), deadline, "no memtable was written to disk")
                time.sleep(0.1)
            self.assertLessEqual(metric("postfork_node_memtable_bytes", node=node), 2 * 1048576 * 1.1)
            cluster.shutdown()
            node.restart()
            cluster = Cluster(["127.0.0.1"], port=node.port)
            session = cluster.connect()
            got = {r.k: r.v for r in session.execute("SELECT k, v FROM mt.t")}
            cluster.shutdown()
            self.assertEqual(len(got), rows)
            for k in range(rows):
                self.assertEqual(got[k], ("%05d" % k) * 1638)
            # The scan read the flushed files through the block cache, which holds at most 1 MiB.
            cached = metric("postfork_node_block_cache_bytes", node=node)
            self.assertGreater(cached, 0)
            self.assertLessEqual(cached, 1048576 * 1.1)


if __name__ == "__main__":
    node_process.main_with_node(["--prepared-statements-cache-size", str(CACHE_MIB),
                                 "--metrics", "127.0.0.1:0",
                                 "--tombstone-failure-threshold", "3000"])
