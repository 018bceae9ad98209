// Building the scripts' snapshot in a child process (`wsup-worker --build-snapshot`), so that
// V8 aborting on a heap it cannot serialize (an Intl formatter or a FinalizationRegistry with
// registrations made at top level: "global handle not serialized", "Unknown external
// reference") ends the build, not the worker. The child gets the scripts and the plan on stdin
// (snapshot_wire.h), loads and builds as build_script_snapshot does, and writes the build to
// descriptor 3 (stdout is V8's: its traces and complaints go there). When it dies, each script
// that asked for a snapshot is tried alone to find the ones V8 cannot take; they are evaluated
// per request (the reason names V8's complaint) and the others are built again without them.
#pragma once

#include <string>
#include <vector>

#include "worker/script_loader.h"
#include "worker/snapshot_builder.h"

namespace wsup::worker {

// `binary` is wsup-worker; `webassembly` the V8 flag this process runs with. Throws
// StartupError only when no child can be started at all.
SnapshotBuild build_snapshot_in_child(const std::string& binary,
                                      const std::vector<LoadedScript>& scripts,
                                      const SnapshotPlan& plan, bool webassembly);

// The child's side: reads a SnapshotRequest from stdin, writes the SnapshotBuild to
// descriptor 3, which the parent opened for it.
// Returns the process's exit code. Call with a V8Engine alive and nothing else started.
int run_snapshot_builder_child();

}  // namespace wsup::worker
