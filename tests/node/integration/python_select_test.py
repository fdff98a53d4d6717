"""SELECT features on postfork-node through python3-cassandra: aggregates (count, min, max,
sum, avg: values, types and column names as Cassandra returns them, with nulls and an empty
selection), arithmetic in selectors, GROUP BY, IN on the partition key (partitions in key order;
with ORDER BY, rows merged across partitions),
mixed-order multi-column slices, scalar functions in selectors, SELECT JSON, toJson() and
INSERT JSON, GROUP BY functions, token() of bind markers, CONTAINS on clustering columns and
the ALLOW FILTERING an index needs beside restrictions on the key.
Usage: /usr/bin/python3 python_select_test.py <path to postfork-node>
"""
import datetime
import decimal
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402
from node_process import KeyspaceTest  # noqa: E402

from cassandra import FunctionFailure, InvalidRequest  # noqa: E402
from cassandra.query import UNSET_VALUE, SimpleStatement  # noqa: E402
from cassandra.util import Duration  # noqa: E402


class AggregatesTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "agg")
        s.execute("CREATE TABLE m (k int, ck int, i int, b bigint, t tinyint, d double, f float, "
                  "name text, PRIMARY KEY (k, ck))")
        ins = s.prepare("INSERT INTO m (k, ck, i, b, t, d, f, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        for ck, (i, name) in enumerate([(3, "c"), (-7, "a"), (10, "z"), (None, None)]):
            s.execute(ins, (1, ck, i, None if i is None else i * 10 ** 12,
                            None if i is None else i, None if i is None else i / 2.0,
                            None if i is None else i / 4.0, name))
        s.execute(ins, (2, 0, 2147483647, 1, 100, 1.0, 1.0, "q"))
        s.execute(ins, (2, 1, 1, 1, 100, 2.0, 2.0, "r"))

    def test_min_max_sum_avg_over_a_partition(self):
        r = self.session.execute("SELECT min(i), max(i), sum(i), avg(i), count(i), count(*), "
                                 "min(name), max(name) FROM m WHERE k = 1")
        self.assertEqual(r.column_names, ["system.min(i)", "system.max(i)", "system.sum(i)",
                                          "system.avg(i)", "system.count(i)", "count",
                                          "system.min(name)", "system.max(name)"])
        self.assertEqual(tuple(r.one()), (-7, 10, 6, 2, 3, 4, "a", "z"))

    def test_types_follow_the_argument(self):
        row = self.session.execute("SELECT sum(b), avg(d), sum(f), sum(t), avg(t) FROM m "
                                   "WHERE k = 1").one()
        self.assertEqual(row[0], 6 * 10 ** 12)
        self.assertAlmostEqual(row[1], 1.0)
        self.assertAlmostEqual(row[2], 1.5)
        self.assertEqual(row[3], 6)
        self.assertEqual(row[4], 2)

    def test_integer_sums_overflow_like_cassandra(self):
        # int + int wraps in Cassandra (Java int arithmetic); tinyint likewise.
        row = self.session.execute("SELECT sum(i), sum(t) FROM m WHERE k = 2").one()
        self.assertEqual(row[0], -2147483648)
        self.assertEqual(row[1], -56)

    def test_empty_selection_and_slices(self):
        row = self.session.execute("SELECT min(i), sum(i), avg(d), count(*) FROM m "
                                   "WHERE k = 3").one()
        self.assertEqual(tuple(row), (None, 0, 0.0, 0))
        row = self.session.execute("SELECT max(i), sum(i) FROM m WHERE k = 1 AND ck >= 1").one()
        self.assertEqual(tuple(row), (10, 3))
        row = self.session.execute("SELECT max(i) AS top FROM m").one()
        self.assertEqual(row.top, 2147483647)

    def test_errors(self):
        # Cassandra's text: sum is declared once per numeric type.
        with self.assertRaisesRegex(InvalidRequest, r"Invalid call to function sum, none of its "
                                    r"type signatures match \(known type signatures: "
                                    r"system.sum : \(tinyint\) -> tinyint, "):
            self.session.execute("SELECT sum(name) FROM m")
        with self.assertRaisesRegex(InvalidRequest, "declared order in the PRIMARY KEY"):
            self.session.execute("SELECT k, max(i) FROM m GROUP BY ck")
        with self.assertRaisesRegex(InvalidRequest, "Group by is currently only supported on "
                                    "the columns of the PRIMARY KEY, got name"):
            self.session.execute("SELECT k, max(i) FROM m GROUP BY k, name")

    def test_group_by_partition_and_clustering_prefix(self):
        s = self.session
        rows = sorted(tuple(r) for r in s.execute(
            "SELECT k, count(*), max(i), sum(t) FROM m GROUP BY k"))
        self.assertEqual(rows, [(1, 4, 10, 6), (2, 2, 2147483647, -56)])
        rows = [tuple(r) for r in s.execute(
            "SELECT k, ck, count(*) FROM m WHERE k = 1 GROUP BY k, ck")]
        self.assertEqual(rows, [(1, 0, 1), (1, 1, 1), (1, 2, 1), (1, 3, 1)])
        self.assertEqual(len(list(s.execute("SELECT k, count(*) FROM m GROUP BY k LIMIT 1"))), 1)
        # A key column left out of GROUP BY must be restricted by equality.
        rows = [tuple(r) for r in s.execute("SELECT ck, count(*) FROM m WHERE k = 1 GROUP BY ck")]
        self.assertEqual(rows, [(0, 1), (1, 1), (2, 1), (3, 1)])
        with self.assertRaisesRegex(InvalidRequest, "Group by currently only support groups"):
            s.execute("SELECT ck, count(*) FROM m GROUP BY ck")
        # Plain columns without GROUP BY show the first row, as in Cassandra.
        row = s.execute("SELECT k, ck, max(i) FROM m WHERE k = 1").one()
        self.assertEqual(tuple(row), (1, 0, 10))


class ArithmeticTest(KeyspaceTest):
    """Cassandra 5.0's operators in selectors: result types, names, Java's arithmetic, errors."""

    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "arith")
        s.execute("CREATE TABLE a (k int, c int, i int, b bigint, ti tinyint, de decimal, "
                  "vi varint, d double, ts timestamp, dt date, PRIMARY KEY (k, c))")
        s.execute("INSERT INTO a (k, c, i, b, ti, de, vi, d, ts, dt) VALUES (1, 1, 7, 70000000000, "
                  "7, 10.5, 12345678901234567890, 2.5, '2024-03-04 05:06:07+0000', '2024-01-31')")
        s.execute("INSERT INTO a (k, c, i) VALUES (1, 2, 3)")

    def test_types_names_and_values(self):
        rs = self.session.execute("SELECT i + 1, b + i, ti + ti, de / 3, vi * 10, d / 0, - i, "
                                  "(i + 1) * 2 FROM a WHERE k = 1 AND c = 1")
        self.assertEqual(rs.column_names, ["i + 1", "b + i", "ti + ti", "de / 3", "vi * 10",
                                           "d / 0", "-i", "(i + 1) * 2"])
        self.assertEqual([t.typename for t in rs.column_types],
                         ["int", "bigint", "tinyint", "decimal", "varint", "double", "int", "int"])
        row = rs.one()
        self.assertEqual(tuple(row)[:5], (8, 70000000007, 14, decimal.Decimal("3.5"),
                                          123456789012345678900))
        self.assertEqual(row[5], float("inf"))
        self.assertEqual(tuple(row)[6:], (-7, 16))

    def test_temporal_operations(self):
        row = self.session.execute(
            "SELECT ts + 1d, ts - 2h, dt + 1mo FROM a WHERE k = 1 AND c = 1").one()
        self.assertEqual(row[0], datetime.datetime(2024, 3, 5, 5, 6, 7))
        self.assertEqual(row[1], datetime.datetime(2024, 3, 4, 3, 6, 7))
        self.assertEqual(str(row[2]), "2024-02-29")

    def test_functions_of_aggregates(self):
        rs = self.session.execute("SELECT max(i) + 1, count(*) * 2, sum(i) / 2 FROM a WHERE k = 1")
        self.assertEqual(rs.column_names, ["system.max(i) + 1", "count * 2", "system.sum(i) / 2"])
        self.assertEqual(tuple(rs.one()), (8, 4, 5))

    def test_prepared_cast_marker(self):
        stmt = self.session.prepare("SELECT i * (int)? FROM a WHERE k = ? AND c = 1")
        self.assertEqual(self.session.execute(stmt, (3, 1)).one()[0], 21)

    def test_errors(self):
        s = self.session
        with self.assertRaisesRegex(InvalidRequest,
                                    "the '\\+' operation is not supported between i and 'x'"):
            s.execute("SELECT i + 'x' FROM a")
        with self.assertRaisesRegex(InvalidRequest, "Ambiguous '-' operation with args ts and 1"):
            s.execute("SELECT ts - 1 FROM a")
        with self.assertRaisesRegex(FunctionFailure,
                                    "the operation 'int / int' failed: / by zero"):
            s.execute("SELECT i / 0 FROM a WHERE k = 1")
        with self.assertRaisesRegex(FunctionFailure, "The duration must have a day precision"):
            s.execute("SELECT dt + 1h FROM a WHERE k = 1 AND c = 1")


class OrderedInTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "ord")
        s.execute("CREATE TABLE ev (k int, t int, v text, PRIMARY KEY (k, t)) "
                  "WITH CLUSTERING ORDER BY (t DESC)")
        for k, ts in ((1, (1, 4, 7)), (2, (2, 5)), (3, (3, 6, 9))):
            for t in ts:
                s.execute("INSERT INTO ev (k, t, v) VALUES (%s, %s, %s)", (k, t, f"{k}:{t}"))

    def select(self, cql):
        return [r.t for r in self.session.execute(SimpleStatement(cql, fetch_size=None))]

    def test_in_with_order_by_merges_partitions(self):
        self.assertEqual(self.select("SELECT t FROM ev WHERE k IN (1, 2, 3) ORDER BY t ASC"),
                         [1, 2, 3, 4, 5, 6, 7, 9])
        self.assertEqual(self.select("SELECT t FROM ev WHERE k IN (3, 1) ORDER BY t DESC"),
                         [9, 7, 6, 4, 3, 1])
        self.assertEqual(self.select("SELECT t FROM ev WHERE k IN (1, 2, 3) ORDER BY t ASC "
                                     "LIMIT 3"), [1, 2, 3])
        self.assertEqual(self.select("SELECT t FROM ev WHERE k IN (1, 2, 3) AND t > 3 "
                                     "ORDER BY t ASC"), [4, 5, 6, 7, 9])

    def test_partitions_come_in_key_order(self):
        rows = [r.k for r in self.session.execute("SELECT k FROM ev WHERE k IN (3, 1, 2, 3)")]
        self.assertEqual(rows, [1, 1, 1, 2, 2, 3, 3, 3])

    def test_paging_with_in_and_order_by_is_refused_as_in_cassandra(self):
        with self.assertRaisesRegex(InvalidRequest, "Cannot page queries with both ORDER BY"):
            self.session.execute(SimpleStatement(
                "SELECT t FROM ev WHERE k IN (1, 2) ORDER BY t ASC", fetch_size=2))


