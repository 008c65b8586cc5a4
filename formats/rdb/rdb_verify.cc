#include "formats/rdb/rdb_verify.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "formats/encodings/crc64.h"

namespace shardkit::formats::rdb {

namespace {

bool IsCollection(uint8_t type) {
  return type != kTypeString && type != kTypeModule2 && type != kTypeModulePreGa &&
         type != kTypeGcra;
}

// A read of a later piece (rdb_verify.h) refuses the records whose effect
// depends on what came before them in the file (AUX fields change the
// producer clues and the producer string; FUNCTION_PRE_GA adds an ordered
// warning; Enterprise and Valkey records): the piece is then read again
// with the whole file's state, or the reader before it reads on.
Status NotInLaterPiece(std::string_view what) {
  return Status::InvalidArgument(std::string(what) + " record: not read by a later piece's read");
}

class VerifyVisitor final : public RdbVisitor {
 public:
  // `stop` (later pieces' reads only, else null): when it becomes true the read
  // ends at the next key with an error (its result is no longer wanted).
  // `progress` (split reads, else null): the last key record's offset is
  // stored there (relaxed), for choosing which piece to split next.
  VerifyVisitor(RdbVerifyReport* report, bool deep, const std::atomic<bool>* stop = nullptr,
                std::atomic<uint64_t>* progress = nullptr)
      : report_(report), deep_(deep), stop_(stop), progress_(progress) {}
  Status OnHeader(const RdbHeader& header) override {
    report_->header = header;
    report_->header_read = true;
    magic_ = header.magic;
    return Status();
  }
  Status OnAux(std::string_view key, std::string_view value) override {
    if (stop_ != nullptr) return NotInLaterPiece("AUX");
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
    if (stop_ != nullptr) return NotInLaterPiece("FUNCTION_PRE_GA");
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
    return stop_ != nullptr ? NotInLaterPiece("Redis Enterprise") : Status();
  }
  Status OnSlotImport(std::string_view) override {
    return stop_ != nullptr ? NotInLaterPiece("SLOT_IMPORT") : Status();
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
      return Status::InvalidArgument("piece read stopped");
    }
    if (progress_ != nullptr) progress_->store(e.record_offset, std::memory_order_relaxed);
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
  // Adds a later piece's counts (before Finish).
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
  std::atomic<uint64_t>* progress_;
  Magic magic_ = Magic::kRedis;
  uint64_t elements_ = 0;
  std::array<uint64_t, 256> keys_per_type_byte_{};
  std::set<std::string> modules_;
};

// Resync: where a later piece's read may start. A candidate is a byte that can
// start a key's record (a type byte, a key prefix opcode, SELECTDB or
// RESIZEDB) from which kTrialKeys key records read soundly (deep mode: every
// element decoded) within the window, or the rest of the file up to its
// trailer does, none with an empty key. Values that hold bytes looking like
// records may still pass; the first read's exact landing check catches that
// (rdb_verify.h). Empty keys: a run of zero bytes (DEBUG POPULATE pads its
// values with them) reads as 3-byte records (type string, empty key, empty
// value) that fall back into the true frame right after the padding, so the
// resync landed 1-3 bytes before a true record start: on the 574 MB bench
// file, every split after the first of a 3-thread verify was discarded so.
// Skipping a true record with an empty key costs nothing: the next record
// start serves as well.
constexpr uint64_t kTrialKeys = 16;
constexpr size_t kScanBytes = 64 << 10;   // candidates tried from the scan start
constexpr size_t kWindowBytes = 1 << 20;  // bytes a trial may read

class TrialVisitor final : public RdbVisitor {
 public:
  Status OnAux(std::string_view, std::string_view) override { return NotInLaterPiece("AUX"); }
  Status OnFunctionPreGa(std::string_view, std::string_view) override {
    return NotInLaterPiece("FUNCTION_PRE_GA");
  }
  Status OnEnterpriseOpcode(uint8_t, uint64_t) override { return NotInLaterPiece("Enterprise"); }
  Status OnSlotImport(std::string_view) override { return NotInLaterPiece("SLOT_IMPORT"); }
  Status OnEntry(const RdbEntry& e) override {
    if (e.key.empty()) return Status::InvalidArgument("empty key: not a resync point");
    if (++keys_ < kTrialKeys) return Status();
    done_ = true;
    return Status::InvalidArgument("trial done");
  }
  bool done() const { return done_; }

