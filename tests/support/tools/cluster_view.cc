#include "tests/support/tools/cluster_view.h"

#include <charconv>

#include "formats/encodings/hash_slot.h"

namespace shardkit::testing::tools {

Result<Endpoint> ParseEndpoint(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Status::InvalidArgument("endpoint \"" + text + "\" is not host:port");
  }
  Endpoint e;
  e.host = text.substr(0, colon);
  const char* first = text.data() + colon + 1;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, e.port);
  if (ec != std::errc() || end != last || e.port <= 0 || e.port > 65535) {
    return Status::InvalidArgument("endpoint \"" + text + "\" has no valid port");
  }
  return e;
}

Result<std::unique_ptr<ClusterView>> ClusterView::Connect(const Endpoint& seed) {
  SK_ASSIGN_OR_RETURN(auto seed_client, RedisClient::Connect(seed.host, seed.port));
  SK_ASSIGN_OR_RETURN(RedisReply slots, seed_client->Command({"CLUSTER", "SLOTS"}));
  if (slots.is_error() || slots.kind != RedisReply::Kind::kArray) {
    return Status::InvalidArgument("CLUSTER SLOTS on " + seed.ToString() + ": " + slots.ToString());
  }
  std::unique_ptr<ClusterView> view(new ClusterView());
  constexpr size_t kNoOwner = ~size_t{0};
  view->slot_owner_.assign(formats::kSlotCount, kNoOwner);
  for (const RedisReply& range : slots.elements) {
    if (range.elements.size() < 3 || range.elements[2].elements.size() < 2) {
      return Status::InvalidArgument("CLUSTER SLOTS range " + range.ToString());
    }
    const RedisReply& node = range.elements[2];
    Endpoint e{node.elements[0].str, static_cast<int>(node.elements[1].integer)};
    if (e.host.empty()) e.host = seed.host;
    size_t index = view->masters_.size();
    for (size_t i = 0; i < view->masters_.size(); ++i) {
      if (view->masters_[i].ToString() == e.ToString()) index = i;
    }
    if (index == view->masters_.size()) view->masters_.push_back(e);
    const int64_t first = range.elements[0].integer;
    const int64_t last = range.elements[1].integer;
    if (first < 0 || last >= formats::kSlotCount || first > last) {
      return Status::InvalidArgument("CLUSTER SLOTS range " + range.ToString());
    }
    for (int64_t s = first; s <= last; ++s) view->slot_owner_[s] = index;
  }
  for (int s = 0; s < formats::kSlotCount; ++s) {
    if (view->slot_owner_[s] == kNoOwner) {
      return Status::InvalidArgument("slot " + std::to_string(s) + " has no master (seen from " +
                                     seed.ToString() + ")");
    }
  }
  for (const Endpoint& e : view->masters_) {
    SK_ASSIGN_OR_RETURN(auto c, RedisClient::Connect(e.host, e.port));
    view->clients_.push_back(std::move(c));
  }
  return view;
}

size_t ClusterView::OwnerOfKey(const std::string& key) const {
  return slot_owner_[formats::KeyHashSlot(key)];
}

std::vector<uint16_t> ClusterView::SlotsOf(size_t i) const {
  std::vector<uint16_t> out;
  for (int s = 0; s < formats::kSlotCount; ++s) {
    if (slot_owner_[s] == i) out.push_back(static_cast<uint16_t>(s));
  }
  return out;
}

RoutedPipeline::RoutedPipeline(ClusterView& view, size_t batch)
    : view_(view), batch_(batch), pending_(view.master_count(), 0) {}

Status RoutedPipeline::Send(const std::string& key, const std::vector<std::string>& args) {
  const size_t owner = view_.OwnerOfKey(key);
  SK_RETURN_IF_ERROR(view_.client(owner).Append(args));
  ++commands_sent_;
  if (++pending_[owner] >= batch_) {
    const size_t n = pending_[owner];
    pending_[owner] = 0;
    SK_RETURN_IF_ERROR(view_.client(owner).DrainReplies(n));
  }
  return Status::Ok();
}

Status RoutedPipeline::Flush() {
  for (size_t i = 0; i < pending_.size(); ++i) {
    const size_t n = pending_[i];
    pending_[i] = 0;
    SK_RETURN_IF_ERROR(view_.client(i).DrainReplies(n));
  }
  return Status::Ok();
}

}  // namespace shardkit::testing::tools
