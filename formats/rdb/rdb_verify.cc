#include "formats/rdb/rdb_verify.h"

#include <algorithm>
#include <array>
#include <set>
#include <thread>

#include "formats/encodings/crc64.h"

namespace shardkit::formats::rdb {

namespace {

bool IsCollection(uint8_t type) {
  return type != kTypeString && type != kTypeModule2 && type != kTypeModulePreGa &&
         type != kTypeGcra;
}

// A back-half read (rdb_verify.h) refuses the records whose effect depends
// on what came before them in the file (AUX fields change the producer
// clues and the producer string; FUNCTION_PRE_GA adds an ordered warning;
// Enterprise and Valkey records): the first read then reads on instead.
Status NotInBackHalf(std::string_view what) {
  return Status::InvalidArgument(std::string(what) + " record: not read by a back-half read");
}

class VerifyVisitor final : public RdbVisitor {
 public:
  // `stop` (back-half reads only, else null): when it becomes true the read
  // ends at the next key with an error (its result is no longer wanted).
  VerifyVisitor(RdbVerifyReport* report, bool deep, const std::atomic<bool>* stop = nullptr)
      : report_(report), deep_(deep), stop_(stop) {}
  Status OnHeader(const RdbHeader& header) override {
    report_->header = header;
    report_->header_read = true;
    magic_ = header.magic;
    return Status();
  }
  Status OnAux(std::string_view key, std::string_view value) override {
    if (stop_ != nullptr) return NotInBackHalf("AUX");
    if (key == "valkey-ver") {
      report_->producer = "valkey " + std::string(value);
    } else if (key == "redis-ver" && report_->producer.rfind("valkey", 0) != 0) {
      report_->producer = "redis " + std::string(value);
    }
    return Status();
  }
  Status OnFunction(std::string_view) override {
    ++report_->functions;
    return Status();
  }
  Status OnFunctionPreGa(std::string_view name, std::string_view) override {
    if (stop_ != nullptr) return NotInBackHalf("FUNCTION_PRE_GA");
    ++report_->functions;
    Warn("FUNCTION_PRE_GA record (Redis 7.0 RC format, refused by GA Redis): " +
         std::string(name));
    return Status();
  }
  Status OnModuleAux(uint64_t id, std::string_view) override {
    modules_.insert(ModuleIdName(id));
    return Status();
  }
  Status OnEnterpriseOpcode(uint8_t, uint64_t) override {
    return stop_ != nullptr ? NotInBackHalf("Redis Enterprise") : Status();
  }
  Status OnSlotImport(std::string_view) override {
    return stop_ != nullptr ? NotInBackHalf("SLOT_IMPORT") : Status();
  }
  Status OnEntryStart(const RdbEntry&) override {
    elements_ = 0;
    return Status();
  }
  Status OnElement(const RdbEntry&, const RdbElement&) override {
    ++elements_;
    return Status();
  }
  Status OnEntry(const RdbEntry& e) override {
    if (stop_ != nullptr && stop_->load(std::memory_order_relaxed)) {
      return Status::InvalidArgument("back-half read stopped");
    }
    ++report_->keys;
    // Counted by type byte, named once in Finish(): a map lookup by name per
    // key (building the name, comparing strings) was 9% of verify's CPU on
    // 5M small keys.
    ++keys_per_type_byte_[e.type];
    if (e.expire_ms.has_value()) ++report_->keys_with_expiry;
    if (!e.module_name.empty()) modules_.insert(e.module_name);
    if (deep_ && elements_ == 0 && IsCollection(e.type)) {
      ++report_->empty_keys;
    }
    return Status();
  }
  // Adds a back half's counts (before Finish).
  void Absorb(const VerifyVisitor& back) {
    for (size_t type = 0; type < keys_per_type_byte_.size(); ++type) {
      keys_per_type_byte_[type] += back.keys_per_type_byte_[type];
    }
    modules_.insert(back.modules_.begin(), back.modules_.end());
    report_->keys += back.report_->keys;
    report_->keys_with_expiry += back.report_->keys_with_expiry;
    report_->empty_keys += back.report_->empty_keys;
    report_->functions += back.report_->functions;
  }
  void Finish() {
    for (size_t type = 0; type < keys_per_type_byte_.size(); ++type) {
      if (keys_per_type_byte_[type] == 0) continue;
      report_->keys_per_type[TypeName(static_cast<uint8_t>(type), magic_)] +=
          keys_per_type_byte_[type];
    }
    report_->modules.assign(modules_.begin(), modules_.end());
    if (report_->empty_keys > 0) {
      Warn(std::to_string(report_->empty_keys) +
           " empty collection key(s); Redis skips them when loading");
    }
  }
  void Warn(std::string text) {
    if (report_->warnings.size() < 100) report_->warnings.push_back(std::move(text));
  }

