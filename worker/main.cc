// wsup-worker: one single-threaded worker process of a wsup cluster (worker_main.h has its
// command line).
#include "worker/worker_main.h"

int main(int argc, char** argv) {
  return wsup::worker::worker_main(argc, argv, {});
}
