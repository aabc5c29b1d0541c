#include "featpool/option-flags.h"

#include <algorithm>

#include "featpool/feature-registry.h"

namespace featpool {
namespace cli {
namespace {

std::string Join(const std::vector<std::string>& items, const std::string& last_sep) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == items.size() ? last_sep : ", ") + items[i];
  }
  return text;
}

std::string TypeName(OptionType type) {
  switch (type) {
    case OptionType::kBool:
      return "BOOL";
    case OptionType::kInt32:
    case OptionType::kInt64:
    case OptionType::kUint32:
      return "INT";
    case OptionType::kFloat:
    case OptionType::kDouble:
      return "FLOAT";
    case OptionType::kString:
      return "TEXT";
    case OptionType::kChoice:
      return "NAME";
    case OptionType::kSize:
    case OptionType::kOptSize:
      return "TxF";
  }
  return "TEXT";
}

// One key as the registry's feature types have it.
struct FeatureKey {
  OptionInfo info;
  OptionType type = OptionType::kString;
  std::vector<std::string> owners;    // feature types that take it
  std::vector<std::string> defaults;  // their defaults, same order
};

std::vector<FeatureKey> CollectFeatureKeys() {
  std::vector<FeatureKey> keys;
  for (const FeatureTypeInfo& type : FeatureTypes()) {
    FeatureOptions opts = DefaultFeatureOptions(type.type);
    OptionLambda v([&](const OptionInfo& info, const OptionRef& ref) {
      auto it = std::find_if(keys.begin(), keys.end(), [&](const FeatureKey& k) {
        return std::string(k.info.key) == info.key;
      });
      if (it == keys.end()) {
        keys.push_back({info, ref.type(), {}, {}});
        it = keys.end() - 1;
      }
      it->owners.push_back(type.name);
      it->defaults.push_back(ref.Text());
    });
    opts.VisitOptions(v);
  }
  return keys;
}

}  // namespace

std::string CommandFlag(const std::string& key) {
  // dataset.h's DatasetOptions::extensions: --ext in every subcommand.
  return key == "extensions" ? "--ext" : FlagName(key);
}

std::string CommandText(const Error& e) {
  const auto* option = dynamic_cast<const OptionError*>(&e);
  return option != nullptr ? option->Render(CommandFlag) : std::string(e.what());
}

std::string OptionFlagSet::Flag(const std::string& key) const {
  const auto spelled = spelling_.find(key);
  if (spelled != spelling_.end()) return spelled->second;
  if (!mode_key_.empty() && key == mode_key_) {
    return "--" + (prefix_.empty() ? key : prefix_.substr(0, prefix_.size() - 1));
  }
  return FlagName(KeyFromFlag(prefix_) + key);
}

std::string OptionFlagSet::Render(const OptionError& e) const {
  return e.Render([this](const std::string& key) { return Flag(key); });
}

bool OptionFlagSet::Given(const std::string& key) const {
  const auto it = options_.find(key);
  return it != options_.end() && it->second->count() > 0;
}

const std::string& OptionFlagSet::Text(const std::string& key) const { return values_.at(key); }

bool OptionFlagSet::GivenOnCommandLine(const std::string& key) const {
  if (!Given(key)) return false;
  const std::string flag = Flag(key);
  std::string underscored = flag;
  std::replace(underscored.begin() + 2, underscored.end(), '-', '_');
  return FlagOrigin(flag).empty() && FlagOrigin(underscored).empty();
}

void OptionFlagSet::Register(CLI::App* app, const OptionInfo& info, OptionType type,
                             const std::string& defaults, const std::string& group,
                             const std::string& names) {
  const bool is_bool = type == OptionType::kBool;
  const std::string type_name = TypeName(type);
  const std::string key = info.key;
  const std::string flag = Flag(key);
  std::string help = info.help;
  if (*info.unit != '\0') help += " (" + std::string(info.unit) + ")";
  if (is_bool && !defaults.empty()) {
    help += " [default: " + defaults + "; " + flag + "=true|false]";
  }
  if (*info.applies_to != '\0') help += " {" + std::string(info.applies_to) + "}";
  std::string& value = values_[key];
  CLI::Option* option =
      is_bool ? app->add_flag(names.empty() ? flag : names, value, help)
              : app->add_option(names.empty() ? flag : names, value, help);
  if (!is_bool) option->type_name(type_name)->default_str(defaults);
  option->group(group);
  options_[key] = option;
  order_.push_back(key);
}

