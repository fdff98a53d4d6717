#!/usr/bin/python3
"""Raw native-protocol byte sequences sent to postfork-node and to Apache Cassandra 5.0, and
their answers compared: what a client can see of the first answer (header version, stream id,
opcode, error code, message text, an UNPREPARED id) and whether the connection still answers an
OPTIONS afterwards.

    protocol_compat.py POSTFORK_NODE --cassandra HOST:PORT [--only SUBSTRING] [-v]

compat_test.py --protocol runs the same cases against the Cassandra it started (ctest
compat_cassandra). Both keep their default size limits, which are the same (16 MiB:
--max-frame-size and native_transport_max_frame_size for a whole v3/v4 frame; scripts/cassandra.sh
keeps Cassandra's defaults), so the size limits compare like with like.

A case names the state of the connection before the probe (`plain`: fresh; `v4`/`v3`: after
STARTUP; `v4lz4`/`v4snappy`: after STARTUP with compression; `v5`/`v5lz4`: after a v5 STARTUP,
in segments) and the bytes of the probe. Fields a client sees but that carry Java details are
compared through a case's `message` rule: None compares the text exactly, a regex compares only
what it matches, SKIP compares nothing of it; `why` says why. A case with `known` is a
difference the node keeps on purpose (the reason is the value): it is reported, not failed.
"""
import argparse
import io
import os
import re
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "node", "integration"))

from cassandra.segment import SegmentCodec  # noqa: E402
from cassandra.connection import segment_codec_lz4  # noqa: E402
import protocol_test  # noqa: E402
from protocol_test import long_string, string, string_map  # noqa: E402

# The default native_transport_max_frame_size of Cassandra 5.0, and the node's --max-frame-size:
# the limit of a whole frame, header included (Envelope.Decoder.MAX_TOTAL_LENGTH).
MAX_FRAME = 16 * 1024 * 1024
SKIP = "skip"
ANSWER_TIMEOUT = 3.0
# How long a connection that should stay silent (it waits for more bytes) is watched.
SILENCE = 1.0

OPTIONS, STARTUP, REGISTER, QUERY, PREPARE, EXECUTE, BATCH, AUTH_RESPONSE = (
    0x05, 0x01, 0x0B, 0x07, 0x09, 0x0A, 0x0D, 0x0F)


def frame(opcode, body=b"", stream=1, version=4, flags=0, length=None):
    return struct.pack(">BBhBi", version, flags, stream, opcode,
                       len(body) if length is None else length) + body


def short_frame(opcode, body=b"", stream=1, version=2, flags=0):
    """A v1/v2 header: one-byte stream id."""
    return struct.pack(">BBbBi", version, flags, stream, opcode, len(body)) + body


def query_body(q="SELECT key FROM system.local", consistency=1, flags=0, rest=b"", version=4):
    if version >= 5:
        return long_string(q) + struct.pack(">Hi", consistency, flags) + rest
    return long_string(q) + struct.pack(">HB", consistency, flags) + rest


def startup_body(**extra):
    opts = {"CQL_VERSION": "3.0.0"}
    opts.update(extra)
    return string_map(opts)


def segment(payload, self_contained=True, corrupt=None, codec=None):
    """One v5 segment (uncompressed unless `codec`); `corrupt` flips a byte at that offset."""
    buf = io.BytesIO()
    (codec or SegmentCodec())._encode_segment(buf, payload, self_contained)
    data = bytearray(buf.getvalue())
    if corrupt is not None:
        data[corrupt] ^= 0x01
    return bytes(data)


# Cassandra reads fixed-width fields with Netty's ByteBuf getters: one past the end of a body is an
# IndexOutOfBoundsException, answered as a ServerError whose text describes Netty's buffers
# (class names, reader and writer indices). The node answers a ServerError too, in its own words.
JAVA_BUFFER = dict(message=SKIP, why="Netty's IndexOutOfBoundsException text (buffer internals)")
# LZ4's Java exceptions (net.jpountz), wrapped in Netty's DecoderException.
JAVA_LZ4 = dict(message=SKIP, why="the Java LZ4 library's exception text")
# net.FrameDecoder names the channel (Netty's id, random per connection) before its text.
CRC = dict(message=r"invalid, unrecoverable CRC mismatch .*", why="Netty's channel id")
SEGMENT_OVERRUN = dict(known=(
    "a self-contained segment whose envelopes overrun it: Cassandra answers a ServerError "
    "carrying a Java IllegalArgumentException and fails every later segment the same way; the "
    "node answers a ProtocolError and closes the connection, which can carry nothing more"))


