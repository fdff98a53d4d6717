#include "cql_shell.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "postfork/base/ascii.h"

namespace postfork::tools {

using driver::QueryResult;
using driver::Row;

namespace {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t b = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > b) out.emplace_back(s.substr(b, i - b));
  }
  return out;
}

bool IsLineCommand(std::string_view statement) {
  auto words = Words(statement);
  if (words.empty()) return false;
  static const std::set<std::string> kCommands = {"EXIT",   "QUIT",        "HELP",   "EXPAND",
                                                  "PAGING", "CONSISTENCY", "SERIAL", "DESCRIBE",
                                                  "DESC",   "CLEAR",       "CLS"};
  return kCommands.count(ascii::Upper(words[0])) > 0;
}

// Identifier as Cassandra reads it: unquoted folds to lower case, "quoted" keeps its case.
std::string Ident(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    std::string out;
    for (size_t i = 1; i + 1 < s.size(); ++i) {
      if (s[i] == '"' && i + 2 < s.size() && s[i + 1] == '"') ++i;
      out += s[i];
    }
    return out;
  }
  return ascii::Lower(s);
}

size_t DisplayWidth(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string Pad(std::string_view s, size_t width, bool right) {
  size_t w = DisplayWidth(s);
  std::string fill(width > w ? width - w : 0, ' ');
  return right ? fill + std::string(s) : std::string(s) + fill;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos &&
      (s.empty() || (s.front() != ' ' && s.back() != ' ')))
    return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::optional<cql::Consistency> ParseConsistency(std::string_view name) {
  static const std::map<std::string, cql::Consistency> kNames = {
      {"ANY", cql::Consistency::kAny},
      {"ONE", cql::Consistency::kOne},
      {"TWO", cql::Consistency::kTwo},
      {"THREE", cql::Consistency::kThree},
      {"QUORUM", cql::Consistency::kQuorum},
      {"ALL", cql::Consistency::kAll},
      {"LOCAL_QUORUM", cql::Consistency::kLocalQuorum},
      {"EACH_QUORUM", cql::Consistency::kEachQuorum},
      {"SERIAL", cql::Consistency::kSerial},
      {"LOCAL_SERIAL", cql::Consistency::kLocalSerial},
      {"LOCAL_ONE", cql::Consistency::kLocalOne}};
  auto it = kNames.find(ascii::Upper(name));
  if (it == kNames.end()) return std::nullopt;
  return it->second;
}

}  // namespace

// ---- StatementSplitter ---------------------------------------------------------------------

std::vector<std::string> StatementSplitter::AddLine(std::string_view line) {
  std::vector<std::string> out;
  buffer_.append(line);
  buffer_ += '\n';
  size_t i = scanned_;
  while (i < buffer_.size()) {
    char c = buffer_[i];
    char next = i + 1 < buffer_.size() ? buffer_[i + 1] : '\0';
    switch (state_) {
      case State::kCode:
        if (c == '\'')
          state_ = State::kSingle;
        else if (c == '"')
          state_ = State::kDouble;
        else if (c == '$' && next == '$')
          state_ = State::kDollar, ++i;
        else if ((c == '-' && next == '-') || (c == '/' && next == '/'))
          state_ = State::kLineComment;
        else if (c == '/' && next == '*')
          state_ = State::kBlockComment, ++i;
        else if (c == ';') {
          std::string stmt = Trim(std::string_view(buffer_).substr(0, i));
          buffer_.erase(0, i + 1);
          i = 0;
          if (!stmt.empty()) out.push_back(std::move(stmt));
          continue;
        }
        break;
      case State::kSingle:
        if (c == '\'') {
          if (next == '\'')
            ++i;  // '' escapes a quote
          else
            state_ = State::kCode;
        }
        break;
      case State::kDouble:
        if (c == '"') {
          if (next == '"')
            ++i;
          else
            state_ = State::kCode;
        }
        break;
      case State::kDollar:
        if (c == '$' && next == '$') state_ = State::kCode, ++i;
        break;
      case State::kLineComment:
        if (c == '\n') state_ = State::kCode;
        break;
      case State::kBlockComment:
        if (c == '*' && next == '/') state_ = State::kCode, ++i;
        break;
    }
    ++i;
  }
  scanned_ = buffer_.size();
  // Shell commands need no ';'.
  if (state_ == State::kCode && IsLineCommand(buffer_)) {
    std::string stmt = Trim(buffer_);
    buffer_.clear();
    scanned_ = 0;
    out.push_back(std::move(stmt));
  }
  return out;
}