 private:
  RdbVerifyReport* report_;
  bool deep_;
  const std::atomic<bool>* stop_;
  Magic magic_ = Magic::kRedis;
  uint64_t elements_ = 0;
  std::array<uint64_t, 256> keys_per_type_byte_{};
  std::set<std::string> modules_;
};

// Resync: where a back-half read may start. A candidate is a byte that can
// start a key's record (a type byte, a key prefix opcode, SELECTDB or
// RESIZEDB) from which kTrialKeys key records read soundly (deep mode: every
// element decoded) within the window, or the rest of the file up to its
// trailer does. Values that hold bytes looking like records may still pass;
// the first read's exact landing check catches that (rdb_verify.h).
constexpr uint64_t kTrialKeys = 16;
constexpr size_t kScanBytes = 64 << 10;   // candidates tried from the scan start
constexpr size_t kWindowBytes = 1 << 20;  // bytes a trial may read

class TrialVisitor final : public RdbVisitor {
 public:
  Status OnAux(std::string_view, std::string_view) override { return NotInBackHalf("AUX"); }
  Status OnFunctionPreGa(std::string_view, std::string_view) override {
    return NotInBackHalf("FUNCTION_PRE_GA");
  }
  Status OnEnterpriseOpcode(uint8_t, uint64_t) override { return NotInBackHalf("Enterprise"); }
  Status OnSlotImport(std::string_view) override { return NotInBackHalf("SLOT_IMPORT"); }
  Status OnEntry(const RdbEntry&) override {
    if (++keys_ < kTrialKeys) return Status();
    return Status::InvalidArgument("trial done");
  }
  bool done() const { return keys_ >= kTrialKeys; }

 private:
  uint64_t keys_ = 0;
};

bool CanStartBackHalf(uint8_t op, const ProducerClues& clues) {
  const bool opens = op == kOpSelectDb || op == kOpResizeDb || op == kOpExpireTime ||
                     op == kOpExpireTimeMs || op == kOpIdle || op == kOpFreq ||
                     IsKnownType(op, clues.header);
  return opens && JudgeRecordByte(op, clues) == RecordByteVerdict::kRead;
}

// The offset within `window` (which starts at file offset `base`) of the
// first candidate record start, or nullopt.
std::optional<size_t> FindRecordStart(ByteSpan window, uint64_t base, const RdbResumeState& state,
                                      const RdbVerifyOptions& options) {
  const size_t scan = std::min(window.size(), kScanBytes);
  for (size_t p = 0; p < scan; ++p) {
    if (!CanStartBackHalf(static_cast<uint8_t>(window[p]), state.clues)) continue;
    MemoryChunkSource trial_source(window.subspan(p), window.size());
    ByteReader trial_in(&trial_source, base + p);
    RdbReadOptions read_options;
    read_options.deep = options.deep;
    read_options.limits = options.limits;
    read_options.verify_crc = false;
    read_options.resume = &state;
    TrialVisitor trial;
    Result<RdbSummary> read = RdbReader(&trial_in, read_options).Read(&trial);
    if (read.ok() || trial.done()) return p;
  }
  return std::nullopt;
}

// The second thread of a split read and the first thread's side of the
// handshake (RdbSplit). Phases:
//  1. OnFirstKey (first thread, once its read reaches the first key):
//     start the second thread with the state records are read with.
//  2. Second thread: open the file at the scan start, resync (above),
//     publish the record start in `offset`, read to the trailer with a
//     back-half VerifyVisitor, then count the bytes after the trailer.
//  3. AtSplit (first thread, at the first record start at or past
//     `offset`): join the second thread; end the first read there only if
//     it landed exactly, the states agree, the back half read soundly and
//     the CRC-64s combine to the stored one.
// Any failure of the second thread (open, resync, damage, a refused record)
// leaves `offset` unreached or makes AtSplit say no: the first read reads on.
class BackHalf final : public RdbSplit {
 public:
  BackHalf(const RdbVerifyOptions& options, uint64_t file_bytes)
      : options_(options), file_bytes_(file_bytes), visitor_(&report_, options.deep, &stop_) {}
  ~BackHalf() override { Join(); }
  BackHalf(const BackHalf&) = delete;
  BackHalf& operator=(const BackHalf&) = delete;

