"""CQL semantics of postfork-node checked through python3-cassandra against the answers Apache
Cassandra 5.0 gives: non-pure functions (uuid(), now(), current*()) evaluated on every execution
of prepared, batched and unprepared statements; IN with ORDER BY DESC; an empty IN; SELECT *
and [applied] column order; conditions on static columns of a missing row; SELECT JSON names
and non-finite numbers; casts of large varints; GROUP BY with PER PARTITION LIMIT; literals and
markers as selectors; clustering filters after a slice (ALLOW FILTERING); empty values of
fixed-size types; decimal clustering keys compared by value; request tracing; type hints,
operators and token() where values stand.
Usage: /usr/bin/python3 python_cql3_semantics_test.py <path to postfork-node>
"""
import datetime
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra import InvalidRequest  # noqa: E402
from cassandra.query import BatchStatement, SimpleStatement  # noqa: E402
from node_process import KeyspaceTest  # noqa: E402

RUNS = 50


class NonPureFunctionsTest(KeyspaceTest):
    """Each execution evaluates uuid(), now() and current*() anew: no write overwrites another."""

    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "nonpure")
        for name, key in [("by_uuid", "uuid"), ("by_timeuuid", "timeuuid")]:
            s.execute(f"CREATE TABLE {name} (id {key} PRIMARY KEY, v int, ts timestamp, "
                      "d date, t time, b bigint)")

    def count(self, table):
        return self.session.execute(f"SELECT count(*) FROM {table}").one()[0]

    def test_prepared_uuid_inserts_distinct_rows(self):
        s = self.session
        s.execute("TRUNCATE by_uuid")
        ins = s.prepare("INSERT INTO by_uuid (id, v) VALUES (uuid(), ?)")
        self.assertEqual(len(ins.column_metadata), 1)  # only v is a marker
        for i in range(RUNS):
            s.execute(ins, (i,))
        self.assertEqual(self.count("by_uuid"), RUNS)
        values = sorted(r.v for r in s.execute("SELECT v FROM by_uuid"))
        self.assertEqual(values, list(range(RUNS)))

    def test_prepared_now_and_current_time_functions(self):
        s = self.session
        s.execute("TRUNCATE by_timeuuid")
        ins = s.prepare("INSERT INTO by_timeuuid (id, v, ts, d, t) VALUES "
                        "(now(), ?, currentTimestamp(), currentDate(), currentTime())")
        before = datetime.datetime.utcnow() - datetime.timedelta(seconds=5)
        for i in range(RUNS):
            s.execute(ins, (i,))
        after = datetime.datetime.utcnow() + datetime.timedelta(seconds=5)
        rows = list(s.execute("SELECT id, v, ts, d, t FROM by_timeuuid"))
        self.assertEqual(len(rows), RUNS)
        for r in rows:
            self.assertEqual(r.id.version, 1)
            self.assertTrue(before <= r.ts <= after, r.ts)
            self.assertIn(r.d.date(), (before.date(), after.date()))
            self.assertIsNotNone(r.t)
        stamps = [r.ts for r in rows]
        self.assertGreater(len(set(stamps)), 1, "currentTimestamp() re-evaluated per execution")

    def test_current_timeuuid_in_where_is_evaluated_per_execution(self):
        s = self.session
        s.execute("TRUNCATE by_timeuuid")
        upd = s.prepare("UPDATE by_timeuuid SET v = ? WHERE id = currentTimeUUID()")
        for i in range(10):
            s.execute(upd, (i,))
        self.assertEqual(self.count("by_timeuuid"), 10)

    def test_batched_uuid_inserts_distinct_rows(self):
        s = self.session
        s.execute("TRUNCATE by_uuid")
        ins = s.prepare("INSERT INTO by_uuid (id, v) VALUES (uuid(), ?)")
        for run in range(5):
            batch = BatchStatement()
            for i in range(10):
                batch.add(ins, (run * 10 + i,))
            s.execute(batch)
        s.execute("BEGIN BATCH INSERT INTO by_uuid (id, v) VALUES (uuid(), 100); "
                  "INSERT INTO by_uuid (id, v) VALUES (uuid(), 101) APPLY BATCH")
        self.assertEqual(self.count("by_uuid"), 52)

    def test_unprepared_uuid_inserts_distinct_rows(self):
        s = self.session
        s.execute("TRUNCATE by_uuid")
        for i in range(RUNS):
            s.execute(SimpleStatement("INSERT INTO by_uuid (id, v) VALUES (uuid(), %s)"), (i,))
        for i in range(RUNS):
            s.execute("INSERT INTO by_uuid (id, v) VALUES (uuid(), 7)")
        self.assertEqual(self.count("by_uuid"), 2 * RUNS)

    def test_type_errors_are_reported_at_prepare(self):
        s = self.session
        with self.assertRaisesRegex(InvalidRequest,
                                    r"cannot assign result of function system.uuid \(type uuid\)"):
            s.prepare("INSERT INTO by_uuid (id, v) VALUES (uuid(), uuid())")
        with self.assertRaisesRegex(InvalidRequest, "Ambiguous call to function tounixtimestamp"):
            s.prepare("INSERT INTO by_uuid (id, b) VALUES (uuid(), "
                      "toUnixTimestamp('2020-01-01'))")
        # toTimestamp(date) is the one overload a string fits.
        s.execute("INSERT INTO by_uuid (id, ts) VALUES (uuid(), toTimestamp('2020-01-02'))")
        with self.assertRaisesRegex(InvalidRequest, "Unknown function nosuch called"):
            s.prepare("INSERT INTO by_uuid (id, v) VALUES (uuid(), nosuch())")

    def test_pure_functions_over_markers(self):
        s = self.session
        s.execute("CREATE TABLE IF NOT EXISTS blobs (k int PRIMARY KEY, b blob)")
        ins = s.prepare("INSERT INTO blobs (k, b) VALUES (?, textAsBlob(?))")
        self.assertEqual([c.name for c in ins.column_metadata],
                         ["k", "arg0(system.textasblob)"])
        s.execute(ins, (1, "hi"))
        self.assertEqual(s.execute("SELECT b FROM blobs WHERE k = 1").one().b, b"hi")


class OrderingTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "ordering")
        s.execute("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))")
        for c in range(4):
            s.execute("INSERT INTO t (k, c, v) VALUES (0, %s, %s)", (c, c))
        s.execute("CREATE TABLE two (k1 int, k2 int, v int, PRIMARY KEY (k1, k2))")
        s.execute("INSERT INTO two (k1, k2, v) VALUES (0, 0, 0)")

    def test_in_with_order_by_desc(self):
        s = self.session
        rows = s.execute("SELECT c FROM t WHERE k = 0 AND c IN (0, 2) ORDER BY c DESC")
        self.assertEqual([r.c for r in rows], [2, 0])
        rows = s.execute("SELECT c FROM t WHERE k = 0 AND c IN (2, 0) ORDER BY c ASC")
        self.assertEqual([r.c for r in rows], [0, 2])
        prepared = s.prepare("SELECT c FROM t WHERE k = 0 AND c IN ? ORDER BY c DESC")
        self.assertEqual([r.c for r in s.execute(prepared, ([1, 3, 0],))], [3, 1, 0])

    def test_empty_in_selects_nothing(self):
        s = self.session
        self.assertEqual(list(s.execute("SELECT * FROM two WHERE k1 = 0 AND k2 IN ()")), [])
        prepared = s.prepare("SELECT * FROM two WHERE k1 = 0 AND k2 IN ?")
        self.assertEqual(list(s.execute(prepared, ([],))), [])
        self.assertEqual(s.execute("SELECT count(*) FROM two WHERE k1 = 0 AND k2 IN ()").one()[0],
                         0)


class MixedOrderSliceTest(KeyspaceTest):
    """Multi-column slices over ASC and DESC clustering columns select the rows whose tuple
    compares in range by natural order, bounds of different lengths included."""

    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "mixedslice")
        s.execute("CREATE TABLE t (a int, b int, c int, d int, PRIMARY KEY (a, b, c, d)) "
                  "WITH CLUSTERING ORDER BY (b ASC, c DESC, d ASC)")
        cls.rows = [(b, c, d) for b in range(3) for c in range(3) for d in range(3)]
        for r in cls.rows:
            s.execute("INSERT INTO t (a, b, c, d) VALUES (0, %s, %s, %s)", r)

    def test_bounds_of_different_lengths(self):
        cases = [((">=", (0,)), ("<=", (0, 1, 2))), ((">", (0, 1)), ("<=", (0,))),
                 ((">=", (2, 0)), ("<=", (2, 0, 1))), ((">", (1, 1, 0)), ("<=", (1,))),
                 ((">", (0, 2, 1)), ("<", (2, 1))), ((">=", (1,)), None)]
        for lower, upper in cases:
            where, checks = [], []
            for op, bound in filter(None, (lower, upper)):
                cols = "(" + ", ".join("bcd"[:len(bound)]) + ")"
                where.append(f"{cols} {op} ({', '.join(map(str, bound))})")
                checks.append((op, bound))

            def holds(r):
                return all({">": r[:len(b)] > b, ">=": r[:len(b)] >= b, "<": r[:len(b)] < b,
                            "<=": r[:len(b)] <= b}[op] for op, b in checks)
            query = "SELECT b, c, d FROM t WHERE a = 0 AND " + " AND ".join(where)
            got = [tuple(r) for r in self.session.execute(query)]
            expected = sorted((r for r in self.rows if holds(r)), key=lambda r: (r[0], -r[1], r[2]))
            self.assertEqual(got, expected, query)


class ColumnOrderTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "colorder")
        s.execute("CREATE TABLE t (p int, c int, a int, z int static, b int, y int static, "
                  "PRIMARY KEY (p, c))")

    def test_select_star_puts_statics_before_regulars(self):
        s = self.session
        s.execute("INSERT INTO t (p, c, a, b, y, z) VALUES (1, 2, 3, 4, 5, 6)")
        r = s.execute("SELECT * FROM t")
        self.assertEqual(r.column_names, ["p", "c", "y", "z", "a", "b"])
        self.assertEqual(tuple(r.one()), (1, 2, 5, 6, 3, 4))

    def test_applied_rows_order_columns_as_select_star(self):
        s = self.session
        s.execute("INSERT INTO t (p, c, a, b, y, z) VALUES (2, 2, 3, 4, 5, 6)")
        # Cassandra reads the static columns for a condition only when the statement writes one
        # (CQL3CasRequest.columnsToRead): here they come back null.
        r = s.execute("INSERT INTO t (p, c, a) VALUES (2, 2, 9) IF NOT EXISTS")
        self.assertEqual(r.column_names, ["[applied]", "p", "c", "y", "z", "a", "b"])
        self.assertEqual(tuple(r.one()), (False, 2, 2, None, None, 3, 4))
        r = s.execute("INSERT INTO t (p, c, a, y) VALUES (2, 2, 9, 1) IF NOT EXISTS")
        self.assertEqual(r.column_names, ["[applied]", "p", "c", "y", "z", "a", "b"])
        self.assertEqual(tuple(r.one()), (False, 2, 2, 5, 6, 3, 4))


class StaticConditionTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "staticcas")
        s.execute("CREATE TABLE t (p int, c int, s int static, v int, PRIMARY KEY (p, c))")

    def test_condition_on_static_of_missing_row_reads_the_static_row(self):
        s = self.session
        s.execute("INSERT INTO t (p, s) VALUES (1, 5)")  # statics only, no clustering row
        r = s.execute("UPDATE t SET v = 1 WHERE p = 1 AND c = 1 IF s = 5")
        self.assertTrue(r.one()[0])
        self.assertEqual(tuple(s.execute("SELECT c, s, v FROM t WHERE p = 1").one()), (1, 5, 1))
        r = s.execute("UPDATE t SET v = 2 WHERE p = 1 AND c = 2 IF s = 6")
        self.assertEqual(r.column_names, ["[applied]", "s"])
        self.assertEqual(tuple(r.one()), (False, 5))

    def test_conditional_delete_returns_old_values(self):
        s = self.session
        s.execute("INSERT INTO t (p, c, s, v) VALUES (2, 1, 7, 8)")
        r = s.execute("DELETE FROM t WHERE p = 2 AND c = 1 IF v = 9")
        self.assertEqual(r.column_names, ["[applied]", "v"])
        self.assertEqual(tuple(r.one()), (False, 8))
        r = s.execute("DELETE v FROM t WHERE p = 2 AND c = 1 IF s = 0 AND v = 8")
        self.assertEqual(r.column_names, ["[applied]", "v", "s"])
        self.assertEqual(tuple(r.one()), (False, 8, 7))
        r = s.execute("DELETE FROM t WHERE p = 2 AND c = 1 IF v = 8")
        self.assertEqual(tuple(r.one()), (True,))


class JsonAndCastTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "jsoncast")
        s.execute('CREATE TABLE t (k int PRIMARY KEY, v int, d double, f float, "Mixed" int, '
                  'n varint, dec decimal)')

    def test_select_json_names_and_non_finite_numbers(self):
        s = self.session
        s.execute("INSERT INTO t (k, v, d, f, \"Mixed\") VALUES (1, 2, NaN, -Infinity, 3) "
                  "USING TTL 1000")
        doc = json.loads(s.execute('SELECT JSON k, ttl(v), d, f, "Mixed" FROM t WHERE k = 1')
                         .one()[0])
        self.assertEqual(sorted(doc), ['"Mixed"', "d", "f", "k", "ttl(v)"])
        self.assertIsNone(doc["d"])
        self.assertIsNone(doc["f"])
        doc = json.loads(s.execute("SELECT JSON d AS \"Big\", v AS small FROM t WHERE k = 1")
                         .one()[0])
        self.assertEqual(sorted(doc), ['"Big"', "small"])

    def test_cast_of_large_varint_narrows_as_java(self):
        s = self.session
        s.execute("INSERT INTO t (k, n, dec) VALUES (2, 123456789012345678901234567890, "
                  "-98765432109876543210.75)")
        row = s.execute("SELECT cast(n AS tinyint), cast(n AS smallint), cast(n AS int), "
                        "cast(n AS bigint), cast(dec AS tinyint), cast(dec AS bigint), "
                        "cast(dec AS varint) FROM t WHERE k = 2").one()
        n = 123456789012345678901234567890
        dec = -98765432109876543210  # integer part, truncated toward zero

        def narrow(x, bits):
            x &= (1 << bits) - 1
            return x - (1 << bits) if x >> (bits - 1) else x
        self.assertEqual(tuple(row), (narrow(n, 8), narrow(n, 16), narrow(n, 32), narrow(n, 64),
                                      narrow(dec, 8), narrow(dec, 64), dec))


class GroupByPerPartitionLimitTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "groupppl")
        s.execute("CREATE TABLE t (p int, c1 int, c2 int, v int, PRIMARY KEY (p, c1, c2))")
        ins = s.prepare("INSERT INTO t (p, c1, c2, v) VALUES (?, ?, ?, ?)")
        for p in range(3):
            for c1 in range(3):
                for c2 in range(2):
                    s.execute(ins, (p, c1, c2, p * 100 + c1 * 10 + c2))

    def test_per_partition_limit_counts_groups(self):
        s = self.session
        expected = [(p, c1, 2) for p in range(3) for c1 in range(2)]
        query = "SELECT p, c1, count(*) FROM t GROUP BY p, c1 PER PARTITION LIMIT 2"
        rows = sorted(tuple(r) for r in s.execute(query))
        self.assertEqual(rows, expected)
        paged = sorted(tuple(r) for r in s.execute(SimpleStatement(query, fetch_size=1)))
        self.assertEqual(paged, expected)
        rows = list(s.execute("SELECT p, c1, count(*) FROM t WHERE p = 1 GROUP BY p, c1 "
                              "PER PARTITION LIMIT 1"))
        self.assertEqual([tuple(r) for r in rows], [(1, 0, 2)])
        rows = list(s.execute("SELECT p, c1, count(*) FROM t GROUP BY p, c1 "
                              "PER PARTITION LIMIT 2 LIMIT 3"))
        self.assertEqual(len(rows), 3)

    def test_group_by_pages_count_groups(self):
        # Cassandra pages GROUP BY results by groups; a full page says more may follow, so 9
        # groups at 3 a page come as 3, 3, 3 and an empty page; every page of an aggregation
        # without a partition key carries the warning.
        s = self.session
        query = "SELECT p, c1, count(*) FROM t GROUP BY p, c1"
        rs = s.execute(SimpleStatement(query, fetch_size=3))
        pages, warnings = [len(rs.current_rows)], list(rs.response_future.warnings or [])
        rows = list(rs.current_rows)
        while rs.has_more_pages:
            rs.fetch_next_page()
            pages.append(len(rs.current_rows))
            rows.extend(rs.current_rows)
            warnings.extend(rs.response_future.warnings or [])
        self.assertEqual(pages, [3, 3, 3, 0])
        self.assertEqual(len(set(tuple(r) for r in rows)), 9)
        self.assertEqual(warnings, ["Aggregation query used without partition key"] * 4)
        rs = s.execute(SimpleStatement(query + " LIMIT 4", fetch_size=4))
        self.assertEqual((len(rs.current_rows), rs.has_more_pages), (4, False))



class SelectorTermsTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "selterms")
        s.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
        s.execute("INSERT INTO t (k, v) VALUES (1, 'row')")

    def test_terms_as_selectors_and_arguments(self):
        s = self.session
        r = s.execute("SELECT blobAsText(textAsBlob('hi')), (bigint)1, (text)'lit' FROM t "
                      "WHERE k = 1")
        self.assertEqual(tuple(r.one()), ("hi", 1, "lit"))
        self.assertEqual(r.column_names[1:], ["(bigint)1", "(text)'lit'"])
        # A literal has no type of its own (Cassandra): uncast, it cannot be a selector.
        with self.assertRaisesRegex(InvalidRequest, "Cannot infer type for term 'lit'"):
            s.execute("SELECT 'lit' FROM t WHERE k = 1")
        prepared = s.prepare("SELECT (int)?, textAsBlob(?) FROM t WHERE k = ?")
        self.assertEqual([c.type.typename for c in prepared.column_metadata],
                         ["int", "varchar", "int"])
        self.assertEqual(tuple(s.execute(prepared, (7, "x", 1)).one()), (7, b"x"))

    def test_untyped_marker_is_refused(self):
        with self.assertRaisesRegex(InvalidRequest, r"Cannot infer type for term \? in selection "
                                                    r"clause \(try using a cast to force a type\)"):
            self.session.prepare("SELECT ? FROM t")


class ClusteringFilteringTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "ckfilter")
        s.execute("CREATE TABLE t (p int, c1 int, c2 int, v int, PRIMARY KEY (p, c1, c2))")
        for c1 in range(3):
            for c2 in range(3):
                s.execute("INSERT INTO t (p, c1, c2, v) VALUES (0, %s, %s, 0)", (c1, c2))

    def test_filter_after_a_slice_needs_allow_filtering(self):
        s = self.session
        with self.assertRaisesRegex(InvalidRequest, 'Clustering column "c2" cannot be restricted '
                                                    r'\(preceding column "c1" is restricted by a '
                                                    r'non-EQ relation\)'):
            s.execute("SELECT * FROM t WHERE p = 0 AND c1 > 0 AND c2 = 1")
        prepared = s.prepare("SELECT c1, c2 FROM t WHERE p = ? AND c1 > ? AND c2 = ? "
                             "ALLOW FILTERING")
        self.assertEqual([tuple(r) for r in s.execute(prepared, (0, 0, 1))], [(1, 1), (2, 1)])
        rows = s.execute("SELECT c1, c2 FROM t WHERE p = 0 AND c2 > 1 AND c1 < 2 "
                         "ALLOW FILTERING")
        self.assertEqual([tuple(r) for r in rows], [(0, 2), (1, 2)])
        rows = s.execute("SELECT c1, c2 FROM t WHERE p = 0 AND c2 IN (0, 2) ALLOW FILTERING")
        self.assertEqual(len(list(rows)), 6)



class EmptyValuesTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "emptyvals")
        s.execute("CREATE TABLE t (k int PRIMARY KEY, i int, b bigint, u uuid, ts timestamp)")

    def test_empty_fixed_size_values_are_not_null(self):
        s = self.session
        s.execute("INSERT INTO t (k, i, b, u, ts) VALUES (1, blobAsInt(0x), blobAsBigint(0x), "
                  "blobAsUuid(0x), blobAsTimestamp(0x))")
        s.execute("INSERT INTO t (k) VALUES (2)")
        query = ("SELECT intAsBlob(i), bigintAsBlob(b), uuidAsBlob(u), timestampAsBlob(ts) "
                 "FROM t WHERE k = %s")
        self.assertEqual(tuple(s.execute(query, (1,)).one()), (b"", b"", b"", b""))
        self.assertEqual(tuple(s.execute(query, (2,)).one()), (None, None, None, None))
        prepared = s.prepare("INSERT INTO t (k, i) VALUES (?, blobAsInt(?))")
        s.execute(prepared, (3, b""))
        self.assertEqual(s.execute("SELECT intAsBlob(i) FROM t WHERE k = 3").one()[0], b"")

    def test_empty_clustering_values_sort_first(self):
        # Cassandra's Int32Type/UUIDType/DecimalType... compare an empty value before all others;
        # an empty value is a clustering key of its own, distinct from every non-empty one.
        s = self.session
        s.execute("CREATE TABLE ck (k int, c int, d uuid, e decimal, v int, "
                  "PRIMARY KEY (k, c, d, e)) WITH CLUSTERING ORDER BY (c ASC, d DESC, e ASC)")
        u = "11111111-1111-4111-8111-111111111111"
        s.execute(f"INSERT INTO ck (k, c, d, e, v) VALUES (0, -2147483648, {u}, 1, 1)")
        s.execute(f"INSERT INTO ck (k, c, d, e, v) VALUES (0, blobAsInt(0x), {u}, 1, 2)")
        s.execute("INSERT INTO ck (k, c, d, e, v) VALUES (0, 5, blobAsUuid(0x), 1, 3)")
        s.execute(f"INSERT INTO ck (k, c, d, e, v) VALUES (0, 5, {u}, 1, 4)")
        prepared = s.prepare("INSERT INTO ck (k, c, d, e, v) VALUES (0, 5, ?, blobAsDecimal(?), ?)")
        s.execute(prepared, (uuid.UUID(u), b"", 5))
        rows = s.execute("SELECT intAsBlob(c), v FROM ck WHERE k = 0")
        # c ASC with the empty value first; d DESC puts the empty uuid last; e ASC empty first.
        self.assertEqual([r[1] for r in rows], [2, 1, 5, 4, 3])
        self.assertEqual(s.execute("SELECT intAsBlob(c) FROM ck WHERE k = 0 LIMIT 1").one()[0],
                         b"")
        got = s.execute("SELECT v FROM ck WHERE k = 0 AND c = blobAsInt(0x)").one()
        self.assertEqual(got[0], 2)
        rows = s.execute("SELECT v FROM ck WHERE k = 0 AND c < -2147483648")
        self.assertEqual([r[0] for r in rows], [2])
        s.execute("DELETE FROM ck WHERE k = 0 AND c = blobAsInt(0x)")
        self.assertEqual([r[0] for r in s.execute("SELECT v FROM ck WHERE k = 0")], [1, 5, 4, 3])



