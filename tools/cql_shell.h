// The logic of postfork-cql, apart from the terminal: splitting input into statements, shell
// commands (DESCRIBE, USE, CONSISTENCY, PAGING, EXPAND), and printing results as cqlsh does, or
// as JSON or CSV.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "postfork/driver/blocking.h"

namespace postfork::tools {

enum class OutputFormat { kTable, kJson, kCsv };

// Accumulates input and hands out complete statements (ending in ';' outside quotes, dollar
// strings and comments). Shell commands without ';' (EXIT, HELP) are complete at end of line.
class StatementSplitter {
 public:
  // Appends one line (without its newline); returns the statements it completed.
  std::vector<std::string> AddLine(std::string_view line);
  // Whatever is left unterminated (end of a -f file or -e string).
  std::string TakeRest();
  bool pending() const;

 private:
  std::string buffer_;
  enum class State { kCode, kSingle, kDouble, kDollar, kLineComment, kBlockComment };
  State state_ = State::kCode;
  size_t scanned_ = 0;
};

class Shell {
 public:
  Shell(driver::BlockingSession& session, OutputFormat format, FILE* out, FILE* err, bool timing);

  // Runs one statement or shell command; false when it failed (the error is printed).
  bool Run(const std::string& statement);
  bool exit_requested() const { return exit_requested_; }
  std::string prompt() const;

 private:
  bool RunCql(const std::string& statement);
  bool Describe(const std::vector<std::string>& words, const std::string& raw);
  void PrintRows(const std::vector<driver::Row>& rows, const std::vector<cql::ColumnSpec>& cols);
  void PrintError(const Status& status);

  driver::BlockingSession& session_;
  OutputFormat format_;
  FILE* out_;
  FILE* err_;
  bool timing_;
  bool expand_ = false;
  bool paging_ = true;
  int32_t page_size_ = 100;
  cql::Consistency consistency_ = cql::Consistency::kOne;
  std::optional<cql::Consistency> serial_consistency_;
  bool exit_requested_ = false;
};

// Text of one cell as cqlsh shows it: text unquoted, everything else as a CQL literal.
std::string FormatCell(const driver::Row& row, int column, const cql::DataType& type);

}  // namespace postfork::tools
