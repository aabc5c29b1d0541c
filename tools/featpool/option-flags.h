// The command's flags, generated from the option tables (options.h): each
// key becomes --key-with-dashes (Kaldi's spelling; Kaldi's parser also takes
// underscores, and so does this one), its help, unit and default come from
// the table. Values are kept as given and applied to the chosen feature
// type's (or pooling mode's) options after parsing, so an option the chosen
// type does not take is an error that names the types it belongs to.
#ifndef FEATPOOL_TOOLS_OPTION_FLAGS_H_
#define FEATPOOL_TOOLS_OPTION_FLAGS_H_

#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "featpool/batch.h"
#include "featpool/feature-options.h"
#include "featpool/options.h"
#include "featpool/pooler.h"
#include "featpool/stage.h"

namespace featpool {
namespace cli {

// How the command spells a key no flag set registered: --key-with-dashes,
// but --ext for extensions (every subcommand reading directories has it).
std::string CommandFlag(const std::string& key);

// The message of `e` as the command says it: an OptionError's keys as
// flags (CommandFlag), any other error's what().
std::string CommandText(const Error& e);

// Flags of one family of option tables, kept as text.
class OptionFlagSet {
 public:
  // `prefix` is put before every key's flag ("pool-" gives --pool-kernel);
  // `mode_key`, when set, is spelled --PREFIX without the key (--pool for
  // the pooling mode).
  explicit OptionFlagSet(std::string prefix = "", std::string mode_key = "")
      : prefix_(std::move(prefix)), mode_key_(std::move(mode_key)) {}

  // How the command spells `key`.
  std::string Flag(const std::string& key) const;
  // Renders an OptionError in this set's spelling; other errors unchanged.
  std::string Render(const OptionError& e) const;

  // Whether this set registered `key`.
  bool Knows(const std::string& key) const {
    return options_.count(key) > 0 || spelling_.count(key) > 0;
  }
  // Whether the flag of `key` was given, and its text.
  bool Given(const std::string& key) const;
  const std::string& Text(const std::string& key) const;
  // Whether the flag of `key` was given on the command line itself: its last
  // value came from no --config file or preset (FlagOrigin).
  bool GivenOnCommandLine(const std::string& key) const;

 protected:
  // Registers the flag of `info.key` (and its underscore spelling), bound
  // to text; `defaults` is the default as --help shows it.
  // `names` replaces the flag's CLI11 names ("-j,--jobs"); "" = Flag(key).
  void Register(CLI::App* app, const OptionInfo& info, OptionType type, const std::string& defaults,
                const std::string& group, const std::string& names = "");
  // Applies every given flag to `opts`; a given flag whose key `opts` does
  // not have is passed to `unknown`.
  template <class Options, class Unknown>
  void Apply(Options* opts, Unknown unknown, bool command_line_only = false) const {
    for (const std::string& key : order_) {
      if (!(command_line_only ? GivenOnCommandLine(key) : Given(key))) continue;
      if (!SetOptionText(opts, key, Text(key))) unknown(key);
    }
  }

  std::string prefix_;
  std::string mode_key_;
  std::map<std::string, std::string> spelling_;  // keys spelled otherwise
  std::vector<std::string> order_;
  std::map<std::string, std::string> values_;
  std::map<std::string, CLI::Option*> options_;
};

// --feature and every key of every feature type in the registry.
class FeatureFlagSet : public OptionFlagSet {
 public:
  void Add(CLI::App* app);
  // The chosen type's options with every given flag applied, validated.
  // Throws OptionError naming the first bad flag, or a flag that belongs to
  // other feature types only.
  FeatureOptions ToOptions() const;
  // --sample-frequency as given (checked), else its default: what audio is
  // read at, without building the chosen type's computer.
  float SampleFrequency() const;
  // The --feature type as given (checked).
  FeatureType Type() const;
  // "feature=fbank" then the type's canonical option text (options.h).
  std::string CanonicalText(const FeatureOptions& opts) const;

