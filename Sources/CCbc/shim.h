#ifndef FLOWCAST_CCBC_SHIM_H
#define FLOWCAST_CCBC_SHIM_H
// COIN-OR Cbc's C interface (Clp underneath for LPs). FlowcastPolicy's solver type owns the model.
#include <coin/Cbc_C_Interface.h>
#endif