std::string StatementSplitter::TakeRest() {
  std::string rest = Trim(buffer_);
  buffer_.clear();
  scanned_ = 0;
  state_ = State::kCode;
  // A lone comment is not a statement.
  if (rest.rfind("--", 0) == 0 || rest.rfind("//", 0) == 0) {
    if (rest.find('\n') == std::string::npos) return "";
  }
  return rest;
}

bool StatementSplitter::pending() const { return !Trim(buffer_).empty(); }

// ---- formatting ------------------------------------------------------------------------------

std::string FormatCell(const Row& row, int column, const cql::DataType& type) {
  if (row.IsNull(column)) return "null";
  auto v = row.GetValue(column);
  if (!v.ok()) return "<" + v.error().message() + ">";
  if (auto s = v->get_if<std::string>()) return *s;
  return v->ToCqlLiteral(type);
}

// ---- Shell ---------------------------------------------------------------------------------

Shell::Shell(driver::BlockingSession& session, OutputFormat format, FILE* out, FILE* err,
             bool timing)
    : session_(session), format_(format), out_(out), err_(err), timing_(timing) {}

std::string Shell::prompt() const {
  const std::string& ks = session_.session().keyspace();
  return ks.empty() ? "postfork-cql> " : "postfork-cql:" + ks + "> ";
}

void Shell::PrintError(const Status& status) {
  std::string msg = status.message();
  fmt::print(err_, "{}\n", msg.empty() ? status.ToString() : msg);
  std::fflush(err_);
}

bool Shell::Run(const std::string& statement) {
  auto start = std::chrono::steady_clock::now();
  auto words = Words(statement);
  if (words.empty()) return true;
  std::string first = ascii::Upper(words[0]);
  bool ok = true;
  if (first == "EXIT" || first == "QUIT") {
    exit_requested_ = true;
    return true;
  } else if (first == "HELP") {
    fmt::print(out_,
               "CQL statements end with ';'. Shell commands:\n"
               "  DESCRIBE KEYSPACES | KEYSPACE [ks] | TABLES | TABLE [ks.]t\n"
               "  USE ks;  CONSISTENCY [level]  SERIAL CONSISTENCY [level]\n"
               "  PAGING [ON|OFF|n]  EXPAND [ON|OFF]  EXIT\n");
  } else if (first == "CLEAR" || first == "CLS") {
    fmt::print(out_, "\033[2J\033[H");
  } else if (first == "CONSISTENCY") {
    if (words.size() < 2) {
      fmt::print(out_, "Current consistency level is {}.\n", cql::ConsistencyName(consistency_));
    } else if (auto c = ParseConsistency(words[1])) {
      consistency_ = *c;
      fmt::print(out_, "Consistency level set to {}.\n", cql::ConsistencyName(consistency_));
    } else {
      PrintError(Status(StatusCode::kInvalidArgument,
                        "Improper CONSISTENCY command: unknown "
                        "level " +
                            words[1]));
      ok = false;
    }
  } else if (first == "SERIAL" && words.size() >= 2 && ascii::Upper(words[1]) == "CONSISTENCY") {
    if (words.size() < 3) {
      fmt::print(out_, "Current serial consistency level is {}.\n",
                 serial_consistency_ ? cql::ConsistencyName(*serial_consistency_) : "SERIAL");
    } else if (auto c = ParseConsistency(words[2]);
               c && (*c == cql::Consistency::kSerial || *c == cql::Consistency::kLocalSerial)) {
      serial_consistency_ = *c;
      fmt::print(out_, "Serial consistency level set to {}.\n", cql::ConsistencyName(*c));
    } else {
      PrintError(Status(StatusCode::kInvalidArgument,
                        "Improper SERIAL CONSISTENCY command: use SERIAL or LOCAL_SERIAL"));
      ok = false;
    }
  } else if (first == "PAGING") {
    if (words.size() >= 2) {
      std::string arg = ascii::Upper(words[1]);
      if (arg == "ON") {
        paging_ = true;
      } else if (arg == "OFF") {
        paging_ = false;
      } else if (std::all_of(arg.begin(), arg.end(), ::isdigit) && !arg.empty() &&
                 std::stol(arg) > 0 && std::stol(arg) < (1L << 31)) {
        paging_ = true;
        page_size_ = static_cast<int32_t>(std::stol(arg));
      } else {
        PrintError(Status(StatusCode::kInvalidArgument, "Improper PAGING command."));
        return false;
      }
    }
    if (paging_)
      fmt::print(out_, "Query paging is currently enabled.\nPage size: {}\n", page_size_);
    else
      fmt::print(out_, "Query paging is currently disabled.\n");
  } else if (first == "EXPAND") {
    if (words.size() >= 2) expand_ = ascii::Upper(words[1]) == "ON";
    fmt::print(out_, "Expanded output is currently {}.\n", expand_ ? "enabled" : "disabled");
  } else if (first == "DESCRIBE" || first == "DESC") {
    ok = Describe(words, statement);
  } else {
    ok = RunCql(statement);
  }
  if (timing_) {
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    fmt::print(err_, "Time: {:.3f} ms\n", ms);
  }
  std::fflush(out_);
  std::fflush(err_);
  return ok;
}

