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

// A mapped capture file that shrinks while it is read faults (SIGBUS) on the pages past its new
// end. `flowcast_mapping_watch` registers a read-only mapping with a SIGBUS handler (installed on
// first use, chaining to whatever handler was there before for faults elsewhere): a fault inside a
// watched mapping maps a page of zeros over the faulting page, so the faulting load completes, and
// raises the mapping's flag. Returns the flag to read with `flowcast_flag_raised`, or NULL when
// every slot is taken (the caller reads the file another way). `flowcast_mapping_unwatch` before
// the mapping is unmapped.
const int *flowcast_mapping_watch(const void *base, unsigned long size);
void flowcast_mapping_unwatch(const int *flag);
static inline int flowcast_flag_raised(const int *flag) { return __atomic_load_n(flag, __ATOMIC_ACQUIRE); }
// Reads one byte the compiler cannot drop: touches the page that holds it (so that a vanished page
// faults here, before the bytes around it are handed out).
static inline void flowcast_touch(const void *address) { (void)*(const volatile char *)address; }

// Live capture on several threads (see shims.c): join a PACKET_FANOUT group that keeps each flow on one member
// (id -1: the kernel picks a unique id, returned), and a reject-everything socket filter for
// while a group is being assembled. Each returns -errno on failure.
int flowcast_fanout_join(int fd, int id);
int flowcast_filter_reject_all(int fd);
int flowcast_filter_detach(int fd);

// Bytes written to a TCP socket that its peer has not acknowledged (SIOCOUTQ), or -errno. Still
// answers after the connection was reset: what the peer's kernel never took.
int flowcast_unacknowledged_bytes(int fd);

// Flushes C stdio's standard output (Swift's `print` writes through it) and returns 0 when every
// write to it so far succeeded, else the errno of the flush or -1 for an earlier failed write.
// In C because Swift 6 refuses `stdout`, a mutable global, in strict concurrency checking.
int flowcast_stdout_status(void);
#endif
