// `baotong demo`: loads the synthetic Anshan demo city (sim/demo_city.h) into a data directory,
// and pre-provisions its terminals with the gateway so the simulator's fleet is known.
#pragma once

#include <CLI/CLI.hpp>

namespace baotong::app {

void AddDemoCommand(CLI::App& app, int& exit_code);

}  // namespace baotong::app
