#include "CFlowcastShims.h"
