#include "formats/rdb/rdb_salvage.h"

#include <bitset>
#include <memory>
#include <set>

#include "formats/rdb/rdb_salvage_window.h"
#include "formats/rdb/rdb_writer.h"

namespace shardkit::formats::rdb {

namespace {

// Hash of (db, key) for duplicate detection: FNV-1a, then a 64-bit finaliser
// so that similar keys spread over the open-addressing table.
uint64_t KeyHash(uint64_t db, std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ull ^ db;
  for (char c : key) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h == 0 ? 1 : h;
}

// A set of non-zero 64-bit hashes: linear probing, at most half full
// (16 bytes per key at worst).
class HashSet {
 public:
  bool Contains(uint64_t h) const {
    if (slots_.empty()) return false;
    for (size_t i = h & mask();; i = (i + 1) & mask()) {  // ends: never full
      if (slots_[i] == h) return true;
      if (slots_[i] == 0) return false;
    }
  }
  void Insert(uint64_t h) {
    if (2 * (count_ + 1) > slots_.size()) Grow();
    for (size_t i = h & mask();; i = (i + 1) & mask()) {  // ends: never full
      if (slots_[i] == h) return;
      if (slots_[i] == 0) {
        slots_[i] = h;
        ++count_;
        return;
      }
    }
  }

 private:
  size_t mask() const { return slots_.size() - 1; }
  void Grow() {
    std::vector<uint64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
    count_ = 0;
    for (uint64_t h : old) {
      if (h != 0) Insert(h);
    }
  }
  std::vector<uint64_t> slots_;
  size_t count_ = 0;
};

// Encodings a producer of RDB >= 7 (Redis >= 3.2) never writes, and those
// Redis 7.0 (RDB >= 10) stopped writing; a resync candidate using one is a
// misreading unless the file used the type before the damage.
bool LegacyType(uint8_t type, int version) {
  if (version >= 7 && (type == kTypeList || type == kTypeZset || type == kTypeModulePreGa ||
                       type == kTypeHashZipmap || type == kTypeListZiplist)) {
    return true;
  }
  return version >= 10 &&
         (type == kTypeZsetZiplist || type == kTypeHashZiplist || type == kTypeListQuicklist);
}

// A key for a message: at most 64 bytes, non-printable bytes as \xNN.
std::string Printable(std::string_view key) {
  std::string out;
  for (size_t i = 0; i < key.size() && i < 64; ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    }
  }
  if (key.size() > 64) out += "...";
  return out;
}

constexpr int64_t kMaxPlausibleExpireMs = int64_t{1} << 48;
constexpr int kCandidateEntries = 3;
constexpr uint64_t kMinFirstRecordBytes = 6;
constexpr uint64_t kPlausibleDbs = 16;

// One salvage run. It is the visitor of the main (writing) reads; resync
// candidates are read with CandidateVisitor.
class Salvager final : public RdbVisitor {
 public:
  Salvager(ChunkSource* source, ChunkSink* sink, const RdbSalvageOptions& options)
      : sink_(sink),
        options_(options),
        window_(source, std::max(options.max_record_bytes, options.lookahead_bytes)) {}

  Result<RdbSalvageReport> Run();

  // RdbVisitor (main reads).
  Status OnHeader(const RdbHeader& header) override;
  Status OnAux(std::string_view key, std::string_view value) override;
  Status OnSelectDb(uint64_t db) override;
  Status OnResizeDb(uint64_t db_size, uint64_t expires_size) override;
  Status OnSlotInfo(uint64_t, uint64_t, uint64_t) override { return Boundary(); }
  Status OnFunction(std::string_view library_code) override;
  Status OnFunctionPreGa(std::string_view name, std::string_view code) override;
  Status OnModuleAux(uint64_t module_id, std::string_view raw) override;
  Status OnSlotImport(std::string_view) override { return Boundary(); }
  // Part of the next key's record (no Boundary): never written.
  Status OnEnterpriseOpcode(uint8_t, uint64_t) override {
    ++report_.enterprise_records_dropped;
    return Status();
  }
  Status OnEntryStart(const RdbEntry&) override {
    elements_ = 0;
    return Status();
  }
  Status OnElement(const RdbEntry&, const RdbElement&) override {
    ++elements_;
    return Status();
  }
  Status OnEntry(const RdbEntry& entry) override;

