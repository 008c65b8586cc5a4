#include "tests/support/redis_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "formats/encodings/hash_slot.h"

namespace shardkit::testing {

namespace {

std::vector<std::pair<std::string, std::string>> ClusterConfig(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::pair<std::string, std::string>> c = {
      {"cluster-enabled", "yes"},
      {"cluster-config-file", "nodes.conf"},
      {"cluster-node-timeout", "3000"},
      {"cluster-require-full-coverage", "yes"},
  };
  c.insert(c.end(), extra.begin(), extra.end());
  return c;
}

bool PortFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// The lowest port of the kernel's ephemeral range (ip_local_port_range,
// 32768 by default), from which every outgoing connection takes its port.
int EphemeralPortLow() {
  int low = 32768;
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int read_low = 0;
  if (in >> read_low && read_low > 0) low = read_low;
  return low;
}

// Reserves `port` for this process's lifetime across every test process of
// the machine: an exclusive flock on /tmp/shardkit-test-ports/<port>, held by
// a descriptor that stays open until the process exits (the kernel drops the
// lock then, whatever way it ends). A port is free to bind between the pick
// and the server's start, which can be seconds later (a test picks the ports
// of a cluster, recovers onto them, then starts the servers): a concurrent
// test's PickClusterPorts took such a port in CI ("port 18685 is served by
// another process"). flock locks belong to the open file description, so a
// second pick in the same process is refused too.
bool ReservePort(int port) {
  static const char* kDir = "/tmp/shardkit-test-ports";
  mkdir(kDir, 01777);  // EEXIST is fine; any other error shows at open()
  chmod(kDir, 01777);  // every user's tests share it (umask would narrow it)
  std::string path = std::string(kDir) + "/" + std::to_string(port);
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return true;  // cannot reserve (read-only /tmp): bind checks only
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return false;
  }
  return true;  // fd deliberately kept open: the reservation
}

}  // namespace

Result<std::vector<int>> PickClusterPorts(int count) {
  // Client ports from 10000 up, so that both a node's port and its bus port
  // (port + 10000) lie below the ephemeral range: any outgoing connection of
  // a concurrent test (hiredis, redis-cli, a cluster bus link) could take a
  // port inside that range between the check below and the server's bind
  // (seen in CI: "Failed listening on port 38268 (cluster), aborting").
  // Client ports stay below 20000, so no client port of one test process is
  // ever a bus port (20000 up) of another's cluster: `chosen` below keeps a
  // process's own ports apart, but suites run in parallel (seen in CI: a
  // client port 21803 "served by another process", most likely the bus
  // port of a concurrent cluster's node 11803).
  int lo = 10000;
  int span = std::min(10000, EphemeralPortLow() - 10000 - lo);
  if (span < 2000) {  // an unusual range: fall back to the range above it
    lo = 20000;
    span = 10000;
  }
  std::mt19937 rng(static_cast<uint32_t>(getpid()) * 2654435761u ^
                   static_cast<uint32_t>(
                       std::chrono::steady_clock::now().time_since_epoch().count()));
  std::set<int> chosen;
  for (int attempt = 0; attempt < 2000 && static_cast<int>(chosen.size()) < count; ++attempt) {
    int p = lo + static_cast<int>(rng() % static_cast<uint32_t>(span));
    if (chosen.count(p) || chosen.count(p - 10000) || chosen.count(p + 10000)) continue;
    if (PortFree(p) && PortFree(p + 10000) && ReservePort(p)) chosen.insert(p);
  }
  if (static_cast<int>(chosen.size()) < count) {
    return Status::ResourceExhausted("could not find " + std::to_string(count) +
                                     " free cluster port pairs");
  }
  return std::vector<int>(chosen.begin(), chosen.end());
}

RedisCluster::~RedisCluster() { KillAll(); }

std::vector<RedisServer*> RedisCluster::nodes() {
  std::vector<RedisServer*> out;
  for (auto& s : servers_) out.push_back(s.get());
  return out;
}