bool Shell::RunCql(const std::string& statement) {
  driver::Statement st(statement);
  st.options.consistency = consistency_;
  st.options.serial_consistency = serial_consistency_;
  st.options.page_size = paging_ ? page_size_ : 10000;
  QueryResult r = session_.Execute(st);
  if (!r.ok()) {
    PrintError(r.status());
    return false;
  }
  if (r.kind() != cql::ResultKind::kRows) return true;
  std::vector<cql::ColumnSpec> cols = r.columns();
  std::vector<Row> rows = r.rows();
  while (r.has_more_pages()) {
    st.options.paging_state = std::string(*r.paging_state());
    r = session_.Execute(st);
    if (!r.ok()) {
      PrintError(r.status());
      return false;
    }
    auto more = r.rows();
    rows.insert(rows.end(), more.begin(), more.end());
  }
  PrintRows(rows, cols);
  return true;
}

void Shell::PrintRows(const std::vector<Row>& rows, const std::vector<cql::ColumnSpec>& cols) {
  if (format_ == OutputFormat::kJson) {
    boost::json::array arr;
    for (auto& row : rows) {
      boost::json::object obj;
      for (size_t c = 0; c < cols.size(); ++c) {
        int ci = static_cast<int>(c);
        boost::json::value jv;
        auto v = row.GetValue(ci);
        if (!v.ok() || v->is_null()) {
          jv = nullptr;
        } else if (auto b = v->get_if<bool>()) {
          jv = *b;
        } else if (auto i8 = v->get_if<int8_t>()) {
          jv = static_cast<int64_t>(*i8);
        } else if (auto i16 = v->get_if<int16_t>()) {
          jv = static_cast<int64_t>(*i16);
        } else if (auto i32 = v->get_if<int32_t>()) {
          jv = static_cast<int64_t>(*i32);
        } else if (auto i64 = v->get_if<int64_t>()) {
          jv = *i64;
        } else if (auto f = v->get_if<float>(); f && std::isfinite(*f)) {
          jv = static_cast<double>(*f);
        } else if (auto d = v->get_if<double>(); d && std::isfinite(*d)) {
          jv = *d;
        } else {
          jv = FormatCell(row, ci, cols[c].type);
        }
        obj[cols[c].name] = std::move(jv);
      }
      arr.push_back(std::move(obj));
    }
    fmt::print(out_, "{}\n", boost::json::serialize(arr));
    return;
  }
  if (format_ == OutputFormat::kCsv) {
    std::string line;
    for (size_t c = 0; c < cols.size(); ++c) line += (c ? "," : "") + CsvField(cols[c].name);
    fmt::print(out_, "{}\n", line);
    for (auto& row : rows) {
      line.clear();
      for (size_t c = 0; c < cols.size(); ++c) {
        int ci = static_cast<int>(c);
        line += (c ? "," : "") +
                (row.IsNull(ci) ? std::string() : CsvField(FormatCell(row, ci, cols[c].type)));
      }
      fmt::print(out_, "{}\n", line);
    }
    return;
  }
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size());
  for (auto& row : rows) {
    std::vector<std::string> line;
    for (size_t c = 0; c < cols.size(); ++c)
      line.push_back(FormatCell(row, static_cast<int>(c), cols[c].type));
    cells.push_back(std::move(line));
  }
  if (expand_) {
    size_t name_w = 0, value_w = 0;
    for (auto& c : cols) name_w = std::max(name_w, DisplayWidth(c.name));
    for (auto& line : cells)
      for (auto& v : line) value_w = std::max(value_w, DisplayWidth(v));
    for (size_t r = 0; r < cells.size(); ++r) {
      fmt::print(out_, "\n@ Row {}\n", r + 1);
      fmt::print(out_, "-{}-+-{}\n", std::string(name_w, '-'), std::string(value_w, '-'));
      for (size_t c = 0; c < cols.size(); ++c)
        fmt::print(out_, " {} | {}\n", Pad(cols[c].name, name_w, false), cells[r][c]);
    }
    fmt::print(out_, "\n({} rows)\n", rows.size());
    return;
  }
  std::vector<size_t> widths;
  for (auto& c : cols) widths.push_back(DisplayWidth(c.name));
  for (auto& line : cells)
    for (size_t c = 0; c < line.size(); ++c) widths[c] = std::max(widths[c], DisplayWidth(line[c]));
  std::string header, sep;
  for (size_t c = 0; c < cols.size(); ++c) {
    header += (c ? " | " : " ") + Pad(cols[c].name, widths[c], false);
    sep += (c ? "-+-" : "-") + std::string(widths[c], '-');
  }
  fmt::print(out_, "\n{}\n{}\n", header, sep);
  for (auto& line : cells) {
    std::string text;
    for (size_t c = 0; c < line.size(); ++c)
      text += (c ? " | " : " ") + Pad(line[c], widths[c], true);
    fmt::print(out_, "{}\n", text);
  }
  fmt::print(out_, "\n({} rows)\n", rows.size());
}

