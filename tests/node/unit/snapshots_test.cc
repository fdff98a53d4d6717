// Snapshots: a checkpoint of the whole database at one instant that opens as a data directory,
// tags as directory names, listing under tables, clearing by tag and by keyspace.
#include "node/admin/snapshots.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "node/storage/storage.h"
#include "storage_test_util.h"

namespace postfork::node {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

class SnapshotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing::OpenStorage(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(*s);
    store_ = std::make_unique<SnapshotStore>(storage_.get(), dir_.path());
  }

  TempDir dir_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<SnapshotStore> store_;
};

TEST(InstantStringTest, PrintsAsJavaInstant) {
  EXPECT_EQ(InstantString(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(InstantString(1796551857203), "2026-12-06T10:10:57.203Z");
  EXPECT_EQ(InstantString(1796551857000), "2026-12-06T10:10:57Z");
  EXPECT_EQ(InstantString(-1), "1969-12-31T23:59:59.999Z");
}

TEST_F(SnapshotsTest, CheckpointOpensAsTheDatabaseAtTheSnapshot) {
  ASSERT_TRUE(storage_->PutMeta("k", "before").ok());
  ASSERT_TRUE(store_->Take("t1", {{"ks", "a"}}, /*flush=*/true, std::nullopt).ok());
  ASSERT_TRUE(storage_->PutMeta("k", "after").ok());
  ASSERT_TRUE(store_->Take("t2", {{"ks", "a"}}, /*flush=*/false, std::nullopt).ok());
  ASSERT_TRUE(storage_->PutMeta("k", "later").ok());
  for (auto [tag, want] : {std::pair{"t1", "before"}, std::pair{"t2", "after"}}) {
    auto copy = testing::OpenStorage((fs::path(dir_.path()) / "snapshots" / tag / "db").string());
    ASSERT_TRUE(copy.ok()) << copy.status().ToString();
    auto value = (*copy)->GetMeta("k");
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(value->value_or(""), want) << tag;
  }
}

TEST_F(SnapshotsTest, TagsNameDirectoriesOnce) {
  EXPECT_EQ(store_->Take("", {}, true, std::nullopt).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Take("a:b", {}, true, std::nullopt).message(), "Snapshot name cannot contain :");
  EXPECT_EQ(store_->Take("../x", {}, true, std::nullopt).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Take(".hidden", {}, true, std::nullopt).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->Take("once", {}, true, std::nullopt).ok());
  Status again = store_->Take("once", {}, true, std::nullopt);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.message(), "Snapshot once already exists.");
}

TEST_F(SnapshotsTest, ListsTablesTimesAndSizes) {
  ASSERT_TRUE(storage_->PutMeta("k", std::string(10000, 'x')).ok());
  ASSERT_TRUE(store_->Take("b", {{"ks1", "t"}, {"ks2", "u"}}, true, std::chrono::seconds(3600)).ok());
  ASSERT_TRUE(store_->Take("a", {{"ks1", "t"}}, true, std::nullopt).ok());
  auto list = store_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].tag, "a");
  EXPECT_FALSE((*list)[0].expires_at_ms);
  const SnapshotInfo& b = (*list)[1];
  EXPECT_EQ(b.tables, (std::vector<std::pair<std::string, std::string>>{{"ks1", "t"}, {"ks2", "u"}}));
  ASSERT_TRUE(b.expires_at_ms);
  EXPECT_EQ(*b.expires_at_ms - b.created_at_ms, 3600 * 1000);
  EXPECT_GT(b.size_on_disk, 0u);
  // The SST files are links shared with the live database: not the snapshot's own cost.
  EXPECT_LT(b.true_size, b.size_on_disk);
}

TEST_F(SnapshotsTest, ClearsByTagByKeyspaceOrAll) {
  ASSERT_TRUE(store_->Take("a", {{"ks1", "t"}, {"ks2", "u"}}, true, std::nullopt).ok());
  ASSERT_TRUE(store_->Take("b", {{"ks1", "t"}}, true, std::nullopt).ok());
  ASSERT_TRUE(store_->Take("c", {{"ks2", "u"}}, true, std::nullopt).ok());
  ASSERT_TRUE(store_->Clear("", {"ks1"}).ok());  // a keeps ks2.u, b goes
  auto list = store_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].tag, "a");
  EXPECT_EQ((*list)[0].tables, (std::vector<std::pair<std::string, std::string>>{{"ks2", "u"}}));
  ASSERT_TRUE(store_->Clear("c", {}).ok());
  EXPECT_EQ(store_->List()->size(), 1u);
  ASSERT_TRUE(store_->Clear("", {}).ok());
  EXPECT_TRUE(store_->List()->empty());
  EXPECT_FALSE(fs::exists(fs::path(dir_.path()) / "snapshots" / "a"));
}

}  // namespace
}  // namespace postfork::node