class Case:
    def __init__(self, name, state, probe, message=None, why=None, silent=False, known=None):
        self.name, self.state, self.probe = name, state, probe
        self.message = message  # None: exact; a regex: compare its match; SKIP: not compared
        self.why = why          # why the message is not compared exactly
        self.silent = silent    # no answer expected (a server waiting for more bytes)
        self.known = known      # why the node differs on purpose


def cases():
    c = []
    add = lambda *a, **k: c.append(Case(*a, **k))  # noqa: E731
    # --- versions: the first frame of a connection.
    for v in (1, 2):
        add("version %d OPTIONS (v1/v2 header)" % v, "plain", short_frame(OPTIONS, version=v, stream=7))
    for v in (0, 3, 4, 5, 6, 7, 0x3F, 0x41, 0x42, 0x7F):
        add("version %d OPTIONS" % v, "plain", frame(OPTIONS, stream=7, version=v))
    no_v6 = ("the node does not speak the v6 beta: with the beta flag it answers as for an "
             "unsupported version, so a driver that tried v6 falls back to v5")
    add("version 6 OPTIONS with the beta flag", "plain", frame(OPTIONS, stream=7, version=6, flags=0x10),
        known=no_v6)
    add("version 5 OPTIONS with the beta flag", "plain", frame(OPTIONS, stream=7, version=5, flags=0x10))
    add("version 4 OPTIONS with the beta flag", "plain", frame(OPTIONS, stream=7, version=4, flags=0x10))
    add("version 6 STARTUP with the beta flag", "plain",
        frame(STARTUP, startup_body(), stream=7, version=6, flags=0x10), known=no_v6)
    add("version 6 STARTUP without the beta flag", "plain",
        frame(STARTUP, startup_body(), stream=7, version=6))
    add("version byte with the response bit (0x84)", "plain", frame(OPTIONS, stream=7, version=0x84))
    add("only the version byte of v4, then silence", "plain", b"\x04", silent=True)
    add("only the version byte of v9", "plain", b"\x09")
    add("v4 connection gets a v3 frame", "v4", frame(OPTIONS, stream=3, version=3))
    add("v3 connection gets a v4 frame", "v3", frame(OPTIONS, stream=3, version=4))
    add("v4 connection gets a v9 frame", "v4", frame(OPTIONS, stream=3, version=9))
    # --- frame header.
    for op in (0x42, 0x11, 0x14):
        add("unknown opcode 0x%02x" % op, "plain", frame(op, stream=5))
    add("unknown opcode 0xff", "plain", frame(0xFF, stream=5), known=(
        "Cassandra's Message.Type.fromOpcode indexes its table with the sign-extended byte (-1) "
        "and answers a ServerError carrying an ArrayIndexOutOfBoundsException; the node answers "
        "'Unknown opcode 255' as for any other unknown opcode"))
    for op, name in ((0x00, "ERROR"), (0x02, "READY"), (0x03, "AUTHENTICATE"), (0x06, "SUPPORTED"),
                     (0x08, "RESULT"), (0x0C, "EVENT"), (0x0E, "AUTH_CHALLENGE"),
                     (0x10, "AUTH_SUCCESS")):
        add("server-only opcode %s" % name, "plain", frame(op, stream=5))
        add("server-only opcode %s after STARTUP" % name, "v4", frame(op, stream=5))
    add("negative body length", "plain", frame(OPTIONS, stream=5, length=-5))
    add("negative body length after STARTUP", "v4", frame(QUERY, stream=5, length=-1))
    add("body over the max frame size (header only)", "plain",
        frame(QUERY, stream=5, length=MAX_FRAME - 9 + 1))
    add("body of 1 GiB (header only)", "v4", frame(QUERY, stream=5, length=1 << 30))
    add("body at the max frame size (header only): the server waits", "plain",
        frame(QUERY, stream=5, length=MAX_FRAME - 9), silent=True)
    add("frame over the max size, sent whole: read, dropped, refused", "v4",
        frame(QUERY, b"\0" * (MAX_FRAME - 9 + 1), stream=5))
    add("unknown flag bits 0xE0 on OPTIONS", "plain", frame(OPTIONS, stream=5, flags=0xE0))
    add("tracing flag on OPTIONS", "plain", frame(OPTIONS, stream=5, flags=0x02))
    add("warning flag on a request", "v4", frame(QUERY, query_body(), stream=5, flags=0x08))
    add("OPTIONS with a body", "plain", frame(OPTIONS, b"\x01\x02\x03", stream=5))
    add("custom payload flag on v3", "v3", frame(QUERY, b"\x00\x00" + query_body(version=3),
                                                 stream=5, version=3, flags=0x04))
    add("custom payload that does not decode", "v4", frame(QUERY, b"\x00\x05", stream=5, flags=0x04))
    # --- STARTUP.
    add("STARTUP empty body", "plain", frame(STARTUP, b"", stream=2), **JAVA_BUFFER)
    for name, body in (("count without entries", b"\x00\x01"),
                       ("count 0xffff", b"\xff\xff"), ("key past the body", b"\x00\x01\x00\x09CQL"),
                       ("value missing", b"\x00\x01" + string("CQL_VERSION")),
                       ("value past the body", b"\x00\x01" + string("CQL_VERSION") + b"\x00\x053.0"),
                       ("key not UTF-8", b"\x00\x01" + string(b"\xc3\x28") + string("x"))):
        add("STARTUP %s" % name, "plain", frame(STARTUP, body, stream=2),
            message=SKIP if "not UTF-8" in name else None,
            why="Java's decoder text" if "not UTF-8" in name else None)
    add("STARTUP without CQL_VERSION", "plain", frame(STARTUP, string_map({}), stream=2))
    add("STARTUP CQL_VERSION 2.0.0", "plain", frame(STARTUP, string_map({"CQL_VERSION": "2.0.0"}), stream=2))
    add("STARTUP CQL_VERSION garbage", "plain", frame(STARTUP, string_map({"CQL_VERSION": "x.y"}), stream=2))
    for v in ("3.99.0", "3.0.0-beta1", "3.4.6+b.2", "3.0.0.7", "3.0.x", "3", "", "2.99.0", "4.0"):
        add("STARTUP CQL_VERSION %r" % v, "plain", frame(STARTUP, string_map({"CQL_VERSION": v}), stream=2))
    add("STARTUP unknown option", "plain", frame(STARTUP, startup_body(FOO="bar"), stream=2))
    add("STARTUP compression zip", "plain", frame(STARTUP, startup_body(COMPRESSION="zip"), stream=2))
    add("STARTUP compression LZ4 (upper case)", "plain",
        frame(STARTUP, startup_body(COMPRESSION="LZ4"), stream=2))
    add("STARTUP compression empty", "plain", frame(STARTUP, startup_body(COMPRESSION=""), stream=2))
    add("v5 STARTUP compression snappy", "plain",
        frame(STARTUP, startup_body(COMPRESSION="snappy"), stream=2, version=5))
    add("STARTUP with trailing bytes", "plain", frame(STARTUP, startup_body() + b"\x00", stream=2))
    add("STARTUP compressed without compression", "plain",
        frame(STARTUP, startup_body(), stream=2, flags=0x01))
    add("STARTUP twice", "v4", frame(STARTUP, startup_body(), stream=2))
    add("STARTUP twice (v5)", "v5", frame(STARTUP, startup_body(), stream=2, version=5))
    # --- before STARTUP.
    for op, name, body in ((QUERY, "QUERY", query_body()), (PREPARE, "PREPARE", long_string("SELECT 1")),
                           (EXECUTE, "EXECUTE", string(b"0123456789abcdef") + b"\x00\x01\x00"),
                           (BATCH, "BATCH", b"\x00\x00\x00\x00\x01\x00"),
                           (REGISTER, "REGISTER", struct.pack(">H", 1) + string("SCHEMA_CHANGE")),
                           (AUTH_RESPONSE, "AUTH_RESPONSE", long_string("\x00u\x00p"))):
        add("%s before STARTUP" % name, "plain", frame(op, body, stream=4))
    add("AUTH_RESPONSE without an authenticator", "v4",
        frame(AUTH_RESPONSE, long_string("\x00u\x00p"), stream=4))
    # --- REGISTER.
    add("REGISTER unknown event type", "v4", frame(REGISTER, struct.pack(">H", 1) + string("FOO"), stream=4))
    add("REGISTER lower-case event type", "v4",
        frame(REGISTER, struct.pack(">H", 1) + string("schema_change"), stream=4))
    add("REGISTER empty list", "v4", frame(REGISTER, struct.pack(">H", 0), stream=4))
    add("REGISTER truncated list", "v4", frame(REGISTER, struct.pack(">H", 2) + string("SCHEMA_CHANGE"), stream=4))
    add("REGISTER all three", "v4", frame(REGISTER, struct.pack(">H", 3) + string("SCHEMA_CHANGE") +
                                          string("TOPOLOGY_CHANGE") + string("STATUS_CHANGE"), stream=4))
    # --- compression.
    add("compressed QUERY without negotiated compression", "v4",
        frame(QUERY, query_body(), stream=6, flags=0x01))
    add("corrupt LZ4 body", "v4lz4", frame(QUERY, b"\x00\x00\x00\x40" + b"\xff" * 12, stream=6, flags=0x01),
        **JAVA_LZ4)
    add("LZ4 body shorter than its length prefix", "v4lz4", frame(QUERY, b"\x00\x00", stream=6, flags=0x01),
        **JAVA_LZ4)
    # Not sent: an LZ4 body announcing 2 GiB. Cassandra allocates the announced size up front and
    # runs out of heap (OutOfMemoryError); the node refuses a size over its frame limit.
    add("corrupt Snappy body", "v4snappy", frame(QUERY, b"\xff\xff\xff\xff\x0f\x01\x02", stream=6, flags=0x01))
    add("empty compressed body (LZ4)", "v4lz4", frame(OPTIONS, b"", stream=6, flags=0x01), **JAVA_LZ4)
    # --- QUERY.
    qs = [
        ("query string past the body", b"\x00\x00\x00\xffSELECT"),
        ("query string of negative length", b"\xff\xff\xff\xfe"),
        ("consistency cut short", long_string("SELECT key FROM system.local") + b"\x00", JAVA_BUFFER),
        ("flags missing", long_string("SELECT key FROM system.local") + b"\x00\x01", JAVA_BUFFER),
        ("empty body", b""),
        ("consistency code 0x0042", query_body(consistency=0x42)),
        ("consistency code 0xffff", query_body(consistency=0xFFFF)),
        ("flags 0x80 (unused in v4)", query_body(flags=0x80)),
        ("values flag without values", query_body(flags=0x01), JAVA_BUFFER),
        ("values count 1 for no markers", query_body(flags=0x01, rest=b"\x00\x01\x00\x00\x00\x01\x07")),
        ("value length -3", query_body("SELECT key FROM system.local WHERE key = ?", flags=0x01,
                                       rest=b"\x00\x01\xff\xff\xff\xfd")),
        ("value past the body", query_body("SELECT key FROM system.local WHERE key = ?", flags=0x01,
                                           rest=b"\x00\x01\x00\x00\x00\x10ab"), JAVA_BUFFER),
        ("page size flag, no page size", query_body(flags=0x04), JAVA_BUFFER),
        ("page size 0", query_body(flags=0x04, rest=b"\x00\x00\x00\x00")),
        ("page size -5", query_body(flags=0x04, rest=b"\xff\xff\xff\xfb")),
        ("paging state past the body", query_body(flags=0x08, rest=b"\x00\x00\x00\x20"), JAVA_BUFFER),
        ("garbage paging state", query_body(flags=0x08, rest=long_string(b"\x01\x02\x03"))),
        ("serial consistency ONE", query_body(flags=0x10, rest=b"\x00\x01")),
        ("serial consistency code 0x0042", query_body(flags=0x10, rest=b"\x00\x42")),
        ("timestamp flag, timestamp cut", query_body(flags=0x20, rest=b"\x00\x00"), JAVA_BUFFER),
        ("timestamp Long.MIN_VALUE", query_body(flags=0x20, rest=b"\x80" + b"\x00" * 7)),
        ("names flag without values flag", query_body(flags=0x40)),
        ("trailing bytes", query_body() + b"\x00\x01\x02"),
        ("query not UTF-8", long_string(b"\xc3\x28\x41") + b"\x00\x01\x00"),
        ("empty query string", query_body("")),
        ("syntax error", query_body("SELEC 1")),
    ]
    for name, body, *rule in qs:
        add("QUERY %s" % name, "v4", frame(QUERY, body, stream=8), **(rule[0] if rule else {}))
    add("v5 QUERY flags 0x0400 (unknown)", "v5", frame(QUERY, query_body(flags=0x400, version=5),
                                                         stream=8, version=5))
    add("v5 QUERY keyspace flag, keyspace missing", "v5",
        frame(QUERY, query_body(flags=0x80, version=5), stream=8, version=5))
    add("v5 QUERY now_in_seconds flag, value cut", "v5",
        frame(QUERY, query_body(flags=0x100, rest=b"\x00", version=5), stream=8, version=5),
        **JAVA_BUFFER)
    add("v5 QUERY with a v4 one-byte flags field", "v5",
        frame(QUERY, query_body(version=4), stream=8, version=5), **JAVA_BUFFER)
    # --- PREPARE / EXECUTE / BATCH.
    add("PREPARE truncated", "v4", frame(PREPARE, b"\x00\x00\x00\x30SEL", stream=9))
    add("PREPARE not UTF-8", "v4", frame(PREPARE, long_string(b"\xff\xfe"), stream=9))
    add("PREPARE syntax error", "v4", frame(PREPARE, long_string("SELEC 1"), stream=9))
    add("v5 PREPARE flags 0x02 (unknown)", "v5",
        frame(PREPARE, long_string("SELECT key FROM system.local") + struct.pack(">i", 2), stream=9, version=5))
    add("v5 PREPARE keyspace flag, keyspace missing", "v5",
        frame(PREPARE, long_string("SELECT key FROM system.local") + struct.pack(">i", 1), stream=9, version=5))
    unknown_id = bytes(range(16))
    add("EXECUTE unknown id", "v4", frame(EXECUTE, string(unknown_id) + b"\x00\x01\x00", stream=10))
    add("EXECUTE empty id", "v4", frame(EXECUTE, string(b"") + b"\x00\x01\x00", stream=10))
    add("EXECUTE id past the body", "v4", frame(EXECUTE, b"\x00\x10\x01\x02", stream=10))
    add("EXECUTE id, no parameters", "v4", frame(EXECUTE, string(unknown_id), stream=10), **JAVA_BUFFER)
    add("v5 EXECUTE unknown id", "v5",
        frame(EXECUTE, string(unknown_id) + string(b"\x01" * 16) + b"\x00\x01\x00\x00\x00\x00",
              stream=10, version=5))
    add("v5 EXECUTE result metadata id missing", "v5",
        frame(EXECUTE, string(unknown_id), stream=10, version=5))
    bq = lambda q: b"\x00" + long_string(q) + b"\x00\x00"  # noqa: E731
    batches = [
        ("type 3", b"\x03\x00\x01" + bq("INSERT INTO x.y (k) VALUES (1)") + b"\x00\x01\x00"),
        ("kind 2", b"\x00\x00\x01\x02" + long_string("x") + b"\x00\x00\x00\x01\x00"),
        ("no statements", b"\x00\x00\x00\x00\x01\x00"),
        ("count past the body", b"\x00\x00\x05" + bq("INSERT INTO x.y (k) VALUES (1)"), JAVA_BUFFER),
        ("consistency missing", b"\x00\x00\x01" + bq("INSERT INTO x.y (k) VALUES (1)"), JAVA_BUFFER),
        ("a SELECT", b"\x00\x00\x01" + bq("SELECT key FROM system.local") + b"\x00\x01\x00"),
        ("unknown prepared id", b"\x00\x00\x01\x01" + string(unknown_id) + b"\x00\x00\x00\x01\x00"),
        ("flags 0x01 (values, read as QUERY's)",
         b"\x00\x00\x01" + bq("INSERT INTO x.y (k) VALUES (1)") + b"\x00\x01\x01", JAVA_BUFFER),
    ]
    for name, body, *rule in batches:
        add("BATCH %s" % name, "v4", frame(BATCH, body, stream=11), **(rule[0] if rule else {}))
    # --- v5 segments (connection in segments after a v5 STARTUP).
    env = frame(OPTIONS, stream=12, version=5)
    add("v5 segment: header CRC24 wrong", "v5", segment(env, corrupt=4), **CRC)
    add("v5 segment: payload length changed", "v5", segment(env, corrupt=0), **CRC)
    add("v5 segment: payload CRC32 wrong", "v5", segment(frame(QUERY, query_body(version=5), stream=12, version=5),
                                                        corrupt=12), **CRC)
    add("v5 segment: trailer CRC32 wrong", "v5", segment(env, corrupt=-1), **CRC)
    add("v5 segment: a v4 envelope", "v5", segment(frame(OPTIONS, stream=12, version=4)))
    add("v5 segment: a v3 envelope", "v5", segment(frame(OPTIONS, stream=12, version=3)))
    add("v5 segment: a v6 envelope", "v5", segment(frame(OPTIONS, stream=12, version=6, flags=0x10)))
    add("v5 segment: unknown opcode", "v5", segment(frame(0x42, stream=12, version=5)))
    add("v5 segment: server-only opcode", "v5", segment(frame(0x08, stream=12, version=5)))
    add("v5 segment: negative envelope length", "v5", segment(frame(OPTIONS, stream=12, version=5, length=-3)))
    add("v5 segment: self-contained, half an envelope", "v5",
        segment(frame(QUERY, query_body(version=5), stream=12, version=5)[:14]), **SEGMENT_OVERRUN)
    add("v5 segment: self-contained, envelope length past the payload", "v5",
        segment(frame(QUERY, query_body(version=5), stream=12, version=5, length=200)),
        **SEGMENT_OVERRUN)
    add("v5 segment: self-contained, 5 bytes (half a header)", "v5", segment(env[:5]),
        **SEGMENT_OVERRUN)
    add("v5 segment: empty self-contained", "v5", segment(b""))
    big = frame(QUERY, query_body("SELECT key FROM system.local /*%s*/" % ("x" * 200000), version=5),
                stream=12, version=5)
    parts = [big[i:i + 131071] for i in range(0, len(big), 131071)]
    add("v5 segments: one envelope over two segments", "v5",
        b"".join(segment(p, self_contained=False) for p in parts))
    add("v5 segment: not self-contained, holding a whole envelope", "v5", segment(env, self_contained=False))
    add("v5 segment: compressed envelope flag (ignored in v5)", "v5",
        segment(frame(OPTIONS, stream=12, version=5, flags=0x01)))
    add("v5 lz4 segment: corrupt payload", "v5lz4",
        _corrupt_lz4_segment(frame(QUERY, query_body(version=5), stream=12, version=5)), known=(
            "an LZ4 segment whose CRCs hold but whose payload does not decompress: Cassandra "
            "answers a ServerError carrying LZ4's exception and reads on; the node's segment "
            "decoder stops at a failed segment, so it answers a ProtocolError and closes"))
    add("v5 segment: envelope over the max frame size", "v5",
        segment(frame(QUERY, stream=12, version=5, length=MAX_FRAME)), **SEGMENT_OVERRUN)
    # Cassandra's default native_transport_max_message_size (a v5 envelope's body) is 16 MiB too.
    add("v5 segment: first of an envelope whose body is over the max message size", "v5",
        segment(frame(QUERY, b"\0" * 1000, stream=12, version=5, length=MAX_FRAME + 1),
                self_contained=False), known=(
            "Cassandra reads and drops the rest of an envelope over native_transport_max_message_"
            "size, then refuses it on its stream; the node answers a ProtocolError at its first "
            "segment and closes the connection"))
    return c