 private:
  std::string feature_ = "fbank";
};

// The pooling options: `featpool pool` (--mode, --kernel, ...) and fused
// pooling in `featpool extract` (--pool, --pool-kernel, ...).
class PoolFlagSet : public OptionFlagSet {
 public:
  // `prefix` "" (featpool pool: mode defaults to max) or "pool-" (extract:
  // no pooling unless --pool is given).
  explicit PoolFlagSet(const std::string& prefix);
  void Add(CLI::App* app);
  bool Enabled() const;
  // Every given flag (only those given on the command line, with
  // `command_line_only`) applied, validated (Pooler's rules); throws
  // OptionError.
  PoolOptions ToOptions(bool command_line_only = false) const;
  // A pool flag given without --pool (extract) is an error naming it.
  void CheckUnusedWhenDisabled() const;
  // Whether --pool was given on the command line (not by a --config file or
  // preset).
  bool EnabledOnCommandLine() const;
};

// The stages after the features (stage.h): --cmvn, --norm-vars, --deltas,
// --left-context, --normalize, --stages, ... (pooling keeps its own set).
class StageFlagSet : public OptionFlagSet {
 public:
  void Add(CLI::App* app);
  // Every given flag applied, with `pool`'s options when it is enabled.
  // Validation happens when the chain is built (StageChain).
  StageOptions ToOptions(const PoolFlagSet* pool) const;
  // The same with only the flags given on the command line: what still has
  // to run on a .npy that extract wrote with the --config file's or preset's
  // stages already applied (`featpool plot feats.npy --preset=whisper`).
  StageOptions CommandLineOptions(const PoolFlagSet* pool) const;
  // Whether any stage flag was given.
  bool AnyGiven() const;
};

// The audio flags of every subcommand, from AudioReadOptions' table
// (audio-source.h): --resample (also spelled --no-resample, its negation),
// --allow-downsample, --allow-upsample.
class AudioFlagSet : public OptionFlagSet {
 public:
  void Add(CLI::App* app, const std::string& group);
  // Every given flag applied to `opts`.
  void ApplyTo(AudioReadOptions* opts) const;
};

// A dataset run's flags (`featpool extract`), from BatchRequest's table
// (batch.h): --jobs (also -j), --ext (the key extensions), the rest
// --key-with-dashes. The audio keys every subcommand has (AudioFlagSet)
// are left to the feature flags.
class BatchFlagSet : public OptionFlagSet {
 public:
  BatchFlagSet();
  // Every key of the table, or only `keys` (a subcommand that reads
  // datasets without writing features: info takes jobs and extensions).
  void Add(CLI::App* app, const std::vector<std::string>& keys = {});
  // Every given flag applied to `request` (MakeBatchConfig checks values).
  void ApplyTo(BatchRequest* request) const;
  // The given flags that only a batch output takes (all but jobs, extensions
  // and the wav.scp command limits), as keys.
  std::vector<std::string> GivenBatchOnly() const;
};

// The stage chain for the features (stage.h).
using featpool::MakeStageChain;

// Where the value of `flag` ("--subtract-mean") came from: "FILE:LINE" of
// the --config file (or preset) that gave it last, "" for the command line.
// The command records every flag as it reads the arguments (a later one
// overrides, as the value does); RenderOptionError puts a file's FILE:LINE in
// front of an error about that flag's value.
void RecordFlagOrigin(const std::string& flag, const std::string& origin);
std::string FlagOrigin(const std::string& flag);

// Renders any OptionError with the right set's spelling: `sets` are tried
// in order, the first that registered the key wins; keys no set knows are
// spelled --key. An error about a value a config file gave starts with
// its FILE:LINE.
std::string RenderOptionError(const OptionError& e, const std::vector<const OptionFlagSet*>& sets);

// Runs `body`; an OptionError escaping it becomes an Error spelled as the
// command spells the option (RenderOptionError with `sets`).
template <class Body>
int WithOptionSpelling(const std::vector<const OptionFlagSet*>& sets, Body body) {
  try {
    return body();
  } catch (const OptionError& e) {
    throw Error(RenderOptionError(e, sets));
  }
}

}  // namespace cli
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_OPTION_FLAGS_H_
