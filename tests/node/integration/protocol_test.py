"""postfork-node's frame handling on raw sockets: version negotiation, malformed and oversized
frames, compression, events. Bad input on one connection must not affect another.
tests/compat/protocol_compat.py compares the answers to bad input with Cassandra 5.0's; the
checks here are the node's own (its limits, v5 segments, concurrency, events).

Usage: /usr/bin/python3 protocol_test.py <path to postfork-node>
"""
import io
import os
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from node_process import NodeProcess  # noqa: E402

# python3-cassandra's own v5 segment codec: the reference the node's segments must match.
from cassandra.connection import segment_codec_lz4  # noqa: E402
from cassandra.segment import SegmentCodec  # noqa: E402

BINARY = None
NODE = None


def setUpModule():
    global NODE
    NODE = NodeProcess(BINARY, extra_args=["--max-frame-size", "65536"]).start()


def tearDownModule():
    NODE.cleanup()


def string(s):
    b = s if isinstance(s, bytes) else s.encode()
    return struct.pack(">H", len(b)) + b


def string_map(m):
    out = struct.pack(">H", len(m))
    for k, v in m.items():
        out += string(k) + string(v)
    return out


def long_string(s):
    b = s if isinstance(s, bytes) else s.encode()
    return struct.pack(">i", len(b)) + b


def frame(opcode, body=b"", stream=1, version=4, flags=0):
    return struct.pack(">BBhBi", version, flags, stream, opcode, len(body)) + body


class Conn:
    """A raw connection, to this test's node unless `address` (host, port) names a server."""

    def __init__(self, address=None, timeout=10):
        self.sock = socket.create_connection(address or ("127.0.0.1", NODE.port), timeout=timeout)

    def send(self, data):
        self.sock.sendall(data)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError("closed after %d of %d bytes" % (len(buf), n))
            buf += chunk
        return buf

    def read_frame(self):
        version, flags, stream, opcode, length = struct.unpack(">BBhBi", self.recv_exact(9))
        return version, flags, stream, opcode, self.recv_exact(length)

    def is_closed(self):
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return True

    def startup(self, options=None):
        self.send(frame(0x01, string_map(options or {"CQL_VERSION": "3.0.0"})))
        _, _, _, opcode, _ = self.read_frame()
        assert opcode == 0x02, opcode

    def query(self, q, stream=1):
        body = long_string(q) + struct.pack(">HB", 1, 0)
        self.send(frame(0x07, body, stream=stream))
        return self.read_frame()

    def close(self):
        self.sock.close()


class V5Conn(Conn):
    """A v5 connection: plain OPTIONS/STARTUP, then envelopes in segments both ways."""

    def __init__(self, codec=None):
        super().__init__()
        self.codec = codec or SegmentCodec()
        self.envelopes = b""

    def startup(self, options=None):
        self.send(frame(0x01, string_map(options or {"CQL_VERSION": "3.0.0"}), version=5))
        version, _, _, opcode, _ = self.read_frame()  # plain, before segments start
        assert (version, opcode) == (0x85, 0x02), (version, opcode)

    def send_segment(self, payload):
        buf = io.BytesIO()
        self.codec.encode(buf, payload)
        self.send(buf.getvalue())

    def read_segment(self):
        """One segment's payload (raises the codec's CrcException on a bad CRC)."""
        head = self.recv_exact(self.codec.header_length_with_crc)
        header = self.codec.decode_header(io.BytesIO(head))
        rest = self.recv_exact(header.payload_length + 4)
        return self.codec.decode(io.BytesIO(rest), header).payload

    def read_envelope(self):
        while len(self.envelopes) < 9 or \
                len(self.envelopes) < 9 + struct.unpack(">i", self.envelopes[5:9])[0]:
            self.envelopes += self.read_segment()
        version, flags, stream, opcode, length = struct.unpack(">BBhBi", self.envelopes[:9])
        body = self.envelopes[9:9 + length]
        self.envelopes = self.envelopes[9 + length:]
        return version, flags, stream, opcode, body

    def query(self, q, stream=1, keyspace=None, now_in_seconds=None):
        # v5 <query_parameters>: consistency ONE, [int] flags, then the v5 keyspace and
        # now_in_seconds fields (flags 0x80, 0x100).
        flags = (0x80 if keyspace else 0) | (0x100 if now_in_seconds is not None else 0)
        body = long_string(q) + struct.pack(">Hi", 1, flags)
        if keyspace:
            body += string(keyspace)
        if now_in_seconds is not None:
            body += struct.pack(">i", now_in_seconds)
        self.send_segment(frame(0x07, body, stream=stream, version=5))
        return self.read_envelope()


