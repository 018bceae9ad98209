// What a worker and its snapshot-building child process (snapshot_subprocess.h) send each other
// over the child's stdin and stdout: the scripts and plan in, the build (blob, what each script
// got, errors, console lines) out. Plain length-prefixed binary; both ends are the same binary.
// A build can only be read back where the scripts it was made from are loaded: each script's
// sources travel as a fingerprint, so a file changed between the two loads is noticed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "worker/script_loader.h"
#include "worker/snapshot_builder.h"

namespace wsup::worker {

struct SnapshotRequest {
  std::vector<ScriptSpec> scripts;  // what the builder reads of them: name to compatibility_flags
  SnapshotPlan plan;
  bool webassembly = false;  // the V8 flag the parent runs with (code caches depend on it)
  std::string user_agent;    // navigator.userAgent (a top level may keep what it reads)
};

std::string encode_snapshot_request(const SnapshotRequest& request);
std::optional<SnapshotRequest> decode_snapshot_request(const std::string& bytes);

// `scripts` are the loaded scripts the build was made from (their fingerprints go along).
std::string encode_snapshot_build(const SnapshotBuild& build,
                                  const std::vector<LoadedScript>& scripts);
// Nullopt when `bytes` is not a whole build, or was made from other sources than `scripts`.
std::optional<SnapshotBuild> decode_snapshot_build(const std::string& bytes,
                                                   const std::vector<LoadedScript>& scripts,
                                                   BakedContext base);

// A hash of every source file of `script`.
uint64_t source_fingerprint(const LoadedScript& script);

}  // namespace wsup::worker
