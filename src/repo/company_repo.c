#include "repo/company_repo.h"
