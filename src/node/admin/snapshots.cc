#include "node/admin/snapshots.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "node/storage/storage.h"

namespace postfork::node {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr const char* kManifest = "manifest.json";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A tag names a directory: no separators, no dot names, nothing hidden (a leading dot marks a
// snapshot being written).
Status CheckTag(const std::string& tag) {
  if (tag.empty()) return Status(StatusCode::kInvalidArgument, "You must supply a snapshot name.");
  if (tag.find(':') != std::string::npos) {
    return Status(StatusCode::kInvalidArgument, "Snapshot name cannot contain :");
  }
  if (tag.find('/') != std::string::npos || tag.front() == '.') {
    return Status(StatusCode::kInvalidArgument,
                  "Snapshot name cannot contain / or start with . (it names a directory)");
  }
  return Status::Ok();
}

Status WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) return Status(StatusCode::kIoError, "cannot write " + path.string());
  return Status::Ok();
}

std::string ManifestJson(const SnapshotInfo& s) {
  json::object o;
  o["format"] = 1;
  o["tag"] = s.tag;
  o["created_at_ms"] = s.created_at_ms;
  o["created_at"] = InstantString(s.created_at_ms);
  if (s.expires_at_ms) {
    o["expires_at_ms"] = *s.expires_at_ms;
    o["expires_at"] = InstantString(*s.expires_at_ms);
  }
  json::array tables;
  for (const auto& [ks, t] : s.tables) tables.push_back(json::array{json::string(ks), json::string(t)});
  o["tables"] = std::move(tables);
  return json::serialize(o) + "\n";
}

Result<SnapshotInfo> ReadManifest(const fs::path& dir) {
  std::ifstream in(dir / kManifest, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, "no manifest in " + dir.string());
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(text.str(), ec);
  auto bad = [&] { return Status(StatusCode::kMalformed, "damaged snapshot manifest in " + dir.string()); };
  if (ec || !v.is_object()) return bad();
  const json::object& o = v.as_object();
  SnapshotInfo info;
  const json::value* tag = o.if_contains("tag");
  const json::value* created = o.if_contains("created_at_ms");
  const json::value* tables = o.if_contains("tables");
  if (!tag || !tag->is_string() || !created || !created->is_int64() || !tables ||
      !tables->is_array()) {
    return bad();
  }
  info.tag = std::string(tag->as_string());
  info.created_at_ms = created->as_int64();
  if (const json::value* e = o.if_contains("expires_at_ms"); e && e->is_int64()) {
    info.expires_at_ms = e->as_int64();
  }
  for (const json::value& t : tables->as_array()) {
    if (!t.is_array() || t.as_array().size() != 2 || !t.as_array()[0].is_string() ||
        !t.as_array()[1].is_string()) {
      return bad();
    }
    info.tables.emplace_back(std::string(t.as_array()[0].as_string()),
                             std::string(t.as_array()[1].as_string()));
  }
  return info;
}

// Sizes of the checkpoint's files: all of them, and those with no other hard link.
void MeasureFiles(const fs::path& dir, SnapshotInfo* info) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st{};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    info->size_on_disk += static_cast<uint64_t>(st.st_size);
    if (st.st_nlink == 1) info->true_size += static_cast<uint64_t>(st.st_size);
  }
}

}  // namespace

std::string InstantString(int64_t epoch_ms) {
  int64_t seconds = epoch_ms / 1000, ms = epoch_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --seconds;
  }
  time_t t = static_cast<time_t>(seconds);
  struct tm tm{};
  gmtime_r(&t, &tm);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (ms != 0) out += fmt::format(".{:03}", ms);
  return out + "Z";
}

SnapshotStore::SnapshotStore(Storage* storage, std::string data_dir)
    : storage_(storage), dir_((fs::path(data_dir) / "snapshots").string()) {}

