#include "http/response.h"