def _corrupt_lz4_segment(payload):
    """An LZ4 segment with valid CRCs around a compressed payload that does not decompress."""
    from cassandra.segment import CRC32_INITIAL, compute_crc24, compute_crc32
    garbage = b"\xf0" + b"\xff" * 40
    # Header: 17 bits compressed length, 17 bits uncompressed length, the self-contained bit, as
    # 5 little-endian bytes and their CRC24; then the payload and its CRC32.
    h = len(garbage) | (len(payload) << 17) | (1 << 34)
    return (h.to_bytes(5, "little") + compute_crc24(h, 5).to_bytes(3, "little") + garbage +
            compute_crc32(garbage, CRC32_INITIAL).to_bytes(4, "little"))


# --- connections -------------------------------------------------------------------------------

class Conn(protocol_test.Conn):
    """Any server's connection, reading answers in whichever framing the connection is in."""

    def __init__(self, host, port):
        super().__init__((host, port), timeout=ANSWER_TIMEOUT)
        self.version = 4
        self.codec = None  # a SegmentCodec once the connection is in v5 segments
        self.compression = None  # 'lz4' or 'snappy' once STARTUP negotiated it (before v5)
        self.envelopes = b""

    def read_plain(self):
        first = self.recv_exact(1)
        if first[0] & 0x7F < 3:
            rest = self.recv_exact(7)
            flags, stream, opcode, length = struct.unpack(">BbBi", rest)
        else:
            rest = self.recv_exact(8)
            flags, stream, opcode, length = struct.unpack(">BhBi", rest)
        body = self.recv_exact(length)
        if flags & 0x01 and self.compression:
            body = decompress(self.compression, body)
        return first[0], stream, opcode, body

    def read_answer(self):
        """The next envelope: (version byte, stream, opcode, body)."""
        if self.codec is None:
            return self.read_plain()
        while len(self.envelopes) < 9 or \
                len(self.envelopes) < 9 + struct.unpack(">i", self.envelopes[5:9])[0]:
            head = self.recv_exact(self.codec.header_length_with_crc)
            header = self.codec.decode_header(io.BytesIO(head))
            rest = self.recv_exact(header.payload_length + 4)
            self.envelopes += self.codec.decode(io.BytesIO(rest), header).payload
        version, _, stream, opcode, length = struct.unpack(">BBhBi", self.envelopes[:9])
        body = self.envelopes[9:9 + length]
        self.envelopes = self.envelopes[9 + length:]
        return version, stream, opcode, body

    def request(self, opcode, body=b"", stream=0):
        env = frame(opcode, body, stream=stream, version=self.version)
        if self.codec is None:
            self.send(env)
        else:
            buf = io.BytesIO()
            self.codec.encode(buf, env)
            self.send(buf.getvalue())
        return self.read_answer()


