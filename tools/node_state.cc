#include "tools/node_state.h"

namespace shardkit::tools {
namespace {

// A bulk or status reply's text; kInvalidArgument for anything else.
Result<std::string> Text(const net::RedisConnection& conn, const net::RedisValue& v,
                         const char* command) {
  if (v.kind == net::RedisValue::Kind::kString || v.kind == net::RedisValue::Kind::kStatus) {
    return v.str;
  }
  return Status::InvalidArgument(conn.name() + ": " + command + ": unexpected reply " +
                                 v.ToString());
}

}  // namespace

Result<NodeState> ReadNodeState(net::RedisConnection& conn) {
  NodeState s;
  SK_ASSIGN_OR_RETURN(net::RedisValue info, conn.CommandOk({"INFO", "all"}));
  SK_ASSIGN_OR_RETURN(std::string info_text, Text(conn, info, "INFO"));
  s.info = net::ParseInfoFields(info_text);
  if (net::InfoField(s.info, "loading") == "1") {
    s.loading = true;
    s.loading_percent = net::InfoField(s.info, "loading_loaded_perc");
    return s;
  }
  SK_ASSIGN_OR_RETURN(net::RedisValue myid, conn.Command({"CLUSTER", "MYID"}));
  if (myid.IsErrorCode("LOADING")) {
    s.loading = true;
    return s;
  }
  if (myid.is_error()) {
    return Status::InvalidArgument(conn.name() + ": CLUSTER MYID: " + myid.str +
                                   " (is the node started with cluster-enabled yes?)");
  }
  SK_ASSIGN_OR_RETURN(s.node_id, Text(conn, myid, "CLUSTER MYID"));
  SK_ASSIGN_OR_RETURN(net::RedisValue ci, conn.CommandOk({"CLUSTER", "INFO"}));
  SK_ASSIGN_OR_RETURN(std::string ci_text, Text(conn, ci, "CLUSTER INFO"));
  s.cluster_info = net::ParseInfoFields(ci_text);
  SK_ASSIGN_OR_RETURN(net::RedisValue cn, conn.CommandOk({"CLUSTER", "NODES"}));
  SK_ASSIGN_OR_RETURN(std::string cn_text, Text(conn, cn, "CLUSTER NODES"));
  SK_ASSIGN_OR_RETURN(s.view, loader::ParseNodesConf(cn_text, conn.name() + " CLUSTER NODES"));
  SK_ASSIGN_OR_RETURN(net::RedisValue dbsize, conn.Command({"DBSIZE"}));
  if (dbsize.IsErrorCode("LOADING")) {
    s.loading = true;
    return s;
  }
  if (dbsize.kind != net::RedisValue::Kind::kInteger) {
    return Status::InvalidArgument(conn.name() + ": DBSIZE: unexpected reply " +
                                   dbsize.ToString());
  }
  s.dbsize = static_cast<uint64_t>(dbsize.integer);
  return s;
}

}  // namespace shardkit::tools
