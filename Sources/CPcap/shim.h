#ifndef FLOWCAST_CPCAP_SHIM_H
#define FLOWCAST_CPCAP_SHIM_H
// Flowcast reaches libpcap only through this header; FlowcastCapture owns every handle.
#include <pcap/pcap.h>
#endif