class DecimalKeysTest(KeyspaceTest):
    """Clustering keys compare as Cassandra's DecimalType and IntegerType do (by value); a row
    keeps the bytes it was first written with. Partition keys stay by their bytes."""

    @classmethod
    def setUpClass(cls):
        KeyspaceTest.open(cls, "deckeys")

    def test_equal_decimals_are_one_clustering_key(self):
        from decimal import Decimal
        s = self.session
        s.execute("CREATE TABLE d (p decimal, c decimal, v int, PRIMARY KEY (p, c)) "
                  "WITH CLUSTERING ORDER BY (c DESC)")
        ins = s.prepare("INSERT INTO d (p, c, v) VALUES (?, ?, ?)")
        s.execute(ins, (Decimal("1"), Decimal("1230"), 1))
        s.execute(ins, (Decimal("1"), Decimal("1.23E+3"), 2))
        s.execute("INSERT INTO d (p, c, v) VALUES (1, 12300E-1, 3)")
        s.execute(ins, (Decimal("1"), Decimal("-0.5"), 4))
        rows = [tuple(r) for r in s.execute("SELECT c, v FROM d WHERE p = 1")]
        self.assertEqual(rows, [(Decimal("1230"), 3), (Decimal("-0.5"), 4)])
        self.assertEqual(str(rows[0][0]), "1230")  # the first-written bytes
        got = s.execute("SELECT v FROM d WHERE p = 1 AND c = %s", (Decimal("1.230E3"),)).one()
        self.assertEqual(got.v, 3)
        got = s.execute("SELECT c FROM d WHERE p = 1 AND c IN (1230, 1.23E+3, -0.50)")
        self.assertEqual([str(r.c) for r in got], ["1230", "-0.5"])
        s.execute("DELETE FROM d WHERE p = 1 AND c = 1.23E+3")
        self.assertEqual([r.v for r in s.execute("SELECT v FROM d WHERE p = 1")], [4])
        # 1 and 1.0 as partition keys: two partitions (tokens of different bytes).
        s.execute(ins, (Decimal("1.0"), Decimal("0"), 5))
        self.assertEqual(s.execute("SELECT count(*) FROM d WHERE p = 1.0").one()[0], 1)
        self.assertEqual(s.execute("SELECT count(*) FROM d WHERE p = 1").one()[0], 1)


