#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
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

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#ifdef __linux__
#include <linux/sockios.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#endif

#ifdef __linux__
// The program that picks a fanout member for each packet (PACKET_FANOUT_CBPF; the kernel takes
// its result modulo the number of members): a hash, the same for both directions, of what
// Flowcast keys a flow on. For a GTP-U G-PDU that is the inner packet's addresses and ports, not
// the tunnel's: a UE's flow keeps its key across a handover while its tunnel endpoints change,
// and the kernel's PACKET_FANOUT_HASH (outer header) would split it over two threads and count
// it twice. Otherwise the outer addresses and TCP/UDP ports. Covered: Ethernet (VLAN tags
// stripped by the driver, as is usual), IPv4 and IPv6 outer headers, GTP-U over IPv4 with no or
// one extension header, IPv4 or IPv6 inside. Anything else (a tag left in the frame, ARP …) goes
// to the first member; a non-first IP fragment is hashed by its addresses (it has no ports).
// The sum is symmetric in source and destination; a multiply mixes it before the modulo.
//
// Classic BPF written out by hand, with a two-pass label resolver, because no library builds
// fanout programs and libpcap's compiler makes accept/reject filters, not hashes.
// Scratch: M[0] the hash, M[1] a port, M[3] the outer IPv4 header length, M[4] the inner offset.
enum { V4, V6, V6SUM, V6NOTTCP, V6PORTS, V4L4, V4UDP, V4SPORT, V4DPORT, OUTER, V4PORTS,
       GPDU, GFLAGS, G8, G12OREXT, G12, GEXT, GEXTLEN, GEXTEND, INNER, INNER6, IN6, IN6NOTTCP,
       IN6PORTS, IN4, IN4L4, IN4UDP, IN4PORTS, MIX, RET0, LABELS };

struct assembler { struct sock_filter *out; int count; int labels[LABELS]; };

// Every packet load addresses the frame from its link-layer header (SKF_LL_OFF + k). When the
// kernel runs a fanout program on a received packet, the skb's data starts at the network header
// (the Ethernet header is already pulled), so a plain offset 12 read the IPv4 source address, not
// the EtherType: until 5 December 2026 every received packet took the "not IP" branch and all
// traffic went to the group's first thread. Relative to the link-layer header the offsets hold
// whether the data starts there (sent packets) or at the network header (received ones).
static void op(struct assembler *a, unsigned short code, unsigned k) {
    unsigned short cls = BPF_CLASS(code), mode = BPF_MODE(code);
    if ((cls == BPF_LD && (mode == BPF_ABS || mode == BPF_IND)) || (cls == BPF_LDX && mode == BPF_MSH)) k += (unsigned)SKF_LL_OFF;
    if (a->out) a->out[a->count] = (struct sock_filter)BPF_STMT(code, k);
    a->count++;
}
// A conditional jump to `yes` or `no` (both later in the program).
static void jump(struct assembler *a, unsigned short test, unsigned k, int yes, int no) {
    if (a->out) {
        unsigned char jt = (unsigned char)(a->labels[yes] - a->count - 1), jf = (unsigned char)(a->labels[no] - a->count - 1);
        a->out[a->count] = (struct sock_filter)BPF_JUMP(BPF_JMP | test | BPF_K, k, jt, jf);
    }
    a->count++;
}
static void go(struct assembler *a, int to) {
    if (a->out) a->out[a->count] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, (unsigned)(a->labels[to] - a->count - 1));
    a->count++;
}
static void label(struct assembler *a, int l) { a->labels[l] = a->count; }
// M[0] += what `code` loads at k; with `keepX`, X is reloaded from M[4] afterwards.
static void accumulate(struct assembler *a, unsigned short code, unsigned k, int keepX) {
    op(a, code, k); op(a, BPF_LDX | BPF_MEM, 0); op(a, BPF_ALU | BPF_ADD | BPF_X, 0); op(a, BPF_ST, 0);
    if (keepX) op(a, BPF_LDX | BPF_MEM, 4);
}

