#ifndef FLOWCAST_CCBC_SHIM_H
#define FLOWCAST_CCBC_SHIM_H
// COIN-OR Cbc's C interface (MIPs), and Clp's (pure LPs solved many times, without Cbc's
// driver). FlowcastPolicy's solver types own the models.
#include <coin/Cbc_C_Interface.h>
#include <coin/Clp_C_Interface.h>
#endif