 private:
  class CandidateVisitor;
  class SelectScanVisitor;
  struct Pending {
    RdbEntry entry;
    uint64_t hash = 0;
  };

  // Reads records from `from` (0: the real header) until EOF or damage.
  Status ReadFrom(uint64_t from);
  Producer ResyncLayout() const;
  // After a failed ReadFrom: where the damage starts (also settles the
  // held-back record).
  Result<uint64_t> SettleDamage(const Status& error, std::string* reason);
  Result<std::optional<uint64_t>> FindResync(uint64_t after);
  // `from` starts key records past db_'s RESIZEDB count after damage (the
  // main read stopped there, or a resync candidate there verified only
  // without the count): true when the records from there verify up to a
  // SELECTDB of db_ + 2, so (every SELECTDB so far having named a higher db,
  // as Redis writes them) they are db_ + 1's; db_ is then that.
  Result<bool> InferLostDb(uint64_t from);
  // A verified candidate: where its first key record ends, and its key.
  struct Candidate {
    uint64_t first_end = 0;
    uint64_t first_hash = 0;
    std::set<uint64_t> boundaries;  // first byte and end of each key record read
  };
  Result<std::optional<Candidate>> TryCandidate(uint64_t offset, bool ignore_count = false);
  // Reads the source from `from` (behind the header's bytes, so the reader
  // knows the version), deep, without the CRC, at most lookahead_bytes, into
  // `visitor`. The outer Result is the window's I/O error; the inner one is
  // the read's own outcome (a candidate's rejection is an error there).
  Result<Result<RdbSummary>> ReadAhead(uint64_t from, RdbVisitor* visitor);
  // The last TryCandidate rejected a key record only for exceeding the
  // current db's RESIZEDB count.
  bool last_count_rejected_ = false;
  bool PlausibleType(uint8_t type) const;
  // The type exists in the source's RDB version (a type of a later version
  // is a misreading; the writer, at the source's version, cannot hold it).
  bool TypeOfThisVersion(uint8_t type) const;
  // True when `more` further keys would exceed db_'s RESIZEDB count after a
  // damaged region (before any damage the count is only a producer's hint).
  bool TooManyKeysInDb(uint64_t more) const {
    return damage_seen_ && db_size_hint_.has_value() && db_reads_ + more > *db_size_hint_;
  }
  Status Boundary();
  Status Fail(Status s);
  Status FlushPending();
  Status WriteKept(const Pending& pending);
  // Drops the record at `entry` (it parsed but cannot be a sound one) and
  // stops the read there with `what` as the damage reason.
  Status DropParsed(const RdbEntry& entry, const std::string& what);

  ChunkSink* sink_;
  const RdbSalvageOptions& options_;
  ProducerClues clues_;  // AUX fields kept so far: the producer a resync reads as
  SourceWindow window_;
  std::unique_ptr<RdbWriter> writer_;
  RdbSalvageReport report_;
  std::string header_bytes_;
  ByteReader* in_ = nullptr;   // the main read's cursor, during ReadFrom
  uint64_t record_start_ = 0;  // first byte of the record being read
  uint64_t db_ = 0;
  uint64_t max_db_ = 0;                   // highest db selected before
  uint64_t db_reads_ = 0;                 // key records read in db_ (kept or not)
  uint64_t elements_ = 0;                 // decoded elements of the record being read
  std::optional<uint64_t> db_size_hint_;  // db_'s RESIZEDB count
  std::optional<uint64_t> written_db_;
  std::optional<Pending> pending_;
  HashSet kept_;
  std::bitset<256> seen_types_;
  Status fatal_;                        // sink/writer failure: stop
  std::optional<uint64_t> dup_damage_;  // visitor-detected damage start
  std::string dup_reason_;
  // Set when the main read stopped at a key whose SELECTDB was lost.
  std::optional<uint64_t> lost_select_at_;
  std::string lost_select_reason_;
  std::optional<uint64_t> last_selected_;  // db of the last SELECTDB read
  bool dbs_ascending_ = true;              // every SELECTDB so far named a higher db
  uint64_t resize_sum_ = 0;
  bool resize_seen_ = false;
  bool damage_seen_ = false;  // a damaged region was found
};

// Reads a resync candidate: only records that occur between key records
// (SELECTDB, RESIZEDB, key records with their prefix opcodes, EOF) may
// appear; each key record is checked against the file and the keys kept; the
// read stops after kCandidateEntries key records.
class Salvager::CandidateVisitor final : public RdbVisitor {
 public:
  // `ignore_count`: do not reject a key record for exceeding the current
  // db's RESIZEDB count (the caller then checks InferLostDb).
  CandidateVisitor(const Salvager* salvager, bool ignore_count)
      : s_(salvager), db_(salvager->db_), ignore_count_(ignore_count) {}
  bool count_rejected() const { return count_rejected_; }
  bool complete() const { return entries_ >= kCandidateEntries; }
  // End of the first key record (0 if none was read), and its key hash.
  uint64_t first_end() const { return first_end_; }
  uint64_t first_hash() const { return hashes_[0]; }
  const std::set<uint64_t>& boundaries() const { return boundaries_; }