static void flow_program(struct assembler *a) {
    const unsigned short LDW = BPF_LD | BPF_W | BPF_ABS, LDH = BPF_LD | BPF_H | BPF_ABS, LDB = BPF_LD | BPF_B | BPF_ABS;
    const unsigned short LDWX = BPF_LD | BPF_W | BPF_IND, LDHX = BPF_LD | BPF_H | BPF_IND, LDBX = BPF_LD | BPF_B | BPF_IND;
    const unsigned short TAX = BPF_MISC | BPF_TAX, TXA = BPF_MISC | BPF_TXA, ADDK = BPF_ALU | BPF_ADD | BPF_K;
    const unsigned short ADDX = BPF_ALU | BPF_ADD | BPF_X, LDM = BPF_LD | BPF_MEM, LDXM = BPF_LDX | BPF_MEM;
    op(a, LDH, 12);
    jump(a, BPF_JEQ, 0x0800, V4, V6);
    label(a, V6);
    jump(a, BPF_JEQ, 0x86dd, V6SUM, RET0);
    label(a, V6SUM);                                 // IPv6 outer: addresses, then ports
    op(a, LDW, 22); op(a, BPF_ST, 0);
    for (unsigned k = 26; k <= 50; k += 4) accumulate(a, LDW, k, 0);
    op(a, LDB, 20);
    jump(a, BPF_JEQ, 6, V6PORTS, V6NOTTCP);
    label(a, V6NOTTCP);
    jump(a, BPF_JEQ, 17, V6PORTS, MIX);
    label(a, V6PORTS);
    accumulate(a, LDH, 54, 0); accumulate(a, LDH, 56, 0);
    go(a, MIX);

    label(a, V4);                                    // IPv4 outer: addresses
    op(a, LDW, 26); op(a, BPF_ST, 0);
    accumulate(a, LDW, 30, 0);
    op(a, LDH, 20);
    jump(a, BPF_JSET, 0x1fff, MIX, V4L4);            // a non-first fragment: addresses only
    label(a, V4L4);
    op(a, BPF_LDX | BPF_B | BPF_MSH, 14);            // X = outer header length
    op(a, TXA, 0); op(a, BPF_ST, 3);
    op(a, LDB, 23);
    jump(a, BPF_JEQ, 6, V4PORTS, V4UDP);
    label(a, V4UDP);
    jump(a, BPF_JEQ, 17, V4SPORT, MIX);
    label(a, V4SPORT);
    op(a, LDHX, 14);
    jump(a, BPF_JEQ, 2152, GPDU, V4DPORT);
    label(a, V4DPORT);
    op(a, LDHX, 16);
    jump(a, BPF_JEQ, 2152, GPDU, V4PORTS);
    label(a, GPDU);                                  // GTP-U header at X + 22
    op(a, LDBX, 23);
    jump(a, BPF_JEQ, 0xff, GFLAGS, V4PORTS);         // not a G-PDU (echo …): the outer ports
    label(a, GFLAGS);
    op(a, LDBX, 22);
    jump(a, BPF_JSET, 0x07, G12OREXT, G8);
    label(a, G8);                                    // 8-byte header: inner at X + 30
    op(a, LDM, 3); op(a, ADDK, 30); op(a, TAX, 0);
    go(a, INNER);
    label(a, G12OREXT);
    jump(a, BPF_JSET, 0x04, GEXT, G12);
    label(a, G12);                                   // 12-byte header: inner at X + 34
    op(a, LDM, 3); op(a, ADDK, 34); op(a, TAX, 0);
    go(a, INNER);
    label(a, GEXT);                                  // one extension header of [X + 34] × 4 bytes
    op(a, LDBX, 34);
    jump(a, BPF_JEQ, 0, OUTER, GEXTLEN);             // length 0 is malformed
    label(a, GEXTLEN);
    op(a, BPF_ALU | BPF_LSH | BPF_K, 2); op(a, LDXM, 3); op(a, ADDX, 0);
    op(a, ADDK, 33); op(a, TAX, 0);                  // X = the extension's last byte: the next type
    op(a, LDBX, 0);
    jump(a, BPF_JEQ, 0, GEXTEND, OUTER);             // a second extension: the outer ports
    label(a, GEXTEND);
    op(a, TXA, 0); op(a, ADDK, 1); op(a, TAX, 0);

    label(a, INNER);                                 // X = the inner IP header
    op(a, TXA, 0); op(a, BPF_ST, 4);
    op(a, LDBX, 0); op(a, BPF_ALU | BPF_AND | BPF_K, 0xf0);
    jump(a, BPF_JEQ, 0x40, IN4, INNER6);
    label(a, INNER6);
    jump(a, BPF_JEQ, 0x60, IN6, OUTER);
    label(a, IN6);                                   // inner IPv6: addresses, then ports
    op(a, LDWX, 8); op(a, BPF_ST, 0); op(a, LDXM, 4);
    for (unsigned k = 12; k <= 36; k += 4) accumulate(a, LDWX, k, 1);
    op(a, LDBX, 6);
    jump(a, BPF_JEQ, 6, IN6PORTS, IN6NOTTCP);
    label(a, IN6NOTTCP);
    jump(a, BPF_JEQ, 17, IN6PORTS, MIX);
    label(a, IN6PORTS);
    accumulate(a, LDHX, 40, 1); accumulate(a, LDHX, 42, 0);
    go(a, MIX);

    label(a, IN4);                                   // inner IPv4: addresses, then ports
    op(a, LDWX, 12); op(a, BPF_ST, 0); op(a, LDXM, 4);
    accumulate(a, LDWX, 16, 1);
    op(a, LDHX, 6);
    jump(a, BPF_JSET, 0x1fff, MIX, IN4L4);           // a non-first fragment: addresses only
    label(a, IN4L4);
    op(a, LDBX, 9);
    jump(a, BPF_JEQ, 6, IN4PORTS, IN4UDP);
    label(a, IN4UDP);
    jump(a, BPF_JEQ, 17, IN4PORTS, MIX);
    label(a, IN4PORTS);                              // X = inner offset + its header length
    op(a, LDBX, 0); op(a, BPF_ALU | BPF_AND | BPF_K, 0x0f); op(a, BPF_ALU | BPF_LSH | BPF_K, 2);
    op(a, ADDX, 0); op(a, TAX, 0);
    op(a, LDHX, 0); op(a, BPF_ST, 1); op(a, LDHX, 2); op(a, LDXM, 1); op(a, ADDX, 0);
    op(a, LDXM, 0); op(a, ADDX, 0); op(a, BPF_ST, 0);
    go(a, MIX);

    // (Here, after every jump to it: classic BPF jumps forward only.)
    label(a, OUTER);                                 // back to the outer ports (after GTP-U)
    op(a, LDXM, 3);
    label(a, V4PORTS);                               // X = outer header length
    op(a, LDHX, 14); op(a, BPF_ST, 1); op(a, LDHX, 16); op(a, LDXM, 1); op(a, ADDX, 0);
    op(a, LDXM, 0); op(a, ADDX, 0); op(a, BPF_ST, 0);

    label(a, MIX);
    op(a, LDM, 0); op(a, BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u); op(a, BPF_ALU | BPF_RSH | BPF_K, 16);
    op(a, BPF_RET | BPF_A, 0);
    label(a, RET0);
    op(a, BPF_RET | BPF_K, 0);
}
#endif

