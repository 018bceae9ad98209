// The whole of wsup-worker's main, for the production binary (worker/main.cc) and the chaos
// suite's test-only worker (tests/chaos/faults/), which differ only in how a request's sink is
// made.
//
//   wsup-worker --version
//   wsup-worker --check CONFIG     compile every script of CONFIG and build their snapshot;
//                                  print "path:line:column: message" for each that fails
//                                  (exit 1 on any), and how each script's requests start;
//                                  with --list-files PATH, every script file it read into PATH
//   wsup-worker --build-snapshot   build scripts' snapshot for a worker: the request on stdin,
//                                  the build on stdout (worker/snapshot_subprocess.h)
//   wsup-worker --config CONFIG --worker-id N --segment NAME --request-fd A --response-fd B
//                                  serve: take requests from the shared-memory segment NAME
//                                  (shared/channel.h), run them, write the answers; SIGTERM
//                                  drains (finish what was taken) and exits 0
#pragma once

#include "worker/channel_sinks.h"

namespace wsup::worker {

// Starts V8 first (call it before any other thread exists). `sink_factory` empty: the
// production sink. Returns the process's exit status.
int worker_main(int argc, char** argv, ChannelSinks::Factory sink_factory);

}  // namespace wsup::worker
