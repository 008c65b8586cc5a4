// ClusterView: a live Redis Cluster as seen from one of its nodes, for the
// demo and benchmark tools: the masters and which of them owns each slot
// (from CLUSTER SLOTS), one connection per master, and RoutedPipeline, which
// sends single-key commands to the master owning the key's slot in
// pipelined batches.
//
// Ownership: a ClusterView owns its connections. Threading: one thread.
// Errors: kIoError from connections; kInvalidArgument when CLUSTER SLOTS is
// incomplete (a slot without a master) or a command gets an error reply.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "tests/support/redis_client.h"

namespace shardkit::testing::tools {

struct Endpoint {
  std::string host;
  int port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// Parses "host:port". kInvalidArgument on anything else.
Result<Endpoint> ParseEndpoint(const std::string& text);

class ClusterView {
 public:
  // Connects to `seed`, reads CLUSTER SLOTS and connects to every master.
  static Result<std::unique_ptr<ClusterView>> Connect(const Endpoint& seed);

  size_t master_count() const { return masters_.size(); }
  const Endpoint& master(size_t i) const { return masters_[i]; }
  RedisClient& client(size_t i) { return *clients_[i]; }
  // Index of the master that owns `slot`.
  size_t OwnerOf(uint16_t slot) const { return slot_owner_[slot]; }
  size_t OwnerOfKey(const std::string& key) const;
  // Slots master `i` owns, in order.
  std::vector<uint16_t> SlotsOf(size_t i) const;

 private:
  ClusterView() = default;
  std::vector<Endpoint> masters_;
  std::vector<std::unique_ptr<RedisClient>> clients_;
  std::vector<size_t> slot_owner_;  // slot -> index into masters_
};

// Sends each command to the master owning its key; a master's queue is
// drained once `batch` commands are in flight, so memory stays bounded.
class RoutedPipeline {
 public:
  // `view` must outlive the pipeline.
  explicit RoutedPipeline(ClusterView& view, size_t batch = 512);
  Status Send(const std::string& key, const std::vector<std::string>& args);
  // Reads every outstanding reply; the first error reply fails.
  Status Flush();
  uint64_t commands_sent() const { return commands_sent_; }

 private:
  ClusterView& view_;
  size_t batch_;
  std::vector<size_t> pending_;
  uint64_t commands_sent_ = 0;
};

}  // namespace shardkit::testing::tools
