"""Secondary indexes on postfork-node through an unmodified python3-cassandra (Debian's).

CREATE/DROP INDEX of every target kind as the driver's metadata sees them, indexed queries
(literals, prepared statements, bind markers) on regular, static and collection columns,
stale entries after overwrites and deletes, paging through an index (and across an index
created or dropped between pages), restart survival,
ALLOW FILTERING rules and Cassandra's errors.
Usage: /usr/bin/python3 python_index_test.py <path to postfork-node>
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402
import protocol_test  # noqa: E402  (its raw-frame helpers)

from cassandra import InvalidRequest, Unauthorized  # noqa: E402
from cassandra.auth import PlainTextAuthProvider  # noqa: E402
from cassandra.cluster import Cluster  # noqa: E402
from cassandra.query import SimpleStatement  # noqa: E402

FILTERING = "Cannot execute this query as it might involve data filtering"


class IndexTest(node_process.KeyspaceTest):
    KEYSPACE = "idxks"

    def rows(self, query, params=None, **kwargs):
        return list(self.session.execute(query, params, **kwargs))

    def test_simple_index_finds_rows_in_token_order(self):
        s = self.session
        s.execute("CREATE TABLE people (id int, seq int, city text, age int, "
                  "PRIMARY KEY (id, seq))")
        for i in range(20):
            s.execute("INSERT INTO people (id, seq, city, age) VALUES (%s, %s, %s, %s)",
                      (i % 7, i, "paris" if i % 3 == 0 else "rome", i))
        with self.assertRaisesRegex(InvalidRequest, FILTERING):
            s.execute("SELECT * FROM people WHERE city = 'paris'")
        s.execute("CREATE INDEX ON people (city)")
        got = self.rows("SELECT id, seq FROM people WHERE city = 'paris'")
        everything = self.rows("SELECT id, seq, city, token(id) AS t FROM people")
        expected = [(x.id, x.seq) for x in everything if x.city == "paris"]
        self.assertEqual([(x.id, x.seq) for x in got], expected)  # token, then clustering order
        self.assertEqual(len(got), 7)
        prepared = s.prepare("SELECT seq FROM people WHERE city = ?")
        self.assertEqual(len(self.rows(prepared, ("rome",))), 13)
        self.assertEqual(self.rows(prepared, ("nowhere",)), [])
        # With the partition key too, with LIMIT, with a token range.
        self.assertEqual([x.seq for x in self.rows(
            "SELECT seq FROM people WHERE id = 0 AND city = 'rome'")], [7, 14])
        self.assertEqual(len(self.rows("SELECT seq FROM people WHERE city = 'rome' LIMIT 4")), 4)
        tokens = sorted({x.t for x in everything if x.city == "rome"})
        ranged = self.rows("SELECT seq FROM people WHERE token(id) > %s AND city = 'rome'",
                           (tokens[0],))
        self.assertEqual(len(ranged), len([x for x in everything
                                           if x.city == "rome" and x.t > tokens[0]]))
        # A second, non-indexed restriction needs ALLOW FILTERING, then filters.
        with self.assertRaisesRegex(InvalidRequest, FILTERING):
            s.execute("SELECT * FROM people WHERE city = 'paris' AND age > 5")
        filtered = self.rows("SELECT seq FROM people WHERE city = 'paris' AND age > 5 "
                             "ALLOW FILTERING")
        self.assertEqual(sorted(x.seq for x in filtered), [6, 9, 12, 15, 18])
        # Clustering restrictions apply to what the index finds.
        self.assertEqual([x.seq for x in self.rows(
            "SELECT seq FROM people WHERE city = 'paris' AND seq > 10 ALLOW FILTERING")],
            [q for _, q in expected if q > 10])
        self.assertEqual(self.rows("SELECT count(*) FROM people WHERE city = 'paris'")[0].count, 7)

    def test_overwrites_and_deletes_leave_no_stale_results(self):
        s = self.session
        s.execute("CREATE TABLE stale (k int, c int, v text, w int, PRIMARY KEY (k, c))")
        s.execute("CREATE INDEX stale_v ON stale (v)")
        q = s.prepare("SELECT k, c, v FROM stale WHERE v = ?")
        s.execute("INSERT INTO stale (k, c, v, w) VALUES (1, 1, 'a', 0)")
        s.execute("INSERT INTO stale (k, c, v, w) VALUES (1, 2, 'a', 0)")
        s.execute("INSERT INTO stale (k, c, v, w) VALUES (2, 1, 'a', 0)")
        self.assertEqual(len(self.rows(q, ("a",))), 3)
        s.execute("UPDATE stale SET v = 'b' WHERE k = 1 AND c = 1")  # overwrite
        s.execute("DELETE FROM stale WHERE k = 1 AND c = 2")  # row delete
        s.execute("DELETE v FROM stale WHERE k = 2 AND c = 1")  # cell delete
        self.assertEqual(self.rows(q, ("a",)), [])
        self.assertEqual([(x.k, x.c) for x in self.rows(q, ("b",))], [(1, 1)])
        s.execute("UPDATE stale SET v = 'a' WHERE k = 1 AND c = 1")  # back again
        self.assertEqual([(x.k, x.c, x.v) for x in self.rows(q, ("a",))], [(1, 1, "a")])
        self.assertEqual(self.rows(q, ("b",)), [])
        s.execute("DELETE FROM stale WHERE k = 1")  # partition delete
        self.assertEqual(self.rows(q, ("a",)), [])
        s.execute("INSERT INTO stale (k, c, v) VALUES (3, 1, 'ttl') USING TTL 1")
        self.assertEqual(len(self.rows(q, ("ttl",))), 1)
        s.execute("INSERT INTO stale (k, c, v) VALUES (4, 1, 'old') USING TIMESTAMP 10")
        s.execute("INSERT INTO stale (k, c, v) VALUES (4, 1, 'new') USING TIMESTAMP 5")
        self.assertEqual([x.v for x in self.rows(q, ("old",))], ["old"])
        self.assertEqual(self.rows(q, ("new",)), [])
        s.execute("TRUNCATE stale")
        self.assertEqual(self.rows(q, ("old",)), [])

    def test_collection_indexes(self):
        s = self.session
        s.execute("CREATE TABLE coll (k int PRIMARY KEY, l list<text>, st set<int>, "
                  "m map<text, int>, f frozen<list<int>>)")
        s.execute("CREATE INDEX ON coll (l)")
        s.execute("CREATE INDEX ON coll (values(st))")
        s.execute("CREATE INDEX mkeys ON coll (keys(m))")
        s.execute("CREATE INDEX mvalues ON coll (values(m))")
        s.execute("CREATE INDEX mentries ON coll (entries(m))")
        s.execute("CREATE INDEX ON coll (full(f))")
        s.execute("INSERT INTO coll (k, l, st, m, f) VALUES (1, ['x', 'y'], {1, 2}, "
                  "{'a': 1, 'b': 2}, [1, 2])")
        s.execute("INSERT INTO coll (k, l, st, m, f) VALUES (2, ['y'], {2}, {'a': 2}, [2])")
        ks = lambda q, p=None: sorted(x.k for x in self.rows(q, p))  # noqa: E731
        self.assertEqual(ks("SELECT k FROM coll WHERE l CONTAINS 'y'"), [1, 2])
        self.assertEqual(ks("SELECT k FROM coll WHERE l CONTAINS 'x'"), [1])
        self.assertEqual(ks(s.prepare("SELECT k FROM coll WHERE st CONTAINS ?"), (1,)), [1])
        self.assertEqual(ks("SELECT k FROM coll WHERE st CONTAINS 2"), [1, 2])
        self.assertEqual(ks("SELECT k FROM coll WHERE m CONTAINS KEY 'a'"), [1, 2])
        self.assertEqual(ks("SELECT k FROM coll WHERE m CONTAINS KEY 'b'"), [1])
        self.assertEqual(ks("SELECT k FROM coll WHERE m CONTAINS 2"), [1, 2])
        self.assertEqual(ks("SELECT k FROM coll WHERE m['a'] = 2"), [2])
        prepared = s.prepare("SELECT k FROM coll WHERE m[?] = ?")
        self.assertEqual(ks(prepared, ("b", 2)), [1])
        self.assertEqual(ks(prepared, ("b", 1)), [])
        self.assertEqual(ks("SELECT k FROM coll WHERE f = [1, 2]"), [1])
        self.assertEqual(ks(s.prepare("SELECT k FROM coll WHERE f = ?"), ([2],)), [2])
        # Element removals and collection overwrites leave stale entries that never match.
        s.execute("UPDATE coll SET l = l - ['y'] WHERE k = 1")
        s.execute("UPDATE coll SET m = {'c': 3} WHERE k = 2")
        s.execute("UPDATE coll SET st = st - {2} WHERE k = 2")
        self.assertEqual(ks("SELECT k FROM coll WHERE l CONTAINS 'y'"), [2])
        self.assertEqual(ks("SELECT k FROM coll WHERE m CONTAINS KEY 'a'"), [1])
        self.assertEqual(ks("SELECT k FROM coll WHERE m['a'] = 2"), [])
        self.assertEqual(ks("SELECT k FROM coll WHERE m['c'] = 3"), [2])
        self.assertEqual(ks("SELECT k FROM coll WHERE st CONTAINS 2"), [1])
        # Without an index CONTAINS is a filter: ALLOW FILTERING, and it filters.
        s.execute("CREATE TABLE coll2 (k int PRIMARY KEY, l list<int>)")
        s.execute("INSERT INTO coll2 (k, l) VALUES (1, [5])")
        with self.assertRaisesRegex(InvalidRequest, FILTERING):
            s.execute("SELECT k FROM coll2 WHERE l CONTAINS 5")
        self.assertEqual(ks("SELECT k FROM coll2 WHERE l CONTAINS 5 ALLOW FILTERING"), [1])

    def test_static_index_returns_partitions(self):
        s = self.session
        s.execute("CREATE TABLE st (k int, c int, s text static, v int, PRIMARY KEY (k, c))")
        s.execute("CREATE INDEX ON st (s)")
        for k in range(3):
            s.execute("INSERT INTO st (k, c, s, v) VALUES (%s, 0, %s, 0)", (k, "g" + str(k % 2)))
            s.execute("INSERT INTO st (k, c, v) VALUES (%s, 1, 1)", (k,))
        got = self.rows("SELECT k, c FROM st WHERE s = 'g0'")
        self.assertEqual(sorted((x.k, x.c) for x in got), [(0, 0), (0, 1), (2, 0), (2, 1)])
        s.execute("UPDATE st SET s = 'g1' WHERE k = 0")
        self.assertEqual(sorted((x.k, x.c) for x in self.rows("SELECT k, c FROM st WHERE s = 'g0'")),
                         [(2, 0), (2, 1)])
        pages = self.rows(SimpleStatement("SELECT k, c FROM st WHERE s = 'g1'", fetch_size=1))
        self.assertEqual(sorted((x.k, x.c) for x in pages), [(0, 0), (0, 1), (1, 0), (1, 1)])
        # PER PARTITION LIMIT holds across pages.
        for k in range(3):
            s.execute("INSERT INTO st (k, c, v) VALUES (%s, 2, 1)", (k,))
        s.execute("CREATE INDEX ON st (v)")
        self.assertEqual(len(self.rows("SELECT k FROM st WHERE v = 1")), 6)
        limited = self.rows(SimpleStatement("SELECT k, c FROM st WHERE v = 1 PER PARTITION LIMIT 1",
                                            fetch_size=1))
        self.assertEqual(sorted(x.k for x in limited), [0, 1, 2])

    def test_clustering_index_value_over_64k_refused(self):
        # A legacy index on a clustering column restricted to one value (alone or in a tuple)
        # bounds the value, ALLOW FILTERING or not, as Cassandra's CassandraIndex.validate.
        s = self.session
        s.execute("CREATE TABLE bigix (a int, b blob, c int, d int, PRIMARY KEY (a, b, c))")
        s.execute("CREATE INDEX ON bigix (b)")
        s.execute("INSERT INTO bigix (a, b, c, d) VALUES (0, 0x01, 0, 0)")
        too_big = b"x" * 65536
        for query in ("SELECT * FROM bigix WHERE (b, c) = (%s, 1) AND d = 2 ALLOW FILTERING",
                      "SELECT * FROM bigix WHERE b = %s ALLOW FILTERING"):
            with self.assertRaisesRegex(InvalidRequest,
                                        "Index expression values may not be larger than 64K"):
                s.execute(query, (too_big,))
        got = self.rows("SELECT * FROM bigix WHERE (b, c) = (0x01, 0) ALLOW FILTERING")
        self.assertEqual(len(got), 1)

    def test_paging_through_two_thousand_matches(self):
        s = self.session
        s.execute("CREATE TABLE big (k int, c int, g int, PRIMARY KEY (k, c))")
        s.execute("CREATE INDEX big_g ON big (g)")
        insert = s.prepare("INSERT INTO big (k, c, g) VALUES (?, ?, ?)")
        for i in range(2100):
            s.execute(insert, (i % 300, i, 1 if i < 2000 else 2))
        statement = SimpleStatement("SELECT k, c FROM big WHERE g = 1", fetch_size=37)
        result = s.execute(statement)
        self.assertEqual(len(result.current_rows), 37)
        self.assertTrue(result.has_more_pages)
        got = [(x.k, x.c) for x in result]
        self.assertEqual(len(got), 2000)
        self.assertEqual(len(set(got)), 2000)
        self.assertEqual(sorted(c for _, c in got), list(range(2000)))
        unpaged = [(x.k, x.c) for x in self.rows(
            SimpleStatement("SELECT k, c FROM big WHERE g = 1", fetch_size=None))]
        self.assertEqual(got, unpaged)
        prepared = s.prepare("SELECT c FROM big WHERE g = ? LIMIT 150")
        prepared.fetch_size = 40
        self.assertEqual(len(self.rows(prepared, (1,))), 150)

    def paged_across(self, query, fetch_size, change):
        # The rows of `query` read in one go, and read page by page with the schema change
        # `change` made after the first page.
        s = self.session
        statement = SimpleStatement(query, fetch_size=fetch_size)
        expected = [tuple(r) for r in s.execute(statement)]
        result = s.execute(statement)
        got = [tuple(r) for r in result.current_rows]
        s.execute(change)
        while result.has_more_pages:
            result = s.execute(statement, paging_state=result.paging_state)
            got.extend(tuple(r) for r in result.current_rows)
        return expected, got

    def test_paging_continues_across_a_new_index(self):
        # The paging state names the last row read, as Cassandra's does: a page read through an
        # index created after the previous page (or through another index, now chosen first)
        # resumes after that row, clustering rows included.
        s = self.session
        s.execute("CREATE TABLE pci (k int, c int, v1 text, v2 int, PRIMARY KEY (k, c))")
        insert = s.prepare("INSERT INTO pci (k, c, v1, v2) VALUES (?, ?, ?, ?)")
        for i in range(30):
            s.execute(insert, (i % 7, i, "dog", 3))
        for query, create in [("SELECT k, c FROM pci WHERE v2 = 3 ALLOW FILTERING",
                               "CREATE INDEX pci_v2 ON pci (v2)"),
                              ("SELECT k, c FROM pci WHERE v1 = 'dog' AND v2 = 3 ALLOW FILTERING",
                               "CREATE INDEX pci_v1 ON pci (v1)")]:
            expected, got = self.paged_across(query, 4, create)
            self.assertEqual(len(expected), 30)
            self.assertEqual(got, expected)

    def test_paging_continues_across_a_dropped_index(self):
        # A page read through an index names its last row: once the index is dropped (a scan
        # serves the query, or another index does) the next page resumes after that row, not
        # after its partition, as on Cassandra 5.0.8. PER PARTITION LIMIT counts on across it.
        s = self.session
        s.execute("CREATE TABLE pdi (k int, c int, v1 text, v2 int, PRIMARY KEY (k, c))")
        insert = s.prepare("INSERT INTO pdi (k, c, v1, v2) VALUES (?, ?, ?, ?)")
        for i in range(30):
            s.execute(insert, (i % 4, i, "dog", 3))
        cases = [("SELECT k, c FROM pdi WHERE v2 = 3 ALLOW FILTERING",
                  ["CREATE INDEX pdi_v2 ON pdi (v2)"], "DROP INDEX pdi_v2", 30),
                 ("SELECT k, c FROM pdi WHERE v1 = 'dog' AND v2 = 3 ALLOW FILTERING",
                  ["CREATE INDEX pdi_v1 ON pdi (v1)", "CREATE INDEX pdi_v2 ON pdi (v2)"],
                  "DROP INDEX pdi_v1", 30),
                 ("SELECT k, c FROM pdi WHERE v2 = 3 PER PARTITION LIMIT 5 ALLOW FILTERING",
                  ["CREATE INDEX pdi_v2 ON pdi (v2)"], "DROP INDEX pdi_v2", 20)]
        for query, creates, drop, count in cases:
            for fetch_size in (3, 5):
                for create in creates:
                    s.execute(create)
                expected, got = self.paged_across(query, fetch_size, drop)
                self.assertEqual(len(expected), count)
                self.assertEqual(got, expected, (query, fetch_size))
                s.execute("DROP INDEX IF EXISTS pdi_v1")
                s.execute("DROP INDEX IF EXISTS pdi_v2")

    def test_metadata_ddl_results_and_errors(self):
        s = self.session
        s.execute("CREATE TABLE meta (k int, c int, v int, m map<int, int>, f frozen<set<int>>, st set<int>, "
                  "\"Mixed\" int, PRIMARY KEY (k, c))")
        s.execute("CREATE INDEX ON meta (v)")
        s.execute("CREATE INDEX IF NOT EXISTS named ON meta (keys(m))")
        s.execute("CREATE INDEX ON meta (entries(m))")
        s.execute("CREATE INDEX ON meta (full(f))")
        s.execute("CREATE INDEX ON meta (\"Mixed\")")
        s.execute("CREATE INDEX IF NOT EXISTS named ON meta (v)")  # a no-op
        s.execute("CREATE TABLE meta2 (k int PRIMARY KEY, v int)")
        s.execute("CREATE INDEX meta_v_idx_x ON meta2 (v)")
        self.cluster.refresh_schema_metadata()
        table = self.cluster.metadata.keyspaces["idxks"].tables["meta"]
        options = {name: i.index_options for name, i in table.indexes.items()}
        self.assertEqual(options, {
            "meta_v_idx": {"target": "v"},
            "named": {"target": "keys(m)"},
            "meta_m_idx": {"target": "entries(m)"},
            "meta_f_idx": {"target": "full(f)"},
            "meta_Mixed_idx": {"target": "\"Mixed\""},
        })
        self.assertEqual(table.indexes["named"].kind, "COMPOSITES")
        exported = self.cluster.metadata.keyspaces["idxks"].export_as_string()
        self.assertIn("CREATE INDEX named ON idxks.meta (keys(m));", exported)
        self.assertIn("CREATE INDEX meta_v_idx ON idxks.meta (v);", exported)
        rows = self.rows("SELECT index_name, kind, options FROM system_schema.indexes "
                         "WHERE keyspace_name = 'idxks' AND table_name = 'meta'")
        self.assertEqual(len(rows), 5)
        # A default name that is taken gets _1.
        s.execute("CREATE INDEX ON meta (m)")
        self.cluster.refresh_schema_metadata()
        self.assertIn("meta_m_idx_1", self.cluster.metadata.keyspaces["idxks"].tables["meta"].indexes)
        # DDL answers RESULT Schema_change UPDATED TABLE idxks meta.
        protocol_test.NODE = node_process.SHARED
        conn = protocol_test.Conn()
        try:
            conn.startup()
            for ddl in ("CREATE INDEX raw_idx ON idxks.meta (st)", "DROP INDEX idxks.raw_idx"):
                _, _, _, opcode, body = conn.query(ddl)
                self.assertEqual(opcode, 0x08, body)  # RESULT
                self.assertEqual(body[:4], b"\x00\x00\x00\x05")  # Schema_change
                self.assertEqual(body[4:], b"".join(protocol_test.string(x) for x in
                                                    ("UPDATED", "TABLE", "idxks", "meta")))
        finally:
            conn.close()
        # DDL bumps the schema version.
        version = self.rows("SELECT schema_version FROM system.local")[0].schema_version
        s.execute("DROP INDEX meta_m_idx_1")
        new_version = self.rows("SELECT schema_version FROM system.local")[0].schema_version
        self.assertNotEqual(version, new_version)
        s.execute("DROP INDEX IF EXISTS meta_m_idx_1")
        s.execute("CREATE TABLE cnt (k int PRIMARY KEY, n counter)")
        s.execute("CREATE TABLE dur (k int PRIMARY KEY, d duration, u frozen<tuple<int>>)")
        cases = [
            ("Cannot create secondary index on the only partition key column k",
             "CREATE INDEX ON meta2 (k)"),
            ("Index 'named' already exists", "CREATE INDEX named ON meta (c)"),
            ("Index meta_v_idx_1 is a duplicate of existing index meta_v_idx",
             "CREATE INDEX ON meta (v)"),
            ("Secondary indexes on counter tables aren't supported", "CREATE INDEX ON cnt (n)"),
            ("Undefined column name nope in table idxks.meta", "CREATE INDEX ON meta (nope)"),
            ("Secondary indexes are not supported on duration columns",
             "CREATE INDEX ON dur (d)"),
            ("Cannot create values\\(\\) index on frozen column f",
             "CREATE INDEX ON meta (values(f))"),
            ("full\\(\\) indexes can only be created on frozen collections",
             "CREATE INDEX ON meta (full(m))"),
            ("Cannot create keys\\(\\) index on v. Non-collection columns only support simple",
             "CREATE INDEX ON meta (keys(v))"),
            ("Cannot create keys\\(\\) index on frozen column f. Frozen collections are "
             "immutable and must be fully indexed by using the 'full\\(f\\)' modifier",
             "CREATE INDEX ON meta (keys(f))"),
            ("Cannot create index on entries of column st with non-map type",
             "CREATE INDEX ON meta (entries(st))"),
            ("Table 'nope' doesn't exist", "CREATE INDEX ON nope (v)"),
            ("Index 'idxks.nope' doesn't exist", "DROP INDEX nope"),
            ("Cannot drop column v because it has dependent secondary indexes \\(meta_v_idx\\)",
             "ALTER TABLE meta DROP v"),
            ("Select on indexed columns and with IN clause for the PRIMARY KEY are not supported",
             "SELECT * FROM meta WHERE k IN (1, 2) AND v = 1"),
            ("ORDER BY with 2ndary indexes is not supported, except for ANN queries.",
             "SELECT * FROM meta WHERE k = 1 AND v = 1 ORDER BY c DESC"),
            ("SELECT DISTINCT with WHERE clause only supports restriction by partition key",
             "SELECT DISTINCT k FROM meta WHERE v = 1"),
            ("Cannot use CONTAINS on non-collection column v",
             "SELECT * FROM meta WHERE v CONTAINS 1"),
            ("Cannot use CONTAINS KEY on non-map column f",
             "SELECT * FROM meta WHERE f CONTAINS KEY 1"),
        ]
        for pattern, statement in cases:
            with self.subTest(statement=statement):
                with self.assertRaisesRegex(InvalidRequest, pattern):
                    s.execute(statement)
        # An indexed value of 64 KiB or more is refused, and nothing of the write is applied.
        with self.assertRaisesRegex(InvalidRequest, "Cannot index value of size 72004 for index "
                                                    "meta_f_idx on idxks.meta\\(f\\) \\(maximum "
                                                    "allowed size=65535\\)"):
            s.execute("INSERT INTO meta (k, c, f, v) VALUES (1, 1, %s, 5)", (set(range(9000)),))
        self.assertEqual(self.rows("SELECT * FROM meta WHERE k = 1 AND c = 1"), [])
        # The node keeps serving after every refusal.
        self.assertEqual(self.rows("SELECT * FROM meta WHERE v = 1"), [])

    def test_create_on_existing_data_drop_and_recreate(self):
        s = self.session
        s.execute("CREATE TABLE pre (k int PRIMARY KEY, v int, l list<int>)")
        for k in range(50):
            s.execute("INSERT INTO pre (k, v, l) VALUES (%s, %s, [%s])", (k, k % 5, k % 3))
        s.execute("UPDATE pre SET v = 100 WHERE k = 0")
        s.execute("CREATE INDEX pre_v ON pre (v)")  # built from the existing rows
        s.execute("CREATE INDEX pre_l ON pre (l)")
        self.assertEqual(len(self.rows("SELECT k FROM pre WHERE v = 0")), 9)
        self.assertEqual([x.k for x in self.rows("SELECT k FROM pre WHERE v = 100")], [0])
        self.assertEqual(len(self.rows("SELECT k FROM pre WHERE l CONTAINS 2")), 16)
        s.execute("DROP INDEX pre_v")
        with self.assertRaisesRegex(InvalidRequest, FILTERING):
            s.execute("SELECT k FROM pre WHERE v = 0")
        s.execute("CREATE INDEX pre_v ON pre (v)")
        self.assertEqual(len(self.rows("SELECT k FROM pre WHERE v = 0")), 9)
        s.execute("DROP TABLE pre")
        s.execute("CREATE TABLE pre (k int PRIMARY KEY, v int, l list<int>)")
        s.execute("CREATE INDEX pre_v ON pre (v)")
        self.assertEqual(self.rows("SELECT k FROM pre WHERE v = 0"), [])

    def test_index_ddl_needs_alter_on_the_table(self):
        node = node_process.NodeProcess(
            node_process.SHARED.binary,
            extra_args=["--authenticator", "Password", "--authorizer", "Cassandra"]).start()
        clusters = []
        try:
            def login(user, password):
                cluster = Cluster(["127.0.0.1"], port=node.port,
                                  auth_provider=PlainTextAuthProvider(user, password))
                clusters.append(cluster)
                return cluster.connect()
            admin = login("cassandra", "cassandra")
            admin.execute("CREATE KEYSPACE a WITH replication = "
                          "{'class': 'SimpleStrategy', 'replication_factor': 1}")
            admin.execute("CREATE TABLE a.t (k int PRIMARY KEY, v int)")
            admin.execute("CREATE ROLE dev WITH PASSWORD = 'd' AND LOGIN = true")
            admin.execute("GRANT SELECT ON TABLE a.t TO dev")
            dev = login("dev", "d")
            with self.assertRaisesRegex(Unauthorized, "no ALTER permission on <table a.t>"):
                dev.execute("CREATE INDEX t_v ON a.t (v)")
            admin.execute("CREATE INDEX t_v ON a.t (v)")
            with self.assertRaisesRegex(Unauthorized, "no ALTER permission on <table a.t>"):
                dev.execute("DROP INDEX a.t_v")
            self.assertEqual(list(dev.execute("SELECT k FROM a.t WHERE v = 1")), [])
            admin.execute("GRANT ALTER ON TABLE a.t TO dev")
            dev.execute("DROP INDEX a.t_v")
            dev.execute("CREATE INDEX t_v ON a.t (v)")
        finally:
            for cluster in clusters:
                cluster.shutdown()
            node.cleanup()

    def test_zz_indexes_survive_restart(self):
        s = self.session
        s.execute("CREATE TABLE durable (k int PRIMARY KEY, v text, m map<int, int>)")
        s.execute("CREATE INDEX durable_v ON durable (v)")
        s.execute("CREATE INDEX ON durable (keys(m))")
        s.execute("INSERT INTO durable (k, v, m) VALUES (1, 'x', {7: 7})")
        s.execute("INSERT INTO durable (k, v, m) VALUES (2, 'x', {8: 8})")
        s = type(self).restart_node("idxks")
        self.assertEqual(sorted(x.k for x in s.execute("SELECT k FROM durable WHERE v = 'x'")),
                         [1, 2])
        self.assertEqual([x.k for x in s.execute("SELECT k FROM durable WHERE m CONTAINS KEY 8")],
                         [2])
        s.execute("INSERT INTO durable (k, v) VALUES (3, 'x')")
        self.assertEqual(len(list(s.execute("SELECT k FROM durable WHERE v = 'x'"))), 3)
        indexes = self.cluster.metadata.keyspaces["idxks"].tables["durable"].indexes
        self.assertEqual(sorted(indexes), ["durable_m_idx", "durable_v"])


if __name__ == "__main__":
    node_process.main_with_node()
