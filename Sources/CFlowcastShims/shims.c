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
