#include "featpool/pool-flags.h"

#include <regex>

#include "featpool/error.h"

namespace featpool {
namespace cli {
namespace {

const char* const kSizeHelp = "T or TxF (time x freq)";

int64_t ParseCount(const std::string& text, const std::string& flag, bool allow_keep) {
  if (allow_keep && (text == "keep" || text == "none" || text == "None")) return kKeep;
  if (text.empty() || text.size() > 12 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    throw Error(flag + ": expected " + std::string(kSizeHelp) + " with non-negative integers" +
                (allow_keep ? " or 'keep'" : "") + ", got '" + text + "'");
  }
  return std::stoll(text);
}

}  // namespace

PoolSize ParsePoolSize(const std::string& text, const std::string& flag, bool allow_keep) {
  const size_t x = text.find('x');
  if (x == std::string::npos) {
    const int64_t v = ParseCount(text, flag, allow_keep);
    return {v, v};
  }
  try {
    return {ParseCount(text.substr(0, x), flag, allow_keep),
            ParseCount(text.substr(x + 1), flag, allow_keep)};
  } catch (const Error&) {
    throw Error(flag + ": expected " + std::string(kSizeHelp) + ", got '" + text + "'");
  }
}

std::string PoolFlags::Flag(const std::string& name) const {
  if (name == "mode") return prefix.empty() ? "--mode" : "--" + prefix.substr(0, prefix.size() - 1);
  return "--" + prefix + name;
}

PoolOptions PoolFlags::ToOptions() const {
  PoolOptions o;
  try {
    o.mode = ParsePoolMode(mode);
  } catch (const Error&) {
    throw Error(Flag("mode") + ": unknown pooling mode '" + mode +
                "' (expected max, avg, lp, adaptive-max, adaptive-avg, stats or stack)");
  }
  if (!kernel.empty()) o.kernel = ParsePoolSize(kernel, Flag("kernel"), false);
  if (!stride.empty()) o.stride = ParsePoolSize(stride, Flag("stride"), false);
  o.padding = ParsePoolSize(padding, Flag("padding"), false);
  o.dilation = ParsePoolSize(dilation, Flag("dilation"), false);
  o.ceil_mode = ceil_mode;
  o.count_include_pad = count_include_pad;
  if (!divisor_override.empty()) {
    static const std::regex integer("-?[0-9]{1,12}");
    if (!std::regex_match(divisor_override, integer)) {
      throw Error(Flag("divisor-override") + ": expected an integer, got '" + divisor_override +
                  "'");
    }
    o.divisor_override = std::stoll(divisor_override);
    if (o.divisor_override == 0) {
      throw Error(Flag("divisor-override") + " must be non-zero (torch: divisor must be not zero)");
    }
  }
  o.norm_type = norm_type;
  if (!output_size.empty()) o.output_size = ParsePoolSize(output_size, Flag("output-size"), true);
  o.stack_frames = stack_frames;
  o.stack_stride = stack_stride;
  try {
    o.Validate();
  } catch (const Error& e) {
    throw Error(Spell(e.what()));
  }
  return o;
}

std::string PoolFlags::Spell(const std::string& message) const {
  if (prefix.empty()) return message;
  static const std::regex names(
      "--(kernel|stride|padding|dilation|ceil-mode|count-include-pad|divisor-override|"
      "norm-type|output-size|stack-frames|stack-stride)\\b");
  static const std::regex mode_name("--mode\\b");
  const std::string renamed = std::regex_replace(message, names, "--" + prefix + "$1");
  return std::regex_replace(renamed, mode_name, Flag("mode"));
}

void AddPoolFlags(CLI::App* app, PoolFlags* f, const std::string& prefix) {
  f->prefix = prefix;
  const char* group = prefix.empty() ? "Pooling" : "Fused pooling (applied to the features)";
  const std::string size = std::string(" (") + kSizeHelp + ")";
  app->add_option(f->Flag("mode"), f->mode,
                  prefix.empty() ? "max, avg, lp, adaptive-max, adaptive-avg, stats or stack"
                                 : "Pool the features before writing: max, avg, lp, adaptive-max, "
                                   "adaptive-avg, stats or stack (default: no pooling)")
      ->capture_default_str()
      ->group(group);
  app->add_option(f->Flag("kernel"), f->kernel,
                  "max/avg/lp window" + size + "; Kx1 pools time only, 1xK frequency only")
      ->group(group);
  app->add_option(f->Flag("stride"), f->stride,
                  "max/avg/lp stride" + size + "; default: the kernel")
      ->group(group);
  app->add_option(f->Flag("padding"), f->padding,
                  "max/avg implicit padding" + size + ", at most half the kernel")
      ->capture_default_str()
      ->group(group);
  app->add_option(f->Flag("dilation"), f->dilation, "max dilation" + size)
      ->capture_default_str()
      ->group(group);
  app->add_flag(f->Flag("ceil-mode"), f->ceil_mode,
                "max/avg/lp: ceil instead of floor in the output size (torch ceil_mode)")
      ->group(group);
  app->add_flag(f->Flag("count-include-pad"), f->count_include_pad,
                "avg: count the padding in the divisor (=false to count input elements only)")
      ->capture_default_str()
      ->group(group);
  app->add_option(f->Flag("divisor-override"), f->divisor_override,
                  "avg: divide every window by this non-zero integer")
      ->group(group);
  app->add_option(f->Flag("norm-type"), f->norm_type, "lp: the power p (non-zero)")
      ->capture_default_str()
      ->group(group);
  app->add_option(f->Flag("output-size"), f->output_size,
                  "adaptive-max/avg output T'xF'; 'keep' keeps an axis (e.g. 1xkeep)")
      ->group(group);
  app->add_option(f->Flag("stack-frames"), f->stack_frames,
                  "stack: frames m concatenated per row (FunASR LFR)")
      ->capture_default_str()
      ->group(group);
  app->add_option(f->Flag("stack-stride"), f->stack_stride, "stack: frame step n between rows")
      ->capture_default_str()
      ->group(group);
}

}  // namespace cli
}  // namespace featpool
