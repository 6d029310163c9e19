#include "http/router.h"
