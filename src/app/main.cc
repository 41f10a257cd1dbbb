// The `baotong` executable: one binary, one subcommand per role.
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/jt808_command.h"

int main(int argc, char** argv) {
  CLI::App app{"Baotong (保通): city freight supervision and data sharing platform"};
  app.require_subcommand(1);

  auto* jt808 = app.add_subcommand("jt808", "JT/T 808 protocol tools");
  jt808->require_subcommand(1);
  auto* decode = jt808->add_subcommand(
      "decode", "Decode captured JT/T 808 frames (hex) and print one JSON object per frame");
  std::vector<std::string> frames;
  bool skip_checksum = false;
  decode->add_option("HEX", frames, "Frame bytes in hex, with or without the 0x7e flags")
      ->required();
  decode->add_flag("--no-verify-checksum", skip_checksum,
                   "Decode frames whose check code is wrong (e.g. anonymised captures)");

  int exit_code = 0;
  decode->callback([&] {
    baotong::app::Jt808DecodeOptions options;
    options.verify_checksum = !skip_checksum;
    exit_code = baotong::app::RunJt808Decode(frames, options, std::cout);
  });

  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
