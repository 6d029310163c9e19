#include "repo/repo.h"