 private:
  uint64_t keys_ = 0;
  bool done_ = false;
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

// One stretch of the file read by one thread: piece 0 from the header (the
// calling thread's read), every other from a record start a helper found.
struct Piece {
  Piece(uint64_t start_offset, bool deep)
      : start(start_offset), visitor(&counts, deep, &stop, &progress) {}
  const uint64_t start;
  std::atomic<bool> stop{false};      // orphaned, or the whole read failed
  std::atomic<uint64_t> progress{0};  // last key record read (relaxed)
  RdbVerifyReport counts;             // the visitor's counts (pieces > 0)
  VerifyVisitor visitor;
  std::unique_ptr<RdbSplit> watch;  // this piece's reader's RdbSplit
  RdbResumeState state;             // pieces > 0: where the read starts
  uint64_t watch_at = 0;            // the reader's last SplitOffset `at`
  // Guarded by SplitRead::mu_.
  bool running = true;
  Piece* landed_on = nullptr;  // the piece that starts where this one ended
  uint64_t end_crc = 0;        // Crc64 of [start, landed_on->start)
  // Written by the reading thread before `running` turns false.
  bool sound = false;  // read to the trailer or landed
  RdbSummary summary;
  uint64_t trailing_bytes = 0;
  uint64_t bytes_read = 0;
};

// The pieces of one split read and the threads reading them (rdb_verify.h).
// `live_` maps each kept piece's start to it; every live piece's reader
// watches the start of the next live piece. Decisions (split, land, discard)
// are taken under `mu_`; readers touch only their own Piece otherwise.
class SplitRead {
 public:
  SplitRead(const RdbVerifyOptions& options, uint64_t file_bytes);
  ~SplitRead() { StopAndJoin(); }
  SplitRead(const SplitRead&) = delete;
  SplitRead& operator=(const SplitRead&) = delete;

  // The calling thread's read (piece 0) watches through this.
  RdbSplit* first_watch() { return first_->watch.get(); }
  std::atomic<uint64_t>* first_progress() { return &first_->progress; }
  // After the calling thread's read ended: when it ended at a split
  // (landed), the calling thread helps until nothing is left to split;
  // then every helper is joined. Otherwise the helpers are stopped.
  void FinishFirst(bool landed);
  void StopAndJoin();
  // After FinishFirst: piece 0, and through landed_on the kept chain.
  const Piece& first() const { return *first_; }

  // PieceWatch's calls, on the piece's reading thread.
  void OnFirstKey(Piece* piece, const RdbResumeState& state);
  uint64_t SplitOffset(Piece* piece, uint64_t at);
  bool AtSplit(Piece* piece, const RdbResumeState* state);

 private:
  Piece* NewPiece(uint64_t start);
  bool LiveLocked(const Piece* piece) const;
  Piece* SuccessorLocked(const Piece* piece);
  void DiscardLocked(Piece* piece);
  void HelpLoop();
  // Splits the piece with the most left to read and reads the new piece;
  // false when there is nothing (more) worth splitting.
  bool SplitAndRead();
  void ReadPiece(Piece* piece, ByteReader* in);

