#ifndef FLOWCAST_CNATS_SHIM_H
#define FLOWCAST_CNATS_SHIM_H
// Flowcast reaches the NATS C client only through this header; FlowcastNATS owns every handle.
#include <nats/nats.h>
#endif
