#include "stats/stats_service.h"
