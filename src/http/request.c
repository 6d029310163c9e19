#include "http/request.h"