def open_state(host, port, state):
    c = Conn(host, port)
    if state == "plain":
        return c
    version = {"v3": 3, "v5": 5, "v5lz4": 5}.get(state, 4)
    c.version = version
    opts = {"v4lz4": "lz4", "v4snappy": "snappy", "v5lz4": "lz4"}
    body = startup_body(COMPRESSION=opts[state]) if state in opts else startup_body()
    _, _, opcode, answer = c.request(STARTUP, body)
    if opcode != 0x02:
        raise RuntimeError("STARTUP for %s answered with opcode %d: %r" % (state, opcode, answer))
    if version >= 5:
        c.codec = segment_codec_lz4 if state == "v5lz4" else SegmentCodec()
    else:
        c.compression = opts.get(state)
    return c


def decompress(algorithm, body):
    """An answer's body compressed with the negotiated algorithm (pre-v5 envelopes)."""
    if algorithm == "lz4":  # [int] uncompressed length, then an LZ4 block
        import lz4.block
        n, = struct.unpack(">i", body[:4])
        return lz4.block.decompress(body[4:], uncompressed_size=n)
    return snappy_decompress(body)


def snappy_decompress(data):
    """Snappy's raw format (no snappy module for /usr/bin/python3 here): a varint length, then
    literals and back-references."""
    n, shift, i = 0, 0, 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            break
    out = bytearray()
    while i < len(data):
        tag = data[i]
        i += 1
        kind = tag & 3
        if kind == 0:
            length = tag >> 2
            if length >= 60:
                extra = length - 59
                length = int.from_bytes(data[i:i + extra], "little")
                i += extra
            length += 1
            out += data[i:i + length]
            i += length
            continue
        if kind == 1:
            length = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | data[i]
            i += 1
        elif kind == 2:
            length = (tag >> 2) + 1
            offset = int.from_bytes(data[i:i + 2], "little")
            i += 2
        else:
            length = (tag >> 2) + 1
            offset = int.from_bytes(data[i:i + 4], "little")
            i += 4
        for _ in range(length):
            out.append(out[-offset])
    return bytes(out[:n])