  void OnFirstKey(const RdbResumeState& state) override {
    state_ = state;
    offset.store(ScanFrom(), std::memory_order_release);
    thread_ = std::thread([this] {
      Run();
      resolved_.store(true, std::memory_order_release);
      resolved_.notify_all();
    });
  }
  uint64_t SplitOffset() override {
    resolved_.wait(false, std::memory_order_acquire);
    return offset.load(std::memory_order_acquire);
  }
  bool AtSplit(const RdbResumeState* state) override {
    if (state == nullptr) stop_ = true;
    Join();
    return state != nullptr && sound_ && SameReadState(*state, state_) && CrcAgrees(state->crc);
  }
  // Stops and joins the second thread (the first read ended before the split).
  void Join() {
    if (!thread_.joinable()) return;
    thread_.join();
  }
  void Stop() { stop_ = true; }
  const RdbSummary& summary() const { return summary_; }
  const VerifyVisitor& visitor() const { return visitor_; }
  CrcStatus crc() const { return crc_; }
  uint64_t crc_computed() const { return crc_computed_; }
  uint64_t trailing_bytes() const { return trailing_bytes_; }
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  // Resyncs, publishes the record start (or UINT64_MAX) in `offset`, then
  // reads from it to the end.
  void Run();
  uint64_t ScanFrom() const {
    const uint64_t align = std::max<uint64_t>(options_.split.align_bytes, 1);
    const uint64_t scan_from = options_.split.scan_from.value_or(file_bytes_ / 2);
    return scan_from - scan_from % align;
  }
  bool CrcAgrees(uint64_t crc_front);

  const RdbVerifyOptions& options_;
  const uint64_t file_bytes_;
  RdbResumeState state_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> resolved_{false};  // `offset` holds the record start or UINT64_MAX
  std::thread thread_;
  // Written by the second thread, read after Join().
  RdbVerifyReport report_;  // the back-half visitor's counts only
  VerifyVisitor visitor_;
  bool sound_ = false;
  RdbSummary summary_;
  uint64_t start_ = 0;
  uint64_t trailing_bytes_ = 0;
  uint64_t bytes_read_ = 0;
  // Set by AtSplit.
  CrcStatus crc_ = CrcStatus::kAbsent;
  uint64_t crc_computed_ = 0;
};

void BackHalf::Run() {
  // Until a record start is published, `offset` says "none" to SplitOffset.
  struct Unresolved {
    std::atomic<uint64_t>* offset;
    bool published = false;
    ~Unresolved() {
      if (!published) offset->store(UINT64_MAX, std::memory_order_release);
    }
  } unresolved{&offset};
  const uint64_t scan_from = ScanFrom();
  if (scan_from <= state_.offset || scan_from >= file_bytes_) return;
  Result<std::unique_ptr<ChunkSource>> source = options_.split.open_at(scan_from);
  if (!source.ok()) return;
  ByteReader in(source->get(), scan_from);
  Result<ByteSpan> window = in.Peek(std::min<uint64_t>(kWindowBytes, file_bytes_ - scan_from));
  if (!window.ok()) return;
  std::optional<size_t> skip = FindRecordStart(*window, scan_from, state_, options_);
  if (!skip.has_value() || !in.Skip(*skip).ok()) return;
  start_ = scan_from + *skip;
  state_.offset = start_;
  offset.store(start_, std::memory_order_release);
  unresolved.published = true;
  resolved_.store(true, std::memory_order_release);
  resolved_.notify_all();
  RdbReadOptions read_options;
  read_options.deep = options_.deep;
  read_options.limits = options_.limits;
  read_options.verify_crc = false;  // checked over the whole file in AtSplit
  read_options.resume = &state_;
  Result<RdbSummary> read = RdbReader(&in, read_options).Read(&visitor_);
  if (!read.ok()) return;
  summary_ = *read;
  for (;;) {  // bytes after the trailer, as VerifyRdb counts them
    Result<ByteSpan> more = in.ReadSome(1 << 20);
    if (!more.ok()) return;
    if (more->empty()) break;
    trailing_bytes_ += more->size();
  }
  bytes_read_ = in.offset();
  sound_ = true;
}

bool BackHalf::CrcAgrees(uint64_t crc_front) {
  // The CRC covers bytes [0, eof_offset], the EOF opcode included (the
  // one-thread read reports it before RDB v5 too, where there is no trailer).
  crc_computed_ = Crc64Combine(crc_front, summary_.crc_computed, summary_.eof_offset + 1 - start_);
  crc_ = summary_.crc;
  if (crc_ == CrcStatus::kAbsent) return true;
  if (summary_.crc_stored == 0) {
    crc_ = CrcStatus::kDisabled;
    return true;
  }
  crc_ = CrcStatus::kOk;
  return summary_.crc_stored == crc_computed_;
}

}  // namespace

void ParseErrorLocation(const Status& error, std::optional<uint64_t>* offset, std::string* key) {
  std::string_view msg = error.message();
  size_t at = msg.find("offset 0x");
  if (at != std::string_view::npos) {
    uint64_t v = 0;
    size_t i = at + 9;
    bool any = false;
    for (; i < msg.size(); ++i) {
      char c = msg[i];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) break;
      v = v * 16 + static_cast<uint64_t>(d);
      any = true;
    }
    if (any) *offset = v;
  }
  size_t k = msg.rfind("(key \"");
  if (k != std::string_view::npos) {
    size_t start = k + 6;
    size_t end = msg.find("\", ", start);
    if (end == std::string_view::npos) end = msg.find("\")", start);
    if (end != std::string_view::npos) *key = std::string(msg.substr(start, end - start));
  }
}