class MixedOrderSliceTest(KeyspaceTest):
    """Multi-column slices over clustering columns of mixed order, against a brute-force model."""

    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "mix")
        s.execute("CREATE TABLE t (k int, a int, b int, c int, PRIMARY KEY (k, a, b, c)) "
                  "WITH CLUSTERING ORDER BY (a DESC, b ASC, c DESC)")
        cls.rows = [(a, b, c) for a in range(3) for b in range(3) for c in range(3)]
        for a, b, c in cls.rows:
            s.execute("INSERT INTO t (k, a, b, c) VALUES (1, %s, %s, %s)", (a, b, c))

    def test_every_bound_pair_matches_the_model(self):
        ops = {">": lambda x, y: x > y, ">=": lambda x, y: x >= y,
               "<": lambda x, y: x < y, "<=": lambda x, y: x <= y}
        declared = lambda r: (-r[0], r[1], -r[2])  # noqa: E731
        checked = 0
        for cols in (("a", "b"), ("a", "b", "c")):
            n = len(cols)
            bounds = [tuple(v) for v in ([0, 1, 2], [1, 1, 1], [2, 0, 1], [1, 2, 0])]
            for lo in bounds:
                for hi in bounds:
                    for lop in (">", ">="):
                        for hop in ("<", "<="):
                            names = ", ".join(cols)
                            lv, hv = lo[:n], hi[:n]
                            cql = (f"SELECT a, b, c FROM t WHERE k = 1 AND ({names}) {lop} "
                                   f"{lv} AND ({names}) {hop} {hv}")
                            got = [(r.a, r.b, r.c) for r in self.session.execute(cql)]
                            want = sorted((r for r in self.rows
                                           if ops[lop](r[:n], lv) and ops[hop](r[:n], hv)),
                                          key=declared)
                            self.assertEqual(got, want, cql)
                            checked += 1
        self.assertEqual(checked, 128)


class ScalarFunctionTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "fn")
        s.execute("CREATE TABLE t (k int PRIMARY KEY, tu timeuuid, ts timestamp, d date, "
                  "i int, b blob)")
        # 2024-02-29 12:00:00.123 UTC as a timeuuid (its time fields), a timestamp and a date.
        cls.when = datetime.datetime(2024, 2, 29, 12, 0, 0, 123000)
        delta = cls.when - datetime.datetime(1582, 10, 15)
        ticks = (delta.days * 86400 + delta.seconds) * 10 ** 7 + delta.microseconds * 10
        cls.tu = uuid.UUID(fields=(ticks & 0xFFFFFFFF, (ticks >> 32) & 0xFFFF,
                                   ((ticks >> 48) & 0x0FFF) | 0x1000, 0x80, 0x01, 0x0123456789AB))
        s.execute("INSERT INTO t (k, tu, ts, d, i, b) VALUES (1, %s, '2024-02-29 12:00:00.123+0000',"
                  " '2024-02-29', 258, 0x00000007)", (cls.tu,))

    def test_time_conversions(self):
        r = self.session.execute("SELECT toTimestamp(tu), toDate(tu), toUnixTimestamp(tu), "
                                 "toTimestamp(d), toUnixTimestamp(ts), toDate(ts) "
                                 "FROM t WHERE k = 1")
        self.assertEqual(r.column_names[:3], ["system.totimestamp(tu)", "system.todate(tu)",
                                              "system.tounixtimestamp(tu)"])
        row = r.one()
        ms = 1709208000123
        self.assertEqual(row[0], self.when)
        self.assertEqual(str(row[1]), "2024-02-29")
        self.assertEqual(row[2], ms)
        self.assertEqual(row[3], datetime.datetime(2024, 2, 29))
        self.assertEqual(row[4], ms)
        self.assertEqual(str(row[5]), "2024-02-29")
        # Cassandra 5.0 has removed dateOf and unixTimestampOf.
        for fn in ("dateOf", "unixTimestampOf"):
            with self.assertRaisesRegex(InvalidRequest, "Unknown function '%s'" % fn.lower()):
                self.session.execute("SELECT %s(tu) FROM t WHERE k = 1" % fn)

    def test_now_uuid_and_nesting(self):
        before = datetime.datetime.utcnow() - datetime.timedelta(seconds=5)
        row = self.session.execute("SELECT now(), uuid(), toTimestamp(now()) AS at, "
                                   "currentDate() FROM t WHERE k = 1").one()
        self.assertEqual(row[0].version, 1)
        self.assertEqual(row[1].version, 4)
        self.assertGreater(row.at, before)
        self.assertEqual(row[3].date(), datetime.datetime.utcnow().date())

    def test_blob_conversions(self):
        row = self.session.execute("SELECT intAsBlob(i), blobAsInt(b) FROM t WHERE k = 1").one()
        self.assertEqual(row[0], b"\x00\x00\x01\x02")
        self.assertEqual(row[1], 7)
        # 4 bytes are not a bigint: Cassandra fails the request.
        with self.assertRaisesRegex(InvalidRequest, "In call to function system.blobasbigint, "
                                    "value 0x00000007 is not a valid binary representation for "
                                    "type bigint"):
            self.session.execute("SELECT blobAsBigint(b) FROM t WHERE k = 1")

    def test_min_max_timeuuid_bound_a_millisecond(self):
        s = self.session
        s.execute("CREATE TABLE IF NOT EXISTS events (k int, t timeuuid, PRIMARY KEY (k, t))")
        s.execute("INSERT INTO events (k, t) VALUES (1, %s)", (self.tu,))
        q = ("SELECT t FROM events WHERE k = 1 AND t >= minTimeuuid(%s) "
             "AND t <= maxTimeuuid(%s)")
        hit = s.execute(q, ("2024-02-29 12:00:00.123+0000", "2024-02-29 12:00:00.123+0000"))
        self.assertEqual([r.t for r in hit], [self.tu])
        miss = s.execute(q, ("2024-02-29 12:00:00.124+0000", "2024-02-29 12:00:01+0000"))
        self.assertEqual(list(miss), [])
        row = s.execute("SELECT minTimeuuid(ts), maxTimeuuid(ts) FROM t WHERE k = 1").one()
        self.assertLessEqual(row[0].time, self.tu.time)
        self.assertGreaterEqual(row[1].time, self.tu.time)
        with self.assertRaisesRegex(InvalidRequest, "cannot assign result of function"):
            s.execute("INSERT INTO t (k, i) VALUES (2, minTimeuuid('2024-01-01'))")

    def test_functions_as_values(self):
        s = self.session
        s.execute("INSERT INTO t (k, i, b, d) VALUES (3, blobAsInt(0x0000002a), intAsBlob(5), "
                  "toDate(now()))")
        s.execute("UPDATE t SET i = fromJson('\"7\"') WHERE k = 4")
        row = s.execute("SELECT i, b, d FROM t WHERE k = 3").one()
        self.assertEqual((row.i, row.b), (42, b"\x00\x00\x00\x05"))
        self.assertEqual(row.d.date(), datetime.datetime.utcnow().date())
        self.assertEqual(s.execute("SELECT i FROM t WHERE k = 4").one().i, 7)

    def test_cast(self):
        s = self.session
        s.execute("CREATE TABLE IF NOT EXISTS nums (k int PRIMARY KEY, i int, big bigint, "
                  "f float, d double, dec decimal, vi varint, t text, u uuid, ok boolean)")
        s.execute("INSERT INTO nums (k, i, big, f, d, dec, vi, t, u, ok) VALUES (1, 70000, "
                  "5000000000, 2.5, -1234.5678, 12.75, 123456789012345678901, 'x', "
                  "123e4567-e89b-12d3-a456-426614174000, true)")
        r = s.execute("SELECT cast(i AS smallint), cast(big AS int), cast(d AS int), "
                      "cast(f AS double), cast(i AS text), cast(d AS text), cast(f AS varchar), "
                      "cast(dec AS int), cast(dec AS double), cast(vi AS text), cast(i AS decimal), "
                      "cast(d AS decimal), cast(u AS text), cast(ok AS text), cast(big AS float) "
                      "FROM nums WHERE k = 1")
        self.assertEqual(r.column_names[0], "cast(i as smallint)")
        row = r.one()
        self.assertEqual(row[0], 70000 - 65536 * 1)  # Java's (short) 70000 == 4464
        self.assertEqual(row[1], 705032704)           # (int) 5000000000
        self.assertEqual(row[2], -1234)
        self.assertEqual(row[3], 2.5)
        self.assertEqual((row[4], row[5], row[6]), ("70000", "-1234.5678", "2.5"))
        self.assertEqual((row[7], row[8]), (12, 12.75))
        self.assertEqual(row[9], "123456789012345678901")
        self.assertEqual(str(row[10]), "70000")
        self.assertEqual(str(row[11]), "-1234.5678")
        self.assertEqual(row[12], "123e4567-e89b-12d3-a456-426614174000")
        self.assertEqual(row[13], "true")
        self.assertAlmostEqual(row[14], 5e9, delta=1e3)
        r = s.execute("SELECT cast(ts AS text), cast(ts AS date), cast(tu AS timestamp), "
                      "cast(d AS timestamp) FROM t WHERE k = 1").one()
        self.assertEqual(r[0], "2024-02-29T12:00:00.123Z")
        self.assertEqual(str(r[1]), "2024-02-29")
        self.assertEqual(r[2], self.when)
        self.assertEqual(r[3], datetime.datetime(2024, 2, 29))
        with self.assertRaisesRegex(InvalidRequest, "system.cast_as_int, none of its type "
                                    "signatures match"):
            s.execute("SELECT cast(t AS int) FROM nums")

    def test_wrong_arguments(self):
        # Cassandra's FunctionResolver messages: several overloads, one overload. (An int
        # column would fit toTimestamp(date): Cassandra's date reads an int's bytes.)
        with self.assertRaisesRegex(InvalidRequest, "Invalid call to function totimestamp, none "
                                    "of its type signatures match"):
            self.session.execute("SELECT toTimestamp(b) FROM t")
        with self.assertRaisesRegex(InvalidRequest, "Type error: b cannot be passed as argument 0 "
                                    "of function system.intasblob of type int"):
            self.session.execute("SELECT intAsBlob(b) FROM t")
        with self.assertRaisesRegex(Exception, "Unknown function"):
            self.session.execute("SELECT nosuchfn(i) FROM t")


class JsonTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "js")
        s.execute('CREATE TABLE t (k int PRIMARY KEY, name text, "Mixed" int, l list<int>, '
                  "m map<int, text>, s set<text>, ts timestamp, u uuid, b blob, d double, "
                  "ok boolean, tu tuple<int, text>)")
        s.execute("INSERT INTO t (k, name, \"Mixed\", l, m, s, ts, u, b, d, ok, tu) VALUES "
                  "(1, 'a \"q\"', 5, [1, 2], {1: 'x'}, {'p', 'q'}, "
                  "'2024-02-29 12:00:00.123+0000', 123e4567-e89b-12d3-a456-426614174000, 0x0102, "
                  "1.5, true, (7, 'seven'))")
        s.execute("INSERT INTO t (k) VALUES (2)")

    def test_select_json_star(self):
        r = self.session.execute("SELECT JSON * FROM t WHERE k = 1")
        self.assertEqual(r.column_names, ["[json]"])
        doc = json.loads(r.one()[0])
        self.assertEqual(doc, {
            "k": 1, "name": 'a "q"', '"Mixed"': 5, "l": [1, 2], "m": {"1": "x"},
            "s": ["p", "q"], "ts": "2024-02-29 12:00:00.123Z",
            "u": "123e4567-e89b-12d3-a456-426614174000", "b": "0x0102", "d": 1.5, "ok": True,
            "tu": [7, "seven"]})

    def test_nulls_aliases_and_aggregates(self):
        doc = json.loads(self.session.execute(
            "SELECT JSON k, name AS who, l FROM t WHERE k = 2").one()[0])
        self.assertEqual(doc, {"k": 2, "who": None, "l": None})
        doc = json.loads(self.session.execute(
            "SELECT JSON count(*) FROM t WHERE k IN (1, 2)").one()[0])
        self.assertEqual(doc, {"count": 2})

    def test_to_json(self):
        row = self.session.execute("SELECT toJson(m), toJson(name), toJson(ts) FROM t "
                                   "WHERE k = 1").one()
        self.assertEqual(json.loads(row[0]), {"1": "x"})
        self.assertEqual(json.loads(row[1]), 'a "q"')
        self.assertEqual(row[2], '"2024-02-29 12:00:00.123Z"')

    def test_insert_json_round_trips_select_json(self):
        s = self.session
        doc = s.execute("SELECT JSON * FROM t WHERE k = 1").one()[0]
        copy = json.loads(doc)
        copy["k"] = 10
        s.execute("INSERT INTO t JSON %s", (json.dumps(copy),))
        back = json.loads(s.execute("SELECT JSON * FROM t WHERE k = 10").one()[0])
        self.assertEqual(back, copy)

    def test_insert_json_defaults_markers_and_errors(self):
        s = self.session
        s.execute("""INSERT INTO t JSON '{"k": 20, "name": "x", "l": [3]}'""")
        s.execute("""INSERT INTO t JSON '{"k": 20, "name": "y"}' DEFAULT UNSET""")
        row = s.execute("SELECT name, l FROM t WHERE k = 20").one()
        self.assertEqual((row.name, row.l), ("y", [3]))
        s.execute("""INSERT INTO t JSON '{"k": 20}'""")  # DEFAULT NULL: the rest is nulled
        row = s.execute("SELECT name, l FROM t WHERE k = 20").one()
        self.assertEqual((row.name, row.l), (None, None))
        prepared = s.prepare("INSERT INTO t JSON ?")
        self.assertEqual([c.name for c in prepared.column_metadata], ["[json]"])
        s.execute(prepared, ('{"k": 21, "\\"Mixed\\"": 9, "ts": 1709208000123, '
                             '"m": {"2": "two"}, "d": "2.5", "b": "0xff"}',))
        row = s.execute('SELECT "Mixed", ts, m, d, b FROM t WHERE k = 21').one()
        self.assertEqual(tuple(row), (9, datetime.datetime(2024, 2, 29, 12, 0, 0, 123000),
                                      {2: "two"}, 2.5, b"\xff"))
        with self.assertRaisesRegex(InvalidRequest, "unrecognized column: nope"):
            s.execute("""INSERT INTO t JSON '{"k": 22, "nope": 1}'""")
        with self.assertRaisesRegex(InvalidRequest, "Error decoding JSON value for k: Unable "
                                    "to make int from 'x'"):
            s.execute("""INSERT INTO t JSON '{"k": "x"}'""")
        with self.assertRaisesRegex(InvalidRequest, "Could not decode JSON"):
            s.execute("INSERT INTO t JSON '{not json'")