  Status OnAux(std::string_view, std::string_view) override { return Reject(); }
  Status OnFunction(std::string_view) override { return Reject(); }
  Status OnFunctionPreGa(std::string_view, std::string_view) override { return Reject(); }
  Status OnModuleAux(uint64_t, std::string_view) override { return Reject(); }
  Status OnSlotInfo(uint64_t, uint64_t, uint64_t) override { return Reject(); }
  Status OnSlotImport(std::string_view) override { return Reject(); }
  Status OnSelectDb(uint64_t db) override {
    if (db > std::max<uint64_t>(kPlausibleDbs - 1, s_->max_db_)) return Reject();
    db_ = db;
    selected_ = true;
    return Status();
  }
  Status OnEntryStart(const RdbEntry& e) override {
    if (e.key.empty() || !s_->PlausibleType(e.type)) return Reject();
    if (!ignore_count_ && !selected_ && s_->TooManyKeysInDb(static_cast<uint64_t>(entries_) + 1)) {
      count_rejected_ = true;
      return Reject();
    }
    if (e.expire_ms.has_value() && (*e.expire_ms < 0 || *e.expire_ms >= kMaxPlausibleExpireMs)) {
      return Reject();
    }
    const uint64_t h = KeyHash(db_, e.key);
    if (s_->kept_.Contains(h)) return Reject();
    for (int i = 0; i < entries_; ++i) {
      if (hashes_[i] == h) return Reject();
    }
    hashes_[entries_] = h;
    return Status();
  }
  Status OnElement(const RdbEntry&, const RdbElement&) override {
    ++elements_;
    return Status();
  }
  Status OnEntry(const RdbEntry& e) override {
    if (elements_ == 0) return Reject();  // an empty collection: see Salvager::OnEntry
    elements_ = 0;
    const uint64_t end = e.value_offset + e.value_bytes;
    boundaries_.insert(e.record_offset);
    boundaries_.insert(end);
    if (entries_ == 0) {
      // A record this small is as often a chance reading of a damaged tail.
      if (end - e.record_offset < kMinFirstRecordBytes) return Reject();
      first_end_ = end;
    }
    if (++entries_ >= kCandidateEntries) return Status::Corruption("candidate verified");
    return Status();
  }

