#include "repo/donor_repo.h"