class GroupByFunctionTest(KeyspaceTest):
    """GROUP BY a function of the last clustering column (Cassandra 5.0: monotonic functions, the
    others refused when the statement is bound), and token() of bind markers."""

    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "gbf")
        s.execute("CREATE TABLE t (k int, c int, ts timestamp, v int, PRIMARY KEY (k, c, ts))")
        ins = s.prepare("INSERT INTO t (k, c, ts, v) VALUES (?, ?, ?, ?)")
        utc = datetime.timezone.utc
        for k, c, h, m, v in [(1, 1, 10, 0, 1), (1, 1, 10, 30, 2), (1, 1, 11, 10, 3),
                              (1, 2, 10, 10, 4), (2, 1, 10, 10, 5)]:
            s.execute(ins, (k, c, datetime.datetime(2020, 1, 1, h, m, tzinfo=utc), v))

    def test_groups_by_the_functions_value(self):
        r = self.session.execute("SELECT k, c, floor(ts, 1h), count(*), sum(v) FROM t "
                                 "WHERE k = 1 GROUP BY c, floor(ts, 1h)")
        self.assertEqual(r.column_names, ["k", "c", "system.floor(ts, 1h)", "count",
                                          "system.sum(v)"])
        rows = [(row[1], row[2].hour, row[3], row[4]) for row in r]
        self.assertEqual(rows, [(1, 10, 2, 3), (1, 11, 1, 3), (2, 10, 1, 4)])
        rows = [tuple(row) for row in self.session.execute(
            "SELECT k, count(*) FROM t GROUP BY k, c, floor(ts, 2h)")]
        self.assertEqual(sorted(rows), [(1, 1), (1, 3), (2, 1)])

    def test_only_monotonic_functions_when_bound(self):
        # Prepared, the statement is accepted; executing it binds the function and refuses it.
        stmt = self.session.prepare("SELECT k, count(*) FROM t GROUP BY k, abs(c)")
        with self.assertRaisesRegex(InvalidRequest, r"Only monotonic functions are supported in "
                                    r"the GROUP BY clause. Got: system.abs : \(int\) -> int"):
            self.session.execute(stmt)
        with self.assertRaisesRegex(InvalidRequest, r"Got: system.floor : \(timestamp, "
                                    r"duration\(constant\), timestamp\) -> timestamp"):
            self.session.execute("SELECT k, count(*) FROM t GROUP BY k, c, floor(ts, 1h, ts)")
        with self.assertRaisesRegex(InvalidRequest, "Aggregate functions are not supported "
                                    "within the GROUP BY clause, got: system.max"):
            self.session.execute("SELECT k, count(*) FROM t GROUP BY k, max(c)")
        with self.assertRaisesRegex(InvalidRequest, "must have one clustering column name"):
            self.session.execute("SELECT k, count(*) FROM t GROUP BY k, now()")
        with self.assertRaisesRegex(InvalidRequest, "only supported on clustering columns"):
            self.session.execute("SELECT k, count(*) FROM t GROUP BY k, c, ts, abs(v)")

    def test_token_of_bind_markers(self):
        s = self.session
        stmt = s.prepare("SELECT k FROM t WHERE token(k) > token(?) AND token(k) <= token(:hi)")
        self.assertEqual([(m.name, m.type.typename) for m in stmt.column_metadata],
                         [("arg0(system.token)", "int"), ("hi", "int")])
        everything = [row.k for row in s.execute("SELECT DISTINCT k FROM t")]
        first = everything[0]
        self.assertEqual(sorted({row.k for row in s.execute(stmt, (first, everything[-1]))}),
                         sorted(everything[1:]))
        eq = s.prepare("SELECT DISTINCT k FROM t WHERE token(k) = token(?)")
        self.assertEqual([row.k for row in s.execute(eq, (2,))], [2])
        with self.assertRaisesRegex(InvalidRequest, "Invalid null token value"):
            s.execute(eq, (None,))


