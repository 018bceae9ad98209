// wsup-worker: one single-threaded worker process of a wsup cluster.
#include <cstdio>
#include <cstring>

#include <v8-initialization.h>

#include "worker/v8_engine.h"

int main(int argc, char** argv) {
  // V8 first, before any other thread exists.
  wsup::worker::V8Engine engine(argv[0]);
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("wsup-worker 0.1.0 (V8 %s)\n", v8::V8::GetVersion());
    return 0;
  }
  std::fprintf(stderr,
               "wsup-worker: the request loop is not built yet; only --version works so far\n");
  return 2;
}
