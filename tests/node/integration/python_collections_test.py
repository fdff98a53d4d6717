"""Collections on postfork-node through an unmodified python3-cassandra (Debian's).

Every update form of Cassandra's collections, frozen and non-frozen, literal and bound, with the
errors Cassandra gives for invalid operations.
Usage: /usr/bin/python3 python_collections_test.py <path to postfork-node>
"""
import collections
import decimal
import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra.protocol import SyntaxException  # noqa: E402
from cassandra import InvalidRequest  # noqa: E402
from cassandra.cluster import Cluster  # noqa: E402
from cassandra.query import BoundStatement, UNSET_VALUE  # noqa: E402
from cassandra.util import OrderedMapSerializedKey, SortedSet  # noqa: E402


class CollectionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(["127.0.0.1"], port=node_process.SHARED.port)
        cls.session = cls.cluster.connect()
        cls.session.execute(
            "CREATE KEYSPACE IF NOT EXISTS colks WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        cls.session.set_keyspace("colks")
        cls.session.execute(
            "CREATE TABLE c (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>, "
            "fl frozen<list<int>>, nested map<int, frozen<list<frozen<set<int>>>>>)")
        cls.session.execute(
            "CREATE TABLE cc (k int, ck int, l list<text>, PRIMARY KEY (k, ck))")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.shutdown()

    def row(self, k, cols="l, s, m, fl, nested"):
        return self.session.execute(f"SELECT {cols} FROM c WHERE k = %s", (k,)).one()

    def test_insert_and_read_every_kind(self):
        self.session.execute(
            "INSERT INTO c (k, l, s, m, fl, nested) VALUES "
            "(1, [3, 1, 3], {'b', 'a'}, {'x': 1, 'a': 2}, [9, 8], {5: [{1, 2}, {3}]})")
        r = self.row(1)
        self.assertEqual(r.l, [3, 1, 3])
        self.assertEqual(r.s, SortedSet(["a", "b"]))
        self.assertEqual(list(r.m.items()), [("a", 2), ("x", 1)])
        self.assertEqual(r.fl, [9, 8])
        self.assertEqual(r.nested, {5: [SortedSet([1, 2]), SortedSet([3])]})

    def test_insert_replaces_the_whole_collection(self):
        self.session.execute("INSERT INTO c (k, l, s) VALUES (2, [1, 2], {'a'})")
        self.session.execute("INSERT INTO c (k, l, s) VALUES (2, [7], {'z'})")
        r = self.row(2)
        self.assertEqual(r.l, [7])
        self.assertEqual(r.s, SortedSet(["z"]))

    def test_list_append_prepend_remove_and_index(self):
        s = self.session
        s.execute("INSERT INTO c (k, l) VALUES (3, [1, 2])")
        s.execute("UPDATE c SET l = l + [3, 4] WHERE k = 3")
        s.execute("UPDATE c SET l = [0, -1] + l WHERE k = 3")
        s.execute("UPDATE c SET l = [-2] + l WHERE k = 3")
        self.assertEqual(self.row(3).l, [-2, 0, -1, 1, 2, 3, 4])
        s.execute("UPDATE c SET l = l - [0, 3] WHERE k = 3")
        self.assertEqual(self.row(3).l, [-2, -1, 1, 2, 4])
        s.execute("UPDATE c SET l[1] = 100 WHERE k = 3")
        s.execute("DELETE l[0] FROM c WHERE k = 3")
        self.assertEqual(self.row(3).l, [100, 1, 2, 4])
        with self.assertRaisesRegex(InvalidRequest, "List index 9 out of bound, list has size 4"):
            s.execute("UPDATE c SET l[9] = 1 WHERE k = 3")
        # Appends on a missing row create the list (UPDATE is an upsert).
        s.execute("UPDATE c SET l = l + [5] WHERE k = 30")
        self.assertEqual(self.row(30).l, [5])

    def test_set_and_map_updates(self):
        s = self.session
        s.execute("UPDATE c SET s = s + {'b', 'c'}, m = m + {'one': 1, 'two': 2} WHERE k = 4")
        s.execute("UPDATE c SET s = s + {'a'}, s = s - {'c'} WHERE k = 4")
        s.execute("UPDATE c SET m['three'] = 3, m = m - {'one'} WHERE k = 4")
        s.execute("DELETE m['two'] FROM c WHERE k = 4")
        r = self.row(4)
        self.assertEqual(r.s, SortedSet(["a", "b"]))
        self.assertEqual(dict(r.m), {"three": 3})
        # Removing every element leaves the column null, as in Cassandra.
        s.execute("UPDATE c SET s = s - {'a', 'b'} WHERE k = 4")
        self.assertIsNone(self.row(4).s)

    def test_bound_values_for_every_form(self):
        s = self.session
        s.execute(s.prepare("INSERT INTO c (k, l, s, m) VALUES (?, ?, ?, ?)"),
                  (5, [1], {"a"}, {"k": 1}))
        s.execute(s.prepare("UPDATE c SET l = l + ?, s = s + ?, m = m + ? WHERE k = ?"),
                  ([2], {"b"}, {"j": 2}, 5))
        s.execute(s.prepare("UPDATE c SET l = ? + l WHERE k = ?"), ([0], 5))
        s.execute(s.prepare("UPDATE c SET m[?] = ? WHERE k = ?"), ("z", 26, 5))
        s.execute(s.prepare("UPDATE c SET l[?] = ? WHERE k = ?"), (0, 10, 5))
        s.execute(s.prepare("DELETE m[?] FROM c WHERE k = ?"), ("k", 5))
        r = self.row(5)
        self.assertEqual(r.l, [10, 1, 2])
        self.assertEqual(r.s, SortedSet(["a", "b"]))
        self.assertEqual(dict(r.m), {"j": 2, "z": 26})
        # Bind metadata carries Cassandra's receiver names.
        p = s.prepare("UPDATE c SET m[?] = ? WHERE k = ?")
        self.assertEqual([c.name for c in p.column_metadata], ["key(m)", "value(m)", "k"])

    def test_unset_and_null_element_keys(self):
        # Cassandra 5.0's Lists.SetterByIndex/DiscarderByIndex and Maps.SetterByKey/DiscarderByKey.
        s = self.session
        s.execute("INSERT INTO c (k, l, m) VALUES (8, [1, 2], {'a': 1})")
        set_l, del_l = s.prepare("UPDATE c SET l[?] = ? WHERE k = ?"), s.prepare(
            "DELETE l[?] FROM c WHERE k = ?")
        set_m, del_m = s.prepare("UPDATE c SET m[?] = ? WHERE k = ?"), s.prepare(
            "DELETE m[?] FROM c WHERE k = ?")
        for stmt, args, message in [
                (set_l, (UNSET_VALUE, 5, 8), "Invalid unset value for list index"),
                (set_l, (None, 5, 8), "Invalid null value for list index"),
                (set_l, (9, UNSET_VALUE, 8), "List index 9 out of bound, list has size 2"),
                (set_l, (0, UNSET_VALUE, 9), "Attempted to set an element on a list which is null"),
                (del_l, (None, 8), "Invalid null value for list index"),
                (set_m, (UNSET_VALUE, 5, 8), "Invalid unset map key"),
                (set_m, (None, 5, 8), "Invalid null map key"),
                (del_m, (UNSET_VALUE, 8), "Invalid unset map key"),
                (del_m, (None, 8), "Invalid null map key")]:
            with self.assertRaisesRegex(InvalidRequest, message):
                s.execute(stmt, args)
        s.execute(set_l, (1, UNSET_VALUE, 8))  # writes nothing
        s.execute(del_l, (UNSET_VALUE, 8))  # deletes nothing
        s.execute(set_m, ("a", UNSET_VALUE, 8))
        r = self.row(8, "l, m")
        self.assertEqual((r.l, dict(r.m)), ([1, 2], {"a": 1}))

    def test_delete_set_elements(self):
        s = self.session
        s.execute("INSERT INTO c (k, s) VALUES (9, {'a', 'b', 'c', 'd'})")
        s.execute("DELETE s['a'], s['zz'] FROM c WHERE k = 9")
        by_value = s.prepare("DELETE s[?] FROM c WHERE k = ?")
        self.assertEqual([m.name for m in by_value.column_metadata], ["value(s)", "k"])
        s.execute(by_value, ("b", 9))
        s.execute(by_value, (UNSET_VALUE, 9))
        self.assertEqual(self.row(9, "s").s, SortedSet(["c", "d"]))
        with self.assertRaisesRegex(InvalidRequest, "Invalid null set element"):
            s.execute(by_value, (None, 9))
        with self.assertRaisesRegex(InvalidRequest,
                                    "Invalid deletion operation for frozen collection column fl"):
            s.execute("DELETE fl[0] FROM c WHERE k = 9")

    def test_null_operands_add_and_remove_nothing(self):
        s = self.session
        s.execute("INSERT INTO c (k, l, s, m) VALUES (11, [1], {'a'}, {'a': 1})")
        add = s.prepare("UPDATE c SET l = l + ?, s = s - ?, m = m + ? WHERE k = 11")
        s.execute(add, (None, None, None))
        s.execute("UPDATE c SET l = null + l, l -= null WHERE k = 11")
        r = self.row(11, "l, s, m")
        self.assertEqual((r.l, list(r.s), dict(r.m)), ([1], ["a"], {"a": 1}))

    def test_empty_bound_collection_is_refused_and_keeps_the_connection(self):
        # An empty value has no element count: Cassandra's "Not enough bytes to read a list"
        # (it was a protocol error, which closed the driver's connection).
        s = self.session
        insert = s.prepare("INSERT INTO c (k, l) VALUES (?, ?)")
        add = s.prepare("UPDATE c SET l = l + ? WHERE k = ?")
        for stmt, values in [(insert, [struct.pack(">i", 12), b""]),
                             (add, [b"", struct.pack(">i", 12)])]:
            bound = BoundStatement(stmt)
            bound.values = values
            with self.assertRaisesRegex(InvalidRequest, "Not enough bytes to read a list"):
                s.execute(bound)
        self.assertEqual(s.execute("SELECT l FROM c WHERE k = 12").all(), [])

    def test_null_and_delete_of_whole_collections(self):
        s = self.session
        s.execute("INSERT INTO c (k, l, m) VALUES (6, [1], {'a': 1})")
        s.execute("UPDATE c SET l = null WHERE k = 6")
        s.execute("DELETE m FROM c WHERE k = 6")
        r = self.row(6)
        self.assertIsNone(r.l)
        self.assertIsNone(r.m)

    def test_element_timestamps_merge_like_cassandra(self):
        s = self.session
        s.execute("UPDATE c USING TIMESTAMP 100 SET m['a'] = 1 WHERE k = 7")
        s.execute("UPDATE c USING TIMESTAMP 50 SET m['a'] = 2, m['b'] = 2 WHERE k = 7")
        # A replacement at 75 removes elements written before it but not the newer one.
        s.execute("UPDATE c USING TIMESTAMP 75 SET m = {'c': 3} WHERE k = 7")
        self.assertEqual(dict(self.row(7).m), {"a": 1, "c": 3})

    def test_element_and_slice_selection(self):
        s = self.session
        s.execute("INSERT INTO c (k, s, m, l) VALUES (8, {'x', 'y'}, {'a': 1, 'b': 2, 'c': 3}, [1])"
                  " USING TIMESTAMP 10")
        s.execute("UPDATE c USING TIMESTAMP 20 SET m['d'] = 4 WHERE k = 8")
        rs = s.execute("SELECT m['b'], m['zz'], s['x'], m['b'..'c'], s[..'x'] FROM c WHERE k = 8")
        self.assertEqual(rs.column_names, ["m['b']", "m['zz']", "s['x']", "m['b'..'c']",
                                           "s[..'x']"])
        row = rs.one()
        self.assertEqual((row[0], row[1], row[2]), (2, None, "x"))
        self.assertEqual(dict(row[3]), {"b": 2, "c": 3})
        self.assertEqual(set(row[4]), {"x"})
        prepared = s.prepare("SELECT m[?], m[?..?] FROM c WHERE k = ?")
        row = s.execute(prepared, ("c", "c", "d", 8)).one()
        self.assertEqual((row[0], dict(row[1])), (3, {"c": 3, "d": 4}))
        row = s.execute("SELECT writetime(m['a']), writetime(m['d']), writetime(m), "
                        "maxwritetime(m) FROM c WHERE k = 8").one()
        self.assertEqual((row[0], row[1], list(row[2]), row[3]), (10, 20, [10, 10, 10, 20], 20))
        with self.assertRaisesRegex(InvalidRequest,
                                    "Element selection is only allowed on sets and maps, but l "
                                    "is a list"):
            s.execute("SELECT l[0] FROM c WHERE k = 8")

    def test_collections_in_clustered_rows(self):
        s = self.session
        s.execute("INSERT INTO cc (k, ck, l) VALUES (1, 1, ['a'])")
        s.execute("UPDATE cc SET l = l + ['b'] WHERE k = 1 AND ck = 1")
        s.execute("UPDATE cc SET l = l + ['c'] WHERE k = 1 AND ck = 2")
        s.execute("DELETE l[0] FROM cc WHERE k = 1 AND ck = 1")
        rows = list(s.execute("SELECT ck, l FROM cc WHERE k = 1"))
        self.assertEqual([(r.ck, r.l) for r in rows], [(1, ["b"]), (2, ["c"])])

    def test_invalid_operations_get_cassandras_errors(self):
        s = self.session
        with self.assertRaisesRegex(InvalidRequest, "for frozen collection column fl"):
            s.execute("UPDATE c SET fl = fl + [1] WHERE k = 1")
        with self.assertRaisesRegex(InvalidRequest, "for non list column s"):
            s.execute("UPDATE c SET s = {'a'} + s WHERE k = 1")
        with self.assertRaisesRegex(InvalidRequest, "for set column s"):
            s.execute("UPDATE c SET s['a'] = 'b' WHERE k = 1")
        with self.assertRaisesRegex(InvalidRequest, "Invalid deletion operation"):
            s.execute("DELETE fl[0] FROM c WHERE k = 1")
        with self.assertRaisesRegex(InvalidRequest, "null is not supported inside collections"):
            s.execute("UPDATE c SET l = l + [null] WHERE k = 1")
        # The node keeps serving after the errors.
        self.assertEqual(self.row(1).fl, [9, 8])

    def test_element_deletion_and_unset_elements_as_cassandra(self):
        # DELETE c[x] takes a list index, a set element or a map key (Operation.ElementDeletion);
        # an unset index deletes nothing, an unset value sets nothing once the index is checked.
        from cassandra.query import UNSET_VALUE
        s = self.session
        s.execute("INSERT INTO c (k, l, s, m) VALUES (801, [1, 2], {'a', 'b'}, {'x': 1})")
        s.execute("DELETE s['a'], s['zz'] FROM c WHERE k = 801")
        s.execute(s.prepare("DELETE s[?] FROM c WHERE k = 801"), ("b",))
        s.execute(s.prepare("DELETE l[?] FROM c WHERE k = 801"), (UNSET_VALUE,))
        s.execute(s.prepare("UPDATE c SET l[1] = ?, m['x'] = ? WHERE k = 801"),
                  (UNSET_VALUE, UNSET_VALUE))
        r = self.row(801, "l, s, m")
        self.assertEqual((r.l, r.s, dict(r.m)), ([1, 2], None, {"x": 1}))
        with self.assertRaisesRegex(InvalidRequest, "List index 5 out of bound, list has size 2"):
            s.execute(s.prepare("UPDATE c SET l[5] = ? WHERE k = 801"), (UNSET_VALUE,))
        with self.assertRaisesRegex(InvalidRequest, "^.*Invalid unset value for list index"):
            s.execute(s.prepare("UPDATE c SET l[?] = 7 WHERE k = 801"), (UNSET_VALUE,))
        with self.assertRaisesRegex(InvalidRequest, "Invalid unset map key"):
            s.execute(s.prepare("DELETE m[?] FROM c WHERE k = 801"), (UNSET_VALUE,))
        with self.assertRaisesRegex(InvalidRequest, "Invalid unset map key"):
            s.execute(s.prepare("UPDATE c SET m[?] = 1 WHERE k = 801"), (UNSET_VALUE,))
        with self.assertRaisesRegex(InvalidRequest, "Invalid null set element"):
            s.execute(s.prepare("DELETE s[?] FROM c WHERE k = 801"), (None,))

    def test_malformed_bound_collections_get_cassandras_errors(self):
        # Raw bytes past the driver's serializer: the structure checks of Cassandra's list, set
        # and map serializers, with their messages; the connection stays usable.
        import struct
        from cassandra.query import BoundStatement
        s = self.session
        cases = [
            ("l", b"", "Not enough bytes to read a list"),
            ("l", b"test", "Not enough bytes to read a list"),
            ("l", struct.pack(">i", -1), "The data cannot be deserialized as a list"),
            ("l", struct.pack(">iii", 1, 4, 7) + b"x", "Unexpected extraneous bytes after list value"),
            ("s", b"", "Not enough bytes to read a set"),
            ("s", struct.pack(">q", 2**63 - 1), "Null value read when not allowed"),
            ("s", struct.pack(">i", -1), "The data cannot be deserialized as a set"),
            ("s", struct.pack(">ii", 0, 0), "Unexpected extraneous bytes after set value"),
            ("m", b"tes", "Not enough bytes to read a map"),
            ("m", struct.pack(">iiii", 1, 1, 1, 5) + b"a", "Not enough bytes to read a map"),
            ("m", struct.pack(">i", -1), "The data cannot be deserialized as a map"),
        ]
        for column, raw, message in cases:
            bound = BoundStatement(s.prepare(f"INSERT INTO c (k, {column}) VALUES (?, ?)"))
            bound.values = [struct.pack(">i", 901), raw]
            with self.assertRaisesRegex(InvalidRequest, message, msg=f"{column} {raw.hex()}"):
                s.execute(bound)
        self.assertIsNone(self.row(901))

    def test_elements_past_64_kib_and_empty_elements(self):
        # Cassandra 5.0 limits neither set elements nor map keys to 64 KiB, and a set element or
        # map key may be empty.
        s = self.session
        big = "x" * 70000
        s.execute("UPDATE c SET m = m + %s, s = s + %s WHERE k = 701", ({big: 1, "": 2}, {big, ""}))
        row = self.row(701, "s, m")
        self.assertEqual(sorted(row.s), ["", big])
        self.assertEqual(dict(row.m), {"": 2, big: 1})
        s.execute("UPDATE c SET s = s - {''} WHERE k = 701")
        self.assertEqual(sorted(self.row(701, "s").s), [big])

    def test_frozen_clustering_columns_sort_as_in_cassandra(self):
        s = self.session
        s.execute("CREATE TABLE IF NOT EXISTS ord (k int, c frozen<list<int>>, "
                  "t frozen<tuple<int, text>>, v int, PRIMARY KEY (k, c, t)) "
                  "WITH CLUSTERING ORDER BY (c ASC, t DESC)")
        lists = [[10], [1, 2], [], [-5], [1], [1, -2], [2], [-5, 3]]
        insert = s.prepare("INSERT INTO ord (k, c, t, v) VALUES (1, ?, ?, ?)")
        for i, l in enumerate(lists):
            for t in [(1, "a"), (None, "z"), (-1, "b")]:
                s.execute(insert, (l, t, i))
        rows = list(s.execute("SELECT c, t FROM ord WHERE k = 1"))
        expected_lists = [[], [-5], [-5, 3], [1], [1, -2], [1, 2], [2], [10]]
        self.assertEqual([list(r.c or []) for r in rows[::3]], expected_lists)
        # t DESC within each list: (1, 'a'), (-1, 'b'), then the null first field last.
        self.assertEqual([tuple(r.t) for r in rows[:3]], [(1, "a"), (-1, "b"), (None, "z")])
        sliced = s.execute("SELECT c FROM ord WHERE k = 1 AND c > %s AND c <= %s", ([1], [2]))
        self.assertEqual(sorted({tuple(r.c) for r in sliced}), [(1, -2), (1, 2), (2,)])
        rev = list(s.execute("SELECT c FROM ord WHERE k = 1 ORDER BY c DESC, t ASC"))
        self.assertEqual([list(r.c or []) for r in rev[::3]], expected_lists[::-1])

    def test_sets_and_maps_are_stored_in_canonical_order(self):
        # Bound values as the client serialized them (unsorted, a duplicate) are stored, keyed
        # and compared in Cassandra's canonical form: sorted, without duplicates.
        s = self.session
        s.execute("CREATE TABLE IF NOT EXISTS canon (k int, fs frozen<set<int>>, "
                  "fm frozen<map<int, text>>, l list<frozen<set<text>>>, PRIMARY KEY (k, fs))")
        ins = s.prepare("INSERT INTO canon (k, fs, fm, l) VALUES (1, ?, ?, ?)")
        s.execute(ins, ([3, 1, 3, 2], collections.OrderedDict([(2, "b"), (1, "a")]),
                        [["z", "y"], ["b", "a", "b"]]))
        row = s.execute("SELECT fs, fm, l FROM canon WHERE k = 1 AND fs = {1, 2, 3}").one()
        self.assertIsNotNone(row, "the set was keyed in canonical order")
        self.assertEqual(list(row.fs), [1, 2, 3])
        self.assertEqual(list(row.fm.items()), [(1, "a"), (2, "b")])
        self.assertEqual([list(x) for x in row.l], [["y", "z"], ["a", "b"]])
        lookup = s.prepare("SELECT fs FROM canon WHERE k = 1 AND fs = ?")
        self.assertIsNotNone(s.execute(lookup, ([2, 3, 1],)).one())
        self.assertTrue(s.execute("UPDATE canon SET fm = {3: 'c'} WHERE k = 1 AND fs = {1, 2, 3} "
                                  "IF fm = %s", (collections.OrderedDict([(2, "b"), (1, "a")]),))
                        .was_applied)

    def test_bind_markers_inside_collection_literals(self):
        s = self.session
        ins = s.prepare("INSERT INTO c (k, l, s, m, fl) VALUES (?, [?, ?], {?, ?}, {?: ?}, [?])")
        self.assertEqual([c.name for c in ins.column_metadata],
                         ["k", "value(l)", "value(l)", "value(s)", "value(s)", "key(m)",
                          "value(m)", "value(fl)"])
        s.execute(ins, (40, 1, 2, "b", "a", "x", 7, 9))
        r = self.row(40, "l, s, m, fl")
        self.assertEqual((r.l, sorted(r.s), dict(r.m), r.fl), ([1, 2], ["a", "b"], {"x": 7}, [9]))
        # Simple statements format values into the literal the same way.
        s.execute("UPDATE c SET l = l + [%s, %s] WHERE k = 40", (3, 4))
        self.assertEqual(self.row(40, "l").l, [1, 2, 3, 4])
        with self.assertRaisesRegex(InvalidRequest, "null is not supported inside collections"):
            s.execute(ins, (41, 1, None, "b", "a", "x", 7, 9))

    def test_decimal_elements_and_keys_are_equal_by_value(self):
        # Cassandra compares cell paths with DecimalType/IntegerType: 1.0, 1.00 and 1E+0 are one
        # element. A newer write's bytes win; on a timestamp tie the element held stays.
        s = self.session
        s.execute("CREATE TABLE IF NOT EXISTS decs (k int PRIMARY KEY, s set<decimal>, "
                  "m map<decimal, int>, vs set<varint>)")

        def strs(k):
            r = s.execute("SELECT s, m, vs FROM decs WHERE k = %s", (k,)).one()
            return ([str(x) for x in r.s or []],
                    [(str(a), b) for a, b in (r.m or {}).items()], list(r.vs or []))

        s.execute("INSERT INTO decs (k, s, m) VALUES (1, {1.0, 2}, {1.0: 1, 2: 3})")
        s.execute("UPDATE decs SET s = s + {1.00}, m[1.00] = 2 WHERE k = 1")
        self.assertEqual(strs(1), (["1.00", "2"], [("1.00", 2), ("2", 3)], []))
        s.execute("UPDATE decs SET s = s + {1.000}, m[1E+0] = 4 WHERE k = 1")
        self.assertEqual(strs(1), (["1.000", "2"], [("1", 4), ("2", 3)], []))
        s.execute("UPDATE decs SET s = s - {2.0} WHERE k = 1")
        s.execute("DELETE m[2.00] FROM decs WHERE k = 1")
        self.assertEqual(strs(1), (["1.000"], [("1", 4)], []))
        s.execute("UPDATE decs USING TIMESTAMP 100 SET s = s + {5.0} WHERE k = 2")
        s.execute("UPDATE decs USING TIMESTAMP 100 SET s = s + {5.00} WHERE k = 2")
        self.assertEqual(strs(2)[0], ["5.0"])
        # Bound values: the driver sends each Decimal's own scale.
        upd = s.prepare("UPDATE decs SET s = s + ?, vs = vs + ? WHERE k = 3")
        s.execute(upd, ([decimal.Decimal("7.50"), decimal.Decimal("7.5")], {3}))
        self.assertEqual(len(strs(3)[0]), 1)
        s.execute("INSERT INTO decs (k, vs) VALUES (4, {blobAsVarint(0x0001), 1, "
                  "blobAsVarint(0xffff), -1})")
        self.assertEqual(strs(4)[2], [-1, 1])
        self.assertEqual(s.execute("SELECT k FROM decs WHERE k = 1 AND s CONTAINS 1.0 "
                                   "ALLOW FILTERING").one().k, 1)

    def test_booleans_and_nans_are_equal_as_in_cassandra(self):
        # BooleanType compares zero against non-zero, FloatType/DoubleType as Java's
        # Float.compare: 0x01 and 0x02 are one clustering key, set element and map key, as are
        # all NaN bit patterns (one value above +Infinity). A row keeps the clustering first
        # written; partition keys stay their bytes (a token each).
        s = self.session
        s.execute("CREATE TABLE IF NOT EXISTS eqv (k int, b boolean, f float, v boolean, "
                  "sb set<boolean>, mb map<boolean, int>, mf map<float, int>, "
                  "PRIMARY KEY (k, b, f))")
        s.execute("INSERT INTO eqv (k, b, f, v) VALUES "
                  "(1, blobAsBoolean(0x02), blobAsFloat(0x7fc00000), true)")
        s.execute("INSERT INTO eqv (k, b, f, v) VALUES "
                  "(1, blobAsBoolean(0x01), blobAsFloat(0xffc00001), false)")
        s.execute("INSERT INTO eqv (k, b, f, v) VALUES (1, true, 1.5, true)")
        s.execute("INSERT INTO eqv (k, b, f, v) VALUES (1, true, -Infinity, true)")
        rows = [(r.b, r.f, r.v) for r in s.execute(
            "SELECT booleanAsBlob(b) AS b, floatAsBlob(f) AS f, v FROM eqv WHERE k = 1")]
        self.assertEqual(rows, [(b"\x01", b"\xff\x80\x00\x00", True),
                                (b"\x01", b"\x3f\xc0\x00\x00", True),
                                (b"\x02", b"\x7f\xc0\x00\x00", False)])
        one = ("SELECT v FROM eqv WHERE k = 1 AND b = blobAsBoolean(0x05) AND f IN "
               "(blobAsFloat(0xffffffff), NaN, blobAsFloat(0x7f800001))")
        self.assertEqual([r.v for r in s.execute(one)], [False])
        self.assertEqual(len(list(s.execute(
            "SELECT v FROM eqv WHERE k = 1 AND b = true AND f > blobAsFloat(0x7f800000)"))), 1)
        self.assertEqual(len(list(s.execute(
            "SELECT v FROM eqv WHERE k = 1 AND b = true AND f < blobAsFloat(0xff800000)"))), 0)
        where = "WHERE k = 1 AND b = true AND f = 1.5"
        s.execute("UPDATE eqv SET mb[blobAsBoolean(0x02)] = 1, mf[NaN] = 1, sb = sb + {true} "
                  + where)
        s.execute("UPDATE eqv SET mb[blobAsBoolean(0x03)] = 2, "
                  "mf[blobAsFloat(0xffc00000)] = 2 " + where)
        r = s.execute("SELECT mb, mf, mb[blobAsBoolean(0x09)] AS e FROM eqv " + where).one()
        self.assertEqual((len(r.mb), len(r.mf), r.e), (1, 1, 2))
        self.assertTrue(s.execute("UPDATE eqv SET v = false " + where +
                                  " IF mb[blobAsBoolean(0x04)] = 2 AND v = blobAsBoolean(0x06)"
                                  ).one().applied)
        self.assertEqual([r.v for r in s.execute(
            "SELECT v FROM eqv WHERE k = 1 AND mb CONTAINS KEY blobAsBoolean(0x07) "
            "ALLOW FILTERING")], [False])
        s.execute("DELETE mf[blobAsFloat(0x7f800005)], mb[blobAsBoolean(0x08)] FROM eqv " + where)
        s.execute("UPDATE eqv SET sb = sb - {blobAsBoolean(0x09)} " + where)
        r = s.execute("SELECT sb, mb, mf FROM eqv " + where).one()
        self.assertEqual((r.sb, r.mb, r.mf), (None, None, None))
        s.execute("CREATE TABLE IF NOT EXISTS eqp (k boolean PRIMARY KEY, v int)")
        s.execute("INSERT INTO eqp (k, v) VALUES (blobAsBoolean(0x01), 1)")
        s.execute("INSERT INTO eqp (k, v) VALUES (blobAsBoolean(0x02), 2)")
        self.assertEqual(sorted(r.v for r in s.execute("SELECT v FROM eqp")), [1, 2])
        # An IN list keeps the first of equal values; each key is read by its bytes.
        self.assertEqual([r.v for r in s.execute(
            "SELECT v FROM eqp WHERE k IN (blobAsBoolean(0x02), blobAsBoolean(0x01))")], [2])
        self.assertEqual(list(s.execute("SELECT v FROM eqp WHERE k = blobAsBoolean(0x03)")), [])

    def test_empty_set_elements_and_map_keys_are_elements(self):
        # Cassandra stores '' (and 0x, and an empty int) as an element like any other; removing
        # or deleting it leaves the other elements.
        s = self.session
        s.execute("CREATE TABLE IF NOT EXISTS emc (k int PRIMARY KEY, s set<text>, "
                  "b set<blob>, m map<text, int>, mi map<int, int>)")
        s.execute("INSERT INTO emc (k, s, b, m) VALUES (1, {'', 'a'}, {0x, 0x01}, "
                  "{'': 1, 'a': 2})")
        r = s.execute("SELECT s, b, m FROM emc WHERE k = 1").one()
        self.assertEqual((list(r.s), list(r.b), dict(r.m)),
                         (["", "a"], [b"", b"\x01"], {"": 1, "a": 2}))
        s.execute("UPDATE emc SET s = s - {''}, b = b - {0x} WHERE k = 1")
        s.execute("DELETE m[''] FROM emc WHERE k = 1")
        r = s.execute("SELECT s, b, m FROM emc WHERE k = 1").one()
        self.assertEqual((list(r.s), list(r.b), dict(r.m)), (["a"], [b"\x01"], {"a": 2}))
        s.execute("UPDATE emc SET s = s + {''}, m[''] = 3, mi[blobAsInt(0x)] = 4, mi[1] = 5 "
                  "WHERE k = 1")
        add = s.prepare("UPDATE emc SET s = s + ?, b = b + ? WHERE k = 2")
        s.execute(add, ({""}, {b""}))
        r = s.execute("SELECT s, m, mi[blobAsInt(0x)] AS e, mi[1] AS one FROM emc WHERE k = 1").one()
        self.assertEqual((list(r.s), dict(r.m), r.e, r.one), (["", "a"], {"": 3, "a": 2}, 4, 5))
        r = s.execute("SELECT s, b FROM emc WHERE k = 2").one()
        self.assertEqual((list(r.s), list(r.b)), ([""], [b""]))
        self.assertEqual(s.execute("SELECT k FROM emc WHERE k = 1 AND s CONTAINS '' "
                                   "ALLOW FILTERING").one().k, 1)

    def test_list_operations_of_one_statement_apply_in_turn(self):
        # Cassandra 5.0: each operation on a list sees the list as the statement's earlier
        # operations left it; the statements of a batch see the list as it was before the batch.
        s = self.session
        s.execute("CREATE TABLE IF NOT EXISTS lops (k int, c int, l list<int>, "
                  "sl list<int> static, PRIMARY KEY (k, c))")
        where = " WHERE k = 1 AND c = 0"

        def reset():
            s.execute("INSERT INTO lops (k, c, l, sl) VALUES (1, 0, [1, 2, 3, 4, 5, 6], "
                      "[1, 2, 3, 4, 5, 6])")

        def lists():
            r = s.execute("SELECT l, sl FROM lops" + where).one()
            return r.l, r.sl

        reset()
        s.execute("UPDATE lops SET l[2] = 7, l[2] = 8, sl[2] = 9, sl[2] = 6" + where)
        self.assertEqual(lists(), ([1, 2, 8, 4, 5, 6], [1, 2, 9, 4, 5, 6]))
        s.execute("DELETE l[2], l[2], sl[1] FROM lops" + where)
        self.assertEqual(lists(), ([1, 2, 5, 6], [1, 9, 4, 5, 6]))
        reset()
        by_index = s.prepare("UPDATE lops SET l = l + ?, l[?] = ?" + where)
        s.execute(by_index, ([3, 4], 7, 70))
        self.assertEqual(lists()[0], [1, 2, 3, 4, 5, 6, 3, 70])
        reset()
        with self.assertRaisesRegex(InvalidRequest, "List index 6 out of bound, list has size 6"):
            s.execute("UPDATE lops SET l[6] = 5, l = l + [9]" + where)
        s.execute("UPDATE lops SET l[2] = 8, l = l - [8]" + where)
        self.assertEqual(lists()[0], [1, 2, 4, 5, 6])
        with self.assertRaisesRegex(InvalidRequest, "List index 4 out of bound, list has size 4"):
            s.execute("UPDATE lops SET l = l - [6], l[4] = 4" + where)
        s.execute("UPDATE lops SET l = [0] + l, l[0] = 9" + where)
        self.assertEqual(lists()[0], [9, 1, 2, 4, 5, 6])
        reset()
        s.execute("BEGIN BATCH DELETE l[2] FROM lops" + where + "; DELETE l[2] FROM lops" + where +
                  "; UPDATE lops SET sl[0] = 5 WHERE k = 1; UPDATE lops SET sl[0] = 4 WHERE k = 1"
                  "; APPLY BATCH")
        self.assertEqual(lists(), ([1, 2, 4, 5, 6], [5, 2, 3, 4, 5, 6]))
        with self.assertRaisesRegex(SyntaxException, "Multiple incompatible setting of column l"):
            s.execute("UPDATE lops SET l = [1], l[0] = 2" + where)

    def test_driver_metadata_shows_collection_types(self):
        meta = self.cluster.metadata.keyspaces["colks"].tables["c"]
        self.assertEqual(meta.columns["l"].cql_type, "list<int>")
        self.assertEqual(meta.columns["fl"].cql_type, "frozen<list<int>>")
        self.assertEqual(meta.columns["m"].cql_type, "map<text, int>")


if __name__ == "__main__":
    node_process.main_with_node()
