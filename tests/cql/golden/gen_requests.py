"""Writes golden request frames, cell values and Murmur3 tokens made by Debian's python3-cassandra.

Run with /usr/bin/python3 (the interpreter that sees python3-cassandra). Output lines:
  frame <name> <hex of the whole frame>       -- our decoder must read it, our encoder match it
  value <name> <cql type> <hex of the cell>   -- our DeserializeValue/SerializeValue must agree
  murmur <hex of key> <token>                 -- our Murmur3Token must agree
golden_test.cc builds the same inputs by name.
"""
import datetime
import decimal
import random
import sys
import uuid

import cassandra.cqltypes as t
import cassandra.protocol as p
from cassandra import ConsistencyLevel as CL
from cassandra.murmur3 import murmur3
from cassandra.query import UNSET_VALUE, BatchType
from cassandra.util import Duration

V4 = 4
V5 = 5


def frame(out, name, msg, stream, version=V4):
    data = p.ProtocolHandler.encode_message(msg, stream, version, None, False)
    out.write("frame %s %s\n" % (name, data.hex()))


def frames_v5(out):
    """v5 envelopes: [int] query flags, keyspace flags, result metadata ids."""
    frame(out, "v5_query",
          p.QueryMessage("SELECT v FROM t WHERE k = 1", CL.LOCAL_QUORUM, fetch_size=100,
                         paging_state=b"\x00\x01", timestamp=7, keyspace="ks"), 3, V5)
    frame(out, "v5_prepare", p.PrepareMessage("SELECT v FROM t", keyspace="ks"), 4, V5)
    frame(out, "v5_prepare_plain", p.PrepareMessage("SELECT v FROM ks.t"), 5, V5)
    frame(out, "v5_execute",
          p.ExecuteMessage(b"\xde\xad\xbe\xef" * 4, [b"\x00\x00\x00\x01", None], CL.ONE,
                           fetch_size=10, skip_meta=True, result_metadata_id=b"\x01\x02\x03"),
          6, V5)
    frame(out, "v5_batch",
          p.BatchMessage(BatchType.LOGGED,
                         [(False, "INSERT INTO t (k, v) VALUES (?, ?)", [b"a", None])],
                         CL.QUORUM, serial_consistency_level=CL.SERIAL, timestamp=99,
                         keyspace="ks"), 7, V5)


def frames(out):
    frame(out, "startup", p.StartupMessage("3.0.0", {"COMPRESSION": "lz4"}), 0)
    frame(out, "options", p.OptionsMessage(), 1)
    frame(out, "query_simple", p.QueryMessage("SELECT * FROM system.local", CL.ONE), 2)
    frame(out, "query_full",
          p.QueryMessage("SELECT v FROM ks.t WHERE k = 1", CL.LOCAL_QUORUM,
                         serial_consistency_level=CL.LOCAL_SERIAL, fetch_size=5000,
                         paging_state=b"\x00\x01state", timestamp=1700000000123456), 3)
    frame(out, "prepare", p.PrepareMessage("INSERT INTO ks.t (k, v) VALUES (?, ?)"), 4)
    frame(out, "execute",
          p.ExecuteMessage(b"\xde\xad\xbe\xef" * 4, [b"\x00\x00\x00\x01", None, UNSET_VALUE, b""],
                           CL.QUORUM, fetch_size=100, timestamp=42), 5)
    frame(out, "execute_no_values", p.ExecuteMessage(b"\x01\x02", [], CL.ONE), 32767)
    frame(out, "batch",
          p.BatchMessage(BatchType.UNLOGGED,
                         [(False, "INSERT INTO ks.t (k, v) VALUES (?, ?)", [b"a", None]),
                          (True, b"\x01\x02", [UNSET_VALUE])],
                         CL.QUORUM, serial_consistency_level=CL.SERIAL, timestamp=99), 6)
    frame(out, "batch_plain",
          p.BatchMessage(BatchType.LOGGED, [(False, "DELETE FROM ks.t WHERE k = 1", [])], CL.ONE),
          7)
    frame(out, "register",
          p.RegisterMessage(["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"]), 8)
    frame(out, "auth_response", p.AuthResponseMessage(b"\x00cassandra\x00cassandra"), 9)


