// featpool pool: a [time, freq] .npy matrix in, the pooled matrix out, with
// PyTorch's pooling semantics (pooler.h).
#include "../../lib/src/out-of-memory.h"
#include "featpool/command.h"
#include "featpool/error.h"
#include "featpool/npy.h"
#include "featpool/option-flags.h"
#include "featpool/pooler.h"
#include "featpool/std-streams.h"

namespace featpool {
namespace cli {

using internal::NamingOutOfMemory;
using internal::PooledOutputAllocation;

RunFunction AddPoolCommand(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "pool",
      "Pool a [time, freq] feature matrix (.npy) as torch.nn.functional's max/avg/lp/adaptive "
      "pooling would, or reduce it (x-vector statistics, LFR frame stacking)");
  struct State {
    PoolFlagSet flags{""};
    std::string input;
    std::string output;
    std::string indices;
  };
  auto state = std::make_shared<State>();
  sub->add_option("INPUT", state->input, "2-D float32 or float64 .npy, [time, freq]")->required();
  sub->add_option("-o,--output", state->output, "Output .npy (float32)")->required();
  sub->add_option("--indices", state->indices,
                  "Also write the flat input index t*F+f of every output (int64 .npy; max and "
                  "adaptive-max)");
  state->flags.Add(sub);
  return [state]() {
    return WithOptionSpelling({&state->flags}, [&]() -> int {
    PoolOptions opts = state->flags.ToOptions();
    opts.return_indices = !state->indices.empty();
    const Pooler pooler(opts);  // validates before reading the input
    CheckStdoutFor(state->output, "-o " + state->output);
    CheckStdoutFor(state->indices, "--indices=" + state->indices);
    const Matrix in = NamingOutOfMemory(
        state->input, [] { return std::string("reading it"); },
        [&] { return ReadNpy(state->input); });
    Matrix out;
    std::vector<int64_t> indices;
    try {
      NamingOutOfMemory(
          "", [&] { return PooledOutputAllocation(pooler, in.rows(), in.cols()); },
          [&] { pooler.Apply(in.View(), &out, opts.return_indices ? &indices : nullptr); });
    } catch (const OptionError& e) {
      throw e.WithContext("'" + state->input + "'");
    } catch (const Error& e) {
      throw Error("'" + state->input + "': " + e.what());
    }
    const SignalsHeldBack held;  // a kill waits until no temporary file exists
    WriteNpy(state->output, out.View());
    if (opts.return_indices) WriteNpyInt64(state->indices, indices.data(), out.rows(), out.cols());
    return 0;
    });
  };
}

}  // namespace cli
}  // namespace featpool
