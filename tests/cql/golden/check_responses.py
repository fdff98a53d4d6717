"""Decodes the response frames our encoder made (responses_tool) with python3-cassandra's own
decoder and checks every field. Run with /usr/bin/python3; argv[1] is the tool's path.
Exits non-zero on the first mismatch."""
import datetime
import decimal
import subprocess
import sys
import uuid

import cassandra.protocol as p
from cassandra import ConsistencyLevel as CL
from cassandra.util import Date, Duration, Time


def decode(data):
    version = data[0] & 0x7F
    assert data[0] in (0x84, 0x85), "version byte %#x" % data[0]
    stream = int.from_bytes(data[2:4], "big", signed=True)
    length = int.from_bytes(data[5:9], "big")
    assert length == len(data) - 9, "length field %d, body %d" % (length, len(data) - 9)
    return p.ProtocolHandler.decode_message(version, {}, stream, data[1], data[4], data[9:], None,
                                            None)


def main():
    out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    msgs = {}
    for line in out.splitlines():
        name, hexdata = line.split()
        msgs[name] = decode(bytes.fromhex(hexdata))

    def check(name, cond):
        if not cond:
            print("MISMATCH %s: %r" % (name, vars(msgs[name])))
            sys.exit(1)

    check("ready", isinstance(msgs["ready"], p.ReadyMessage))
    check("authenticate",
          msgs["authenticate"].authenticator == "org.apache.cassandra.auth.PasswordAuthenticator")
    check("supported", msgs["supported"].cql_versions == ["3.4.5"] and
          msgs["supported"].options["COMPRESSION"] == ["lz4", "snappy"])
    check("auth_challenge", msgs["auth_challenge"].challenge == b"chal")
    check("auth_success", msgs["auth_success"].token in (b"done", "done"))

    for name, code in [("error_server", 0x0000), ("error_syntax", 0x2000),
                       ("error_invalid", 0x2200), ("error_unavailable", 0x1000),
                       ("error_write_timeout", 0x1100), ("error_read_timeout", 0x1200),
                       ("error_read_failure", 0x1300), ("error_write_failure", 0x1500),
                       ("error_function_failure", 0x1400), ("error_already_exists", 0x2400),
                       ("error_unprepared", 0x2500)]:
        check(name, msgs[name].code == code and msgs[name].message == "boom")
    check("error_unavailable", msgs["error_unavailable"].info ==
          {"consistency": CL.LOCAL_QUORUM, "required_replicas": 3, "alive_replicas": 1})
    wt = msgs["error_write_timeout"].info
    check("error_write_timeout", wt["consistency"] == CL.LOCAL_QUORUM and
          wt["received_responses"] == 1 and wt["required_responses"] == 3)
    rt = msgs["error_read_timeout"].info
    check("error_read_timeout", rt["received_responses"] == 1 and
          rt["required_responses"] == 3 and rt["data_retrieved"] is True)
    rf = msgs["error_read_failure"].info
    check("error_read_failure", rf["failures"] == 2 and rf["data_retrieved"] is True)
    wf = msgs["error_write_failure"].info
    check("error_write_failure", wf["failures"] == 2 and wf["required_responses"] == 3)
    check("error_function_failure", msgs["error_function_failure"].info ==
          {"keyspace": "ks", "function": "f", "arg_types": ["int", "text"]})
    check("error_already_exists",
          msgs["error_already_exists"].info == {"keyspace": "ks", "table": "t"})
    check("error_unprepared", msgs["error_unprepared"].info == b"\x01\x02\x03")

    check("result_void", msgs["result_void"].kind == 1)
    check("result_set_keyspace", msgs["result_set_keyspace"].new_keyspace == "my_ks")
    check("result_schema_change", msgs["result_schema_change"].schema_change_event ==
          {"target_type": "TABLE", "change_type": "CREATED", "keyspace": "ks", "table": "t"})

    rows = msgs["result_rows"]
    check("result_rows", rows.paging_state == b"page2" and len(rows.parsed_rows) == 2)
    check("result_rows", rows.column_names[0] == "c_int" and rows.column_names[-1] == "c_udt")
    r = rows.parsed_rows[0]
    expected = [
        -7, -9223372036854775808, -300, -128, True, 1.5, -2.25, "h\u00e9llo", "plain",
        b"\x00\xff", uuid.UUID("550e8400-e29b-41d4-a716-446655440000"),
        uuid.UUID("e7bd1a10-8d1e-11ee-b9d1-0242ac120002"), "2001:db8::1",
        -123456789012345678901234567890, decimal.Decimal("-12.345"),
        Date(datetime.date(2024, 2, 29)), Time(datetime.time(13, 30, 54, 234000)),
        datetime.datetime(2024, 2, 29, 13, 30, 54, 234000), Duration(14, 3, 3661000000001),
        [1, 2], {"a", "b"}, {"x": [3]}, (7, None)]
    for i, want in enumerate(expected):
        got = r[i]
        if isinstance(want, set):
            got = set(got)
        elif isinstance(want, dict):
            got = dict(got)
        if got != want:
            print("MISMATCH result_rows column %s: got %r want %r" % (rows.column_names[i], got, want))
            sys.exit(1)
    check("result_rows", r[-1].street == "Main St" and r[-1].zip == 12345)
    check("result_rows", all(v is None for v in rows.parsed_rows[1]))

    prep = msgs["result_prepared"]
    check("result_prepared", prep.query_id == b"\xaa\xbb\xcc" and prep.pk_indexes == [0] and
          [c.name for c in prep.bind_metadata] == ["k", "v"] and
          [c[2] for c in prep.column_metadata] == ["v"])

    prep5 = msgs["v5_result_prepared"]
    check("v5_result_prepared", prep5.query_id == b"\xaa\xbb\xcc" and
          prep5.result_metadata_id == b"\x11\x22" and [c[2] for c in prep5.column_metadata] == ["v"])
    ch = msgs["v5_result_rows_changed"]
    check("v5_result_rows_changed", ch.result_metadata_id == b"\x33\x44" and
          ch.column_names == ["v"] and [list(r) for r in ch.parsed_rows] == [["x"]])
    check("v5_error_read_failure", msgs["v5_error_read_failure"].info["failures"] == 1)

    check("event_topology", msgs["event_topology"].event_args ==
          {"change_type": "NEW_NODE", "address": ("127.0.0.1", 9042)})
    check("event_status", msgs["event_status"].event_args ==
          {"change_type": "DOWN", "address": ("10.0.0.2", 9043)})
    ev = msgs["event_schema"].event_args
    check("event_schema", ev["target_type"] == "FUNCTION" and ev["function"].name == "f" and
          list(ev["function"].argument_types) == ["int", "text"])
    print("%d response frames decoded by python3-cassandra as expected" % len(msgs))


if __name__ == "__main__":
    main()