class TracingTest(KeyspaceTest):
    """trace=True on QUERY, EXECUTE and BATCH: the driver reads the session and its events from
    system_traces, with Cassandra's request texts and parameters."""

    @classmethod
    def setUpClass(cls):
        KeyspaceTest.open(cls, "tracing")

    def test_traced_requests_have_sessions_and_events(self):
        s = self.session
        s.execute("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))")
        rs = s.execute("INSERT INTO t (k, c, v) VALUES (1, 1, 1)", trace=True)
        trace = rs.get_query_trace(max_wait_sec=5)
        self.assertEqual(trace.request_type, "Execute CQL3 query")
        self.assertEqual(trace.parameters["query"], "INSERT INTO t (k, c, v) VALUES (1, 1, 1)")
        self.assertIn("consistency_level", trace.parameters)
        self.assertIsNotNone(trace.duration)
        self.assertEqual(str(trace.client), "127.0.0.1")
        activities = [e.description for e in trace.events]
        self.assertEqual(activities[:2], ["Parsing INSERT INTO t (k, c, v) VALUES (1, 1, 1)",
                                          "Preparing statement"])
        self.assertIn("Adding to t memtable", activities)

        prepared = s.prepare("SELECT v FROM t WHERE k = ?")
        rs = s.execute(prepared, (1,), trace=True)
        self.assertEqual(rs.one().v, 1)
        trace = rs.get_query_trace(max_wait_sec=5)
        self.assertEqual(trace.request_type, "Execute CQL3 prepared query")
        self.assertEqual(trace.parameters["bound_var_0_k"], "1")
        self.assertEqual([e.description for e in trace.events],
                         ["Executing single-partition query on t",
                          "Read 1 live rows and 0 tombstone cells"])

        batch = BatchStatement()
        batch.add("INSERT INTO t (k, c, v) VALUES (2, 1, 1)")
        trace = s.execute(batch, trace=True).get_query_trace(max_wait_sec=5)
        self.assertEqual(trace.request_type, "Execute batch of CQL3 queries")
        self.assertIn("Determining replicas for atomic batch",
                      [e.description for e in trace.events])
        ttl = s.execute("SELECT ttl(request) FROM system_traces.sessions WHERE session_id = %s",
                        (trace.trace_id,)).one()[0]
        self.assertTrue(86400 - 60 < ttl <= 86400, ttl)

        rs = s.execute("SELECT * FROM t WHERE k = 1")
        self.assertIsNone(rs.get_query_trace())  # no trace id came back


class DeepTypesTest(KeyspaceTest):
    """Tuples of tuples and frozen collections nested 100 levels deep, which Cassandra accepts
    (it sets no depth limit; frozen<> is not a level)."""

    @classmethod
    def setUpClass(cls):
        KeyspaceTest.open(cls, "deeptypes")

    def test_types_nested_100_deep(self):
        s = self.session
        tup, lst, tup_lit, lst_lit = "int", "int", "1", "1"
        for _ in range(100):
            tup, tup_lit = f"tuple<{tup}, int>", f"({tup_lit}, 2)"
            lst, lst_lit = f"frozen<list<{lst}>>", f"[{lst_lit}]"
        s.execute(f"CREATE TABLE d (k int PRIMARY KEY, t {tup}, l {lst})")
        s.execute(f"INSERT INTO d (k, t, l) VALUES (1, {tup_lit}, {lst_lit})")
        row = s.execute("SELECT t, l FROM d WHERE k = 1").one()
        t, l, depth = row.t, row.l, 0
        while isinstance(t, tuple):
            self.assertEqual(t[1], 2)
            t, l, depth = t[0], l[0], depth + 1
        self.assertEqual((t, l, depth), (1, 1, 100))


class IdentifiersAndCustomTypesTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        KeyspaceTest.open(cls, "idents")

    def test_quoted_udt_field_names(self):
        s = self.session
        s.execute('CREATE TYPE ut ("field@#$%" int, "Other" text)')
        s.execute("CREATE TABLE u (k int PRIMARY KEY, v frozen<ut>, w ut)")
        s.execute('INSERT INTO u (k, v, w) VALUES (1, {"field@#$%": 5, "Other": \'x\'}, '
                  '{"field@#$%": 6})')
        s.execute('UPDATE u SET w."field@#$%" = 7 WHERE k = 1')
        row = s.execute('SELECT v."field@#$%", w."field@#$%", v."Other" FROM u WHERE k = 1').one()
        self.assertEqual(tuple(row), (5, 7, "x"))
        doc = json.loads(s.execute("SELECT JSON v FROM u WHERE k = 1").one()[0])
        self.assertEqual(doc, {"v": {"field@#$%": 5, '"Other"': "x"}})

    def test_composite_type_columns(self):
        s = self.session
        composite = ("'org.apache.cassandra.db.marshal.CompositeType("
                     "org.apache.cassandra.db.marshal.UTF8Type,"
                     "org.apache.cassandra.db.marshal.Int32Type)'")
        s.execute(f"CREATE TABLE ct (k int PRIMARY KEY, v {composite})")
        s.execute("CREATE TABLE dct (k int PRIMARY KEY, v 'org.apache.cassandra.db.marshal."
                  "DynamicCompositeType(s=>org.apache.cassandra.db.marshal.UTF8Type)')")
        # ('a', 2) as CompositeType bytes: per component a short length, the bytes, an end byte.
        s.execute("INSERT INTO ct (k, v) VALUES (1, 0x0001610000040000000200)")
        s.execute("INSERT INTO ct (k, v) VALUES (2, 0x)")
        rows = dict(tuple(r) for r in s.execute("SELECT k, v FROM ct"))
        self.assertEqual(rows[1], ("a", 2))  # decoded by the driver's CompositeType
        self.assertEqual(s.execute("SELECT blobAsText(textAsBlob('x')) FROM ct WHERE k = 2")
                         .one()[0], "x")
        table = self.cluster.metadata.keyspaces["idents"].tables["ct"]
        self.assertIn("CompositeType", table.columns["v"].cql_type)


