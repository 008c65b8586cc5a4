// tools/volume_report_json.h: a volume report written and read back is the
// same report, every field and every byte: a volume whose directory name is
// not UTF-8 (written as {"hex": ...}), with an RDB (per-slot figures, AUX
// fields), an AOF beside it, and a damaged native snapshot (a health error);
// made without --estimate (full scans and header scans) and with it.
#include "tools/volume_report_json.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "loader/volume_report.h"
#include "tests/support/seeded_rdb.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

class VolumeReportJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    volume_ = work_.File("vol-\xff\xfe");  // not UTF-8
    fs::create_directories(volume_);
    SeededRdbOptions options;
    options.seed = 42;
    options.keys = 300;
    auto rdb = MakeSeededRdb(options);
    ASSERT_TRUE(rdb.ok()) << rdb.status().ToString();
    WriteFileOrDie(volume_ + "/dump.rdb", *rdb);
    WriteFileOrDie(volume_ + "/appendonly.aof",
                   "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n*1\r\n$8\r\nFLUSHALL\r\n"
                   "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$2\r\n\xe2\x82\r\n");
    WriteFileOrDie(volume_ + "/archive.skn", "SKNATIVE but nothing more");
  }

  // Writes `report`, reads it back, writes that again: the two texts must be
  // equal, and the report read must be the one written.
  loader::VolumeScanReport RoundTrip(const loader::VolumeScanReport& report) {
    const std::string text = tools::VolumeReportToJson(report).dump(2);
    auto back = tools::VolumeReportFromJson(text, "report.json");
    EXPECT_TRUE(back.ok()) << back.status().ToString();
    if (!back.ok()) return {};
    EXPECT_EQ(tools::VolumeReportToJson(*back).dump(2), text);
    return std::move(*back);
  }

  TempDir work_{"shardkit-volume-report-json"};
  std::string volume_;
};

TEST_F(VolumeReportJsonTest, FullReportKeepsEveryFieldAndByte) {
  loader::DiscoverOptions options;
  options.now_ms = 1893456000000;
  auto report = loader::MakeVolumeScanReport(volume_, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const loader::VolumeScanReport back = RoundTrip(*report);
  ASSERT_EQ(back.scanned.volumes.size(), 1u);
  EXPECT_EQ(back.path, volume_);
  EXPECT_FALSE(back.estimated);
  EXPECT_EQ(back.now_ms, 1893456000000);
  EXPECT_EQ(back.scanned.scan_bytes_read, report->scanned.scan_bytes_read);
  const loader::VolumeReport& v = back.scanned.volumes[0];
  const loader::VolumeReport& was = report->scanned.volumes[0];
  EXPECT_EQ(v.files.dir, volume_);
  EXPECT_EQ(v.files.real_dir, was.files.real_dir);
  EXPECT_EQ(v.files.notes, was.files.notes);
  EXPECT_EQ(v.aof_enabled, was.aof_enabled);
  ASSERT_EQ(v.candidates.size(), 3u);  // the AOF, the RDB and the native archive
  bool damaged = false;
  for (size_t i = 0; i < v.candidates.size(); ++i) {
    const loader::SourceCandidate& c = v.candidates[i];
    const loader::SourceCandidate& w = was.candidates[i];
    EXPECT_EQ(c.kind, w.kind);
    EXPECT_EQ(c.path, w.path);
    EXPECT_EQ(c.health.ToString(), w.health.ToString());
    damaged |= !c.health.ok();
    ASSERT_EQ(c.scan.has_value(), w.scan.has_value());
    if (!c.scan) continue;
    EXPECT_EQ(c.scan->stats.bytes, w.scan->stats.bytes);
    EXPECT_EQ(c.scan->stats.keys, w.scan->stats.keys);
    EXPECT_EQ(c.scan->present_slots, w.scan->present_slots);
    EXPECT_EQ(c.scan->aux, w.scan->aux);
    EXPECT_EQ(c.scan->keys, w.scan->keys);
    EXPECT_EQ(c.scan->summary.crc_computed, w.scan->summary.crc_computed);
    EXPECT_EQ(c.scan->flush_file, w.scan->flush_file);
  }
  EXPECT_TRUE(damaged) << "the native archive should be unusable";
  // A standalone volume's full report carries its header scans.
  ASSERT_EQ(back.header_passes.size(), 1u);
  ASSERT_TRUE(back.header_passes[0].has_value());
  EXPECT_EQ(back.header_passes[0]->candidates.size(), 3u);
  EXPECT_EQ(back.header_passes[0]->bytes_read, report->header_passes[0]->bytes_read);
  // Bytes that are not UTF-8 are written as hex.
  const nlohmann::json j = tools::VolumeReportToJson(*report);
  EXPECT_EQ(j["format"], "shardkit-volume-report 1");
  EXPECT_TRUE(j["path"].is_object()) << j["path"].dump();
}

TEST_F(VolumeReportJsonTest, EstimatedReportRoundTrips) {
  loader::DiscoverOptions options;
  options.estimate = true;
  options.now_ms = 1;
  auto report = loader::MakeVolumeScanReport(volume_, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const loader::VolumeScanReport back = RoundTrip(*report);
  EXPECT_TRUE(back.estimated);
  ASSERT_EQ(back.header_passes.size(), 1u);
  EXPECT_FALSE(back.header_passes[0].has_value());
}

}  // namespace
}  // namespace shardkit::testing
