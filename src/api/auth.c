#include "api/auth.h"