namespace {

void FinishSoundReport(VerifyVisitor* visitor, RdbVerifyReport* report) {
  if (report->trailing_bytes > 0) {
    visitor->Warn(std::to_string(report->trailing_bytes) +
                  " bytes after the RDB trailer (not read by Redis)");
  }
  if (report->crc == CrcStatus::kDisabled) {
    visitor->Warn("checksum disabled by the writer (stored CRC64 is 0): not checked");
  }
  report->ok = true;
}

}  // namespace

RdbVerifyReport VerifyRdb(ChunkSource* source, const RdbVerifyOptions& options) {
  RdbVerifyReport report;
  VerifyVisitor visitor(&report, options.deep);
  ByteReader in(source);
  RdbReadOptions read_options;
  read_options.deep = options.deep;
  read_options.limits = options.limits;
  read_options.layout = options.layout;
  std::unique_ptr<BackHalf> back;
  const std::optional<uint64_t> file_bytes = source->size();
  if (options.split.open_at && file_bytes.has_value() && *file_bytes >= options.split.min_bytes) {
    back = std::make_unique<BackHalf>(options, *file_bytes);
    read_options.split = back.get();
  }
  RdbReader reader(&in, read_options);
  Result<RdbSummary> summary = reader.Read(&visitor);
  if (back != nullptr) {
    back->Stop();  // a no-op when it already finished
    back->Join();
  }
  if (summary.ok() && summary->split_at.has_value()) {
    // Both halves read soundly and the first ended exactly where the second began.
    visitor.Absorb(back->visitor());
    visitor.Finish();
    const RdbSummary& rest = back->summary();
    report.split_at = summary->split_at;
    report.crc = back->crc();
    report.vendor = rest.vendor;
    report.vendor_named_by = rest.vendor_named_by;
    report.enterprise_records = summary->enterprise_records;
    report.crc_stored = rest.crc_stored;
    report.crc_computed = back->crc_computed();
    report.end_offset = rest.end_offset;
    report.trailing_bytes = back->trailing_bytes();
    report.bytes_read = back->bytes_read();
    FinishSoundReport(&visitor, &report);
    return report;
  }
  visitor.Finish();
  if (!summary.ok()) {
    report.error = summary.status();
    ParseErrorLocation(report.error, &report.error_offset, &report.error_key);
    report.bytes_read = in.offset();
    return report;
  }
  report.crc = summary->crc;
  report.vendor = summary->vendor;
  report.vendor_named_by = summary->vendor_named_by;
  report.enterprise_records = summary->enterprise_records;
  report.crc_stored = summary->crc_stored;
  report.crc_computed = summary->crc_computed;
  report.end_offset = summary->end_offset;
  // Count what follows the trailer (an AOF tail, or garbage); bounded by the source.
  uint64_t trailing = 0;
  for (;;) {
    Result<ByteSpan> more = in.ReadSome(1 << 20);
    if (!more.ok()) {
      report.error = more.status();
      report.bytes_read = in.offset();
      return report;
    }
    if (more->empty()) break;
    trailing += more->size();
  }
  report.trailing_bytes = trailing;
  report.bytes_read = in.offset();
  FinishSoundReport(&visitor, &report);
  return report;
}

}  // namespace shardkit::formats::rdb