void FeatureFlagSet::Add(CLI::App* app) {
  std::vector<std::string> names;
  for (const FeatureTypeInfo& type : FeatureTypes()) names.push_back(type.name);
  CLI::Option* feature =
      app->add_option("--feature", feature_, "Feature type: " + Join(names, " or ") + "");
  feature->type_name("NAME")->default_str("fbank");
  feature->group("Features");
  for (const FeatureKey& k : CollectFeatureKeys()) {
    std::string defaults = k.defaults[0];
    bool same = std::all_of(k.defaults.begin(), k.defaults.end(),
                            [&](const std::string& d) { return d == k.defaults[0]; });
    if (!same) {
      defaults.clear();
      for (size_t i = 0; i < k.owners.size(); ++i) {
        defaults += (i == 0 ? "" : ", ") + k.defaults[i] + " for " + k.owners[i];
      }
    }
    const std::string group = k.owners.size() == names.size()
                                  ? "Framing (every feature type)"
                                  : "Options of " + Join(k.owners, " and ");
    Register(app, k.info, k.type, defaults.empty() ? "\"\"" : defaults, group);
  }
}

FeatureOptions FeatureFlagSet::ToOptions() const {
  const FeatureTypeInfo& type = FindFeatureType(feature_);
  FeatureOptions opts = DefaultFeatureOptions(type.type);
  Apply(&opts, [&](const std::string& key) {
    std::vector<std::string> owners;
    for (const FeatureKey& k : CollectFeatureKeys()) {
      if (key == k.info.key) owners = k.owners;
    }
    throw OptionError(key, Text(key),
                      "is an option of " + Join(owners, " and ") +
                          ", not of --feature=" + feature_ +
                          (owners.size() == 1 ? " (add --feature=" + owners[0] + ")" : ""));
  });
  MakeFeatureComputer(opts);  // validates the combination
  return opts;
}

FeatureType FeatureFlagSet::Type() const { return FindFeatureType(feature_).type; }

float FeatureFlagSet::SampleFrequency() const {
  FrameExtractionOptions frame;
  if (Given("sample_frequency"))
    SetOptionText(&frame, "sample_frequency", Text("sample_frequency"));
  return frame.samp_freq;
}

std::string FeatureFlagSet::CanonicalText(const FeatureOptions& opts) const {
  return "feature=" + std::string(FeatureTypeInfoOf(opts.type).name) + "\n" + OptionsText(opts);
}

PoolFlagSet::PoolFlagSet(const std::string& prefix) : OptionFlagSet(prefix, "mode") {
  // `featpool pool --indices=FILE` asks for the indices (and names the file).
  if (prefix.empty()) spelling_["return_indices"] = "--indices";
}

void PoolFlagSet::Add(CLI::App* app) {
  const std::string group = prefix_.empty() ? "Pooling" : "Fused pooling (applied to the features)";
  PoolOptions defaults;
  OptionLambda v([&](const OptionInfo& info, const OptionRef& ref) {
    const std::string key = info.key;
    if (key == "return_indices") return;  // `featpool pool --indices=FILE`
    OptionInfo shown = info;
    std::string help = info.help;
    if (key == "mode" && !prefix_.empty()) {
      help = "Pool the features before writing: " + help + " (default: no pooling)";
      shown.help = help.c_str();
      Register(app, shown, ref.type(), "", group);
      return;
    }
    Register(app, shown, ref.type(), ref.Text(), group);
  });
  defaults.VisitOptions(v);
}

bool PoolFlagSet::Enabled() const { return prefix_.empty() || Given("mode"); }

bool PoolFlagSet::EnabledOnCommandLine() const {
  return prefix_.empty() || GivenOnCommandLine("mode");
}

PoolOptions PoolFlagSet::ToOptions(bool command_line_only) const {
  PoolOptions opts;
  Apply(&opts, [](const std::string&) {}, command_line_only);
  opts.Validate();
  return opts;
}

void PoolFlagSet::CheckUnusedWhenDisabled() const {
  if (Enabled()) return;
  for (const std::string& key : order_) {
    if (Given(key)) {
      throw OptionError(key, Text(key), "needs fused pooling: add {mode}=MODE");
    }
  }
}

void StageFlagSet::Add(CLI::App* app) {
  const std::string group = "Stages (after the features; see --stages)";
  StageOptions defaults;
  OptionLambda v([&](const OptionInfo& info, const OptionRef& ref) {
    const std::string text = ref.Text();
    Register(app, info, ref.type(), text.empty() ? "\"\"" : text, group);
  });
  defaults.VisitOptions(v);
}

