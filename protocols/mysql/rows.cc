#include "protocols/mysql/rows.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/cancel.h"
#include "engine/comment_line.h"
#include "engine/error.h"
#include "engine/row_checksum.h"
#include "protocols/mysql/script.h"
#include "protocols/mysql/sql_text.h"

namespace dbsnap::mysql {
namespace {

constexpr unsigned kBinaryCharset = 63;  // charsetnr of binary strings (and of dates)

Literal literal_kind(const MYSQL_FIELD& f) {
  switch (f.type) {
    case MYSQL_TYPE_BIT:
      return Literal::hex;
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_GEOMETRY:
      return f.charsetnr == kBinaryCharset ? Literal::hex : Literal::string;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
    case MYSQL_TYPE_YEAR:
      return Literal::number;
    default:  // dates, times, JSON (MySQL reports it binary, yet it takes text), ...
      return Literal::string;
  }
}

}  // namespace

std::vector<Literal> literal_kinds(const MyResult& result) {
  std::vector<Literal> kinds;
  for (unsigned i = 0; i < result.columns(); ++i) kinds.push_back(literal_kind(result.field(i)));
  return kinds;
}

InsertWriter::InsertWriter(const MyTable& table, std::size_t net_buffer_length, ChunkSink& out)
    : table_(table),
      net_buffer_length_(net_buffer_length),
      out_(out),
      next_insert_(";\n" + table.insert) {
  buf_.reserve(out.chunk_bytes() + net_buffer_length);
  open_chunk();
}

void InsertWriter::open_chunk() {
  buf_.clear();
  rows_ = 0;
  checksum_ = 0;
  statement_start_ = std::string::npos;
  buf_ +=
      fmt::format("\n--\n-- Dumping data for table {}\n--\n\n", sanitize_comment(table_.quoted));
  buf_ += chunk_session();
  if (table_.history)
    buf_ +=
        "/*M!101100 SET @old_system_versioning_insert_history="
        "@@session.system_versioning_insert_history, "
        "@@session.system_versioning_insert_history=1 */;\n";
  if (table_.lock_tables) buf_ += fmt::format("LOCK TABLES {} WRITE;\n", table_.quoted);
}

std::size_t InsertWriter::open_tuple() {
  if (statement_start_ == std::string::npos) {
    statement_start_ = buf_.size();
    buf_ += table_.insert;
    return std::string::npos;
  }
  buf_ += ',';
  return buf_.size() - 1;
}

void InsertWriter::close_tuple(std::size_t comma) {
  // The tuple joins the open INSERT only while the statement stays shorter
  // than net_buffer_length, as mysqldump's extended inserts; else it starts
  // its own (a rare move of one tuple, not a copy per row).
  const std::size_t tuple =
      comma == std::string::npos ? statement_start_ + table_.insert.size() : comma + 1;
  checksum_ += xxh64(std::string_view(buf_).substr(tuple));
  if (comma != std::string::npos && buf_.size() - statement_start_ >= net_buffer_length_) {
    buf_.replace(comma, 1, next_insert_);
    statement_start_ = comma + 2;
  }
  ++rows_;
  if (buf_.size() >= out_.chunk_bytes()) {
    emit_chunk();
    open_chunk();
  }
}

void InsertWriter::add(std::string_view tuple) {
  std::size_t comma = open_tuple();
  buf_ += tuple;
  close_tuple(comma);
}

void InsertWriter::add_big_values(const std::vector<Literal>& kinds) {
  if (statement_start_ != std::string::npos) buf_ += ";\n";
  statement_start_ = std::string::npos;
  const std::size_t row_start = buf_.size();
  for (unsigned i = 0; i < kinds.size(); ++i) {
    if (!big_[i] || big_[i]->size() <= kBigValueBytes) continue;
    std::string_view v = *big_[i];
    for (std::size_t at = 0; at < v.size(); at += kBigValueBytes) {
      if (at == 0)
        fmt::format_to(std::back_inserter(buf_), "SET @dbsnap_v{} = ", i);
      else
        fmt::format_to(std::back_inserter(buf_), "SET @dbsnap_v{0} = CONCAT(@dbsnap_v{0}, ", i);
      append_hex(buf_, v.substr(at, kBigValueBytes));
      buf_ += at == 0 ? ";\n" : ");\n";
    }
  }
  buf_ += table_.insert;
  buf_ += '(';
  for (unsigned i = 0; i < kinds.size(); ++i) {
    if (i > 0) buf_ += ',';
    if (!big_[i])
      buf_ += "NULL";
    else if (big_[i]->size() <= kBigValueBytes)
      append_value(buf_, *big_[i], kinds[i]);
    else if (kinds[i] == Literal::string)  // the bytes are the connection's utf8mb4
      fmt::format_to(std::back_inserter(buf_), "CONVERT(@dbsnap_v{} USING utf8mb4)", i);
    else
      fmt::format_to(std::back_inserter(buf_), "@dbsnap_v{}", i);
  }
  buf_ += ')';
  checksum_ += xxh64(std::string_view(buf_).substr(row_start));
  buf_ += ";\n";
  for (unsigned i = 0; i < kinds.size(); ++i)
    if (big_[i] && big_[i]->size() > kBigValueBytes)
      fmt::format_to(std::back_inserter(buf_), "SET @dbsnap_v{} = NULL;\n", i);
  big_.clear();
  ++rows_;
  if (buf_.size() >= out_.chunk_bytes()) {
    emit_chunk();
    open_chunk();
  }
}

void InsertWriter::append_piece(const std::string& var, std::string_view bytes, bool first) {
  const std::size_t statement = buf_.size();
  if (first)
    fmt::format_to(std::back_inserter(buf_), "SET {} = ", var);
  else
    fmt::format_to(std::back_inserter(buf_), "SET {0} = CONCAT({0}, ", var);
  append_hex(buf_, bytes);
  buf_ += first ? "" : ")";
  checksum_ += xxh64(std::string_view(buf_).substr(statement));  // the row's content
  buf_ += ";\n";
}

void InsertWriter::add_chain(const MyResult& row, const std::vector<Literal>& kinds,
                             const std::vector<bool>& huge, std::uint64_t id,
                             const PieceReader& read) {
  if (rows_ > 0) {
    emit_chunk();
    open_chunk();
  }
  ChainLink link = ChainLink::first;
  auto big = [&](unsigned i) {
    return huge[i] || (!row.is_null(i) && row.get(i).size() > kBigValueBytes);
  };
  auto var = [&](unsigned i, std::size_t segment) {
    return fmt::format("@dbsnap_{:016x}_{}_{}", id, i, segment);
  };
  std::vector<std::size_t> segments(kinds.size(), 0);  // variables of each big value
  for (unsigned i = 0; i < kinds.size(); ++i) {
    if (!big(i)) continue;
    std::uint64_t done = 0, segment_end = 0;  // bytes of the value written, of its segments
    auto take = [&](std::string_view piece) {
      for (std::size_t at = 0; at < piece.size(); at += kBigValueBytes) {
        std::string_view bytes = piece.substr(at, kBigValueBytes);
        bool opens = done >= segment_end;
        if (opens) segment_end = done + kSegmentBytes, ++segments[i];
        append_piece(var(i, segments[i] - 1), bytes, opens);
        done += bytes.size();
        if (buf_.size() < out_.chunk_bytes()) continue;
        emit_chunk(link);
        link = ChainLink::next;
        open_chunk();
      }
    };
    if (huge[i])
      read(i, take);
    else
      take(row.get(i));
    if (done == 0)
      throw Error(ExitCode::failure,
                  fmt::format("column {} of a row of {} read back empty", i + 1, table_.quoted));
  }
  auto value = [&](unsigned i) {  // text: the bytes are the connection's utf8mb4
    std::vector<std::string> vars;
    for (std::size_t s = 0; s < segments[i]; ++s) vars.push_back(var(i, s));
    std::string joined =
        vars.size() == 1 ? vars[0] : fmt::format("CONCAT({})", fmt::join(vars, ", "));
    return kinds[i] == Literal::string ? fmt::format("CONVERT({} USING utf8mb4)", joined) : joined;
  };
  const std::size_t row_start = buf_.size();
  buf_ += table_.insert;
  buf_ += '(';
  for (unsigned i = 0; i < kinds.size(); ++i) {
    if (i > 0) buf_ += ',';
    if (big(i))
      buf_ += value(i);
    else if (row.is_null(i))
      buf_ += "NULL";
    else
      append_value(buf_, row.get(i), kinds[i]);
  }
  buf_ += ')';
  checksum_ += xxh64(std::string_view(buf_).substr(row_start));
  buf_ += ";\n";
  for (unsigned i = 0; i < kinds.size(); ++i)
    for (std::size_t s = 0; s < segments[i]; ++s)
      fmt::format_to(std::back_inserter(buf_), "SET {} = NULL;\n", var(i, s));
  ++rows_;
  emit_chunk(link == ChainLink::first ? ChainLink::none : ChainLink::last);
  open_chunk();
}

void InsertWriter::emit_chunk(ChainLink link) {
  if (statement_start_ != std::string::npos) buf_ += ";\n";
  if (table_.lock_tables) buf_ += "UNLOCK TABLES;\n";
  if (table_.history)
    buf_ +=
        "/*M!101100 SET @@session.system_versioning_insert_history="
        "@old_system_versioning_insert_history */;\n";
  if (link == ChainLink::none)
    out_.emit(Section::data, table_.name, buf_, rows_, checksum_);
  else
    out_.emit_link(link, table_.name, buf_, rows_, checksum_);
  emitted_ = true;
  throw_if_cancelled();
}

void InsertWriter::finish() {
  if (rows_ > 0 || !emitted_) emit_chunk();
}

}  // namespace dbsnap::mysql
