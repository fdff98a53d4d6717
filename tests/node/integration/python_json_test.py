#!/usr/bin/python3
"""JSON, empty values and CAST through python3-cassandra, with Cassandra 5.0's answers: SELECT
JSON keys named as Cassandra names selectors, doubles and floats as Java prints them, NaN and
the infinities as null, IPv6 as Java writes it; INSERT JSON and fromJson() read as Jackson
reads JSON (Integer, Long, BigInteger, Double) with Cassandra's and Jackson's error texts, and
fromJson() failures as FunctionFailure; zero-length values of fixed-size types stored and
returned as empty (not null), also inside collections, refused where Cassandra's serializers
want exact sizes and as a partition key; CAST refusals with Cassandra's texts.
"""
import json

import node_process
from cassandra import FunctionFailure, InvalidRequest
from cassandra.cqltypes import EMPTY, Int32Type
from cassandra.protocol import SyntaxException
from node_process import KeyspaceTest


class SelectJsonTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "sj")
        s.execute('CREATE TABLE t (p int PRIMARY KEY, v int, "Up" int, d double, f float, '
                  "de decimal, i inet, tx text)")
        s.execute("INSERT INTO t (p, v, \"Up\", d, f, de, i, tx) VALUES (1, 2, 3, 1e-5, 3.25, "
                  "1.23E+3, '::1', 'a\"b')")
        s.execute("INSERT INTO t (p, d, f) VALUES (2, 12345678.9, 1e10)")
        s.execute("INSERT INTO t (p, d, f) VALUES (3, NaN, -Infinity)")

    def doc(self, query):
        return json.loads(self.session.execute(query).one()[0])

    def test_selector_names(self):
        r = self.session.execute(
            'SELECT JSON p, ttl(v), toJson(v), v AS "Foo", "Up", blobAsInt(0x00000001), '
            "cast(v as text), count(*) FROM t WHERE p = 1")
        self.assertEqual(list(json.loads(r.one()[0]).keys()),
                         ["p", "ttl(v)", "system.tojson(v)", '"Foo"', '"Up"',
                          "system.blobasint(0x00000001)", "cast(v as text)", "count"])

    def test_numbers_as_java_prints_them(self):
        text = self.session.execute("SELECT JSON d, f, de, i FROM t WHERE p = 1").one()[0]
        self.assertEqual(text, '{"d": 1.0E-5, "f": 3.25, "de": 1.23E+3, '
                               '"i": "0:0:0:0:0:0:0:1"}')
        text = self.session.execute("SELECT JSON d, f FROM t WHERE p = 2").one()[0]
        self.assertEqual(text, '{"d": 1.23456789E7, "f": 1.0E10}')
        row = self.session.execute("SELECT toJson(d), toJson(f) FROM t WHERE p = 2").one()
        self.assertEqual(tuple(row), ("1.23456789E7", "1.0E10"))

    def test_nan_and_infinity_are_null(self):
        self.assertEqual(self.doc("SELECT JSON d, f FROM t WHERE p = 3"), {"d": None, "f": None})
        row = self.session.execute("SELECT toJson(d), toJson(f) FROM t WHERE p = 3").one()
        self.assertEqual(tuple(row), ("null", "null"))


class InsertJsonTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "ij")
        s.execute('CREATE TYPE ut (a int, "B" text)')
        s.execute("CREATE TABLE t (p int PRIMARY KEY, v int, a ascii, b boolean, bi bigint, "
                  "l list<int>, s set<int>, m map<int, int>, d double, de decimal, vi varint, "
                  "ts timestamp, si smallint, bl blob, u frozen<ut>, tu tuple<int, text>)")

    def refused(self, doc, message, error=InvalidRequest):
        with self.assertRaises(error) as ctx:
            self.session.execute("INSERT INTO t JSON %s", (doc,))
        self.assertIn(message, str(ctx.exception))

    def test_udt_tuple_and_nested_json(self):
        s = self.session
        s.execute("INSERT INTO t JSON %s", ('{"p": 1, "u": {"a": 1, "\\"B\\"": "x"}, '
                                            '"tu": [1, null], "s": "[2, 1]", "de": "1.10"}',))
        text = s.execute("SELECT JSON u, tu, s, de FROM t WHERE p = 1").one()[0]
        self.assertEqual(text, '{"u": {"a": 1, "\\"B\\"": "x"}, "tu": [1, null], "s": [1, 2], '
                               '"de": 1.10}')

    def test_value_errors_name_the_column(self):
        self.refused('{"p": 1, "v": "dog"}', "Error decoding JSON value for v: Unable to make "
                                            "int from 'dog'")
        self.refused('{"p": 1, "v": 2147483648}',
                     "Error decoding JSON value for v: Expected an int value, but got a Long: "
                     "2147483648")
        self.refused('{"p": 1, "v": 1.5}', "Expected an int value, but got a Double: 1.5")
        self.refused('{"p": 1, "b": 1}', "Expected a boolean value, but got a Integer: 1")
        self.refused('{"p": 1, "l": {"a": 1}}', "Expected a list, but got a LinkedHashMap: {a=1}")
        self.refused('{"p": 1, "l": [null]}', "Invalid null element in list")
        self.refused('{"p": 1, "bl": "zz"}', "Value 'zz' is not a valid blob representation: "
                                            "String representation of blob is missing 0x prefix")
        self.refused('{"p": 1, "si": 40000}', "Unable to make short from '40000'")
        self.refused('{"p": 1, "ts": 5}', "Expected a long or a datestring representation of a "
                                         "timestamp value, but got a Integer: 5")
        self.refused('{"p": 1, "u": {"a": 1, "x": 2}}',
                     "Unknown field 'x' in value of user defined type ut")
        self.refused('{"p": 1, "tu": [1]}', "Tuple is missing items (expected 2): [1]")
        self.refused('{"p": 1, "nosuch": 1}', "JSON values map contains unrecognized column: "
                                             "nosuch")
        self.refused('{"p": ""}', "Key may not be empty")

    def test_parse_errors_are_jacksons(self):
        where = "[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); "
        self.refused("not json", "Could not decode JSON string as a map: "
                                 "com.fasterxml.jackson.core.JsonParseException: Unrecognized "
                                 "token 'not': was expecting (JSON String, Number, Array, Object "
                                 "or token 'null', 'true' or 'false')\n at " + where +
                                 "line: 1, column: 4]. (String was: not json)")
        self.refused("[1]", "MismatchedInputException: Cannot deserialize value of type "
                            "`java.util.LinkedHashMap<java.lang.Object,java.lang.Object>` from "
                            "Array value (token `JsonToken.START_ARRAY`)")
        self.refused('{"p": 1, }', "Unexpected character ('}' (code 125)): was expecting "
                                   "double-quote to start field name\n at " + where +
                                   "line: 1, column: 10]")
        self.refused('{"p": 1', "JsonEOFException: Unexpected end-of-input: expected close "
                                "marker for Object (start marker at " + where +
                                "line: 1, column: 1])")
        self.refused("null", "Got null for INSERT JSON values")


class FromJsonTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "fj")
        s.execute("CREATE TABLE t (p int PRIMARY KEY, v int, a ascii, b boolean, bi bigint)")

    def test_failures_are_function_failures(self):
        s = self.session
        cases = [
            ("INSERT INTO t (p, v) VALUES (1, fromJson('\"dog\"'))",
             "org.apache.cassandra.serializers.MarshalException: Unable to make int from 'dog'"),
            ("INSERT INTO t (p, a) VALUES (1, fromJson('3'))",
             "Expected an ascii string, but got a Integer: 3"),
            ("INSERT INTO t (p, bi) VALUES (1, fromJson('9223372036854775808'))",
             "Expected a bigint value, but got a BigInteger: 9223372036854775808"),
            ("INSERT INTO t (p, v) VALUES (1, fromJson('dog'))",
             "execution of 'system.fromjson[text]' failed: Could not decode JSON string 'dog': "
             "com.fasterxml.jackson.core.JsonParseException: Unrecognized token 'dog'"),
        ]
        for query, message in cases:
            with self.assertRaises(FunctionFailure) as ctx:
                s.execute(query)
            self.assertIn(message, str(ctx.exception))
            self.assertEqual((ctx.exception.keyspace, ctx.exception.function,
                              ctx.exception.arg_types), ("system", "fromjson", ["text"]))
        prepared = s.prepare("INSERT INTO t (p, v) VALUES (?, fromJson(?))")
        with self.assertRaises(FunctionFailure):
            s.execute(prepared, (1, "1.2"))

    def test_values(self):
        s = self.session
        s.execute("INSERT INTO t (p, v, b) VALUES (2, fromJson(null), fromJson('\"fALSe\"'))")
        self.assertEqual(tuple(s.execute("SELECT v, b FROM t WHERE p = 2").one()), (None, False))
        s.execute("INSERT INTO t (p, v) VALUES (3, fromJson('\"\"'))")  # an empty int
        self.assertEqual(s.execute("SELECT JSON v FROM t WHERE p = 3").one()[0], '{"v": ""}')


class EmptyValueTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "ev")
        s.execute("CREATE TABLE t (k int PRIMARY KEY, i int, si smallint, dt date, "
                  "l list<int>, m map<int, int>)")

    def test_empty_inside_collections(self):
        s = self.session
        s.execute("INSERT INTO t (k, i, l, m) VALUES (1, blobAsInt(0x), [1, blobAsInt(0x)], "
                  "{2: blobAsInt(0x)})")
        Int32Type.support_empty_values = True
        try:
            row = s.execute("SELECT i, l, m FROM t WHERE k = 1").one()
        finally:
            Int32Type.support_empty_values = False
        self.assertIs(row.i, EMPTY)
        self.assertEqual(row.l, [1, EMPTY])
        self.assertEqual(list(row.m.items()), [(2, EMPTY)])
        self.assertEqual(s.execute("SELECT JSON i, l, m FROM t WHERE k = 1").one()[0],
                         '{"i": "", "l": [1, ""], "m": {"2": ""}}')

    def test_types_without_empty_values(self):
        for fn, col in (("blobAsSmallint", "si"), ("blobAsDate", "dt")):
            with self.assertRaisesRegex(
                    InvalidRequest, "In call to function system.%s, value 0x is not a valid "
                    "binary representation for type" % fn.lower()):
                self.session.execute("INSERT INTO t (k, %s) VALUES (2, %s(0x))" % (col, fn))

    def test_empty_partition_key(self):
        for query in ("SELECT * FROM t WHERE k = blobAsInt(0x)",
                      "INSERT INTO t (k, i) VALUES (blobAsInt(0x), 1)"):
            with self.assertRaisesRegex(InvalidRequest, "Key may not be empty"):
                self.session.execute(query)


class CastTest(KeyspaceTest):
    @classmethod
    def setUpClass(cls):
        s = KeyspaceTest.open(cls, "ct")
        s.execute("CREATE TABLE t (k int PRIMARY KEY, t text, l list<int>, b blob)")

    def test_refusals(self):
        with self.assertRaises(InvalidRequest) as ctx:
            self.session.execute("SELECT CAST(t AS int) FROM t")
        message = str(ctx.exception)
        self.assertIn("Invalid call to function system.cast_as_int, none of its type signatures "
                      "match (known type signatures: ", message)
        sources = sorted(part.split("(")[1].split(")")[0]
                         for part in message.split("system.cast_as_int : ")[1:])
        self.assertEqual(sources, ["bigint", "counter", "decimal", "double", "float", "smallint",
                                   "tinyint", "varint"])
        with self.assertRaisesRegex(InvalidRequest, "system.cast_as_text, none of its"):
            self.session.execute("SELECT CAST(b AS text) FROM t")
        with self.assertRaises(SyntaxException) as ctx:
            self.session.execute("SELECT CAST(t AS nosuch) FROM t")
        self.assertIn("line 1:17 no viable alternative at input 'nosuch' "
                      "(SELECT CAST(t AS [nosuch]...)", str(ctx.exception))


if __name__ == "__main__":
    node_process.main_with_node()
