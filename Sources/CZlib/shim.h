#ifndef FLOWCAST_CZLIB_SHIM_H
#define FLOWCAST_CZLIB_SHIM_H
// zlib, for captures compressed with gzip (GzipCapture in FlowcastCapture).
#include <zlib.h>
#endif
