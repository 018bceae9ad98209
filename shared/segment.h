// The shared-memory segment of one worker: its byte layout, and the mapping that owns it.
//
//   [SegmentHeader][IndexRing requests + entries][IndexRing responses + entries]
//   [SlotHeader × slots][arena × slots]
// Every part starts on a cache line. Only plain integers and lock-free std::atomic live here:
// no pointers, no interprocess mutexes (see shared/README.md, and docs/ARCHITECTURE.md, "Decisions
// and why", for the reasons).
#pragma once

#include <atomic>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace wsup::shm {

inline constexpr size_t kCacheLine = 64;
inline constexpr uint64_t kSegmentMagic = 0x316d6873'70757377;  // "wsupshm1"
// 3: the worker's time split; 4: streamed responses; 5: subrequest counts; 6: all egress
// figures; 7: log write failures; 8: bodies passed through (egress figure 34)
inline constexpr uint32_t kLayoutVersion = 8;
inline constexpr uint32_t kMaxSlots = 4096;
inline constexpr uint32_t kMinArenaBytes = 4096;
inline constexpr uint32_t kMaxArenaBytes = 64u << 20;
inline constexpr uint64_t kMaxBodyBytes = 1ull << 30;
inline constexpr size_t kFatalReasonBytes = 256;
// WorkerEgress's figures (shared/channel.h, for_each_figure), as the worker last reported them.
inline constexpr size_t kEgressFigures = 34;

static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared atomics must be lock-free");
static_assert(std::atomic<uint32_t>::is_always_lock_free, "shared atomics must be lock-free");

// Slot states; each transition is a CAS or a store by the one side that owns the slot then
// (shared/README.md has the diagram). The arena is written only by the side whose turn it is:
// the supervisor in kFree, the worker in kTaken, and in kCancelRequested once it popped the index.
enum SlotState : uint32_t {
  kFree = 0,       // supervisor may fill it
  kQueued = 1,     // supervisor wrote a request and pushed the index; worker may take it
  kTaken = 2,      // the worker's turn: it may write a record (whole, head, chunk, end, error)
  kDone = 3,       // worker wrote a final record (whole, end, error), pushed the index; the
                   // supervisor reads it and frees the slot
  kCancelled = 4,  // supervisor withdrew the queued request; the worker frees it when it pops
  kSent = 5,       // worker wrote a head or chunk and pushed the index: the supervisor's turn
  kReleased = 6,   // supervisor wrote that record out and pushed the index; the worker's turn
                   // again once it pops it (-> kTaken)
  kCancelRequested = 7,  // supervisor abandoned the answer (from taken, sent or released) and
                         // pushed the index (from released it is in the ring already); the
                         // worker pops it and writes an aborted end (-> kDone)
};

// Written once by the supervisor before the worker exists; validated by the worker.
struct SegmentConstants {
  uint64_t magic;
  uint32_t version;
  uint32_t worker_id;
  uint32_t epoch;
  uint32_t slots;
  uint32_t ring_capacity;  // power of two >= slots
  uint32_t slot_arena_bytes;
  uint64_t max_body_bytes;
  uint64_t total_bytes;
  int32_t supervisor_pid;
  uint32_t spin_us;  // how long either consumer spins before it announces sleep
};

struct alignas(kCacheLine) SegmentHeader {
  SegmentConstants constants;
  // Written by the worker, read by the supervisor: relaxed, they are reports, not handshakes
  // (fatal_length is the exception, see record_fatal).
  alignas(kCacheLine) std::atomic<int32_t> worker_pid;
  std::atomic<uint32_t> worker_state;
  std::atomic<int64_t> heartbeat_ns;  // CLOCK_MONOTONIC
  std::atomic<uint64_t> taken;
  std::atomic<uint64_t> responded;
  std::atomic<uint64_t> worker_corrupt;
  std::atomic<uint64_t> supervisor_doorbells;
  std::atomic<uint64_t> worker_sleeps;
  std::atomic<uint64_t> heap_used_bytes;  // V8 heap in use over all isolates, last report
  // Where the worker's time went (WorkerTimes), last report.
  std::atomic<uint64_t> context_ns;
  std::atomic<uint64_t> spare_context_ns;
  std::atomic<uint64_t> script_ns;
  std::atomic<uint64_t> spare_hits;
  // Its subrequests (WorkerEgress::for_each_figure's order), last report.
  std::atomic<uint64_t> egress[kEgressFigures];
  std::atomic<uint64_t> log_write_failures;  // log lines not written whole, last report
  // Written by the supervisor only (own cache line: no false sharing with the worker's).
  alignas(kCacheLine) std::atomic<uint64_t> submitted;
  std::atomic<uint64_t> supervisor_corrupt;
  std::atomic<uint64_t> worker_doorbells;
  std::atomic<uint64_t> supervisor_sleeps;
  alignas(kCacheLine) std::atomic<uint32_t> fatal_length;
  char fatal_reason[kFatalReasonBytes];
};

