#include "repo/cursor.h"
