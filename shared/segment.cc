#include "shared/segment.h"

#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bit>
#include <boost/interprocess/exceptions.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>

namespace wsup::shm {
namespace bip = boost::interprocess;
namespace {

size_t round_up(size_t value, size_t to) {
  return (value + to - 1) / to * to;
}

// Owner read/write only: the segment carries request bodies.
bip::permissions owner_only() {
  return bip::permissions(0600);
}

std::runtime_error segment_error(const std::string& what, const std::string& name) {
  return std::runtime_error("shared-memory segment " + name + ": " + what);
}

}  // namespace

std::optional<Geometry> compute_geometry(uint32_t slots, uint32_t slot_arena_bytes) {
  if (slots == 0 || slots > kMaxSlots) return std::nullopt;
  if (slot_arena_bytes < kMinArenaBytes || slot_arena_bytes > kMaxArenaBytes) return std::nullopt;
  Geometry g;
  g.slots = slots;
  g.ring_capacity = std::bit_ceil(slots);
  g.slot_arena_bytes = static_cast<uint32_t>(round_up(slot_arena_bytes, kCacheLine));
  size_t entries_bytes =
      round_up(size_t{g.ring_capacity} * sizeof(std::atomic<uint32_t>), kCacheLine);
  size_t at = round_up(sizeof(SegmentHeader), kCacheLine);
  g.requests_offset = at;
  at += sizeof(IndexRing);
  g.request_entries_offset = at;
  at += entries_bytes;
  g.responses_offset = at;
  at += sizeof(IndexRing);
  g.response_entries_offset = at;
  at += entries_bytes;
  g.slots_offset = at;
  at += size_t{slots} * sizeof(SlotHeader);
  g.arenas_offset = round_up(at, 4096);
  g.total_bytes = g.arenas_offset + size_t{slots} * g.slot_arena_bytes;
  return g;
}

namespace {

SegmentView make_view(void* base, const Geometry& g) {
  auto* bytes = static_cast<std::byte*>(base);
  SegmentView v;
  v.geometry = g;
  v.header = reinterpret_cast<SegmentHeader*>(bytes);
  v.requests = reinterpret_cast<IndexRing*>(bytes + g.requests_offset);
  v.request_entries = reinterpret_cast<std::atomic<uint32_t>*>(bytes + g.request_entries_offset);
  v.responses = reinterpret_cast<IndexRing*>(bytes + g.responses_offset);
  v.response_entries = reinterpret_cast<std::atomic<uint32_t>*>(bytes + g.response_entries_offset);
  v.slots = reinterpret_cast<SlotHeader*>(bytes + g.slots_offset);
  v.arenas = bytes + g.arenas_offset;
  return v;
}

// Starts the lifetime of every shared object in a fresh, zero-filled mapping.
void construct_objects(void* base, const Geometry& g) {
  auto* bytes = static_cast<std::byte*>(base);
  new (bytes) SegmentHeader{};
  new (bytes + g.requests_offset) IndexRing{};
  new (bytes + g.responses_offset) IndexRing{};
  for (uint32_t i = 0; i < g.ring_capacity; ++i) {
    new (bytes + g.request_entries_offset + i * sizeof(std::atomic<uint32_t>))
        std::atomic<uint32_t>{0};
    new (bytes + g.response_entries_offset + i * sizeof(std::atomic<uint32_t>))
        std::atomic<uint32_t>{0};
  }
  for (uint32_t i = 0; i < g.slots; ++i)
    new (bytes + g.slots_offset + i * sizeof(SlotHeader)) SlotHeader{};
}

}  // namespace

Segment Segment::create(const std::string& name, const Geometry& geometry,
                        const Identity& identity) {
  Segment segment;
  segment.name_ = name;
  try {
    bip::shared_memory_object object(bip::create_only, name.c_str(), bip::read_write, owner_only());
    segment.owner_ = true;
    object.truncate(static_cast<bip::offset_t>(geometry.total_bytes));
    segment.region_ = bip::mapped_region(object, bip::read_write);
  } catch (const bip::interprocess_exception& e) {
    if (segment.owner_) bip::shared_memory_object::remove(name.c_str());
    segment.owner_ = false;
    throw segment_error(std::string("cannot create: ") + e.what(), name);
  }
  construct_objects(segment.region_.get_address(), geometry);
  segment.view_ = make_view(segment.region_.get_address(), geometry);
  SegmentConstants& h = segment.view_.header->constants;
  h.magic = kSegmentMagic;
  h.version = kLayoutVersion;
  h.worker_id = identity.worker_id;
  h.epoch = identity.epoch;
  h.slots = geometry.slots;
  h.ring_capacity = geometry.ring_capacity;
  h.slot_arena_bytes = geometry.slot_arena_bytes;
  h.max_body_bytes = identity.max_body_bytes;
  h.total_bytes = geometry.total_bytes;
  h.supervisor_pid = static_cast<int32_t>(::getpid());
  h.spin_us = identity.spin_us;
  // Relaxed: the worker is exec'd after this, which orders everything before it.
  segment.view_.header->heartbeat_ns.store(monotonic_ns(), std::memory_order_relaxed);
  return segment;
}

Segment Segment::open(const std::string& name) {
  Segment segment;
  segment.name_ = name;
  try {
    bip::shared_memory_object object(bip::open_only, name.c_str(), bip::read_write);
    segment.region_ = bip::mapped_region(object, bip::read_write);
  } catch (const bip::interprocess_exception& e) {
    throw segment_error(std::string("cannot open: ") + e.what(), name);
  }
  size_t size = segment.region_.get_size();
  if (size < sizeof(SegmentHeader)) throw segment_error("smaller than its header", name);
  // Read the header's plain fields once into locals, then check them against each other and
  // against the real mapping size; nothing after this re-reads them from shared memory.
  SegmentConstants header_copy;
  std::memcpy(&header_copy, segment.region_.get_address(), sizeof header_copy);
  if (header_copy.magic != kSegmentMagic) throw segment_error("bad magic number", name);
  if (header_copy.version != kLayoutVersion) {
    throw segment_error("layout version " + std::to_string(header_copy.version) + ", expected " +
                            std::to_string(kLayoutVersion),
                        name);
  }
  auto geometry = compute_geometry(header_copy.slots, header_copy.slot_arena_bytes);
  if (!geometry || geometry->ring_capacity != header_copy.ring_capacity ||
      geometry->total_bytes != header_copy.total_bytes || geometry->total_bytes > size ||
      header_copy.max_body_bytes > kMaxBodyBytes || header_copy.spin_us > 10'000) {
    throw segment_error("sizes in the header do not match the segment", name);
  }
  segment.view_ = make_view(segment.region_.get_address(), *geometry);
  return segment;
}

Segment::Segment(Segment&& other) noexcept
    : name_(std::move(other.name_)),
      owner_(std::exchange(other.owner_, false)),
      region_(std::move(other.region_)),
      view_(other.view_) {}

Segment& Segment::operator=(Segment&& other) noexcept {
  if (this != &other) {
    if (owner_) remove_object(name_);
    name_ = std::move(other.name_);
    owner_ = std::exchange(other.owner_, false);
    region_ = std::move(other.region_);
    view_ = other.view_;
  }
  return *this;
}

Segment::~Segment() {
  if (owner_) remove_object(name_);
}

std::string segment_name(std::string_view instance_id, int pid, uint32_t worker_id,
                         uint32_t epoch) {
  std::string instance;
  for (char c : instance_id) {
    bool keep =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (keep && instance.size() < 32) instance += c;
  }
  if (instance.empty()) instance = "x";
  return "wsup-" + instance + "-" + std::to_string(pid) + "-w" + std::to_string(worker_id) + "-e" +
         std::to_string(epoch);
}

std::string spill_name(const std::string& segment, uint32_t slot) {
  return segment + "-q" + std::to_string(slot);
}

// The bodies are copied with pwrite/pread on the object's descriptor, not through a mapping:
// mapping and unmapping an object per body cost page-table set-up and, on munmap, a TLB
// shootdown on every CPU (256 KiB echo at 16 connections: 1,150 req/s mapped, 1,470 copied).
namespace {

// Repeats `step(offset, count)`, a pread or pwrite of `count` bytes at `offset`, until all
// `size` bytes have moved.
template <typename Step>
bool move_all(size_t size, Step step) {
  size_t done = 0;
  while (done < size) {
    ssize_t moved = step(done, size - done);
    if (moved < 0 && errno == EINTR) continue;
    if (moved <= 0) return false;
    done += static_cast<size_t>(moved);
  }
  return true;
}

uint64_t object_size(const bip::shared_memory_object& object) {
  bip::offset_t size = 0;
  return object.get_size(size) && size > 0 ? static_cast<uint64_t>(size) : 0;
}

// ftruncate itself: Boost's truncate() goes through posix_fallocate, which refuses a length 0.
void trim(const bip::shared_memory_object& object) {
  if (object_size(object) > kSpillKeepBytes) {
    [[maybe_unused]] int ignored = ::ftruncate(object.get_mapping_handle().handle, 0);
  }
}

}  // namespace

bool write_spill(const std::string& name, const std::string& body) {
  try {
    bip::shared_memory_object object(bip::open_or_create, name.c_str(), bip::read_write,
                                     owner_only());
    const int fd = object.get_mapping_handle().handle;
    return move_all(body.size(), [&](size_t at, size_t count) {
      return ::pwrite(fd, body.data() + at, count, static_cast<off_t>(at));
    });
  } catch (const bip::interprocess_exception&) {
    return false;
  }
}

std::optional<std::string> read_spill(const std::string& name, uint64_t bytes) {
  std::optional<std::string> body;
  try {
    bip::shared_memory_object object(bip::open_only, name.c_str(), bip::read_write);
    if (bytes > 0 && object_size(object) >= bytes) {
      body.emplace(static_cast<size_t>(bytes), '\0');
      const int fd = object.get_mapping_handle().handle;
      if (!move_all(body->size(), [&](size_t at, size_t count) {
            return ::pread(fd, body->data() + at, count, static_cast<off_t>(at));
          })) {
        body.reset();
      }
    }
    trim(object);
  } catch (const bip::interprocess_exception&) {
    body.reset();
  }
  return body;
}

void trim_spill(const std::string& name) noexcept {
  try {
    bip::shared_memory_object object(bip::open_only, name.c_str(), bip::read_write);
    trim(object);
  } catch (const bip::interprocess_exception&) {
  }
}

void remove_object(const std::string& name) noexcept {
  bip::shared_memory_object::remove(name.c_str());
}

size_t remove_objects_with_prefix(std::string_view prefix) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/dev/shm"), ::closedir);
  if (!dir) return 0;
  size_t removed = 0;
  while (dirent* entry = ::readdir(dir.get())) {
    std::string_view name(entry->d_name);
    if (name.substr(0, prefix.size()) == prefix && ::shm_unlink(entry->d_name) == 0) ++removed;
  }
  return removed;
}

int64_t monotonic_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

}  // namespace wsup::shm
