// bench_cql: EXECUTE encoding, ROWS decoding and Murmur3 tokens, with heap allocations per
// operation counted by replacing the global operator new/delete in this binary.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "postfork/cql/frame.h"
#include "postfork/cql/messages.h"
#include "postfork/cql/murmur3.h"
#include "postfork/cql/segment.h"
#include "postfork/cql/value.h"

namespace {
std::atomic<uint64_t> g_allocs{0};
}  // namespace

void* operator new(size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace postfork::cql {
namespace {

void ReportAllocs(benchmark::State& state, uint64_t before) {
  state.counters["allocs/op"] =
      benchmark::Counter(static_cast<double>(g_allocs.load(std::memory_order_relaxed) - before),
                         benchmark::Counter::kAvgIterations);
}

// The five bound values, serialized once (as a driver holds them after binding).
struct FiveValues {
  std::string cells[5];
  FiveValues() {
    (void)SerializeValue(int32_t{42}, DataType(TypeKind::kInt), &cells[0]);
    (void)SerializeValue(int64_t{1700000000000}, DataType(TypeKind::kBigint), &cells[1]);
    (void)SerializeValue(Value("user-0042@example.com"), DataType(TypeKind::kText), &cells[2]);
    (void)SerializeValue(3.25, DataType(TypeKind::kDouble), &cells[3]);
    (void)SerializeValue(*Uuid::Parse("550e8400-e29b-41d4-a716-446655440000"),
                         DataType(TypeKind::kUuid), &cells[4]);
  }
};

const std::string kPreparedId(16, '\x5A');

// EXECUTE frame into a reused buffer, reusing the message object (a driver's per-connection
// scratch): the steady state a request pays.
void BM_EncodeExecute(benchmark::State& state) {
  FiveValues v;
  std::string buf;
  buf.reserve(512);
  ExecuteMessage m;
  m.id = kPreparedId;
  m.params.consistency = Consistency::kLocalQuorum;
  m.params.page_size = 5000;
  m.params.values.reserve(5);
  uint64_t before = g_allocs.load();
  int16_t stream = 0;
  for (auto _ : state) {
    buf.clear();
    m.params.values.clear();
    for (const auto& c : v.cells) m.params.values.push_back(RawValue::Of(c));
    FrameHeader h;
    h.opcode = Opcode::kExecute;
    h.stream = stream++ & 0x7FFF;
    size_t at = BeginFrame(&buf, h);
    ByteWriter w(&buf);
    m.Encode(w);
    FinishFrame(&buf, at);
    benchmark::DoNotOptimize(buf.data());
  }
  ReportAllocs(state, before);
}
BENCHMARK(BM_EncodeExecute);

// The same, but building a fresh ExecuteMessage per request (its values vector allocates).
void BM_EncodeExecuteFreshMessage(benchmark::State& state) {
  FiveValues v;
  std::string buf;
  buf.reserve(512);
  uint64_t before = g_allocs.load();
  for (auto _ : state) {
    buf.clear();
    ExecuteMessage m;
    m.id = kPreparedId;
    m.params.consistency = Consistency::kLocalQuorum;
    m.params.page_size = 5000;
    m.params.values.reserve(5);
    for (const auto& c : v.cells) m.params.values.push_back(RawValue::Of(c));
    FrameHeader h;
    h.opcode = Opcode::kExecute;
    size_t at = BeginFrame(&buf, h);
    ByteWriter w(&buf);
    m.Encode(w);
    FinishFrame(&buf, at);
    benchmark::DoNotOptimize(buf.data());
  }
  ReportAllocs(state, before);
}
BENCHMARK(BM_EncodeExecuteFreshMessage);

// Binding typed Values (serializing them) straight into the frame: WriteValue per value.
void BM_EncodeExecuteFromValues(benchmark::State& state) {
  std::string buf;
  buf.reserve(512);
  const Value values[5] = {int32_t{42}, int64_t{1700000000000}, Value("user-0042@example.com"),
                           3.25, *Uuid::Parse("550e8400-e29b-41d4-a716-446655440000")};
  const DataType types[5] = {DataType(TypeKind::kInt), DataType(TypeKind::kBigint),
                             DataType(TypeKind::kText), DataType(TypeKind::kDouble),
                             DataType(TypeKind::kUuid)};
  uint64_t before = g_allocs.load();
  for (auto _ : state) {
    buf.clear();
    FrameHeader h;
    h.opcode = Opcode::kExecute;
    size_t at = BeginFrame(&buf, h);
    ByteWriter w(&buf);
    w.WriteShortBytes(kPreparedId);
    w.WriteShort(static_cast<uint16_t>(Consistency::kLocalQuorum));
    w.WriteByte(query_flags::kValues | query_flags::kPageSize);
    w.WriteShort(5);
    for (int i = 0; i < 5; ++i) (void)WriteValue(values[i], types[i], w);
    w.WriteInt(5000);
    FinishFrame(&buf, at);
    benchmark::DoNotOptimize(buf.data());
  }
  ReportAllocs(state, before);
}
BENCHMARK(BM_EncodeExecuteFromValues);

std::string RowsBody(int rows) {
  FiveValues v;
  RowsMetadata md;
  md.columns = {{"ks", "users", "id", DataType(TypeKind::kInt)},
                {"ks", "users", "created", DataType(TypeKind::kBigint)},
                {"ks", "users", "email", DataType(TypeKind::kText)},
                {"ks", "users", "score", DataType(TypeKind::kDouble)},
                {"ks", "users", "token", DataType(TypeKind::kUuid)}};
  md.column_count = 5;
  std::vector<RawValue> cells;
  for (int r = 0; r < rows; ++r)
    for (const auto& c : v.cells) cells.push_back(RawValue::Of(c));
  std::string body;
  ByteWriter w(&body);
  EncodeRowsResult(md, rows, cells, w);
  return body;
}

// Decoding a 100-row, 5-column ROWS body: metadata plus a view per cell.
void BM_DecodeRows(benchmark::State& state) {
  const std::string body = RowsBody(100);
  uint64_t before = g_allocs.load();
  for (auto _ : state) {
    ByteReader r(body);
    auto m = ResultMessage::Decode(r);
    if (!m.ok() || m->rows.row_count != 100) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(m);
  }
  ReportAllocs(state, before);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_DecodeRows);

// The same plus DeserializeValue of every cell (what reading all values into Values costs).
void BM_DecodeRowsAndValues(benchmark::State& state) {
  const std::string body = RowsBody(100);
  uint64_t before = g_allocs.load();
  for (auto _ : state) {
    ByteReader r(body);
    auto m = ResultMessage::Decode(r);
    const auto& rows = m->rows;
    for (size_t i = 0; i < rows.cells.size(); ++i) {
      auto val = DeserializeValue(rows.cells[i].bytes, rows.metadata.columns[i % 5].type);
      benchmark::DoNotOptimize(val);
    }
  }
  ReportAllocs(state, before);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_DecodeRowsAndValues);

void BM_Murmur3Token16(benchmark::State& state) {
  std::string key = "0123456789abcdef";
  uint64_t before = g_allocs.load();
  for (auto _ : state) {
    benchmark::DoNotOptimize(key.data());
    benchmark::DoNotOptimize(Murmur3Token(key));
  }
  ReportAllocs(state, before);
}
BENCHMARK(BM_Murmur3Token16);

// v5 framing. `state.range(0)` envelopes of `state.range(1)` body bytes (a ROWS-like body that
// LZ4 compresses about as well as real rows), wrapped into segments as one flush does.
std::string SegmentInput(int64_t count, int64_t body_len) {
  std::string envs;
  std::string body = RowsBody(100);
  for (int64_t i = 0; i < count; ++i) {
    FrameHeader h;
    h.version = kProtocolV5;
    h.is_response = true;
    h.opcode = Opcode::kResult;
    h.stream = static_cast<int16_t>(i & 0x7FFF);
    size_t at = BeginFrame(&envs, h);
    for (int64_t n = 0; n < body_len; n += static_cast<int64_t>(body.size()))
      envs.append(body, 0, static_cast<size_t>(std::min<int64_t>(body_len - n, body.size())));
    FinishFrame(&envs, at);
  }
  return envs;
}

SegmentCompression SegmentArg(const benchmark::State& state) {
  return state.range(2) ? SegmentCompression::kLz4 : SegmentCompression::kNone;
}

void BM_EncodeSegments(benchmark::State& state) {
  const auto c = SegmentArg(state);
  std::string envs = SegmentInput(state.range(0), state.range(1));
  std::string out;
  uint64_t before = g_allocs.load();
  for (auto _ : state) {
    out.clear();
    (void)EncodeSegments(envs, c, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * envs.size()));
  ReportAllocs(state, before);
}
// {envelopes, body bytes, lz4}: 1 small (a point read), 32 small coalesced, 1 of 1 MiB.
void SegmentArgs(benchmark::internal::Benchmark* b) {
  for (int lz4 : {0, 1})
    for (auto [count, len] : {std::pair{1, 200}, std::pair{32, 200}, std::pair{1, 1 << 20}})
      b->Args({count, len, lz4});
}
BENCHMARK(BM_EncodeSegments)->Apply(SegmentArgs);

void BM_DecodeSegments(benchmark::State& state) {
  const auto c = SegmentArg(state);
  std::string envs = SegmentInput(state.range(0), state.range(1));
  std::string wire;
  (void)EncodeSegments(envs, c, &wire);
  std::string out;
  uint64_t before = g_allocs.load();
  SegmentDecoder d(c);
  for (auto _ : state) {
    out.clear();
    auto n = d.Decode(wire, &out);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * envs.size()));
  ReportAllocs(state, before);
}
BENCHMARK(BM_DecodeSegments)->Apply(SegmentArgs);

}  // namespace
}  // namespace postfork::cql

// `bench_cql --write-rows-body=PATH` writes the benchmarked ROWS body (and the five EXECUTE
// cells, hex, one per line, to PATH.cells) for the peer comparison in compare_python.py.
int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.rfind("--write-rows-body=", 0) == 0) {
      std::string path(arg.substr(18));
      std::string body = postfork::cql::RowsBody(100);
      FILE* f = std::fopen(path.c_str(), "wb");
      if (!f) return 1;
      std::fwrite(body.data(), 1, body.size(), f);
      std::fclose(f);
      FILE* c = std::fopen((path + ".cells").c_str(), "w");
      if (!c) return 1;
      postfork::cql::FiveValues v;
      for (const auto& cell : v.cells) {
        for (unsigned char ch : cell) std::fprintf(c, "%02x", ch);
        std::fprintf(c, "\n");
      }
      std::fclose(c);
      return 0;
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
