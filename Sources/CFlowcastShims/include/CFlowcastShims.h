#ifndef FLOWCAST_SHIMS_H
#define FLOWCAST_SHIMS_H
// Swift has no prefetch intrinsic. The flow table looks up packets a few ahead of the one it
// updates and asks for their slot and record early, so the cache misses of a 170k-flow table
// overlap instead of stalling one after another.
static inline void flowcast_prefetch(const void *address) { __builtin_prefetch(address, 1, 3); }
// The mapped capture readers ask for the next record's header and first 192 bytes (what the
// decoder reads) while the current packet is decoded: records sit in page-cache memory the CPU
// has not touched yet.
static inline void flowcast_prefetch_record(const void *address) {
    __builtin_prefetch(address, 0, 3);
    __builtin_prefetch((const char *)address + 64, 0, 3);
    __builtin_prefetch((const char *)address + 128, 0, 3);
}
// Asks the kernel to start writing a range of a file to disk, without waiting (see shims.c).
int flowcast_start_writeback(int fd, long long offset, long long length);
// Live capture on several threads (see shims.c): join a PACKET_FANOUT group that keeps each flow on one member
// (id -1: the kernel picks a unique id, returned), and a reject-everything socket filter for
// while a group is being assembled. Each returns -errno on failure.
int flowcast_fanout_join(int fd, int id);
int flowcast_filter_reject_all(int fd);
int flowcast_filter_detach(int fd);
#endif
