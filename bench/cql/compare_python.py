"""Peer comparison for bench_cql: the same operations done by Debian's python3-cassandra (its
Cython protocol handler, murmur3 C extension and v5 segment codec), measured in the same run.

  /usr/bin/python3 bench/cql/compare_python.py build/cql-rel/bench/cql/bench_cql

Runs bench_cql (5 repetitions, medians, CPU time) and the Python equivalents, then prints a table
with the ratio python/postfork for each operation."""
import io
import json
import os
import subprocess
import sys
import tempfile
import time

import cassandra.protocol as p
from cassandra import ConsistencyLevel as CL
from cassandra.murmur3 import murmur3
from cassandra.segment import SegmentCodec


def per_op_ns(fn, min_seconds=1.0):
    n = 1000
    while True:
        start = time.process_time()
        for _ in range(n):
            fn()
        elapsed = time.process_time() - start
        if elapsed >= min_seconds:
            return elapsed * 1e9 / n
        n *= 2


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    bench = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "rows.bin")
        subprocess.run([bench, "--write-rows-body=" + path], check=True)
        body = open(path, "rb").read()
        cells = [bytes.fromhex(line.strip()) for line in open(path + ".cells")]
        out = subprocess.run([bench, "--benchmark_format=json", "--benchmark_repetitions=5",
                              "--benchmark_report_aggregates_only=true"],
                             check=True, capture_output=True, text=True).stdout
    ours = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            ours[b["run_name"]] = b

    query_id = b"\x5a" * 16

    def encode():
        msg = p.ExecuteMessage(query_id, cells, CL.LOCAL_QUORUM, fetch_size=5000)
        return p.ProtocolHandler.encode_message(msg, 1, 4, None, False)

    def decode():
        return p.ProtocolHandler.decode_message(4, {}, 1, 0, 0x08, body, None, None)

    assert len(decode().parsed_rows) == 100
    key = b"0123456789abcdef"
    # v5 framing of 32 coalesced 200-byte envelopes (BM_*Segments/32/200/0), plain segments.
    codec = SegmentCodec()
    envelopes = b"".join(bytes(9) + bytes(200) for _ in range(32))

    def encode_segments():
        buf = io.BytesIO()
        codec.encode(buf, envelopes)
        return buf

    wire = encode_segments().getvalue()

    def decode_segments():
        f = io.BytesIO(wire)
        return codec.decode(f, codec.decode_header(f)).payload

    assert decode_segments() == envelopes
    py = {
        "BM_EncodeExecute": median([per_op_ns(encode) for _ in range(3)]),
        "BM_DecodeRowsAndValues": median([per_op_ns(decode) for _ in range(3)]),
        "BM_Murmur3Token16": median([per_op_ns(lambda: murmur3(key)) for _ in range(3)]),
        "BM_EncodeSegments/32/200/0": median([per_op_ns(encode_segments) for _ in range(3)]),
        "BM_DecodeSegments/32/200/0": median([per_op_ns(decode_segments) for _ in range(3)]),
    }
    print("%-26s %14s %10s %16s %8s" % ("operation", "postfork ns", "allocs/op",
                                          "python3-cassandra", "ratio"))
    for name, py_ns in py.items():
        o = ours[name]
        ns = o["cpu_time"]
        print("%-26s %14.1f %10.1f %16.1f %7.1fx" % (name, ns, o.get("allocs/op", 0), py_ns,
                                                     py_ns / ns))
    d = ours["BM_DecodeRows"]
    print("ROWS body %d bytes: postfork decode %.0f ns = %.2f GB/s (views only); "
          "with every cell deserialized %.2f GB/s; python3-cassandra decode+deserialize %.3f GB/s"
          % (len(body), d["cpu_time"], d["bytes_per_second"] / 1e9,
             ours["BM_DecodeRowsAndValues"]["bytes_per_second"] / 1e9,
             len(body) / py["BM_DecodeRowsAndValues"]))


if __name__ == "__main__":
    main()