// Joins a packet socket to a PACKET_FANOUT group that sends each flow to one member (see
// flow_program). With id -1 the kernel picks an id no group in the network namespace uses
// (PACKET_FANOUT_FLAG_UNIQUEID), so two processes never share a group by accident, and the
// program is attached; the id is returned for the other sockets to join with (the kernel may
// pick 0, so "any id" is -1 here). Returns the id, or -errno.
// In C because the constants and option layouts are Linux UAPI macros Swift cannot import.
int flowcast_fanout_join(int fd, int id) {
#if defined(__linux__) && defined(PACKET_FANOUT_CBPF)
    unsigned flags = PACKET_FANOUT_CBPF;
    if (id < 0) flags |= PACKET_FANOUT_FLAG_UNIQUEID;
    int arg = (int)((id < 0 ? 0u : ((unsigned)id & 0xffff)) | (flags << 16));
    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) return -errno;
    if (id >= 0) return id;
    struct assembler sizing = { 0 };
    flow_program(&sizing);                           // pass 1: label positions
    struct sock_filter code[256];
    if (sizing.count > 256) return -E2BIG;
    struct assembler emit = { .out = code };
    memcpy(emit.labels, sizing.labels, sizeof emit.labels);
    flow_program(&emit);                             // pass 2: the instructions
    struct sock_fprog program = { .len = (unsigned short)emit.count, .filter = code };
    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &program, sizeof program) != 0) return -errno;
    int got = 0;
    socklen_t length = sizeof got;
    if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &got, &length) != 0) return -errno;
    return got & 0xffff;
#else
    (void)fd; (void)id;
    return -ENOTSUP;
#endif
}

// Attaches a socket filter that accepts nothing (one BPF instruction, `ret #0`): while the
// sockets of a fanout group are joined one by one, a socket not yet in the group would get a
// copy of what the group also gets. Returns 0 or -errno.
int flowcast_filter_reject_all(int fd) {
#ifdef __linux__
    struct sock_filter reject = BPF_STMT(BPF_RET | BPF_K, 0);
    struct sock_fprog program = { .len = 1, .filter = &reject };
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) != 0) return -errno;
    return 0;
#else
    (void)fd;
    return -ENOTSUP;
#endif
}

// Removes the socket filter again (the capture has no BPF filter of its own). Returns 0 or -errno.
int flowcast_filter_detach(int fd) {
#ifdef __linux__
    int unused = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof unused) != 0) return -errno;
    return 0;
#else
    (void)fd;
    return -ENOTSUP;
#endif
}

int flowcast_unacknowledged_bytes(int fd) {
#ifdef SIOCOUTQ
    int value = 0;
    if (ioctl(fd, SIOCOUTQ, &value) != 0) return -errno;
    return value;
#else
    (void)fd;
    return -ENOTSUP;
#endif
}

int flowcast_stdout_status(void) {
    if (fflush(stdout) != 0) return errno ? errno : -1;
    return ferror(stdout) ? -1 : 0;
}
