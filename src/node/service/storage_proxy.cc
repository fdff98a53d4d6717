#include "node/service/storage_proxy.h"

#include <algorithm>
#include <cassert>

#include "node/db/schema.h"
#include "node/timestamp.h"

namespace postfork::node::service {

size_t StorageProxy::StripeOf(uint32_t table_storage_id,
                              const std::vector<std::string>& partition_key) {
  // FNV-1a over the table id and every key component with its length, so that ("ab", "c") and
  // ("a", "bc") are different partitions here too.
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](const void* data, size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) {
      h ^= p[i];
      h *= 1099511628211ull;
    }
  };
  mix(&table_storage_id, sizeof table_storage_id);
  for (const std::string& component : partition_key) {
    uint64_t size = component.size();
    mix(&size, sizeof size);
    mix(component.data(), component.size());
  }
  return static_cast<size_t>(h % kStripes);
}

Status StorageProxy::Mutate(const std::vector<PartitionMutation>& mutations,
                            std::optional<int32_t> now_seconds) {
  if (mutations.empty()) return Status::Ok();
  return storage_->Apply(mutations, now_seconds);
}

Result<bool> StorageProxy::CompareAndSet(
    std::vector<PartitionMutation>* mutations,
    const std::function<Status(int64_t ballot, std::vector<PartitionMutation>*)>& build,
    const std::function<Result<bool>()>& check, std::optional<int32_t> now_seconds) {
  assert(!mutations->empty());
  const PartitionMutation& m = (*mutations)[0];
  std::lock_guard lock(cas_locks_[StripeOf(m.table->storage_id, m.partition_key)]);
  PF_RETURN_IF_ERROR(build(BallotMicros(), mutations));
  PF_ASSIGN_OR_RETURN(bool applied, check());
  if (applied && !mutations->empty()) PF_RETURN_IF_ERROR(storage_->Apply(*mutations, now_seconds));
  return applied;
}

int64_t StorageProxy::BallotMicros() { return IncreasingMicros(NowMicros()); }

Status StorageProxy::CounterWrite(const std::vector<PartitionRef>& partitions,
                                  const std::function<Status()>& write) {
  std::vector<size_t> stripes;
  stripes.reserve(partitions.size());
  for (const PartitionRef& p : partitions) {
    stripes.push_back(StripeOf(p.table_storage_id, p.partition_key));
  }
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  std::vector<std::unique_lock<std::mutex>> held;
  held.reserve(stripes.size());
  for (size_t s : stripes) held.emplace_back(counter_locks_[s]);
  return write();
}

}  // namespace postfork::node::service