StageOptions StageFlagSet::ToOptions(const PoolFlagSet* pool) const {
  StageOptions opts;
  Apply(&opts, [](const std::string&) {});
  if (pool != nullptr && pool->Enabled()) opts.pool = pool->ToOptions();
  return opts;
}

StageOptions StageFlagSet::CommandLineOptions(const PoolFlagSet* pool) const {
  StageOptions opts;
  Apply(&opts, [](const std::string&) {}, true);
  if (pool != nullptr && pool->EnabledOnCommandLine()) {
    opts.pool = pool->ToOptions(true);
  }
  return opts;
}

bool StageFlagSet::AnyGiven() const {
  return std::any_of(order_.begin(), order_.end(), [&](const std::string& k) { return Given(k); });
}

namespace {

// Keys of BatchRequest's table that every subcommand has (AudioFlagSet,
// registered with the feature flags).
bool SpelledByFeatureFlags(const std::string& key) {
  bool audio = false;
  OptionLambda v([&](const OptionInfo& info, const OptionRef&) { audio = audio || key == info.key; });
  AudioReadOptions().VisitOptions(v);
  return audio;
}

// Keys any input takes, a single file too.
bool AnyInputKey(const std::string& key) {
  return key == "jobs" || key == "strict" || key == "extensions" || key == "pipe_timeout" ||
         key == "pipe_max_bytes" || key == "write_utt2num_frames" || key == "write_utt2dur";
}

bool KaldiDataKey(const std::string& key) {
  return key == "segments" || key == "utt2spk" || key == "spk2utt" || key == "utt2warp" ||
         key == "spk2warp" || key == "vtln_map" || key == "pipe_timeout" || key == "pipe_max_bytes" ||
         key == "min_duration" || key == "write_utt2num_frames" || key == "write_utt2dur";
}

}  // namespace

void AudioFlagSet::Add(CLI::App* app, const std::string& group) {
  AudioReadOptions defaults;
  OptionLambda v([&](const OptionInfo& info, const OptionRef& ref) {
    const std::string key = info.key;
    Register(app, info, ref.type(), ref.Text(), group,
             key == "resample" ? "--resample,!--no-resample" : "");
  });
  defaults.VisitOptions(v);
}

void AudioFlagSet::ApplyTo(AudioReadOptions* opts) const {
  Apply(opts, [](const std::string& key) {
    throw Error("internal: audio flag " + key + " has no option");
  });
}

BatchFlagSet::BatchFlagSet() { spelling_["extensions"] = CommandFlag("extensions"); }

void BatchFlagSet::Add(CLI::App* app, const std::vector<std::string>& keys) {
  BatchRequest defaults;
  OptionLambda v([&](const OptionInfo& info, const OptionRef& ref) {
    const std::string key = info.key;
    if (SpelledByFeatureFlags(key)) return;
    if (!keys.empty() && std::find(keys.begin(), keys.end(), key) == keys.end()) return;
    const std::string text = ref.Text();
    Register(app, info, ref.type(), text.empty() ? "\"\"" : text,
             KaldiDataKey(key) ? "Kaldi data (wav.scp, segments)"
                               : "Batch (several inputs, DIR/ or ark output)",
             key == "jobs" ? "-j,--jobs" : "");
  });
  defaults.VisitOptions(v);
}

void BatchFlagSet::ApplyTo(BatchRequest* request) const {
  Apply(request, [](const std::string& key) {
    throw Error("internal: batch flag " + key + " has no option");
  });
}

std::vector<std::string> BatchFlagSet::GivenBatchOnly() const {
  std::vector<std::string> keys;
  for (const std::string& key : order_) {
    if (Given(key) && !AnyInputKey(key)) keys.push_back(key);
  }
  return keys;
}

namespace {

std::map<std::string, std::string>& FlagOrigins() {
  static std::map<std::string, std::string> origins;
  return origins;
}

}  // namespace

void RecordFlagOrigin(const std::string& flag, const std::string& origin) {
  FlagOrigins()[flag] = origin;
}

std::string FlagOrigin(const std::string& flag) {
  const auto it = FlagOrigins().find(flag);
  return it == FlagOrigins().end() ? "" : it->second;
}

std::string RenderOptionError(const OptionError& e, const std::vector<const OptionFlagSet*>& sets) {
  const auto spell = [&](const std::string& key) {
    for (const OptionFlagSet* set : sets) {
      if (set->Knows(key)) return set->Flag(key);
    }
    return CommandFlag(key);
  };
  const std::string text = e.Render(spell);
  const std::string origin = e.value() ? FlagOrigin(spell(e.key())) : "";
  return origin.empty() ? text : origin + ": " + text;
}

}  // namespace cli
}  // namespace featpool
