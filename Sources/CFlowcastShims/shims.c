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

#include <errno.h>
#include <sys/socket.h>
#ifdef __linux__
#include <linux/filter.h>
#include <linux/if_packet.h>
#endif

// Joins a packet socket to a PACKET_FANOUT group hashing by flow (the kernel's symmetric hash of
// the outer addresses and ports, IP fragments reassembled first so a fragmented datagram stays
// on one socket). With id -1 the kernel picks an id no group in the network namespace uses
// (PACKET_FANOUT_FLAG_UNIQUEID), so two processes never share a group by accident; the chosen
// id is returned for the other sockets to join with. Returns the id, or -errno.
// In C because the constants and the option layout are Linux UAPI macros Swift cannot import.
// (The kernel may pick 0, so "any id" is -1 here, not 0.)
int flowcast_fanout_join(int fd, int id) {
#if defined(__linux__) && defined(PACKET_FANOUT)
    unsigned flags = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
    if (id < 0) flags |= PACKET_FANOUT_FLAG_UNIQUEID;
    int arg = (int)((id < 0 ? 0u : ((unsigned)id & 0xffff)) | (flags << 16));
    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) return -errno;
    if (id >= 0) return id;
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