Result<std::unique_ptr<RedisCluster>> RedisCluster::Start(const RedisClusterOptions& options) {
  std::unique_ptr<RedisCluster> cluster(new RedisCluster());
  const int total = options.masters * (1 + options.replicas_per_master);
  std::vector<std::string> argv = {FindRedisBinary("redis-cli"), "--cluster", "create"};
  SK_ASSIGN_OR_RETURN(std::vector<int> ports, PickClusterPorts(total));
  for (int i = 0; i < total; ++i) {
    RedisServerOptions so;
    so.port = ports[i];
    auto extra = options.config;
    if (i < static_cast<int>(options.node_config.size())) {
      extra.insert(extra.end(), options.node_config[i].begin(), options.node_config[i].end());
    }
    so.config = ClusterConfig(extra);
    SK_ASSIGN_OR_RETURN(auto server, RedisServer::Start(so));
    argv.push_back("127.0.0.1:" + std::to_string(server->port()));
    cluster->servers_.push_back(std::move(server));
  }
  argv.insert(argv.end(), {"--cluster-replicas", std::to_string(options.replicas_per_master),
                           "--cluster-yes"});
  SK_ASSIGN_OR_RETURN(ProcessResult created, RunProcess(argv));
  if (created.exit_code != 0) {
    return Status::IoError("redis-cli --cluster create failed: " + created.output);
  }
  SK_RETURN_IF_ERROR(cluster->WaitHealthy());
  SK_RETURN_IF_ERROR(cluster->RefreshSlots());
  return cluster;
}

Result<std::unique_ptr<RedisCluster>> RedisCluster::StartFromDirs(
    const std::vector<std::string>& dirs, const std::vector<int>& ports,
    const std::vector<std::pair<std::string, std::string>>& config) {
  std::unique_ptr<RedisCluster> cluster(new RedisCluster());
  for (size_t i = 0; i < dirs.size(); ++i) {
    RedisServerOptions so;
    so.dir = dirs[i];
    so.port = ports[i];
    so.config = ClusterConfig(config);
    SK_ASSIGN_OR_RETURN(auto server, RedisServer::Start(so));
    cluster->servers_.push_back(std::move(server));
  }
  SK_RETURN_IF_ERROR(cluster->WaitHealthy());
  SK_RETURN_IF_ERROR(cluster->RefreshSlots());
  return cluster;
}

Status RedisCluster::WaitHealthy(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    bool all_ok = true;
    for (auto& s : servers_) {
      if (!s->running()) continue;
      auto info = s->Command({"CLUSTER", "INFO"});
      if (!info.ok() || info->str.find("cluster_state:ok") == std::string::npos) {
        all_ok = false;
        last = "127.0.0.1:" + std::to_string(s->port()) + ": " +
               (info.ok() ? info->str.substr(0, 200) : info.status().ToString());
        break;
      }
    }
    if (all_ok) return Status();
    // Cluster state converges through gossip; poll with a short bounded wait.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::IoError("cluster not healthy after " + std::to_string(timeout.count()) +
                         " ms: " + last);
}

Status RedisCluster::RefreshSlots() {
  slot_port_.assign(formats::kSlotCount, 0);
  SK_ASSIGN_OR_RETURN(RedisReply slots, servers_.front()->CommandOk({"CLUSTER", "SLOTS"}));
  for (const RedisReply& range : slots.elements) {
    if (range.elements.size() < 3) continue;
    const int port = static_cast<int>(range.elements[2].elements.at(1).integer);
    for (int64_t s = range.elements[0].integer; s <= range.elements[1].integer; ++s) {
      slot_port_[s] = port;
    }
  }
  return Status();
}

