"""User-defined types on postfork-node through an unmodified python3-cassandra (Debian's).

CREATE/ALTER/DROP TYPE as the driver's metadata sees them, frozen and non-frozen UDT columns,
UDTs in collections and tuples, field updates, deletions, selections and conditions, the driver's
UDT class mapping, and Cassandra's errors.
Usage: /usr/bin/python3 python_udt_test.py <path to postfork-node>
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra import InvalidRequest  # noqa: E402
from cassandra.cluster import Cluster  # noqa: E402


class Address(object):
    def __init__(self, street=None, zip=None, tags=None, extra=None):
        self.street = street
        self.zip = zip
        self.tags = tags
        self.extra = extra


class UdtTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(["127.0.0.1"], port=node_process.SHARED.port)
        cls.session = cls.cluster.connect()
        s = cls.session
        s.execute("CREATE KEYSPACE IF NOT EXISTS udtks WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.set_keyspace("udtks")
        s.execute("CREATE TYPE address (street text, zip int, tags frozen<set<text>>)")
        s.execute("CREATE TYPE person (name text, home frozen<address>)")
        s.execute("CREATE TABLE users (k int PRIMARY KEY, addr address, faddr frozen<address>, "
                  "people list<frozen<person>>, pair frozen<tuple<int, frozen<address>>>)")
        s.execute("CREATE TABLE keyed (a frozen<address>, n int, PRIMARY KEY (a))")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.shutdown()

    def own_session(self):
        # A connection of its own, closed after the test: test_types_survive_restart restarts
        # the node, which closes the shared one.
        cluster = Cluster(["127.0.0.1"], port=node_process.SHARED.port)
        self.addCleanup(cluster.shutdown)
        return cluster.connect("udtks")

    def row(self, k, cols="addr, faddr, people, pair"):
        return self.session.execute(f"SELECT {cols} FROM users WHERE k = %s", (k,)).one()

    def test_metadata_reports_types_and_columns(self):
        self.cluster.refresh_schema_metadata()
        ks = self.cluster.metadata.keyspaces["udtks"]
        addr = ks.user_types["address"]
        self.assertEqual(addr.field_names[:3], ["street", "zip", "tags"])
        self.assertEqual(addr.field_types[:3], ["text", "int", "frozen<set<text>>"])
        self.assertEqual(ks.user_types["person"].field_types, ["text", "frozen<address>"])
        cols = ks.tables["users"].columns
        self.assertEqual(cols["addr"].cql_type, "address")
        self.assertEqual(cols["faddr"].cql_type, "frozen<address>")
        self.assertEqual(cols["people"].cql_type, "list<frozen<person>>")
        self.assertIn("CREATE TYPE udtks.address", ks.export_as_string())

    def test_literals_round_trip_frozen_and_non_frozen(self):
        s = self.session
        s.execute("INSERT INTO users (k, addr, faddr, people, pair) VALUES (1, "
                  "{street: 'Main', zip: 1234}, {street: 'Elm', tags: {'b', 'a'}}, "
                  "[{name: 'ann', home: {street: 'Oak', zip: 7}}], (5, {zip: 9}))")
        r = self.row(1)
        self.assertEqual((r.addr.street, r.addr.zip, r.addr.tags), ("Main", 1234, None))
        self.assertEqual((r.faddr.street, r.faddr.zip), ("Elm", None))
        self.assertEqual(sorted(r.faddr.tags), ["a", "b"])
        self.assertEqual(r.people[0].name, "ann")
        self.assertEqual((r.people[0].home.street, r.people[0].home.zip), ("Oak", 7))
        self.assertEqual(r.pair[0], 5)
        self.assertEqual(r.pair[1].zip, 9)

    def test_field_update_delete_select_and_condition(self):
        s = self.session
        s.execute("INSERT INTO users (k, addr) VALUES (2, {street: 'A', zip: 1})")
        s.execute("UPDATE users SET addr.zip = 2 WHERE k = 2")
        s.execute("UPDATE users SET addr.street = %s WHERE k = 2", ("B",))
        r = s.execute("SELECT addr.street, addr.zip AS z FROM users WHERE k = 2").one()
        self.assertEqual((r[0], r.z), ("B", 2))
        self.assertEqual(
            s.execute("SELECT addr.street FROM users WHERE k = 2").column_names, ["addr.street"])
        s.execute("DELETE addr.street FROM users WHERE k = 2")
        r = self.row(2)
        self.assertEqual((r.addr.street, r.addr.zip), (None, 2))
        # A field update on a row that has no value yet creates it with the other fields null.
        s.execute("UPDATE users SET addr.street = 'C' WHERE k = 3")
        self.assertEqual((self.row(3).addr.street, self.row(3).addr.zip), ("C", None))
        # Conditions on fields.
        self.assertFalse(
            s.execute("UPDATE users SET addr.zip = 3 WHERE k = 2 IF addr.zip = 9").was_applied)
        self.assertTrue(
            s.execute("UPDATE users SET addr.zip = 3 WHERE k = 2 IF addr.zip = 2").was_applied)
        self.assertEqual(self.row(2).addr.zip, 3)
        # Replacing the whole value drops fields that were set before.
        s.execute("UPDATE users SET addr = {zip: 4} WHERE k = 2")
        r = self.row(2)
        self.assertEqual((r.addr.street, r.addr.zip), (None, 4))
        s.execute("UPDATE users SET addr = null WHERE k = 2")
        self.assertIsNone(self.row(2).addr)

    def test_prepared_statements_and_registered_class(self):
        s = self.session
        self.cluster.register_user_type("udtks", "address", Address)
        ins = s.prepare("INSERT INTO users (k, addr, faddr) VALUES (?, ?, ?)")
        s.execute(ins, (4, Address("P", 40, {"x"}), Address(street="Q")))
        r = s.execute("SELECT addr, faddr FROM users WHERE k = 4").one()
        self.assertIsInstance(r.addr, Address)
        self.assertEqual((r.addr.street, r.addr.zip, set(r.addr.tags)), ("P", 40, {"x"}))
        self.assertEqual((r.faddr.street, r.faddr.zip), ("Q", None))
        upd = s.prepare("UPDATE users SET addr.zip = ? WHERE k = ?")
        self.assertEqual(upd.column_metadata[0].name, "addr.zip")
        s.execute(upd, (41, 4))
        self.assertEqual(s.execute("SELECT addr FROM users WHERE k = 4").one().addr.zip, 41)

    def test_frozen_udt_as_primary_key(self):
        s = self.session
        s.execute("INSERT INTO keyed (a, n) VALUES ({street: 'K', zip: 1}, 10)")
        r = s.execute("SELECT n FROM keyed WHERE a = {street: 'K', zip: 1}").one()
        self.assertEqual(r.n, 10)
        self.assertIsNone(s.execute("SELECT n FROM keyed WHERE a = {street: 'K'}").one())

    def test_values_written_before_alter_type_add_equal_those_with_null_fields(self):
        # TupleType/UserType compare a value that ends early as equal to one whose remaining
        # fields are null: the clustering key written before ALTER TYPE ... ADD and the same key
        # written after are one row, set elements and map keys one element. Partition keys stay
        # their bytes (a token each), as Cassandra's. Checked against Cassandra 5.0.8.
        s = self.own_session()
        s.execute("CREATE TYPE grown (a int)")
        s.execute("CREATE TABLE grown_ck (k int, c frozen<grown>, v int, PRIMARY KEY (k, c)) "
                  "WITH CLUSTERING ORDER BY (c DESC)")
        s.execute("CREATE TABLE grown_el (k int PRIMARY KEY, s set<frozen<grown>>, "
                  "m map<frozen<grown>, int>)")
        s.execute("CREATE TABLE grown_pk (k frozen<tuple<int, int>> PRIMARY KEY, v int)")
        s.execute("INSERT INTO grown_ck (k, c, v) VALUES (0, {a: 1}, 1)")
        s.execute("INSERT INTO grown_ck (k, c, v) VALUES (0, {a: 3}, 1)")
        s.execute("INSERT INTO grown_el (k, s, m) VALUES (0, {{a: 1}}, {{a: 1}: 1})")
        s.execute("ALTER TYPE grown ADD b int")
        s.execute("INSERT INTO grown_ck (k, c, v) VALUES (0, {a: 1}, 2)")
        s.execute("UPDATE grown_el SET s = s + {{a: 1, b: null}}, m = m + {{a: 1}: 2} "
                  "WHERE k = 0")

        def rows(query, params=None):
            return [((r.c.a, r.c.b), r.v) for r in s.execute(query, params)]
        self.assertEqual(rows("SELECT c, v FROM grown_ck WHERE k = 0"),
                         [((3, None), 1), ((1, None), 2)])
        for where in ("c = {a: 1}", "c IN ({a: 1}, {a: 1, b: null})", "c <= {a: 1}",
                      "c < {a: 1, b: 0} AND c > {a: 0}"):
            self.assertEqual(rows("SELECT c, v FROM grown_ck WHERE k = 0 AND " + where),
                             [((1, None), 2)], where)
        self.assertEqual(rows("SELECT c, v FROM grown_ck WHERE k = 0 AND c > {a: 1}"),
                         [((3, None), 1)])
        r = s.execute("SELECT s, m, m[{a: 1}] AS one FROM grown_el WHERE k = 0").one()
        self.assertEqual((len(r.s), len(r.m), r.one), (1, 1, 2))
        s.execute("DELETE FROM grown_ck WHERE k = 0 AND c = {a: 1, b: null}")
        self.assertEqual(rows("SELECT c, v FROM grown_ck WHERE k = 0"), [((3, None), 1)])
        s.execute("UPDATE grown_el SET s = s - {{a: 1}} WHERE k = 0")
        self.assertIsNone(s.execute("SELECT s FROM grown_el WHERE k = 0").one().s)
        # Bound tuples: the driver sends (1,) as one field.
        insert = s.prepare("INSERT INTO grown_pk (k, v) VALUES (?, ?)")
        s.execute(insert, [(1,), 1])
        s.execute(insert, [(1, None), 2])
        self.assertEqual(sorted(r.v for r in s.execute("SELECT v FROM grown_pk")), [1, 2])

    def test_alter_type_add_and_rename_reach_existing_rows(self):
        s = self.session
        s.execute("CREATE TYPE evolving (a int, b text)")
        s.execute("CREATE TABLE ev (k int PRIMARY KEY, v evolving, fv frozen<evolving>)")
        s.execute("INSERT INTO ev (k, v, fv) VALUES (1, {a: 1, b: 'x'}, {a: 2})")
        s.execute("ALTER TYPE evolving ADD c bigint")
        s.execute("ALTER TYPE evolving RENAME b TO bee")
        r = s.execute("SELECT v, fv FROM ev WHERE k = 1").one()
        self.assertEqual((r.v.a, r.v.bee, r.v.c), (1, "x", None))
        self.assertEqual((r.fv.a, r.fv.bee, r.fv.c), (2, None, None))
        s.execute("UPDATE ev SET v.c = 3 WHERE k = 1")
        self.assertEqual(s.execute("SELECT v.c FROM ev WHERE k = 1").one()[0], 3)
        deadline = time.time() + 5
        while time.time() < deadline:
            t = self.cluster.metadata.keyspaces["udtks"].user_types.get("evolving")
            if t is not None and t.field_names == ["a", "bee", "c"]:
                break
            time.sleep(0.05)
        self.assertEqual(
            self.cluster.metadata.keyspaces["udtks"].user_types["evolving"].field_names,
            ["a", "bee", "c"])

    def test_types_survive_restart(self):
        s = self.session
        s.execute("CREATE TYPE durable (x int)")
        s.execute("CREATE TABLE dt (k int PRIMARY KEY, d durable, fd frozen<durable>)")
        s.execute("INSERT INTO dt (k, d, fd) VALUES (1, {x: 5}, {x: 6})")
        node_process.SHARED.restart()
        cluster = Cluster(["127.0.0.1"], port=node_process.SHARED.port)
        try:
            session = cluster.connect("udtks")
            r = session.execute("SELECT d, fd FROM dt WHERE k = 1").one()
            self.assertEqual((r.d.x, r.fd.x), (5, 6))
            self.assertIn("durable", cluster.metadata.keyspaces["udtks"].user_types)
        finally:
            cluster.shutdown()

    def test_type_hints_name_user_types_of_the_statements_keyspace(self):
        # Cassandra's TypeCast prepares `(ut)` and `(frozen<ut>)` in the statement's keyspace;
        # the non-frozen type does not assign to a frozen column. Checked against Cassandra 5.0.8.
        s = self.own_session()
        s.execute("CREATE TYPE hinted (a int, b text)")
        s.execute("CREATE TABLE hints (k int, c frozen<hinted>, n hinted, "
                  "l list<frozen<hinted>>, PRIMARY KEY (k, c))")
        s.execute("INSERT INTO hints (k, c, n, l) VALUES (0, (frozen<hinted>){a: 1}, "
                  "(udtks.hinted){a: 3, b: 'x'}, [(frozen<udtks.hinted>){a: 2}])")
        s.execute("UPDATE udtks.hints SET n = (hinted){a: 5} WHERE k = 0 AND c = {a: 1} "
                  "IF n = (hinted){a: 3, b: 'x'}")
        r = s.execute("SELECT n, l FROM hints WHERE k = 0 AND c = (frozen<hinted>){a: 1}").one()
        self.assertEqual((r.n.a, r.n.b, r.l[0].a), (5, None, 2))
        r = s.execute("SELECT (hinted){b: 'q'} AS h FROM hints WHERE k = 0").one()
        self.assertEqual((r.h.a, r.h.b), (None, "q"))
        s.execute("CREATE KEYSPACE IF NOT EXISTS udtks_other WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.execute("USE udtks_other")
        cases = [
            ("Cannot assign value \\(udtks.hinted\\)\\{a: 1\\} to c of type frozen<hinted>",
             "INSERT INTO udtks.hints (k, c) VALUES (1, (hinted){a: 1})"),
            ("Cannot assign value \\(frozen<udtks.hinted>\\)\\{a: 3\\} to n of type hinted",
             "INSERT INTO udtks.hints (k, c, n) VALUES (1, {a: 1}, (frozen<hinted>){a: 3})"),
            ("Unknown type udtks.nope",
             "INSERT INTO udtks.hints (k, c) VALUES (1, (frozen<nope>){a: 1})"),
            ("Statement on keyspace udtks cannot refer to a user type in keyspace other",
             "INSERT INTO udtks.hints (k, c) VALUES (1, (frozen<other.hinted>){a: 1})"),
            ("Unknown field 'z' in value of user defined type hinted",
             "INSERT INTO udtks.hints (k, c, n) VALUES (1, {a: 1}, (hinted){z: 1})"),
            ("Non-frozen UDTs are not allowed inside collections: list<hinted>",
             "INSERT INTO udtks.hints (k, c, l) VALUES (1, {a: 1}, (list<hinted>)[{a: 1}])"),
            ("Unknown type udtks.nope", "SELECT (nope){a: 1} FROM udtks.hints"),
        ]
        for pattern, statement in cases:
            with self.subTest(statement=statement):
                with self.assertRaisesRegex(InvalidRequest, pattern):
                    s.execute(statement)

    def test_errors_are_cassandras(self):
        s = self.session
        s.execute("CREATE TYPE IF NOT EXISTS address (x int)")
        s.execute("CREATE TYPE in_table (a int)")
        s.execute("CREATE TABLE uses_it (k int PRIMARY KEY, v map<int, frozen<in_table>>)")
        cases = [
            ("A user type with name 'address' already", "CREATE TYPE address (x int)"),
            ("Unknown type udtks.nosuch", "CREATE TABLE bad (k int PRIMARY KEY, v nosuch)"),
            ("Duplicate field name 'a'", "CREATE TYPE dup (a int, a text)"),
            ("A user type cannot contain counters", "CREATE TYPE cnt (a counter)"),
            ("Non-frozen UDTs are not allowed inside",
             "CREATE TABLE bad2 (k int PRIMARY KEY, v list<address>)"),
            ("non-frozen user-defined type", "CREATE TABLE bad3 (k address PRIMARY KEY)"),
            ("still used by user types person", "DROP TYPE address"),
            ("still used by tables uses_it", "DROP TYPE in_table"),
            ("Unknown field 'nope'", "INSERT INTO users (k, addr) VALUES (9, {nope: 1})"),
            ("does not have a field named nope", "UPDATE users SET addr.nope = 1 WHERE k = 9"),
            ("for frozen UDT column faddr", "UPDATE users SET faddr.zip = 1 WHERE k = 9"),
            ("has no field nope", "SELECT addr.nope FROM users"),
            ("Type 'udtks.nosuch' doesn't exist", "DROP TYPE nosuch"),
        ]
        for pattern, statement in cases:
            with self.subTest(statement=statement):
                with self.assertRaisesRegex(InvalidRequest, pattern):
                    s.execute(statement)
        s.execute("DROP TYPE IF EXISTS nosuch")
        s.execute("CREATE TYPE unused (a int)")
        s.execute("DROP TYPE unused")
        self.assertNotIn("unused", self.cluster.metadata.keyspaces["udtks"].user_types)


if __name__ == "__main__":
    node_process.main_with_node()