class TermsTest(KeyspaceTest):
    """Values written as Cassandra 5.0's terms: type hints, operators, token() of key values,
    and the refusals Cassandra gives for them."""

    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "terms")
        s.execute("CREATE TABLE terms (k int PRIMARY KEY, i int, b bigint, bl blob, d date, "
                  "de decimal, db double)")

    def test_type_hints(self):
        s = self.session
        s.execute("INSERT INTO terms (k, i) VALUES (1, (int)5)")
        self.assertEqual(s.execute("SELECT i FROM terms WHERE k = 1").one().i, 5)
        with self.assertRaisesRegex(InvalidRequest, r"Cannot cast value 123 to type blob"):
            s.execute("INSERT INTO terms (k, bl) VALUES (1, (blob)123)")
        with self.assertRaisesRegex(InvalidRequest,
                                    r"Cannot assign value \(blob\)0x01 to k of type int"):
            s.execute("INSERT INTO terms (k) VALUES ((blob)0x01)")
        with self.assertRaisesRegex(InvalidRequest, "Ambiguous call to function todate"):
            s.prepare("INSERT INTO terms (k, d) VALUES (2, toDate(?))")
        stmt = s.prepare("INSERT INTO terms (k, d) VALUES (2, toDate((timestamp)?))")
        s.execute(stmt, [datetime.datetime(1970, 1, 3)])
        self.assertEqual(s.execute("SELECT d FROM terms WHERE k = 2").one().d.days_from_epoch, 2)

    def test_operators(self):
        s = self.session
        s.execute("INSERT INTO terms (k, i, b, de, db) VALUES (3, 1 + 2 * 3, 10 * 3 - 1, "
                  "1.1 + 2.2, -infinity)")
        row = s.execute("SELECT i, b, de, db FROM terms WHERE k = 3").one()
        self.assertEqual((row.i, row.b, str(row.de), row.db), (7, 29, "3.3", float("-inf")))
        stmt = s.prepare("UPDATE terms SET i = (int)? + 1 WHERE k = 3")
        s.execute(stmt, [41])
        self.assertEqual(s.execute("SELECT i FROM terms WHERE k = 1 + 2").one().i, 42)
        with self.assertRaisesRegex(InvalidRequest, "Ambiguous '\\+' operation"):
            s.prepare("UPDATE terms SET i = ? + 1 WHERE k = 3")
        with self.assertRaisesRegex(InvalidRequest, "Aggregation function are not supported"):
            s.execute("SELECT * FROM terms WHERE k = sum((int)4)")

    def test_token_and_function_results_as_values(self):
        s = self.session
        s.execute("INSERT INTO terms (k, bl, b) VALUES (4, token(1234), token(1234))")
        row = s.execute("SELECT bl, b FROM terms WHERE k = 4").one()
        self.assertEqual(row.b, 8821045555241575141)  # Murmur3 of the int 1234
        self.assertEqual(row.bl, (8821045555241575141).to_bytes(8, "big"))
        s.execute("INSERT INTO terms (k, bl) VALUES (5, blobAsInt(blobAsInt(0xfeedf00d)))")
        self.assertEqual(s.execute("SELECT bl FROM terms WHERE k = 5").one().bl,
                         bytes.fromhex("feedf00d"))
        rows = list(s.execute("SELECT k FROM terms WHERE token(k) = token(4) AND k = 4"))
        self.assertEqual([r.k for r in rows], [4])
        self.assertEqual(list(s.execute("SELECT k FROM terms WHERE token(k) > token(4) AND k = 4")),
                         [])
        with self.assertRaisesRegex(InvalidRequest, "duplicate partition key components"):
            s.execute("SELECT k FROM terms WHERE token(k, k) = 0")


if __name__ == "__main__":
    node_process.main_with_node()