// Cursors of one single-producer/single-consumer ring of slot indices.
struct IndexRing {
  alignas(kCacheLine) std::atomic<uint64_t> head;  // consumer's: entries below are consumed
  alignas(kCacheLine) std::atomic<uint64_t> tail;  // producer's: entries below are published
  // NEED_WAKEUP: the consumer sets it before sleeping; the producer rings only when it is set.
  alignas(kCacheLine) std::atomic<uint32_t> consumer_sleeping;
};

struct alignas(kCacheLine) SlotHeader {
  std::atomic<uint32_t> state;
  // The fields below are published by the state store (release) of the side that wrote them;
  // relaxed atomics only so a scribbling peer is a wrong value, never a data race.
  std::atomic<uint32_t> record_bytes;  // writer of the arena: length of the record in it
  std::atomic<uint64_t> request_id;    // supervisor: id of the request in this slot
};

struct Geometry {
  uint32_t slots = 0;
  uint32_t ring_capacity = 0;
  uint32_t slot_arena_bytes = 0;
  size_t requests_offset = 0, request_entries_offset = 0;
  size_t responses_offset = 0, response_entries_offset = 0;
  size_t slots_offset = 0, arenas_offset = 0, total_bytes = 0;
};
// Nullopt when slots or arena are out of range.
std::optional<Geometry> compute_geometry(uint32_t slots, uint32_t slot_arena_bytes);

// Typed pointers into a mapping. Indexing helpers do not check: callers check indices first.
struct SegmentView {
  SegmentHeader* header = nullptr;
  IndexRing* requests = nullptr;
  std::atomic<uint32_t>* request_entries = nullptr;
  IndexRing* responses = nullptr;
  std::atomic<uint32_t>* response_entries = nullptr;
  SlotHeader* slots = nullptr;
  std::byte* arenas = nullptr;
  Geometry geometry;

  SlotHeader& slot(uint32_t index) const { return slots[index]; }
  std::span<std::byte> arena(uint32_t index) const {
    return {arenas + size_t{index} * geometry.slot_arena_bytes, geometry.slot_arena_bytes};
  }
};

// An owned mapping of a named segment. The creator unlinks the name on destruction.
class Segment {
 public:
  struct Identity {
    uint32_t worker_id, epoch;
    uint64_t max_body_bytes;
    uint32_t spin_us;
  };
  // Throws std::runtime_error (user-facing message) on failure.
  static Segment create(const std::string& name, const Geometry& geometry,
                        const Identity& identity);
  static Segment open(const std::string& name);

  Segment() = default;  // empty: maps nothing
  Segment(Segment&& other) noexcept;
  Segment& operator=(Segment&&) noexcept;
  ~Segment();

  const SegmentView& view() const { return view_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  bool owner_ = false;
  boost::interprocess::mapped_region region_;
  SegmentView view_;
};

// "wsup-<instance>-<pid>-w<worker>-e<epoch>"; instance keeps [A-Za-z0-9_] only.
std::string segment_name(std::string_view instance_id, int pid, uint32_t worker_id, uint32_t epoch);
// Name of the object that carries a slot's large request bodies: "<segment>-q<slot>".
std::string spill_name(const std::string& segment, uint32_t slot);

// Large request bodies, one object per slot, kept from one body to the next: a fresh object per
// body allocated and freed its pages every time (~300 µs per 256 KiB each way). A slot carries
// one body at a time, written before its record is published and read after, so sender and
// receiver never overlap. Up to kSpillKeepBytes stay allocated per object. (Responses need no
// such object: what does not fit one record is streamed in chunks.)
inline constexpr uint64_t kSpillKeepBytes = 512u << 10;
// Writes `body` at the start of the object (made if missing, owner-only). False on failure.
bool write_spill(const std::string& name, const std::string& body);
// The object's first `bytes` bytes; nullopt if it is missing or shorter. Empties an object
// grown past kSpillKeepBytes, so an occasional huge body does not pin its memory.
std::optional<std::string> read_spill(const std::string& name, uint64_t bytes);
// Empties the object if it grew past kSpillKeepBytes (a body nobody read: a cancelled request).
void trim_spill(const std::string& name) noexcept;
void remove_object(const std::string& name) noexcept;
// Removes every object in /dev/shm whose name starts with `prefix`. Returns how many.
size_t remove_objects_with_prefix(std::string_view prefix);

int64_t monotonic_ns();

}  // namespace wsup::shm