 private:
  static Status Reject() { return Status::Corruption("candidate rejected"); }
  const Salvager* s_;
  uint64_t db_;
  bool selected_ = false;  // the candidate read a SELECTDB
  bool ignore_count_;
  bool count_rejected_ = false;
  int entries_ = 0;
  uint64_t elements_ = 0;  // decoded elements of the current key record
  uint64_t hashes_[kCandidateEntries] = {};
  uint64_t first_end_ = 0;
  std::set<uint64_t> boundaries_;
};

bool Salvager::TypeOfThisVersion(uint8_t type) const {
  const int first = FirstVersionWithType(type);
  return IsKnownType(type, report_.header) && first != 0 && first <= report_.header.version;
}

bool Salvager::PlausibleType(uint8_t type) const {
  if (seen_types_[type]) return true;
  return TypeOfThisVersion(type) && !LegacyType(type, report_.header.version);
}

Status Salvager::Fail(Status s) {
  if (!s.ok() && fatal_.ok()) fatal_ = s;
  return s;
}

// Marks the end of a complete record: the window may let go of what is before.
Status Salvager::Boundary() {
  record_start_ = in_->offset();
  window_.Release(record_start_);
  return Status();
}

Status Salvager::OnHeader(const RdbHeader& header) {
  report_.header = header;
  header_bytes_ = FormatMagic(header);
  if (writer_ == nullptr) {
    if (header.magic != Magic::kRedis) {
      return Fail(Status::NotSupported(window_.name() + ": salvage writes Redis RDB files; " +
                                       DescribeVersion(header) + " is not writable"));
    }
    RdbWriterOptions wo;
    wo.version = std::max(header.version, RdbWriter::kMinWritableVersion);
    if (wo.version != header.version) {
      report_.warnings.push_back("source " + DescribeVersion(header) + " written as RDB v" +
                                 std::to_string(wo.version));
    }
    auto writer = RdbWriter::Create(sink_, wo);
    if (!writer.ok()) return Fail(writer.status());
    writer_ = std::move(*writer);
  }
  return Boundary();
}

Status Salvager::OnAux(std::string_view key, std::string_view value) {
  if (key == "redis-ver" || key == "valkey-ver") report_.producer = std::string(value);
  clues_.NoteAux(key, value);
  SK_RETURN_IF_ERROR(FlushPending());
  SK_RETURN_IF_ERROR(Fail(writer_->WriteAux(key, value)));
  ++report_.aux_kept;
  return Boundary();
}

Status Salvager::OnSelectDb(uint64_t db) {
  if (last_selected_.has_value() && db <= *last_selected_) dbs_ascending_ = false;
  last_selected_ = db;
  db_ = db;
  max_db_ = std::max(max_db_, db);
  db_reads_ = 0;
  db_size_hint_.reset();
  return Boundary();
}

Status Salvager::OnResizeDb(uint64_t db_size, uint64_t) {
  resize_sum_ += db_size;
  resize_seen_ = true;
  db_size_hint_ = db_size;
  return Boundary();
}

Status Salvager::OnFunction(std::string_view library_code) {
  SK_RETURN_IF_ERROR(FlushPending());
  SK_RETURN_IF_ERROR(Fail(writer_->WriteFunction(library_code)));
  ++report_.functions_kept;
  return Boundary();
}

Status Salvager::OnFunctionPreGa(std::string_view name, std::string_view) {
  report_.warnings.push_back("FUNCTION_PRE_GA record '" + std::string(name) +
                             "' not carried (GA Redis refuses it)");
  return Boundary();
}

Status Salvager::OnModuleAux(uint64_t, std::string_view raw) {
  SK_RETURN_IF_ERROR(FlushPending());
  SK_RETURN_IF_ERROR(Fail(writer_->WriteModuleAux(raw)));
  return Boundary();
}

Status Salvager::WriteKept(const Pending& pending) {
  if (written_db_ != pending.entry.db) {
    SK_RETURN_IF_ERROR(Fail(writer_->WriteSelectDb(pending.entry.db)));
    written_db_ = pending.entry.db;
  }
  SK_RETURN_IF_ERROR(Fail(writer_->WriteEntry(pending.entry, report_.header.magic)));
  if (options_.observer != nullptr) options_.observer->OnKeyKept(pending.entry);
  kept_.Insert(pending.hash);
  ++report_.keys_kept;
  return Status();
}

Status Salvager::FlushPending() {
  if (!pending_.has_value()) return Status();
  Status s = WriteKept(*pending_);
  pending_.reset();
  return s;
}

Status Salvager::DropParsed(const RdbEntry& entry, const std::string& what) {
  SK_RETURN_IF_ERROR(FlushPending());
  dup_damage_ = entry.record_offset;
  ++report_.keys_dropped_parsed;
  dup_reason_ = in_->CorruptionAt(entry.record_offset, what).ToString();
  return Status::Corruption(dup_reason_);
}

Status Salvager::OnEntry(const RdbEntry& entry) {
  if (TooManyKeysInDb(1)) {
    // The SELECTDB of a later db was in a damaged region: this key's db is
    // unknown. Run() may infer it (InferLostDb); else everything up to the
    // next SELECTDB is dropped.
    const std::string what = "db " + std::to_string(db_) + " holds more keys than its RESIZEDB " +
                             "count " + std::to_string(*db_size_hint_) +
                             ": a SELECTDB was lost in damage, the key's db is unknown";
    if (!dbs_ascending_) return DropParsed(entry, what);
    SK_RETURN_IF_ERROR(FlushPending());
    lost_select_at_ = entry.record_offset;
    lost_select_reason_ = in_->CorruptionAt(entry.record_offset, what).ToString();
    return Status::Corruption(lost_select_reason_);
  }
  if (!TypeOfThisVersion(entry.type)) {
    return DropParsed(entry, TypeName(entry.type) + " value (key \"" + Printable(entry.key) +
                                 "\"): a type RDB v" + std::to_string(report_.header.version) +
                                 " does not have");
  }
  if (elements_ == 0) {
    // Deep mode reports at least one element for every value but an empty
    // collection. Redis never writes one; redis-check-rdb refuses it and a
    // server skips it on load, so it is damage (often a chance record made
    // of damaged bytes, e.g. a zero count).
    return DropParsed(entry, "empty " + TypeName(entry.type) + " value (key \"" +
                                 Printable(entry.key) + "\"): Redis never writes one");
  }
  ++db_reads_;
  const uint64_t hash = KeyHash(db_, entry.key);
  const bool dup_of_pending = pending_.has_value() && pending_->hash == hash;
  if (dup_of_pending || kept_.Contains(hash)) {
    if (dup_of_pending) {
      dup_damage_ = pending_->entry.record_offset;
      pending_.reset();
      ++report_.keys_dropped_parsed;
    } else {
      SK_RETURN_IF_ERROR(FlushPending());
      dup_damage_ = entry.record_offset;
    }
    ++report_.keys_dropped_parsed;
    dup_reason_ = in_->CorruptionAt(entry.record_offset,
                                    "key repeats a key already read in db " + std::to_string(db_))
                      .ToString();
    return Status::Corruption(dup_reason_);
  }
  SK_RETURN_IF_ERROR(FlushPending());
  // Not pending_.emplace(): clang rejects default-constructing a nested
  // struct with member initializers through std::optional here.
  Pending fresh;
  fresh.entry = entry;
  fresh.entry.db = db_;
  fresh.hash = hash;
  pending_ = std::move(fresh);
  window_.CopyOut(entry.value_offset, entry.value_bytes, &pending_->entry.value);
  seen_types_[entry.type] = true;
  return Boundary();
}

// A read that restarts after damage sees only the header again, not the AUX
// fields before the damage: the producer they named carries over.
Producer Salvager::ResyncLayout() const {
  if (options_.layout != Producer::kRedis) return options_.layout;
  return clues_.producer == Producer::kRedisEnterprise ? clues_.producer : Producer::kRedis;
}

Status Salvager::ReadFrom(uint64_t from) {
  const bool resync = from != 0;
  WindowCursor cursor(&window_, resync ? header_bytes_ : std::string(), from, window_.size());
  ByteReader in(&cursor, from - (resync ? header_bytes_.size() : 0));
  RdbReadOptions ro;
  ro.deep = true;
  ro.verify_crc = !resync;
  ro.fail_on_crc_mismatch = false;
  ro.limits = options_.limits;
  ro.layout = ResyncLayout();
  RdbReader reader(&in, ro);
  in_ = &in;
  record_start_ = from;
  Result<RdbSummary> summary = reader.Read(this);
  in_ = nullptr;
  if (!summary.ok()) return summary.status();
  report_.source_crc = resync ? CrcStatus::kNotChecked : summary->crc;
  if (summary->end_offset < window_.size()) {
    report_.warnings.push_back(std::to_string(window_.size() - summary->end_offset) +
                               " bytes after the RDB trailer not carried");
  }
  return Status();
}

Result<uint64_t> Salvager::SettleDamage(const Status& error, std::string* reason) {
  uint64_t start = record_start_;
  *reason = error.ToString();
  if (dup_damage_.has_value()) {
    start = *dup_damage_;
    *reason = dup_reason_;
    dup_damage_.reset();
  }
  if (pending_.has_value() && pending_->entry.key.empty()) {
    start = pending_->entry.record_offset;
    pending_.reset();
    ++report_.keys_dropped_parsed;
  }
  SK_RETURN_IF_ERROR(FlushPending());
  return start;
}

Result<Result<RdbSummary>> Salvager::ReadAhead(uint64_t from, RdbVisitor* visitor) {
  const uint64_t limit = std::min(window_.size(), from + options_.lookahead_bytes);
  WindowCursor cursor(&window_, header_bytes_, from, limit);
  ByteReader in(&cursor, from - header_bytes_.size());
  RdbReadOptions ro;
  ro.deep = true;
  ro.verify_crc = false;
  ro.limits = options_.limits;
  ro.layout = ResyncLayout();
  RdbReader reader(&in, ro);
  Result<RdbSummary> summary = reader.Read(visitor);
  if (!window_.io_error().ok()) return window_.io_error();
  return summary;
}

Result<std::optional<Salvager::Candidate>> Salvager::TryCandidate(uint64_t offset,
                                                                  bool ignore_count) {
  ++report_.resync_candidates_tried;
  CandidateVisitor visitor(this, ignore_count);
  SK_ASSIGN_OR_RETURN(Result<RdbSummary> summary, ReadAhead(offset, &visitor));
  const bool at_end = summary.ok() && summary->end_offset == window_.size();
  last_count_rejected_ = visitor.count_rejected();
  if (!visitor.complete() && !at_end) return std::optional<Candidate>();
  Candidate c;
  c.first_end = visitor.first_end() != 0 ? visitor.first_end() : offset + 1;
  c.first_hash = visitor.first_hash();
  c.boundaries = visitor.boundaries();
  return std::optional<Candidate>(c);
}

// Tries every offset from `after` on until a candidate verifies. Its first
// record may still be a chance reading that swallowed real records (a random
// length that happens to end on a record boundary), so a verified candidate
// inside that first record wins over it, repeatedly, unless it reads the same
// key record (it only skipped the record's prefix opcodes, e.g. its expiry).
// A winner may itself be a chance reading inside a real record's value whose
// first record runs past that record's end; when a later winner then starts
// exactly where an earlier winner's chain has a record boundary, the earlier
// winner's records lead into it, so the earliest such winner is taken (the
// real record the chance one was read from is kept). Bounded by the source
// size: every try is at a higher offset, and each reads at most the lookahead.
Result<std::optional<uint64_t>> Salvager::FindResync(uint64_t after) {
  for (uint64_t offset = after; offset < window_.size(); ++offset) {
    window_.Release(offset);
    SK_ASSIGN_OR_RETURN(std::optional<Candidate> outer, TryCandidate(offset));
    if (!outer.has_value() && last_count_rejected_) {
      // Keys past the current db's count: verified without that check, they
      // may be the next db's, whose SELECTDB was in the damage.
      SK_ASSIGN_OR_RETURN(outer, TryCandidate(offset, /*ignore_count=*/true));
      if (outer.has_value()) {
        SK_ASSIGN_OR_RETURN(bool inferred, InferLostDb(offset));
        if (!inferred) outer.reset();
      }
    }
    if (!outer.has_value()) continue;
    std::vector<std::pair<uint64_t, Candidate>> winners = {{offset, *outer}};
    for (uint64_t inner = offset + 1; inner < outer->first_end; ++inner) {
      SK_ASSIGN_OR_RETURN(std::optional<Candidate> c, TryCandidate(inner));
      if (!c.has_value()) continue;
      if (c->first_end == outer->first_end && c->first_hash == outer->first_hash) continue;
      winners.emplace_back(inner, *c);
      outer = c;
    }
    const uint64_t last = winners.back().first;
    for (const auto& [start, candidate] : winners) {
      if (start == last || candidate.boundaries.count(last) > 0) {
        return std::optional<uint64_t>(start);
      }
    }
  }
  return std::optional<uint64_t>();
}

// Reads records from a given offset up to the next SELECTDB (key records
// deep-verified and plausible as in a resync candidate; no AUX or other
// records), at most options.lookahead_bytes, and reports that SELECTDB's db.
class Salvager::SelectScanVisitor final : public RdbVisitor {
 public:
  explicit SelectScanVisitor(const Salvager* salvager) : s_(salvager) {}
  std::optional<uint64_t> db() const { return db_; }
  Status OnAux(std::string_view, std::string_view) override { return Stop(); }
  Status OnFunction(std::string_view) override { return Stop(); }
  Status OnFunctionPreGa(std::string_view, std::string_view) override { return Stop(); }
  Status OnModuleAux(uint64_t, std::string_view) override { return Stop(); }
  Status OnSlotInfo(uint64_t, uint64_t, uint64_t) override { return Stop(); }
  Status OnSlotImport(std::string_view) override { return Stop(); }
  Status OnResizeDb(uint64_t, uint64_t) override { return Stop(); }
  Status OnSelectDb(uint64_t db) override {
    db_ = db;
    return Stop();
  }
  Status OnEntryStart(const RdbEntry& e) override {
    elements_ = 0;
    return e.key.empty() || !s_->PlausibleType(e.type) ? Stop() : Status();
  }
  Status OnElement(const RdbEntry&, const RdbElement&) override {
    ++elements_;
    return Status();
  }
  Status OnEntry(const RdbEntry&) override { return elements_ == 0 ? Stop() : Status(); }