bool Shell::Describe(const std::vector<std::string>& words, const std::string& raw) {
  if (words.size() < 2) {
    PrintError(Status(StatusCode::kInvalidArgument,
                      "DESCRIBE what? KEYSPACES, KEYSPACE ks, TABLES or TABLE [ks.]t"));
    return false;
  }
  std::string what = ascii::Upper(words[1]);
  const std::string current = session_.session().keyspace();
  if (what == "KEYSPACES") {
    QueryResult r =
        session_.Execute(driver::Statement("SELECT keyspace_name FROM system_schema.keyspaces"));
    if (!r.ok()) return PrintError(r.status()), false;
    std::vector<std::string> names;
    for (auto& row : r.rows())
      if (auto n = row.Get<std::string>(0); n.ok()) names.push_back(*n);
    std::sort(names.begin(), names.end());
    std::string line;
    for (auto& n : names) line += n + "  ";
    fmt::print(out_, "\n{}\n\n", Trim(line));
    return true;
  }
  if (what == "TABLES") {
    QueryResult r = session_.Execute(
        driver::Statement("SELECT keyspace_name, table_name FROM system_schema.tables"));
    if (!r.ok()) return PrintError(r.status()), false;
    std::map<std::string, std::vector<std::string>> by_ks;
    for (auto& row : r.rows()) {
      auto ks = row.Get<std::string>(0);
      auto t = row.Get<std::string>(1);
      if (ks.ok() && t.ok() && (current.empty() || *ks == current)) by_ks[*ks].push_back(*t);
    }
    for (auto& [ks, tables] : by_ks) {
      if (current.empty())
        fmt::print(out_, "\nKeyspace {}\n{}\n", ks, std::string(ks.size() + 9, '-'));
      std::string line;
      for (auto& t : tables) line += t + "  ";
      fmt::print(out_, "{}{}\n", current.empty() ? "" : "\n", Trim(line));
    }
    fmt::print(out_, "\n");
    return true;
  }
  if (what == "KEYSPACE" || what == "TABLE" || what == "COLUMNFAMILY") {
    std::string name = words.size() >= 3 ? words[2] : "";
    if (!name.empty() && name.back() == ';') name.pop_back();
    std::string ks = current, table;
    if (what == "KEYSPACE") {
      if (!name.empty()) ks = Ident(name);
    } else {
      size_t dot = name.find('.');
      if (dot != std::string::npos) {
        ks = Ident(name.substr(0, dot));
        table = Ident(name.substr(dot + 1));
      } else {
        table = Ident(name);
      }
      if (table.empty()) {
        PrintError(Status(StatusCode::kInvalidArgument, "DESCRIBE TABLE needs a table name"));
        return false;
      }
    }
    if (ks.empty()) {
      PrintError(Status(StatusCode::kInvalidArgument,
                        "no keyspace: USE one or qualify the name (" + raw + ")"));
      return false;
    }
    auto md = session_.FetchKeyspace(ks);
    if (!md.ok()) return PrintError(md.error()), false;
    if (what == "KEYSPACE") {
      fmt::print(out_, "\n{}\n", md->ToCql());
      for (auto& [n, t] : md->tables) fmt::print(out_, "\n{}\n", t.ToCql());
      fmt::print(out_, "\n");
      return true;
    }
    auto it = md->tables.find(table);
    if (it == md->tables.end()) {
      PrintError(Status(StatusCode::kNotFound,
                        "Table '" + table + "' not found in keyspace '" + ks + "'"));
      return false;
    }
    fmt::print(out_, "\n{}\n\n", it->second.ToCql());
    return true;
  }
  PrintError(Status(StatusCode::kInvalidArgument, "Improper DESCRIBE command: " + raw));
  return false;
}

}  // namespace postfork::tools