def values(out):
    L = t.ListType.apply_parameters
    S = t.SetType.apply_parameters
    M = t.MapType.apply_parameters
    T = t.TupleType.apply_parameters
    udt = t.UserType.make_udt_class("ks", "address", ["street", "zip"], [t.UTF8Type, t.Int32Type])
    cases = [
        ("int_one", "int", t.Int32Type, 1),
        ("int_min", "int", t.Int32Type, -2147483648),
        ("bigint_min", "bigint", t.LongType, -9223372036854775808),
        ("smallint", "smallint", t.ShortType, -2),
        ("tinyint", "tinyint", t.ByteType, 127),
        ("boolean", "boolean", t.BooleanType, True),
        ("float", "float", t.FloatType, 1.5),
        ("double", "double", t.DoubleType, -2.25),
        ("text", "text", t.UTF8Type, "h\u00e9llo \U0001F600"),
        ("text_empty", "varchar", t.UTF8Type, ""),
        ("ascii", "ascii", t.AsciiType, "plain"),
        ("blob", "blob", t.BytesType, b"\x00\xff\x10"),
        ("uuid", "uuid", t.UUIDType, uuid.UUID("550e8400-e29b-41d4-a716-446655440000")),
        ("timeuuid", "timeuuid", t.TimeUUIDType, uuid.UUID("e7bd1a10-8d1e-11ee-b9d1-0242ac120002")),
        ("inet4", "inet", t.InetAddressType, "10.1.2.3"),
        ("inet6", "inet", t.InetAddressType, "2001:db8::1"),
        ("varint_big_negative", "varint", t.IntegerType, -123456789012345678901234567890),
        ("varint_128", "varint", t.IntegerType, 128),
        ("varint_minus_129", "varint", t.IntegerType, -129),
        ("decimal_negative", "decimal", t.DecimalType, decimal.Decimal("-12.345")),
        ("decimal_exponent", "decimal", t.DecimalType, decimal.Decimal("1E+3")),
        ("date", "date", t.SimpleDateType, datetime.date(2024, 2, 29)),
        ("date_before_epoch", "date", t.SimpleDateType, datetime.date(1969, 12, 31)),
        ("time", "time", t.TimeType, datetime.time(13, 30, 54, 234000)),
        ("timestamp", "timestamp", t.DateType,
         datetime.datetime(2024, 2, 29, 13, 30, 54, 234000)),
        ("duration", "duration", t.DurationType, Duration(14, 3, 3661000000001)),
        ("duration_negative", "duration", t.DurationType, Duration(0, -3, -1000)),
        ("list_int", "list<int>", L([t.Int32Type]), [1, -2, 3]),
        ("list_empty", "list<int>", L([t.Int32Type]), []),
        ("set_text", "set<text>", S([t.UTF8Type]), ["a", "b"]),
        ("map_text_int", "map<text, int>", M([t.UTF8Type, t.Int32Type]), {"a": 1, "b": 2}),
        ("map_nested", "map<text, frozen<list<int>>>",
         M([t.UTF8Type, L([t.Int32Type])]), {"x": [1, 2]}),
        ("tuple", "tuple<int, text, boolean>",
         T([t.Int32Type, t.UTF8Type, t.BooleanType]), (7, None, True)),
        ("udt", "frozen<address>", udt, ("Main St", 12345)),
    ]
    for name, cql, ctype, val in cases:
        data = ctype.serialize(val, V4)
        out.write("value %s %s %s\n" % (name, cql.replace(" ", ""), data.hex() or "-"))


def tokens(out):
    rng = random.Random(20261123)
    keys = [b"", b"\x00\x00\x00\x01", bytes(range(256))[:100]]
    for n in range(0, 101):
        for _ in range(3):
            keys.append(bytes(rng.randrange(256) for _ in range(n)))
    keys.append(b"\xff" * 33)
    keys.append(b"\x80" * 15)
    for k in keys:
        out.write("murmur %s %d\n" % (k.hex() or "-", murmur3(k)))


def main():
    with open(sys.argv[1], "w") as out:
        frames(out)
        frames_v5(out)
        values(out)
        tokens(out)


if __name__ == "__main__":
    main()