class ClusteringContainsTest(KeyspaceTest):
    """CONTAINS on frozen collection clustering columns, and an index beside restrictions on the
    key that it does not answer (ALLOW FILTERING required, as Cassandra's checkNeedsFiltering)."""

    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "ccont")
        s.execute("CREATE TABLE f (p int, c1 frozen<list<int>>, c2 frozen<map<int, int>>, "
                  "c3 int, PRIMARY KEY (p, c1, c2, c3))")
        s.execute("CREATE INDEX ON f (c3)")
        s.execute("CREATE TABLE x (k1 int, k2 int, c int, a int, PRIMARY KEY ((k1, k2), c))")
        s.execute("CREATE INDEX ON x (a)")
        s.execute("INSERT INTO f (p, c1, c2, c3) VALUES (0, [1], {1: 2}, 0)")
        s.execute("INSERT INTO f (p, c1, c2, c3) VALUES (0, [2], {1: 3}, 0)")
        s.execute("INSERT INTO f (p, c1, c2, c3) VALUES (1, [1, 2], {2: 2}, 1)")
        s.execute("INSERT INTO x (k1, k2, c, a) VALUES (1, 1, 1, 7)")
        s.execute("INSERT INTO x (k1, k2, c, a) VALUES (1, 2, 2, 7)")

    def test_contains_filters_with_allow_filtering(self):
        s = self.session
        rows = s.execute("SELECT p, c1 FROM f WHERE c1 CONTAINS 1 ALLOW FILTERING")
        self.assertEqual(sorted((r.p, tuple(r.c1)) for r in rows), [(0, (1,)), (1, (1, 2))])
        rows = s.execute("SELECT p FROM f WHERE c2 CONTAINS KEY 2 ALLOW FILTERING")
        self.assertEqual([r.p for r in rows], [1])
        stmt = s.prepare("SELECT p FROM f WHERE p = 0 AND c1 CONTAINS ? ALLOW FILTERING")
        self.assertEqual([m.name for m in stmt.column_metadata], ["value(c1)"])
        self.assertEqual([r.p for r in s.execute(stmt, (2,))], [0])
        with self.assertRaisesRegex(InvalidRequest, "Clustering columns can only be restricted "
                                    "with CONTAINS with a secondary index or filtering"):
            s.execute("SELECT p FROM f WHERE p = 0 AND c1 CONTAINS 1")
        with self.assertRaisesRegex(InvalidRequest, "ALLOW FILTERING"):
            s.execute("SELECT p FROM f WHERE p = 0 AND c1 CONTAINS 1 AND c3 = 0")
        with self.assertRaisesRegex(InvalidRequest, "Cannot use CONTAINS KEY on non-map column"):
            s.execute("SELECT p FROM f WHERE c1 CONTAINS KEY 1 ALLOW FILTERING")

    def test_index_with_unanswered_key_restrictions_needs_allow_filtering(self):
        s = self.session
        for where in ["a = 7 AND c = 1", "k1 = 1 AND a = 7", "a = 7 AND c > 0"]:
            with self.assertRaisesRegex(InvalidRequest, "ALLOW FILTERING"):
                s.execute(f"SELECT c FROM x WHERE {where}")
        self.assertEqual([r.c for r in s.execute("SELECT c FROM x WHERE a = 7 AND c = 1 "
                                                  "ALLOW FILTERING")], [1])
        self.assertEqual([r.c for r in s.execute("SELECT c FROM x WHERE k1 = 1 AND k2 = 2 "
                                                  "AND a = 7 AND c = 2")], [2])
        self.assertEqual(sorted(r.c for r in s.execute("SELECT c FROM x WHERE token(k1, k2) > "
                                                        "-9223372036854775808 AND a = 7")), [1, 2])


