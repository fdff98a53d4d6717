"""postfork-node's frame handling on raw sockets: version negotiation, malformed and oversized
frames, compression, events. Bad input on one connection must not affect another.

Usage: /usr/bin/python3 protocol_test.py <path to postfork-node>
"""
import os
import socket
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from node_process import NodeProcess  # noqa: E402

BINARY = None
NODE = None


def setUpModule():
    global NODE
    NODE = NodeProcess(BINARY, extra_args=["--max-frame-size", "65536"]).start()


def tearDownModule():
    NODE.cleanup()


def string(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


def string_map(m):
    out = struct.pack(">H", len(m))
    for k, v in m.items():
        out += string(k) + string(v)
    return out


def long_string(s):
    b = s.encode()
    return struct.pack(">i", len(b)) + b


def frame(opcode, body=b"", stream=1, version=4, flags=0):
    return struct.pack(">BBhBi", version, flags, stream, opcode, len(body)) + body


class Conn:
    def __init__(self):
        self.sock = socket.create_connection(("127.0.0.1", NODE.port), timeout=10)

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


def error_of(body):
    code, = struct.unpack(">i", body[:4])
    n, = struct.unpack(">H", body[4:6])
    return code, body[6:6 + n].decode()


class ProtocolTest(unittest.TestCase):
    def test_unsupported_versions_get_cassandras_text_on_the_same_stream(self):
        for version in (5, 3, 65):
            c = Conn()
            c.send(frame(0x05, stream=7, version=version))
            v, _, stream, opcode, body = c.read_frame()
            self.assertEqual(opcode, 0x00)
            self.assertEqual(stream, 7)
            code, msg = error_of(body)
            self.assertEqual(code, 0x000A)
            self.assertEqual(msg, "Invalid or unsupported protocol version (%d); supported "
                                  "versions are (4/v4)" % version)
            self.assertTrue(c.is_closed())
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

    def test_malformed_frames_close_only_their_connection(self):
        good = Conn()
        good.startup()
        cases = [
            frame(0x07, b"\x00\x00\x00\xffSELECT"),      # query string longer than the body
            frame(0x42, b""),                             # unknown opcode
            frame(0x01, b"\xff\xff"),                     # STARTUP map with a bad count
            struct.pack(">BBhBi", 4, 0, 1, 0x07, -5),    # negative length
            frame(0x08, b""),                             # a response opcode from a client
        ]
        for data in cases:
            bad = Conn()
            bad.send(data)
            _, _, _, opcode, body = bad.read_frame()
            self.assertEqual(opcode, 0x00, data)
            self.assertEqual(error_of(body)[0], 0x000A, data)
            self.assertTrue(bad.is_closed(), data)
            bad.close()
        _, _, _, opcode, _ = good.query("SELECT key FROM system.local")
        self.assertEqual(opcode, 0x08)
        good.close()

    def test_oversized_frame_is_rejected_from_its_header(self):
        c = Conn()
        # Only the header is sent: the node must answer without waiting for (or allocating) 1 GiB.
        c.send(struct.pack(">BBhBi", 4, 0, 5, 0x07, 1 << 30))
        _, _, stream, opcode, body = c.read_frame()
        self.assertEqual((stream, opcode), (5, 0x00))
        self.assertEqual(error_of(body)[0], 0x000A)
        self.assertTrue(c.is_closed())
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
        for start in range(0, 30000, 1000):
            inserts = " ".join("INSERT INTO proto.big (k, v) VALUES (%d, 'value %d');" % (k, k)
                               for k in range(start, start + 1000))
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