def decode_answer(version, stream, opcode, body):
    """What a client sees of an answer."""
    out = {"version": version, "stream": stream, "opcode": opcode}
    if opcode == 0x00 and len(body) >= 6:
        out["code"], = struct.unpack(">i", body[:4])
        n, = struct.unpack(">H", body[4:6])
        out["message"] = body[6:6 + n].decode("utf-8", "replace")
        if out["code"] == 0x2500:
            out["detail"] = body[6 + n:].hex()
    elif opcode == 0x00:
        out["body"] = body.hex()
    return out


def observe(host, port, case):
    """The first answer to the probe (or 'closed'/'silent'), then whether OPTIONS is answered."""
    c = open_state(host, port, case.state)
    try:
        probe = case.probe
        if case.state in ("v5", "v5lz4") and not probe_is_segments(case):
            buf = io.BytesIO()
            c.codec.encode(buf, probe)
            probe = buf.getvalue()
        c.send(probe)
        c.sock.settimeout(SILENCE if case.silent else ANSWER_TIMEOUT)
        try:
            answer = decode_answer(*c.read_answer())
        except (EOFError, ConnectionResetError):
            return {"answer": "closed", "after": "closed"}
        except socket.timeout:
            answer = "silent"
        except Exception as e:  # a segment the client cannot decode
            answer = "undecodable: %s" % type(e).__name__
        # A server that kept silent is most likely still reading what the probe announced.
        c.sock.settimeout(SILENCE if answer == "silent" else ANSWER_TIMEOUT)
        try:
            answer_after = c.request(OPTIONS, stream=99)
            after = "open" if answer_after[2] == 0x06 else decode_answer(*answer_after)
        except (EOFError, ConnectionResetError, BrokenPipeError):
            after = "closed"
        except socket.timeout:
            after = "silent"
        except Exception as e:
            after = "undecodable: %s" % type(e).__name__
        return {"answer": answer, "after": after}
    finally:
        c.close()


