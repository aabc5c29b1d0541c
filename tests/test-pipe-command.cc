#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "featpool/error.h"
#include "featpool/pipe-command.h"

using namespace featpool;

TEST_CASE("RunPipeCommand returns standard output and checks how the command ended", "[pipe]") {
  PipeOptions opts;
  CHECK(RunPipeCommand("printf 'abc'; echo noise >&2", opts) == "abc");
  // Large outputs pass whole (several pipe buffers, with stderr interleaved).
  CHECK(RunPipeCommand("head -c 1000000 /dev/zero; echo x >&2", opts).size() == 1000000);
  CHECK_THROWS_WITH(RunPipeCommand("echo why >&2; exit 3", opts),
                    Catch::Contains("exited with status 3") && Catch::Contains("why"));
  CHECK_THROWS_WITH(RunPipeCommand("printf x; kill -9 $$", opts),
                    Catch::Contains("killed by signal 9"));
  CHECK_THROWS_WITH(RunPipeCommand("true", opts), Catch::Contains("wrote no audio"));
  CHECK_THROWS_WITH(RunPipeCommand("no-such-command-featpool", opts),
                    Catch::Contains("status 127"));
  // Standard input is /dev/null: a command reading it ends.
  CHECK_THROWS_WITH(RunPipeCommand("cat", opts), Catch::Contains("wrote no audio"));
}

TEST_CASE("RunPipeCommand bounds the output and the time", "[pipe]") {
  PipeOptions opts;
  opts.max_bytes = 1000;
  CHECK(RunPipeCommand("head -c 1000 /dev/zero", opts).size() == 1000);
  CHECK_THROWS_WITH(RunPipeCommand("cat /dev/zero", opts), Catch::Contains("more than 1000 bytes"));
  opts = PipeOptions();
  opts.timeout_seconds = 0.3;
  const auto start = std::chrono::steady_clock::now();
  // The whole process group goes: the sleeping child holds the pipe open.
  CHECK_THROWS_WITH(RunPipeCommand("printf x; sleep 30 | cat", opts),
                    Catch::Contains("pipe_timeout="));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  opts.timeout_seconds = -1;
  CHECK_THROWS_WITH(RunPipeCommand("true", opts), Catch::Contains("pipe_timeout="));
}
