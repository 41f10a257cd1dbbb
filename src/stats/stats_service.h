// Freight statistics, the overview screen's figures and economic indicators (issue 7).
#pragma once

namespace baotong::stats {

class StatsService;

}  // namespace baotong::stats