  const RdbVerifyOptions& options_;
  const uint64_t file_bytes_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Piece>> pieces_;  // all of them, kept or not
  std::map<uint64_t, Piece*> live_;
  Piece* first_ = nullptr;
  RdbResumeState first_key_;  // the state every helper reads with
  // The first split (at scan_from or the middle) is taken by the first
  // helper; piece 0's reader waits for it at that offset (it takes the
  // helper ~10 ms, far less than reading half the file), so a split read of
  // a given file is split the same way every time.
  bool first_split_taken_ = false;
  bool first_split_pending_ = false;
  uint64_t first_target_ = 0;
  std::condition_variable first_split_resolved_;
  std::atomic<bool> stop_all_{false};
  std::vector<std::thread> helpers_;
};

class PieceWatch final : public RdbSplit {
 public:
  PieceWatch(SplitRead* owner, Piece* piece) : owner_(owner), piece_(piece) {}
  void OnFirstKey(const RdbResumeState& state) override { owner_->OnFirstKey(piece_, state); }
  uint64_t SplitOffset(uint64_t at) override { return owner_->SplitOffset(piece_, at); }
  bool AtSplit(const RdbResumeState* state) override { return owner_->AtSplit(piece_, state); }

 private:
  SplitRead* owner_;
  Piece* piece_;
};

SplitRead::SplitRead(const RdbVerifyOptions& options, uint64_t file_bytes)
    : options_(options), file_bytes_(file_bytes) {
  first_ = NewPiece(0);  // its counts go to the caller's visitor
  live_[0] = first_;
}

Piece* SplitRead::NewPiece(uint64_t start) {
  pieces_.push_back(std::make_unique<Piece>(start, options_.deep));
  Piece* piece = pieces_.back().get();
  piece->watch = std::make_unique<PieceWatch>(this, piece);
  return piece;
}

bool SplitRead::LiveLocked(const Piece* piece) const {
  auto it = live_.find(piece->start);
  return it != live_.end() && it->second == piece;
}

Piece* SplitRead::SuccessorLocked(const Piece* piece) {
  auto next = live_.upper_bound(piece->start);
  return next == live_.end() ? nullptr : next->second;
}

// The reader before `piece` went past its start: its resync was false (or
// the states differ). Its reader stops; what it read is never used.
void SplitRead::DiscardLocked(Piece* piece) {
  live_.erase(piece->start);
  piece->stop.store(true, std::memory_order_relaxed);
}

void SplitRead::OnFirstKey(Piece* piece, const RdbResumeState& state) {
  if (piece != first_) return;  // pieces > 0 start at keys already
  first_key_ = state;
  const uint64_t align = std::max<uint64_t>(options_.split.align_bytes, 1);
  first_target_ = options_.split.scan_from.value_or(file_bytes_ / 2);
  first_target_ -= first_target_ % align;
  if (first_target_ <= first_key_.offset || first_target_ >= file_bytes_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    first_split_pending_ = true;
  }
  first_->watch->offset.store(first_target_, std::memory_order_release);
  const int helpers = std::max(options_.split.threads, 1) - 1;
  for (int i = 0; i < helpers; ++i) helpers_.emplace_back([this] { HelpLoop(); });
}

uint64_t SplitRead::SplitOffset(Piece* piece, uint64_t at) {
  std::unique_lock<std::mutex> lock(mu_);
  if (piece == first_) first_split_resolved_.wait(lock, [this] { return !first_split_pending_; });
  piece->watch_at = at;
  for (;;) {
    Piece* next = LiveLocked(piece) ? SuccessorLocked(piece) : nullptr;
    const uint64_t target = next != nullptr ? next->start : UINT64_MAX;
    if (next == nullptr || next->start >= at) {
      piece->watch->offset.store(target, std::memory_order_release);
      return target;
    }
    DiscardLocked(next);  // this read went past its start
  }
}

bool SplitRead::AtSplit(Piece* piece, const RdbResumeState* state) {
  std::lock_guard<std::mutex> lock(mu_);
  Piece* next = LiveLocked(piece) ? SuccessorLocked(piece) : nullptr;
  // SplitOffset returned `at` (the start of the piece after this one); a
  // split taken since may have put a piece before it, which this read went
  // past.
  const uint64_t at = piece->watch_at;
  while (next != nullptr && next->start < at) {
    DiscardLocked(next);
    next = SuccessorLocked(piece);
  }
  if (next != nullptr && next->start == at &&
      (state == nullptr || !SameReadState(*state, first_key_))) {
    DiscardLocked(next);  // a prefix opcode pending, or the clues changed
    next = SuccessorLocked(piece);
  }
  if (next == nullptr || next->start != at || state == nullptr) {
    piece->watch->offset.store(next != nullptr ? next->start : UINT64_MAX,
                               std::memory_order_release);
    return false;
  }
  piece->landed_on = next;
  piece->end_crc = state->crc;
  return true;
}

void SplitRead::HelpLoop() {
  while (!stop_all_.load(std::memory_order_relaxed) && SplitAndRead()) {
  }
}

bool SplitRead::SplitAndRead() {
  uint64_t target = 0;
  bool first_split = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_all_.load(std::memory_order_relaxed)) return false;
    if (first_split_pending_ && !first_split_taken_) {
      first_split_taken_ = first_split = true;
      target = first_target_;
    } else {
      // The other helpers wait for the first split: until it is known,
      // piece 0 is the whole file and each of them would pick its middle.
      first_split_resolved_.wait(lock, [this] {
        return !first_split_pending_ || stop_all_.load(std::memory_order_relaxed);
      });
      if (stop_all_.load(std::memory_order_relaxed)) return false;
      // The running kept piece with the most bytes left before the next one.
      uint64_t best_left = 0;
      uint64_t best_from = 0;
      for (const auto& [start, piece] : live_) {
        if (!piece->running) continue;
        const Piece* next = SuccessorLocked(piece);
        const uint64_t end = next != nullptr ? next->start : file_bytes_;
        const uint64_t from =
            std::max({start, piece->progress.load(std::memory_order_relaxed), first_key_.offset});
        if (end > from && end - from > best_left) {
          best_left = end - from;
          best_from = from;
        }
      }
      if (best_left < std::max<uint64_t>(options_.split.min_steal_bytes, 1)) return false;
      const uint64_t align = std::max<uint64_t>(options_.split.align_bytes, 1);
      target = best_from + best_left / 2;
      target -= target % align;
      if (target <= first_key_.offset || target >= file_bytes_) return false;
    }
  }
  // Whatever happens below, piece 0's reader stops waiting for the first split.
  struct Resolve {
    SplitRead* self;
    bool first;
    ~Resolve() {
      if (!first) return;
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->first_split_pending_ = false;
      }
      self->first_split_resolved_.notify_all();
    }
  } resolve{this, first_split};
  Result<std::unique_ptr<ChunkSource>> source = options_.split.open_at(target);
  if (!source.ok()) return false;
  ByteReader in(source->get(), target);
  Result<ByteSpan> window = in.Peek(std::min<uint64_t>(kWindowBytes, file_bytes_ - target));
  if (!window.ok()) return false;
  std::optional<size_t> skip = FindRecordStart(*window, target, first_key_, options_);
  if (!skip.has_value() || !in.Skip(*skip).ok()) return false;  // this thread stops splitting
  const uint64_t start = target + *skip;
  Piece* piece = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_all_.load(std::memory_order_relaxed)) return false;
    auto it = live_.upper_bound(start);
    if (it == live_.begin()) return true;
    Piece* owner = std::prev(it)->second;  // the kept piece `start` falls in
    // Too late (the owner ended, landed on the piece after it, or read past
    // `start`), or already a piece there: choose again. A piece put in an
    // ended owner's range would be read for nothing, and its reader could
    // discard the kept piece after it.
    if (owner->start == start || !owner->running || owner->landed_on != nullptr ||
        owner->progress.load(std::memory_order_relaxed) >= start) {
      return true;
    }
    Piece* next = SuccessorLocked(owner);
    piece = NewPiece(start);
    piece->state = first_key_;
    piece->state.offset = start;
    piece->state.crc = 0;
    piece->watch->offset.store(next != nullptr ? next->start : UINT64_MAX,
                               std::memory_order_relaxed);
    live_[start] = piece;
    owner->watch->offset.store(start, std::memory_order_release);
    if (first_split) first_split_pending_ = false;
  }
  if (first_split) {
    resolve.first = false;
    first_split_resolved_.notify_all();
  }
  ReadPiece(piece, &in);
  return true;
}