Status RedisCluster::AddReplica(size_t master_index,
                                const std::vector<std::pair<std::string, std::string>>& config) {
  SK_ASSIGN_OR_RETURN(std::vector<int> ports, PickClusterPorts(1));
  RedisServerOptions so;
  so.port = ports[0];
  so.config = ClusterConfig(config);
  SK_ASSIGN_OR_RETURN(auto server, RedisServer::Start(so));
  RedisServer& master = *servers_.at(master_index);
  SK_ASSIGN_OR_RETURN(RedisReply id, master.CommandOk({"CLUSTER", "MYID"}));
  SK_ASSIGN_OR_RETURN(
      ProcessResult added,
      RunProcess({FindRedisBinary("redis-cli"), "--cluster", "add-node",
                  "127.0.0.1:" + std::to_string(server->port()),
                  "127.0.0.1:" + std::to_string(master.port()), "--cluster-slave",
                  "--cluster-master-id", id.str}));
  if (added.exit_code != 0) return Status::IoError("add-node failed: " + added.output);
  RedisServer* replica = server.get();
  servers_.push_back(std::move(server));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto link = replica->InfoField("replication", "master_link_status");
    if (link.ok() && *link == "up") return WaitHealthy();
    // Joining and the first sync take a few gossip rounds; poll with a deadline.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::IoError("replica 127.0.0.1:" + std::to_string(replica->port()) +
                         " never got its master link up");
}

Status RedisCluster::WaitReplicas(std::chrono::milliseconds timeout) {
  SK_ASSIGN_OR_RETURN(auto masters, Masters());
  for (RedisServer* m : masters) {
    // Not SK_ASSIGN_OR_RETURN: GCC 12 at -O1 reports the moved-into string as
    // maybe-uninitialized (-Werror) when it is compared right after.
    Result<std::string> connected = m->InfoField("replication", "connected_slaves");
    if (!connected.ok()) return std::move(connected).take_status();
    const std::string n = *connected;
    if (n == "0") continue;
    SK_ASSIGN_OR_RETURN(RedisReply acked,
                        m->CommandOk({"WAIT", n, std::to_string(timeout.count())}));
    if (std::to_string(acked.integer) != n) {
      return Status::IoError("WAIT on 127.0.0.1:" + std::to_string(m->port()) + ": " +
                             std::to_string(acked.integer) + " of " + n + " replicas acked");
    }
  }
  return Status();
}

Result<std::vector<RedisServer*>> RedisCluster::Masters() {
  std::vector<RedisServer*> out;
  for (auto& s : servers_) {
    if (!s->running()) continue;
    SK_ASSIGN_OR_RETURN(std::string role, s->InfoField("replication", "role"));
    if (role == "master") out.push_back(s.get());
  }
  return out;
}

Result<RedisReply> RedisCluster::CommandForKey(const std::string& key,
                                               const std::vector<std::string>& args) {
  const int port = slot_port_.at(formats::KeyHashSlot(key));
  for (auto& s : servers_) {
    if (s->port() == port) return s->Command(args);
  }
  return Status::NotFound("no node serves the slot of key " + key);
}

Status RedisCluster::SaveAll() {
  for (auto& s : servers_) {
    if (s->running()) SK_RETURN_IF_ERROR(s->Save());
  }
  return Status();
}

Result<KeyspaceSnapshot> RedisCluster::Snapshot() {
  KeyspaceSnapshot all;
  SK_ASSIGN_OR_RETURN(auto masters, Masters());
  for (RedisServer* m : masters) {
    SK_ASSIGN_OR_RETURN(KeyspaceSnapshot one, KeyspaceSnapshot::Capture(m->client(), 1));
    for (auto& [db, keys] : one.dbs) {
      all.dbs[db].insert(keys.begin(), keys.end());
      all.dbsize[db] += one.dbsize[db];
    }
    all.functions = one.functions;
  }
  return all;
}

Result<ProcessResult> RedisCluster::Check() {
  for (auto& s : servers_) {
    if (s->running()) {
      return RunProcess({FindRedisBinary("redis-cli"), "--cluster", "check",
                         "127.0.0.1:" + std::to_string(s->port())});
    }
  }
  return Status::NotFound("no running node");
}

void RedisCluster::KillAll() {
  for (auto& s : servers_) {
    if (s && s->running()) s->Kill9();
  }
}

}  // namespace shardkit::testing
