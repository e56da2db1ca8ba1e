#ifndef FLOWCAST_SHIMS_H
#define FLOWCAST_SHIMS_H
// Swift has no prefetch intrinsic. The flow table looks up packets a few ahead of the one it
// updates and asks for their slot and record early, so the cache misses of a 170k-flow table
// overlap instead of stalling one after another.
static inline void flowcast_prefetch(const void *address) { __builtin_prefetch(address, 1, 3); }
#endif