 private:
  static Status Stop() { return Status::Corruption("select scan stopped"); }
  const Salvager* s_;
  std::optional<uint64_t> db_;
  uint64_t elements_ = 0;
};

Result<bool> Salvager::InferLostDb(uint64_t from) {
  if (!dbs_ascending_) return false;
  SelectScanVisitor visitor(this);
  // The scan ends in an error by design (its visitor stops the read): only
  // the window's I/O error matters here.
  SK_RETURN_IF_ERROR(ReadAhead(from, &visitor).status());
  if (visitor.db() != db_ + 2) return false;
  report_.warnings.push_back("keys from offset " + std::to_string(from) + " written to db " +
                             std::to_string(db_ + 1) + ": their SELECTDB was lost in damage (db " +
                             std::to_string(db_) + " had all its RESIZEDB count of keys, the " +
                             "next SELECTDB names db " + std::to_string(db_ + 2) + ")");
  db_ += 1;
  max_db_ = std::max(max_db_, db_);
  last_selected_ = db_;
  db_reads_ = 0;
  db_size_hint_.reset();
  return true;
}

Result<RdbSalvageReport> Salvager::Run() {
  report_.source_bytes = window_.size();
  uint64_t from = 0;
  // Each pass starts after the damage start of the one before.
  for (;;) {
    Status s = ReadFrom(from);
    if (!fatal_.ok()) return fatal_;
    if (!window_.io_error().ok()) return window_.io_error();
    if (s.ok()) {
      report_.reached_eof = true;
      SK_RETURN_IF_ERROR(FlushPending());
      break;
    }
    if (writer_ == nullptr) {
      return Status::NotSupported("cannot salvage without a readable header: " + s.ToString());
    }
    damage_seen_ = true;
    if (lost_select_at_.has_value()) {
      const uint64_t at = *lost_select_at_;
      lost_select_at_.reset();
      SK_ASSIGN_OR_RETURN(bool inferred, InferLostDb(at));
      if (inferred) {
        from = at;
        continue;
      }
      // Unknown db: drop from that key to the next SELECTDB, as a damage.
      dup_damage_ = at;
      dup_reason_ = lost_select_reason_;
      ++report_.keys_dropped_parsed;
    }
    RdbDroppedRange range;
    SK_ASSIGN_OR_RETURN(range.begin, SettleDamage(s, &range.reason));
    SK_ASSIGN_OR_RETURN(std::optional<uint64_t> next, FindResync(range.begin + 1));
    range.end = next.value_or(window_.size());
    report_.dropped.push_back(std::move(range));
    if (!next.has_value()) break;
    from = *next;
  }
  if (resize_seen_) report_.keys_expected = resize_sum_;
  for (auto& loss : writer_->losses()) report_.warnings.push_back("written with loss: " + loss);
  SK_RETURN_IF_ERROR(writer_->Finish());
  report_.output_bytes = writer_->offset();
  return std::move(report_);
}

}  // namespace

Result<RdbSalvageReport> SalvageRdb(ChunkSource* source, ChunkSink* sink,
                                    const RdbSalvageOptions& options) {
  if (!source->size().has_value()) {
    return Status::InvalidArgument(source->name() + ": salvage needs a source of known size");
  }
  Salvager salvager(source, sink, options);
  return salvager.Run();
}

}  // namespace shardkit::formats::rdb