Status SnapshotStore::Take(const std::string& tag,
                           std::vector<std::pair<std::string, std::string>> tables, bool flush,
                           std::optional<std::chrono::seconds> ttl) {
  PF_RETURN_IF_ERROR(CheckTag(tag));
  std::lock_guard lock(mu_);
  PF_RETURN_IF_ERROR(RemoveExpiredLocked());
  fs::path final_dir = fs::path(dir_) / tag;
  std::error_code ec;
  if (fs::exists(final_dir, ec)) {
    return Status(StatusCode::kAlreadyExists, "Snapshot " + tag + " already exists.");
  }
  // Written under a hidden name, then renamed: a snapshot is listed whole or not at all.
  fs::path work = fs::path(dir_) / ("." + tag + ".tmp");
  fs::remove_all(work, ec);
  fs::create_directories(work, ec);
  if (ec) return Status(StatusCode::kIoError, "cannot create " + work.string() + ": " + ec.message());
  SnapshotInfo info;
  info.tag = tag;
  info.tables = std::move(tables);
  info.created_at_ms = NowMs();
  if (ttl) info.expires_at_ms = info.created_at_ms + ttl->count() * 1000;
  Status s = storage_->Checkpoint((work / "db").string(), flush);
  if (s.ok()) s = WriteFile(work / kManifest, ManifestJson(info));
  if (s.ok()) {
    fs::rename(work, final_dir, ec);
    if (ec) s = Status(StatusCode::kIoError, "cannot rename " + work.string() + ": " + ec.message());
  }
  if (!s.ok()) fs::remove_all(work, ec);
  return s;
}

Result<std::vector<SnapshotInfo>> SnapshotStore::ReadAllLocked() {
  std::vector<SnapshotInfo> out;
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return out;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.empty() && name.front() != '.' && entry.is_directory()) dirs.push_back(entry.path());
  }
  if (ec) return Status(StatusCode::kIoError, "cannot list " + dir_ + ": " + ec.message());
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& d : dirs) {
    PF_ASSIGN_OR_RETURN(SnapshotInfo info, ReadManifest(d));
    info.tag = d.filename().string();
    out.push_back(std::move(info));
  }
  return out;
}

Status SnapshotStore::RemoveExpiredLocked() {
  PF_ASSIGN_OR_RETURN(auto all, ReadAllLocked());
  int64_t now = NowMs();
  for (const SnapshotInfo& s : all) {
    if (s.expires_at_ms && *s.expires_at_ms <= now) {
      std::error_code ec;
      fs::remove_all(fs::path(dir_) / s.tag, ec);
      if (ec) return Status(StatusCode::kIoError, "cannot remove expired snapshot " + s.tag);
    }
  }
  return Status::Ok();
}

Result<std::vector<SnapshotInfo>> SnapshotStore::List() {
  std::lock_guard lock(mu_);
  PF_RETURN_IF_ERROR(RemoveExpiredLocked());
  PF_ASSIGN_OR_RETURN(auto all, ReadAllLocked());
  for (SnapshotInfo& s : all) MeasureFiles(fs::path(dir_) / s.tag, &s);
  return all;
}

Status SnapshotStore::Clear(const std::string& tag, const std::vector<std::string>& keyspaces) {
  std::lock_guard lock(mu_);
  PF_ASSIGN_OR_RETURN(auto all, ReadAllLocked());
  for (SnapshotInfo& s : all) {
    if (!tag.empty() && s.tag != tag) continue;
    fs::path dir = fs::path(dir_) / s.tag;
    if (!keyspaces.empty()) {
      std::erase_if(s.tables, [&](const auto& t) {
        return std::find(keyspaces.begin(), keyspaces.end(), t.first) != keyspaces.end();
      });
      if (!s.tables.empty()) {
        // Rewritten beside, then renamed over: the manifest is never half written.
        PF_RETURN_IF_ERROR(WriteFile(dir / ".manifest.json.tmp", ManifestJson(s)));
        std::error_code ec;
        fs::rename(dir / ".manifest.json.tmp", dir / kManifest, ec);
        if (ec) return Status(StatusCode::kIoError, "cannot rewrite the manifest of " + s.tag);
        continue;
      }
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) return Status(StatusCode::kIoError, "cannot remove snapshot " + s.tag + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace postfork::node
