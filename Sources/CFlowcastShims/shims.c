#define _GNU_SOURCE
#include <fcntl.h>
#include "CFlowcastShims.h"

// Starts writing a file range back to disk without waiting (Linux sync_file_range), so the
// fsync before an output file is renamed into place finds little left to do.
int flowcast_start_writeback(int fd, long long offset, long long length) {
#ifdef SYNC_FILE_RANGE_WRITE
    return sync_file_range(fd, (off_t)offset, (off_t)length, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)length;
    return 0;
#endif
}

// Why a signal handler: a mapping gives no error code when the file under it shrinks, only
// SIGBUS on the vanished pages; reading every record through pread instead would give up the
// in-place reader's speed. The handler is the narrow alternative: it recognises only addresses
// inside watched mappings and hands every other SIGBUS to the handler that was installed before.
#include <signal.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

enum { FLOWCAST_WATCH_SLOTS = 64 };
static struct {
    uintptr_t base;  // 0: free slot
    uintptr_t end;   // 0: not (yet, or any more) watched
    int faulted;
} watched[FLOWCAST_WATCH_SLOTS];
static struct sigaction previous_sigbus;
static uintptr_t page_mask;
static pthread_once_t sigbus_once = PTHREAD_ONCE_INIT;

static void on_sigbus(int signo, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int i = 0; i < FLOWCAST_WATCH_SLOTS; i++) {
        // `end` is published last and withdrawn first: a slot with an end has its base.
        uintptr_t end = __atomic_load_n(&watched[i].end, __ATOMIC_ACQUIRE);
        if (end == 0 || address < __atomic_load_n(&watched[i].base, __ATOMIC_RELAXED) || address >= end) continue;
        // mmap is not on POSIX's async-signal-safe list, but on Linux it is a plain system call.
        void *page = (void *)(address & page_mask);
        if (mmap(page, ~page_mask + 1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) break;
        __atomic_store_n(&watched[i].faulted, 1, __ATOMIC_RELEASE);
        return;  // the faulting load runs again and reads zeros
    }
    if (previous_sigbus.sa_flags & SA_SIGINFO) {
        if (previous_sigbus.sa_sigaction != NULL) { previous_sigbus.sa_sigaction(signo, info, context); return; }
    } else if (previous_sigbus.sa_handler != SIG_DFL && previous_sigbus.sa_handler != SIG_IGN) {
        previous_sigbus.sa_handler(signo);
        return;
    }
    // The default action: returning re-runs the faulting load, which now kills the process.
    struct sigaction fallback = {0};
    fallback.sa_handler = SIG_DFL;
    sigaction(SIGBUS, &fallback, NULL);
}

static void install_sigbus_handler(void) {
    page_mask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
    struct sigaction action = {0};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous_sigbus);
}

const int *flowcast_mapping_watch(const void *base, unsigned long size) {
    pthread_once(&sigbus_once, install_sigbus_handler);
    for (int i = 0; i < FLOWCAST_WATCH_SLOTS; i++) {
        uintptr_t expected = 0;
        // Claim the slot with a marker no mapping starts at, fill it in, then publish the end.
        if (!__atomic_compare_exchange_n(&watched[i].base, &expected, (uintptr_t)1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) continue;
        __atomic_store_n(&watched[i].faulted, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&watched[i].base, (uintptr_t)base, __ATOMIC_RELAXED);
        __atomic_store_n(&watched[i].end, (uintptr_t)base + size, __ATOMIC_RELEASE);
        return &watched[i].faulted;
    }
    return NULL;
}

void flowcast_mapping_unwatch(const int *flag) {
    for (int i = 0; i < FLOWCAST_WATCH_SLOTS; i++) {
        if (&watched[i].faulted != flag) continue;
        __atomic_store_n(&watched[i].end, (uintptr_t)0, __ATOMIC_RELEASE);
        __atomic_store_n(&watched[i].base, (uintptr_t)0, __ATOMIC_RELEASE);
    }
}
