#include "loader/ccs_grouping.h"

#include <algorithm>
#include <map>
#include <set>

namespace shardkit::loader {

namespace {

// bdb uid -> the copies (paths) that answer it, for one shard uid.
using Answers = std::map<uint64_t, std::vector<std::string>>;

// Step 1: what each readable copy says about `uid`.
Answers AnswersFor(const std::vector<CcsReport>& copies, uint64_t uid) {
  Answers out;
  for (const CcsReport& c : copies) {
    if (!c.status.ok()) continue;
    auto shard = std::find_if(c.shards.begin(), c.shards.end(),
                              [&](const CcsShard& s) { return s.uid == uid; });
    if (shard != c.shards.end() && shard->bdb_uid.has_value()) {
      out[*shard->bdb_uid].push_back(c.path);
      continue;
    }
    for (const CcsDatabase& db : c.databases) {
      if (std::find(db.redis_list.begin(), db.redis_list.end(), uid) != db.redis_list.end()) {
        out[db.uid].push_back(c.path);
      }
    }
  }
  return out;
}

std::string DisagreementMessage(uint64_t uid, const Answers& answers) {
  std::string text = "CCS copies disagree on shard redis:" + std::to_string(uid) + "'s database:";
  for (const auto& [bdb, paths] : answers) {
    text += " bdb:" + std::to_string(bdb) + " in";
    for (const std::string& p : paths) text += " " + p;
    text += ";";
  }
  text.pop_back();
  return text;
}

// Step 4: name and policy of bdb `uid` from every readable copy.
CcsBdb DescribeBdb(const std::vector<CcsReport>& copies, uint64_t uid) {
  CcsBdb out;
  out.uid = uid;
  for (const CcsReport& c : copies) {
    if (!c.status.ok()) continue;
    for (const CcsDatabase& db : c.databases) {
      if (db.uid != uid) continue;
      if (out.name.empty()) out.name = db.name;
      if (out.hash_slots_policy.empty()) out.hash_slots_policy = db.hash_slots_policy;
      if (db.hash_slots_policy == "legacy") {
        out.legacy = true;
        out.hash_slots_policy = "legacy";
      }
    }
  }
  return out;
}

}  // namespace

bool CcsGrouping::AllMapped(const Discovery& d) const {
  bool any = false;
  for (size_t i = 0; i < d.shards.size(); ++i) {
    if (d.shards[i].enterprise_uids.empty()) continue;
    any = true;
    if (database_of[i] < 0) return false;
  }
  return any;
}

std::string CcsGrouping::Describe(const CcsBdb& db) {
  return "bdb:" + std::to_string(db.uid) + (db.name.empty() ? "" : " \"" + db.name + "\"");
}

CcsGrouping GroupShardsByCcs(const Discovery& d) {
  CcsGrouping g;
  g.database_of.assign(d.shards.size(), -1);
  g.why_not.assign(d.shards.size(), "");
  struct UidAnswer {
    bool named = false;     // some copy answers
    bool disagree = false;  // copies answer different bdbs
    uint64_t bdb = 0;
  };
  std::map<uint64_t, UidAnswer> by_uid;  // step 2
  std::map<uint64_t, int> index_of_bdb;
  for (size_t i = 0; i < d.shards.size(); ++i) {
    const ShardDecision& s = d.shards[i];
    if (s.enterprise_uids.empty()) continue;
    std::set<uint64_t> bdbs;
    std::string why;
    for (uint64_t uid : s.enterprise_uids) {
      if (!by_uid.contains(uid)) {
        const Answers answers = AnswersFor(d.ccs, uid);
        UidAnswer& a = by_uid[uid];
        a.named = !answers.empty();
        a.disagree = answers.size() > 1;
        if (a.named) a.bdb = answers.begin()->first;
        if (a.disagree) g.disagreements.push_back(DisagreementMessage(uid, answers));
      }
      const UidAnswer& a = by_uid[uid];
      if (a.disagree) {
        why = "the CCS copies disagree on uid " + std::to_string(uid) + "'s database";
      } else if (a.named) {
        bdbs.insert(a.bdb);
      }
    }
    if (why.empty() && bdbs.empty()) why = "the CCS does not name it";
    if (why.empty() && bdbs.size() > 1) {
      why = "its copies' uids are in different databases of the CCS";
      for (uint64_t b : bdbs) why += " bdb:" + std::to_string(b);
    }
    if (!why.empty()) {
      g.why_not[i] = why;
      continue;
    }
    const uint64_t bdb = *bdbs.begin();
    if (!index_of_bdb.contains(bdb)) {
      index_of_bdb[bdb] = static_cast<int>(g.databases.size());
      g.databases.push_back(DescribeBdb(d.ccs, bdb));
    }
    g.database_of[i] = index_of_bdb[bdb];
    g.databases[index_of_bdb[bdb]].shards.push_back(static_cast<int>(i));
  }
  // By uid, keeping database_of in step.
  std::vector<int> order(g.databases.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return g.databases[a].uid < g.databases[b].uid; });
  std::vector<int> new_index(order.size());
  std::vector<CcsBdb> sorted;
  for (size_t k = 0; k < order.size(); ++k) {
    new_index[order[k]] = static_cast<int>(k);
    sorted.push_back(std::move(g.databases[order[k]]));
  }
  g.databases = std::move(sorted);
  for (int& idx : g.database_of) {
    if (idx >= 0) idx = new_index[idx];
  }
  return g;
}

std::string LegacyPolicyMessage(const CcsBdb& db) {
  return "Redis Enterprise legacy hash-slot policy (slots 1-4096, crc12) is not supported: " +
         CcsGrouping::Describe(db) +
         " has hash_slots_policy=legacy in its CCS (shardkit places keys in the 16384 slots of "
         "open-source Redis Cluster by CRC16)";
}

}  // namespace shardkit::loader