def probe_is_segments(case):
    return case.name.startswith("v5 segment") or case.name.startswith("v5 lz4 segment")


def compare(case, node, cass):
    """The differences a client would see: [(field, node's, Cassandra's)]."""
    diffs = []
    for key in ("answer", "after"):
        a, b = node[key], cass[key]
        if isinstance(a, dict) and isinstance(b, dict):
            for f in sorted(set(a) | set(b)):
                x, y = a.get(f), b.get(f)
                if f == "message" and x is not None and y is not None:
                    if case.message == SKIP:
                        continue
                    if case.message:
                        mx, my = re.search(case.message, x), re.search(case.message, y)
                        x, y = mx and mx.group(0), my and my.group(0)
                if x != y:
                    diffs.append(("%s.%s" % (key, f), x, y))
        elif a != b:
            diffs.append((key, a, b))
    return diffs


def run(node_addr, cass_addr, only=None, verbose=False):
    """Compares every case; returns the list of (case, diffs) that differ."""
    failures = []
    n = known = 0
    for case in cases():
        if only and only not in case.name:
            continue
        n += 1
        node = observe(*node_addr, case)
        cass = observe(*cass_addr, case)
        diffs = compare(case, node, cass)
        if case.known:
            known += 1
            if not diffs:
                print("KNOWN DIFFERENCE GONE (drop `known`): %s" % case.name, flush=True)
                failures.append((case, [("known", case.known, None)]))
            elif verbose:
                print("known  %s: %s" % (case.name, case.known), flush=True)
            continue
        if verbose or diffs:
            print("%s %s\n  postfork:  %s\n  cassandra: %s" % (
                "DIFFER" if diffs else "same  ", case.name, node, cass), flush=True)
        if diffs:
            failures.append((case, diffs))
    print("protocol: %d cases compared, %d differ, %d known differences" % (
        n, len(failures), known), flush=True)
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("node")
    ap.add_argument("--cassandra", required=True)
    ap.add_argument("--only", default=None)
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    from node_process import NodeProcess
    chost, cport = args.cassandra.rsplit(":", 1)
    node = NodeProcess(os.path.abspath(args.node)).start()
    try:
        failures = run(("127.0.0.1", node.port), (chost, int(cport)), args.only, args.v)
    finally:
        node.cleanup()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