void SplitRead::ReadPiece(Piece* piece, ByteReader* in) {
  RdbReadOptions read_options;
  read_options.deep = options_.deep;
  read_options.limits = options_.limits;
  read_options.verify_crc = false;  // the chain's CRC is checked as a whole
  read_options.resume = &piece->state;
  read_options.split = piece->watch.get();
  Result<RdbSummary> read = RdbReader(in, read_options).Read(&piece->visitor);
  bool sound = read.ok();
  uint64_t trailing = 0;
  if (sound && !read->split_at.has_value()) {
    for (;;) {  // bytes after the trailer, as VerifyRdb counts them
      Result<ByteSpan> more = in->ReadSome(1 << 20);
      if (!more.ok()) {
        sound = false;
        break;
      }
      if (more->empty()) break;
      trailing += more->size();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (sound) piece->summary = *read;
  piece->sound = sound;
  piece->trailing_bytes = trailing;
  piece->bytes_read = in->offset();
  piece->running = false;
}

void SplitRead::FinishFirst(bool landed) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    first_->running = false;
  }
  if (landed) {
    HelpLoop();
    for (std::thread& helper : helpers_) helper.join();
    helpers_.clear();
  } else {
    StopAndJoin();
  }
}

void SplitRead::StopAndJoin() {
  if (helpers_.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_all_.store(true, std::memory_order_relaxed);
    for (auto& piece : pieces_) piece->stop.store(true, std::memory_order_relaxed);
  }
  first_split_resolved_.notify_all();  // helpers waiting for the first split
  for (std::thread& helper : helpers_) helper.join();
  helpers_.clear();
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

// The report of a read that went on to the trailer (or failed); `in` is
// where it stopped. `enterprise_before`: Enterprise records read before the
// read began (a read resumed mid-file).
void FinishReport(const Result<RdbSummary>& summary, ByteReader* in, uint64_t enterprise_before,
                  VerifyVisitor* visitor, RdbVerifyReport* report) {
  visitor->Finish();
  if (!summary.ok()) {
    report->error = summary.status();
    ParseErrorLocation(report->error, &report->error_offset, &report->error_key);
    report->bytes_read = in->offset();
    return;
  }
  report->crc = summary->crc;
  report->vendor = summary->vendor;
  report->vendor_named_by = summary->vendor_named_by;
  report->enterprise_records = enterprise_before + summary->enterprise_records;
  report->crc_stored = summary->crc_stored;
  report->crc_computed = summary->crc_computed;
  report->end_offset = summary->end_offset;
  // Count what follows the trailer (an AOF tail, or garbage); bounded by the source.
  uint64_t trailing = 0;
  for (;;) {
    Result<ByteSpan> more = in->ReadSome(1 << 20);
    if (!more.ok()) {
      report->error = more.status();
      report->bytes_read = in->offset();
      return;
    }
    if (more->empty()) break;
    trailing += more->size();
  }
  report->trailing_bytes = trailing;
  report->bytes_read = in->offset();
  FinishSoundReport(visitor, report);
}

// The CRC status of a chain whose bytes up to the EOF opcode have Crc64
// `computed`: nullopt when it does not match the stored one (the one-thread
// read reports that as damage, so the last piece is read again).
std::optional<CrcStatus> ChainCrc(const RdbSummary& last, uint64_t computed) {
  if (last.crc == CrcStatus::kAbsent) return CrcStatus::kAbsent;
  if (last.crc_stored == 0) return CrcStatus::kDisabled;
  if (last.crc_stored != computed) return std::nullopt;
  return CrcStatus::kOk;
}

}  // namespace

