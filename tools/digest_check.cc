#include "tools/digest_check.h"

#include "loader/expiry_histogram.h"

namespace shardkit::tools {

bool DigestOutcome::all_compared() const {
  for (const std::string& why : not_checked) {
    if (!why.empty()) return false;
  }
  return !not_checked.empty();
}

Result<DigestOutcome> CheckDigests(ClusterSession& session,
                                   const std::vector<ExpectedKeys>& expected,
                                   const std::vector<bool>& skip, int64_t now_ms) {
  DigestOutcome out;
  out.not_checked.resize(session.nodes().size());
  for (size_t i = 0; i < session.nodes().size(); ++i) {
    const LiveNode& n = session.nodes()[i];
    std::string& why = out.not_checked[i];
    if (expected.empty()) {
      why = "no --report";
      continue;
    }
    const ExpectedKeys& e = expected.at(n.index);
    if (!e.known) {
      why = e.unknown_reason;
      continue;
    }
    if (e.digest.empty()) {
      why = e.digest_not_computed.empty() ? "the report has no digest (recover without --digest)"
                                          : e.digest_not_computed;
      continue;
    }
    if (i < skip.size() && skip[i]) {
      why = "its layout differs from the plan";
      continue;
    }
    const loader::DueKeys due = loader::DueAt(e.expiring, now_ms);
    if (due.possibly > 0) {
      why = std::to_string(due.possibly) + " of its keys may have expired since recover";
      continue;
    }
    SK_ASSIGN_OR_RETURN(net::RedisValue reply, session.connection(i).Command({"DEBUG", "DIGEST"}));
    if (reply.is_error()) {
      why = "DEBUG DIGEST refused: " + reply.str;
      continue;
    }
    if (reply.str != e.digest) {
      Finding f;
      f.node = n.index;
      f.node_id = n.node_id;
      f.endpoint = n.endpoint.HostPort();
      f.check = "digest";
      f.subject = "DEBUG DIGEST";
      f.expected = e.digest;
      f.found = reply.str.empty() ? reply.ToString() : reply.str;
      out.findings.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace shardkit::tools
