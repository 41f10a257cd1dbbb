// `baotong demo`: loads the Anshan demo city (sim/demo_city.h: the real geography, invented
// records) into a data directory, pre-provisions its terminals with the gateway so the
// simulator's fleet is known, writes the fleet's plan for `baotong sim --demo-fleet`
// (demo-fleet.json) and, into a fresh directory, months of history (demo_history.h).
#pragma once

#include <CLI/CLI.hpp>

namespace baotong::app {

void AddDemoCommand(CLI::App& app, int& exit_code);

}  // namespace baotong::app
