// RedisCluster: a real Redis Cluster for tests, made of RedisServer processes
// (cluster-enabled yes, each in its own directory = its "volume") joined with
// `redis-cli --cluster create`, and ClusterRouter, a client that sends each
// key's command to the master owning its slot.
//
// Start() waits (bounded) until every node reports cluster_state:ok and agrees
// on the slot map. StartFromDirs() starts one server per prepared directory
// (e.g. shardkit recover's node-K outputs, each with dump.rdb and nodes.conf)
// on the given ports and waits the same way: no redis-cli step, as in a real
// recovery.
// Ownership: owns its servers; destruction SIGKILLs them. Threading: one thread.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "tests/support/keyspace_snapshot.h"
#include "tests/support/redis_server.h"

namespace shardkit::testing {

// `count` distinct loopback ports p, each with p and p + 10000 (the cluster
// bus) free now, chosen so that both lie below the kernel's ephemeral port range
// (10000-22767 with the default range; redis_cluster.cc says why).
Result<std::vector<int>> PickClusterPorts(int count);

struct RedisClusterOptions {
  int masters = 3;
  int replicas_per_master = 0;
  // Config lines for every node, and per node index (masters first, in
  // creation order; replicas after), e.g. {{}, {{"appendonly","yes"}}, {}}.
  std::vector<std::pair<std::string, std::string>> config;
  std::vector<std::vector<std::pair<std::string, std::string>>> node_config;
};

class RedisCluster {
 public:
  static Result<std::unique_ptr<RedisCluster>> Start(const RedisClusterOptions& options);
  // Starts a server in each dir on the matching port (dirs[i] must hold a
  // nodes.conf naming ports[i] as myself) and waits for cluster_state:ok.
  static Result<std::unique_ptr<RedisCluster>> StartFromDirs(
      const std::vector<std::string>& dirs, const std::vector<int>& ports,
      const std::vector<std::pair<std::string, std::string>>& config = {});
  ~RedisCluster();

  std::vector<RedisServer*> nodes();
  RedisServer& node(size_t i) { return *servers_[i]; }
  size_t size() const { return servers_.size(); }
  // Starts a new node and joins it as a replica of master `master_index`
  // (redis-cli --cluster add-node --cluster-slave), then waits until its
  // replication link is up.
  Status AddReplica(size_t master_index,
                    const std::vector<std::pair<std::string, std::string>>& config = {});
  // On every master: WAIT until all its replicas acknowledged its writes.
  Status WaitReplicas(std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));
  // Ports of the nodes that are masters now.
  Result<std::vector<RedisServer*>> Masters();

  // Runs a command on the master that owns `key`'s slot.
  Result<RedisReply> CommandForKey(const std::string& key, const std::vector<std::string>& args);
  // SAVE on every node.
  Status SaveAll();
  // Snapshot of the whole keyspace: the union of every master's db 0.
  Result<KeyspaceSnapshot> Snapshot();
  // `redis-cli --cluster check`; exit code and output.
  Result<ProcessResult> Check();
  // SIGKILL every node (the volumes stay).
  void KillAll();
  // Waits until every running node says cluster_state:ok.
  Status WaitHealthy(std::chrono::milliseconds timeout = std::chrono::milliseconds(60'000));

 private:
  RedisCluster() = default;
  Status RefreshSlots();
  std::vector<std::unique_ptr<RedisServer>> servers_;
  std::vector<int> slot_port_;  // slot -> port of its master
};

}  // namespace shardkit::testing