class BoundValueRefusalsTest(KeyspaceTest):
    """Bound values that Cassandra refuses when the statement runs, with its texts: unset map
    keys and values in `m[?] = ?` filters (key first), durations of mixed signs, and a prepared
    deletion of named columns over a range of rows."""

    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "bvr")
        s.execute("CREATE TABLE m (a int, b int, e map<int, int>, PRIMARY KEY (a, b))")
        s.execute("CREATE TABLE d (a int, b int, c duration, PRIMARY KEY (a, b))")
        s.execute("CREATE TABLE r (k int, c int, v int, PRIMARY KEY (k, c))")

    def test_unset_map_key_and_value_in_a_filter(self):
        s = self.session
        stmt = s.prepare("SELECT * FROM m WHERE a >= 1 AND b < 1 AND e[?] = ? ALLOW FILTERING")
        with self.assertRaisesRegex(InvalidRequest, "^.*Unsupported unset map key for column e"):
            s.execute(stmt, (UNSET_VALUE, UNSET_VALUE))
        with self.assertRaisesRegex(InvalidRequest, "Unsupported unset map value for column e"):
            s.execute(stmt, (1, UNSET_VALUE))
        with self.assertRaisesRegex(InvalidRequest, "Unsupported null map key for column e"):
            s.execute(stmt, (None, 2))

    def test_duration_of_mixed_signs(self):
        s = self.session
        stmt = s.prepare("INSERT INTO d (a, b, c) VALUES (?, ?, ?)")
        with self.assertRaisesRegex(InvalidRequest, r'message="The duration months, days and '
                                    r'nanoseconds must be all of the same sign \(2, -2, 0\)"'):
            s.execute(stmt, (2, 1, Duration(2, -2, 0)))
        with self.assertRaisesRegex(InvalidRequest, r"same sign \(-2, 0, 2000000\)"):
            s.execute(stmt, (2, 1, Duration(-2, 0, 2000000)))
        s.execute(stmt, (2, 1, Duration(-2, 0, -2000000)))
        self.assertEqual(s.execute("SELECT c FROM d WHERE a = 2").one().c,
                         Duration(-2, 0, -2000000))

    def test_range_deletion_of_named_columns_is_refused_when_it_runs(self):
        s = self.session
        s.execute("INSERT INTO r (k, c, v) VALUES (1, 1, 1)")
        stmt = s.prepare("DELETE v FROM r WHERE k = ? AND c >= ? AND c < ?")
        with self.assertRaisesRegex(InvalidRequest,
                                    "Range deletions are not supported for specific columns"):
            s.execute(stmt, (1, 0, 5))
        s.execute(stmt, (1, 5, 0))  # a range that selects nothing deletes nothing
        self.assertEqual(s.execute("SELECT v FROM r WHERE k = 1").one().v, 1)


if __name__ == "__main__":
    node_process.main_with_node()
