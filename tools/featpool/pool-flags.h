// The pooling flags, registered once for `featpool pool` (--mode, --kernel,
// ...) and for fused pooling in `featpool extract` (prefix "pool-": --pool,
// --pool-kernel, ...). Sizes are "T" (both axes) or "TxF" (time x freq).
#ifndef FEATPOOL_TOOLS_POOL_FLAGS_H_
#define FEATPOOL_TOOLS_POOL_FLAGS_H_

#include <CLI/CLI.hpp>
#include <string>

#include "featpool/pooler.h"

namespace featpool {
namespace cli {

struct PoolFlags {
  std::string prefix;  // set by AddPoolFlags
  std::string mode;    // "" = no pooling (extract); `pool` defaults to max
  std::string kernel;
  std::string stride;  // "" = the kernel
  std::string padding = "0";
  std::string dilation = "1";
  bool ceil_mode = false;
  bool count_include_pad = true;
  std::string divisor_override;  // "" = none
  double norm_type = 2.0;
  std::string output_size;
  int64_t stack_frames = 7;
  int64_t stack_stride = 6;

  bool Enabled() const { return !mode.empty(); }
  // The flag's name as registered: Flag("kernel") is "--kernel" or
  // "--pool-kernel"; Flag("mode") is "--mode" or "--pool".
  std::string Flag(const std::string& name) const;
  // Parses and validates; throws featpool::Error naming the flag as the user
  // spelled it.
  PoolOptions ToOptions() const;
  // A library message (which names --kernel, --mode, ...) with the flags
  // spelled as registered here (--pool-kernel, --pool, ...).
  std::string Spell(const std::string& message) const;
};

void AddPoolFlags(CLI::App* app, PoolFlags* flags, const std::string& prefix);

// Parses "T" or "TxF" (non-negative integers; "keep" or "none" too when
// `allow_keep`, for --output-size). Throws Error naming `flag`.
PoolSize ParsePoolSize(const std::string& text, const std::string& flag, bool allow_keep);

}  // namespace cli
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_POOL_FLAGS_H_