def error_of(body):
    code, = struct.unpack(">i", body[:4])
    n, = struct.unpack(">H", body[4:6])
    return code, body[6:6 + n].decode()


class ProtocolTest(unittest.TestCase):
    def test_unsupported_version_is_answered_and_the_connection_goes_on(self):
        for version in (7, 65):
            c = Conn()
            c.send(frame(0x05, stream=7, version=version))
            v, _, stream, opcode, body = c.read_frame()
            # As Cassandra: on stream 0, in v5 (its current version) while no STARTUP fixed one.
            self.assertEqual((v, stream, opcode), (0x85, 0, 0x00))
            code, msg = error_of(body)
            self.assertEqual(code, 0x000A)
            self.assertEqual(msg, "Invalid or unsupported protocol version (%d); supported "
                                  "versions are (3/v3, 4/v4, 5/v5, 6/v6-beta)" % version)
            c.startup()  # a driver retries a lower version on the same connection
            self.assertEqual(c.query("SELECT key FROM system.local")[3], 0x08)
            c.close()

    def test_v2_gets_cassandras_text_in_a_v2_header(self):
        c = Conn()
        c.send(struct.pack(">BBbBi", 2, 0, 9, 0x05, 0))
        version, _, stream, opcode, length = struct.unpack(">BBbBi", c.recv_exact(8))
        self.assertEqual((version, stream, opcode), (0x82, 0, 0x00))
        code, msg = error_of(c.recv_exact(length))
        self.assertEqual(msg, "Invalid or unsupported protocol version (2); supported versions "
                              "are (3/v3, 4/v4, 5/v5, 6/v6-beta)")
        c.close()

    def test_v3_connection_and_its_custom_payload_refusal(self):
        c = Conn()
        c.send(frame(0x01, string_map({"CQL_VERSION": "3.0.0"}), version=3))
        version, _, _, opcode, _ = c.read_frame()
        self.assertEqual((version, opcode), (0x83, 0x02))
        query = long_string("SELECT key FROM system.local") + struct.pack(">HB", 1, 0)
        c.send(frame(0x07, query, stream=2, version=3))
        version, _, stream, opcode, _ = c.read_frame()
        self.assertEqual((version, stream, opcode), (0x83, 2, 0x08))
        c.send(frame(0x07, struct.pack(">H", 0) + query, stream=3, version=3, flags=0x04))
        _, _, stream, opcode, body = c.read_frame()
        self.assertEqual((stream, opcode), (3, 0x00))
        self.assertEqual(error_of(body), (0x000A, "Received frame with CUSTOM_PAYLOAD flag for "
                                                  "native protocol version < 4"))
        c.send(frame(0x07, query, stream=4, version=3))
        self.assertEqual(c.read_frame()[2:4], (4, 0x08))
        c.close()

    def test_v5_handshake_is_plain_then_segments_both_ways(self):
        c = V5Conn()
        c.send(frame(0x05, stream=3, version=5))
        version, _, stream, opcode, body = c.read_frame()
        self.assertEqual((version, stream, opcode), (0x85, 3, 0x06))
        self.assertIn(b"5/v5", body)
        c.startup()
        version, _, stream, opcode, body = c.query("SELECT release_version FROM system.local", 9)
        self.assertEqual((version, stream, opcode), (0x85, 9, 0x08))
        self.assertIn(b"4.1", body)
        # Many envelopes in one segment are all answered, by stream id.
        c.send_segment(b"".join(
            frame(0x07, long_string("SELECT key FROM system.local") + struct.pack(">Hi", 1, 0),
                  stream=s, version=5) for s in range(20, 40)))
        self.assertEqual(sorted(c.read_envelope()[2] for _ in range(20)), list(range(20, 40)))
        c.close()

    def test_v5_lz4_segments_carry_a_result_larger_than_one_segment(self):
        c = V5Conn(segment_codec_lz4)
        c.startup({"CQL_VERSION": "3.0.0", "COMPRESSION": "lz4"})
        c.query("CREATE KEYSPACE IF NOT EXISTS v5raw WITH replication = "
                "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        c.query("CREATE TABLE IF NOT EXISTS v5raw.t (k int PRIMARY KEY, v text)")
        big = "y" * 50000  # 50 KB per row (the node limits requests to 64 KiB here)
        for k in range(4):
            insert = "INSERT INTO v5raw.t (k, v) VALUES (%d, '%s')" % (k, big)
            _, _, _, opcode, body = c.query(insert)
            self.assertEqual(opcode, 0x08, body)
        _, _, _, opcode, body = c.query("SELECT v FROM v5raw.t")
        self.assertEqual(opcode, 0x08)
        self.assertGreater(len(body), 128 * 1024)  # spanned several segments
        self.assertEqual(body.count(big.encode()), 4)
        c.close()

    def test_v5_keyspace_and_now_in_seconds_flags(self):
        c = V5Conn()
        c.startup()
        # The keyspace flag replaces the connection's (none here) for this request only.
        _, _, _, opcode, body = c.query("SELECT key FROM local", keyspace="system")
        self.assertEqual(opcode, 0x08, error_of(body) if opcode == 0 else "")
        _, _, _, opcode, body = c.query("SELECT key FROM local")
        self.assertEqual(opcode, 0x00)
        c.query("CREATE KEYSPACE IF NOT EXISTS v5now WITH replication = "
                "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        c.query("CREATE TABLE IF NOT EXISTS v5now.t (k int PRIMARY KEY, v int)")
        # Written "1000 s ago" with a 100 s TTL: expired now, alive at that time + 50 s.
        past = int(time.time()) - 1000
        _, _, _, opcode, body = c.query("INSERT INTO t (k, v) VALUES (1, 7) USING TTL 100",
                                        keyspace="v5now", now_in_seconds=past)
        self.assertEqual(opcode, 0x08, body)
        _, _, _, _, now_body = c.query("SELECT v FROM v5now.t WHERE k = 1")
        _, _, _, _, then_body = c.query("SELECT v FROM v5now.t WHERE k = 1",
                                        now_in_seconds=past + 50)
        # Rows body: kind, flags, column count, global table spec, column spec, then row count.
        self.assertEqual(now_body[-4:], b"\x00\x00\x00\x00")  # zero rows
        self.assertTrue(then_body.endswith(struct.pack(">ii", 4, 7)), then_body)
        c.close()

    def test_v5_snappy_is_refused(self):
        c = Conn()
        c.send(frame(0x01, string_map({"CQL_VERSION": "3.0.0", "COMPRESSION": "snappy"}),
                     version=5))
        _, _, _, opcode, body = c.read_frame()
        self.assertEqual(opcode, 0x00)
        self.assertEqual(error_of(body), (0x000A, "Snappy compression is not supported in "
                                                  "protocol V5"))
        c.close()

    def test_corrupt_v5_segment_is_a_protocol_error_for_that_connection_only(self):
        good = V5Conn()
        good.startup()
        for flip in (0, 4, 12):  # header length, header CRC, payload
            bad = V5Conn()
            bad.startup()
            buf = io.BytesIO()
            bad.codec.encode(buf, frame(0x07, long_string("SELECT 1") + struct.pack(">Hi", 1, 0),
                                        version=5))
            data = bytearray(buf.getvalue())
            data[flip] ^= 0x01
            bad.send(bytes(data))
            _, _, _, opcode, body = bad.read_envelope()  # the answer is still a valid segment
            self.assertEqual(opcode, 0x00)
            code, msg = error_of(body)
            self.assertEqual(code, 0x000A)
            self.assertIn("CRC", msg)
            self.assertTrue(bad.is_closed())
            bad.close()
        self.assertEqual(good.query("SELECT key FROM system.local")[3], 0x08)
        good.close()

    def test_v5_connection_refuses_a_v4_envelope(self):
        c = V5Conn()
        c.startup()
        c.send_segment(frame(0x05, stream=2, version=4))
        _, _, stream, opcode, body = c.read_envelope()
        self.assertEqual((stream, opcode), (2, 0x00))
        self.assertEqual(error_of(body), (0x000A, "Invalid message version. Got 4/v4 but "
                                                  "previousmessages on this connection had "
                                                  "version 5/v5"))
        # The envelope was skipped; the connection goes on.
        self.assertEqual(c.query("SELECT key FROM system.local")[3], 0x08)
        c.close()

    def test_options_startup_query(self):
        c = Conn()
        c.send(frame(0x05, stream=3))
        _, _, stream, opcode, body = c.read_frame()
        self.assertEqual((stream, opcode), (3, 0x06))
        self.assertIn(b"PROTOCOL_VERSIONS", body)
        self.assertIn(b"4/v4", body)
        self.assertIn(b"lz4", body)
        c.startup()
        _, _, stream, opcode, body = c.query("SELECT release_version FROM system.local", stream=9)
        self.assertEqual((stream, opcode), (9, 0x08))
        c.close()

    def test_requests_before_startup_are_protocol_errors(self):
        c = Conn()
        _, _, _, opcode, body = c.query("SELECT * FROM system.local")
        self.assertEqual(opcode, 0x00)
        self.assertEqual(error_of(body)[0], 0x000A)
        c.close()

    def test_malformed_frames_affect_only_their_connection(self):
        good = Conn()
        good.startup()
        cases = [
            frame(0x07, b"\x00\x00\x00\xffSELECT"),      # query string longer than the body
            frame(0x42, b""),                             # unknown opcode
            frame(0x01, b"\xff\xff"),                     # STARTUP map with a bad count
            frame(0x08, b""),                             # a response opcode from a client
        ]
        for data in cases:
            bad = Conn()
            bad.send(data)
            _, _, _, opcode, body = bad.read_frame()
            self.assertEqual(opcode, 0x00, data)
            self.assertEqual(error_of(body)[0], 0x000A, data)
            bad.close()
        _, _, _, opcode, _ = good.query("SELECT key FROM system.local")
        self.assertEqual(opcode, 0x08)
        good.close()

    def test_unknown_opcode_wedges_the_connection_as_cassandra_does(self):
        # Cassandra leaves a header it cannot decode at the head of its input: every later read
        # gets the same error, and the connection carries nothing more.
        c = Conn()
        c.startup()
        c.send(frame(0x42, stream=5))
        first = c.read_frame()
        c.send(frame(0x05, stream=6))
        self.assertEqual(c.read_frame(), first)
        self.assertEqual(error_of(first[4]), (0x000A, "Unknown opcode 66"))
        c.close()

    def test_oversized_frame_is_read_and_dropped_then_refused(self):
        c = Conn()
        c.startup()
        # The header alone: the node waits for the announced bytes without allocating them.
        c.send(struct.pack(">BBhBi", 4, 0, 5, 0x07, 1 << 30))
        c.sock.settimeout(0.5)
        with self.assertRaises(socket.timeout):
            c.read_frame()
        c.close()
        # Sent whole (this node's limit is 64 KiB, header included): dropped, refused with
        # InvalidRequest, and the next request is served.
        c = Conn()
        c.startup()
        c.send(frame(0x07, b"\0" * 70000, stream=5) + frame(0x05, stream=6))
        _, _, stream, opcode, body = c.read_frame()
        self.assertEqual((stream, opcode), (5, 0x00))
        self.assertEqual(error_of(body), (0x2200, "Request is too big: length 70009 exceeds "
                                                  "maximum allowed length 65536."))
        self.assertEqual(c.read_frame()[2:4], (6, 0x06))
        c.close()

    def test_pipelined_requests_are_answered_by_stream_id(self):
        c = Conn()
        c.startup()
        data = b""
        for stream in range(1, 51):
            body = long_string("SELECT key FROM system.local") + struct.pack(">HB", 1, 0)
            data += frame(0x07, body, stream=stream)
        c.send(data)
        streams = sorted(c.read_frame()[2] for _ in range(50))
        self.assertEqual(streams, list(range(1, 51)))
        c.close()

    def test_a_slow_request_does_not_hold_up_others_on_its_connection(self):
        c = Conn()
        c.startup()
        c.query("CREATE KEYSPACE IF NOT EXISTS proto WITH replication = "
                "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        c.query("CREATE TABLE IF NOT EXISTS proto.big (k int PRIMARY KEY, v text)")
        # Batches of 200 partitions: under Cassandra's batch_size_fail_threshold (50 KiB).
        for start in range(0, 30000, 200):
            inserts = " ".join("INSERT INTO proto.big (k, v) VALUES (%d, 'value %d');" % (k, k)
                               for k in range(start, start + 200))
            _, _, _, opcode, body = c.query("BEGIN UNLOGGED BATCH " + inserts + " APPLY BATCH")
            self.assertEqual(opcode, 0x08, error_of(body) if opcode == 0x00 else opcode)
        # Stream 1 counts 30,000 rows; streams 2-6 read one row each and must not wait for it.
        slow = long_string("SELECT count(*) FROM proto.big") + struct.pack(">HB", 1, 0)
        data = frame(0x07, slow, stream=1)
        for stream in range(2, 7):
            body = long_string("SELECT key FROM system.local") + struct.pack(">HB", 1, 0)
            data += frame(0x07, body, stream=stream)
        c.send(data)
        order = [c.read_frame()[2] for _ in range(6)]
        self.assertEqual(sorted(order), list(range(1, 7)))
        self.assertEqual(order[-1], 1, "answers in completion order: %s" % order)
        c.close()

    def test_requests_pipelined_behind_use_see_its_keyspace(self):
        # USE is recognised by statement: leading comments, any case, and EXECUTE of a
        # prepared USE hold back what is pipelined behind them.
        c = Conn()
        c.startup()
        c.query("CREATE KEYSPACE IF NOT EXISTS proto_use WITH replication = "
                "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        c.query("CREATE TABLE IF NOT EXISTS proto_use.t (k int PRIMARY KEY)")
        c2 = Conn()
        c2.startup()
        c2.send(frame(0x09, long_string("USE proto_use")))
        _, _, _, opcode, body = c2.read_frame()
        self.assertEqual(opcode, 0x08)
        kind, = struct.unpack(">i", body[:4])
        self.assertEqual(kind, 4)
        n, = struct.unpack(">H", body[4:6])
        use_id = body[6:6 + n]
        c2.close()
        select = frame(0x07, long_string("SELECT k FROM t") + struct.pack(">HB", 1, 0), stream=2)
        uses = [
            frame(0x07, long_string(text) + struct.pack(">HB", 1, 0), stream=1)
            for text in ("  use proto_use", "/* x */ USE proto_use", "-- c\nUSE proto_use;",
                         "// c\n  Use \"proto_use\"")
        ] + [frame(0x0A, struct.pack(">H", len(use_id)) + use_id + struct.pack(">HB", 1, 0),
                   stream=1)]
        for use in uses:
            for attempt in range(10):
                c.send(use + select)
                answers = dict((c.read_frame()[2:4] for _ in range(2)))
                self.assertEqual(answers, {1: 0x08, 2: 0x08}, "%r attempt %d" % (use, attempt))
                c.query("USE system")
        c.close()

    def test_custom_payload_and_trailing_bytes_are_ignored(self):
        c = Conn()
        c.startup()
        payload = struct.pack(">H", 2) + string("a") + struct.pack(">i", 3) + b"xyz" + \
            string("b") + struct.pack(">i", -1)
        query = long_string("SELECT key FROM system.local") + struct.pack(">HB", 1, 0)
        for flags, body in ((0x04, payload + query), (0x00, query + b"\x00\x01\x02"),
                            (0x04, payload + query + b"\xff")):
            c.send(frame(0x07, body, stream=3, flags=flags))
            _, _, stream, opcode, answer = c.read_frame()
            self.assertEqual((stream, opcode), (3, 0x08), (flags, body, answer))
        # A payload that does not decode is a protocol error for that request only.
        c.send(frame(0x07, struct.pack(">H", 5), stream=4, flags=0x04))
        _, _, stream, opcode, answer = c.read_frame()
        self.assertEqual((stream, opcode, error_of(answer)[0]), (4, 0x00, 0x000A))
        c.close()

    def test_bad_body_or_non_utf8_query_is_an_error_and_the_connection_goes_on(self):
        c = Conn()
        c.startup()
        bad = [  # with the error code Cassandra answers
            (frame(0x07, b"\x00\x00\x00\xffSELECT", stream=5), 0x000A),  # string past the body
            (frame(0x07, long_string("x") + b"\x00", stream=5), 0x0000),  # consistency cut short
            (frame(0x07, struct.pack(">i", 3) + b"\xc3\x28\x41" + struct.pack(">HB", 1, 0),
                   stream=5), 0x000A),
        ]
        for data, want in bad:
            c.send(data)
            _, _, stream, opcode, body = c.read_frame()
            self.assertEqual((stream, opcode), (5, 0x00), data)
            code, message = error_of(body)
            self.assertEqual(code, want, message)
            _, _, _, opcode, _ = c.query("SELECT key FROM system.local")
            self.assertEqual(opcode, 0x08, data)
        self.assertIn("Cannot decode string as UTF8: 'c32841'", message)
        c.close()

    def test_lz4_and_snappy_compression(self):
        for algo in ("lz4", "snappy"):
            c = Conn()
            c.startup({"CQL_VERSION": "3.0.0", "COMPRESSION": algo})
            _, flags, _, opcode, body = c.query("SELECT * FROM system_schema.columns")
            self.assertEqual(opcode, 0x08)
            self.assertEqual(flags & 0x01, 0x01, algo)
            c.close()
        c = Conn()
        c.send(frame(0x01, string_map({"CQL_VERSION": "3.0.0", "COMPRESSION": "zip"})))
        _, _, _, opcode, body = c.read_frame()
        self.assertEqual(opcode, 0x00)
        self.assertIn("zip", error_of(body)[1])
        c.close()

    def test_unknown_prepared_id_is_unprepared_with_the_id(self):
        c = Conn()
        c.startup()
        unknown = bytes(range(16))
        c.send(frame(0x0A, struct.pack(">H", 16) + unknown + struct.pack(">HB", 1, 0), stream=4))
        _, _, stream, opcode, body = c.read_frame()
        self.assertEqual((stream, opcode), (4, 0x00))
        code, msg = error_of(body)
        self.assertEqual(code, 0x2500)
        rest = body[6 + len(msg.encode()):]
        self.assertEqual(rest, struct.pack(">H", 16) + unknown)
        c.close()

    def test_registered_connections_receive_schema_change_events(self):
        listener = Conn()
        listener.startup()
        listener.send(frame(0x0B, struct.pack(">H", 1) + string("SCHEMA_CHANGE")))
        self.assertEqual(listener.read_frame()[3], 0x02)
        other = Conn()
        other.startup()
        _, _, _, opcode, body = other.query(
            "CREATE KEYSPACE evks WITH replication = {'class': 'SimpleStrategy', "
            "'replication_factor': 1}")
        self.assertEqual(opcode, 0x08)
        _, _, stream, opcode, body = listener.read_frame()
        self.assertEqual((stream, opcode), (-1, 0x0C))
        self.assertIn(b"SCHEMA_CHANGE", body)
        self.assertIn(b"CREATED", body)
        self.assertIn(b"evks", body)
        listener.close()
        other.close()


if __name__ == "__main__":
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