RdbVerifyReport VerifyRdb(ChunkSource* source, const RdbVerifyOptions& options) {
  RdbVerifyReport report;
  std::unique_ptr<SplitRead> split;
  const std::optional<uint64_t> file_bytes = source->size();
  if (options.split.open_at && options.split.threads > 1 && file_bytes.has_value() &&
      *file_bytes >= options.split.min_bytes) {
    split = std::make_unique<SplitRead>(options, *file_bytes);
  }
  VerifyVisitor visitor(&report, options.deep, nullptr,
                        split != nullptr ? split->first_progress() : nullptr);
  ByteReader in(source);
  RdbReadOptions read_options;
  read_options.deep = options.deep;
  read_options.limits = options.limits;
  read_options.layout = options.layout;
  if (split != nullptr) read_options.split = split->first_watch();
  Result<RdbSummary> summary = RdbReader(&in, read_options).Read(&visitor);
  const bool landed = summary.ok() && summary->split_at.has_value();
  if (split != nullptr) split->FinishFirst(landed);
  if (!landed) {
    FinishReport(summary, &in, 0, &visitor, &report);
    return report;
  }
  // Walk the kept chain: piece 0 ended exactly where the next began, and so on.
  report.split_at = summary->split_at;
  const uint64_t enterprise = summary->enterprise_records;  // pieces > 0 refuse them
  uint64_t crc = summary->crc_computed;                     // bytes [0, split_at)
  const Piece* piece = split->first().landed_on;
  uint64_t pieces = 1;
  for (;; ++pieces) {
    if (!piece->sound) break;
    if (piece->landed_on != nullptr) {
      crc = Crc64Combine(crc, piece->end_crc, piece->landed_on->start - piece->start);
      visitor.Absorb(piece->visitor);
      piece = piece->landed_on;
      continue;
    }
    const RdbSummary& last = piece->summary;
    // The CRC covers bytes [0, eof_offset], the EOF opcode included (the
    // one-thread read reports it before RDB v5 too, where there is no trailer).
    const uint64_t whole = Crc64Combine(crc, last.crc_computed, last.eof_offset + 1 - piece->start);
    const std::optional<CrcStatus> crc_status = ChainCrc(last, whole);
    if (!crc_status.has_value()) break;
    visitor.Absorb(piece->visitor);
    visitor.Finish();
    report.pieces = pieces + 1;
    report.crc = *crc_status;
    report.vendor = last.vendor;
    report.vendor_named_by = last.vendor_named_by;
    report.enterprise_records = enterprise;
    report.crc_stored = last.crc_stored;
    report.crc_computed = whole;
    report.end_offset = last.end_offset;
    report.trailing_bytes = piece->trailing_bytes;
    report.bytes_read = piece->bytes_read;
    FinishSoundReport(&visitor, &report);
    return report;
  }
  // `piece` did not read soundly (damage, a record it refuses) or the CRC
  // does not match: read again from its start on this thread, as the
  // one-thread read goes on from there, with the CRC of the bytes before it.
  report.pieces = pieces;
  const uint64_t align = std::max<uint64_t>(options.split.align_bytes, 1);
  const uint64_t reopen_at = piece->start - piece->start % align;
  Result<std::unique_ptr<ChunkSource>> again = options.split.open_at(reopen_at);
  if (!again.ok()) {
    FinishReport(again.status(), &in, enterprise, &visitor, &report);
    return report;
  }
  ByteReader rest(again->get(), reopen_at);
  RdbResumeState resume = piece->state;
  resume.crc = crc;
  read_options.split = nullptr;
  read_options.resume = &resume;
  Status skipped = rest.Skip(piece->start - reopen_at);
  Result<RdbSummary> tail =
      skipped.ok() ? RdbReader(&rest, read_options).Read(&visitor) : Result<RdbSummary>(skipped);
  FinishReport(tail, &rest, enterprise, &visitor, &report);
  return report;
}

}  // namespace shardkit::formats::rdb
