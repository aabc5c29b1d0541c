// featpool info: what an audio file is and how many frames it gives; or, for
// a directory, an scp or several files, a summary of the dataset.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

#include "../../lib/src/json-line.h"
#include "../../lib/src/worker-pool.h"
#include "featpool/audio-source.h"
#include "featpool/command.h"
#include "featpool/dataset.h"
#include "featpool/error.h"
#include "featpool/feature-flags.h"
#include "featpool/feature-registry.h"
#include "featpool/std-streams.h"

namespace featpool {
namespace cli {

using internal::DefaultThreadCount;
using internal::JsonLine;
using internal::JsonQuote;
using internal::OrderedWorkerPool;

namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The manifest's fields (README.md, "Manifest and summary") for one file's
// header, plus what only info knows: format, encoding and samples.
JsonLine& AddHeaderFields(const AudioInfo& info, JsonLine& line) {
  line.Add("sample_rate", int64_t{info.sample_rate}).Add("channels", int64_t{info.channels});
  if (info.frames >= 0) {
    line.AddNumber("duration", info.Duration(), "%.6f").Add("samples", info.frames);
  }
  return line.Add("format", info.format).Add("encoding", info.encoding);
}

int ShowFile(const std::string& input, const FeatureFlags& flags, bool json) {
  const FeatureOptions opts = flags.ToOptions();
  AudioReadOptions audio = flags.ToAudioOptions();
  AudioSource source(input, audio);
  const AudioInfo& info = source.info();
  const FrameExtractionOptions& frame = opts.frame_opts();
  const int64_t samples = source.ExpectedSamples();
  if (json) {
    JsonLine line;
    line.Add("path", info.path).Add("status", "ok");
    AddHeaderFields(info, line);
    if (info.frames >= 0) {
      if (source.sample_rate() != static_cast<float>(info.sample_rate)) {
        line.AddNumber("resampled_to", source.sample_rate(), "%.0f");
      }
      line.Add("feature", FeatureTypeName(opts.type))
          .Add("frames", int64_t{opts.NumFrames(samples)});
    }
    if (!source.warning().empty()) line.Add("warning", source.warning());
    std::printf("%s\n", line.Finish().c_str());
    return 0;
  }
  std::printf("file:        %s\n", info.path.c_str());
  std::printf("format:      %s, %s\n", info.format.c_str(), info.encoding.c_str());
  std::printf("sample rate: %d Hz\n", info.sample_rate);
  std::printf("channels:    %d\n", info.channels);
  if (info.frames < 0) {  // e.g. a pipe: the header does not say
    std::printf("duration:    unknown\n");
  } else {
    std::printf("duration:    %.3f s (%lld samples)\n", info.Duration(),
                static_cast<long long>(info.frames));
    if (source.sample_rate() != static_cast<float>(info.sample_rate)) {
      std::printf("resampled:   %.0f Hz, %lld samples\n", source.sample_rate(),
                  static_cast<long long>(samples));
    }
    std::printf("frames:      %d (%s, %g ms / %g ms, snip-edges=%s)\n", opts.NumFrames(samples),
                FeatureTypeName(opts.type).c_str(), frame.frame_length_ms, frame.frame_shift_ms,
                frame.snip_edges ? "true" : "false");
  }
  if (!source.warning().empty()) std::cerr << "featpool: warning: " << source.warning() << "\n";
  return 0;
}

struct Header {
  bool ok = false;
  AudioInfo info;
  std::string error;
};

std::string Counts(const std::map<std::string, int64_t>& counts) {
  std::string out;
  for (const auto& [name, count] : counts) {
    out += (out.empty() ? "" : "; ") + name + ": " + std::to_string(count) +
           (count == 1 ? " file" : " files");
  }
  return out.empty() ? "-" : out;
}

std::string Bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof(text), u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
  return text;
}

// A segment's part of its recording's header: the cut's length, checked as
// extraction checks it (SegmentSamples), when the header says how long the
// recording is.
Header SegmentHeader(const Utterance& u, const Header& recording) {
  Header h = recording;
  if (!recording.ok) {
    h.error = "'" + u.id + "': recording '" + u.recording + "': " + recording.error;
    return h;
  }
  if (recording.info.frames < 0) {
    h.info.frames = u.end >= 0 ? static_cast<int64_t>((u.end - u.start) * h.info.sample_rate) : -1;
    return h;
  }
  try {
    const SampleRange range =
        SegmentSamples(u, recording.info.frames, static_cast<float>(recording.info.sample_rate));
    h.info.frames = range.end - range.begin;
  } catch (const Error& e) {
    h.ok = false;
    h.error = "'" + u.id + "': " + e.what();
  }
  return h;
}

// Reads every header (opening each file as extraction would, so empty,
// truncated and unknown files show up), on -j threads. A recording cut into
// segments is opened once for all of them (a piped entry runs once).
int ShowDataset(const std::vector<std::string>& inputs, const DatasetOptions& dataset, int32_t jobs,
                bool json) {
  const std::vector<Utterance> utts = FindUtterances(inputs, dataset);
  AudioReadOptions read;
  read.target_sample_rate = 0;  // the header as it is: no resampler
  // What to open: each utterance, or each segment's recording once.
  std::vector<size_t> opened;                  // utterance whose audio is opened
  std::vector<size_t> source_of(utts.size());  // index into `opened`
  std::map<std::string, size_t> recordings;
  for (size_t i = 0; i < utts.size(); ++i) {
    if (!utts[i].IsSegment()) {
      source_of[i] = opened.size();
      opened.push_back(i);
      continue;
    }
    const auto [it, added] = recordings.emplace(utts[i].recording, opened.size());
    if (added) opened.push_back(i);
    source_of[i] = it->second;
  }
  std::vector<Header> headers(opened.size());
  OrderedWorkerPool<Header> readers(jobs > 0 ? jobs : DefaultThreadCount(), 1024);
  readers.Run(
      opened.size(),
      [&](size_t k, int) {
        Header h;
        const Utterance& u = utts[opened[k]];
        if (u.IsSegment() && !u.error.empty()) return h;  // its error is its own
        try {
          // A piped wav.scp entry runs, as extraction would run it.
          AudioSource source(
              u.command.empty() ? AudioInput(u.path) : AudioInput::Command(u.command, u.path),
              read);
          h.info = source.info();
          h.ok = true;
        } catch (const Error& e) {
          h.error = CommandText(e);
        }
        return h;
      },
      [&](size_t k, Header& h) {
        headers[k] = std::move(h);
        return true;
      },
      nullptr, std::chrono::milliseconds(200));

  std::map<std::string, int64_t> rates;
  std::map<std::string, int64_t> channels;
  std::map<std::string, int64_t> formats;
  std::vector<std::string> unreadable;
  double total = 0;
  double shortest = 0;
  double longest = 0;
  int64_t readable = 0;
  int64_t bytes = 0;
  for (size_t i = 0; i < utts.size(); ++i) {
    const Utterance& u = utts[i];
    Header h;
    if (!u.error.empty()) {
      h.error = u.error;
    } else if (u.IsSegment()) {
      h = SegmentHeader(u, headers[source_of[i]]);
    } else {
      h = headers[source_of[i]];
    }
    bytes += u.bytes;
    if (json) {  // one object per file, in input order, as the manifest
      JsonLine line;
      line.Add("id", u.id).Add("path", u.path);
      if (u.IsSegment()) line.Add("recording", u.recording);
      line.Add("status", h.ok ? "ok" : "error");
      if (h.ok) {
        AddHeaderFields(h.info, line);
      } else {
        line.Add("error", h.error);
      }
      std::printf("%s\n", line.Finish().c_str());
    }
    if (!h.ok) {
      unreadable.push_back(h.error);
      continue;
    }
    const double d = h.info.Duration();
    shortest = readable == 0 ? d : std::min(shortest, d);
    longest = readable == 0 ? d : std::max(longest, d);
    total += d;
    ++readable;
    ++rates[std::to_string(h.info.sample_rate) + " Hz"];
    ++channels[std::to_string(h.info.channels)];
    ++formats[h.info.format + ", " + h.info.encoding];
  }

  if (json) {  // the summary as the last object, told apart by "summary"
    auto counts = [](const std::map<std::string, int64_t>& m) {
      std::string out = "{";
      for (const auto& [name, count] : m) {
        const size_t hz = name.rfind(" Hz");  // "16000 Hz" -> "16000": the unit is in the key
        const std::string key =
            hz != std::string::npos && hz + 3 == name.size() ? name.substr(0, hz) : name;
        out += (out.size() > 1 ? "," : "") + JsonQuote(key) + ":" + std::to_string(count);
      }
      return out + "}";
    };
    JsonLine line;
    line.Add("summary", "dataset").Add("files", static_cast<int64_t>(utts.size()));
    line.Add("readable", readable).Add("unreadable", static_cast<int64_t>(unreadable.size()));
    line.Add("bytes", bytes).AddNumber("hours", total / 3600, "%.6f");
    if (readable > 0) {
      line.AddNumber("min_duration", shortest, "%.6f");
      line.AddNumber("mean_duration", total / static_cast<double>(readable), "%.6f");
      line.AddNumber("max_duration", longest, "%.6f");
    }
    std::string text = line.Finish();
    text.pop_back();  // reopen the object for the three count maps
    text += ",\"sample_rates\":" + counts(rates) + ",\"channels\":" + counts(channels) +
            ",\"formats\":" + counts(formats) + "}";
    std::printf("%s\n", text.c_str());
    return unreadable.empty() ? 0 : 1;
  }
  std::printf("files:        %lld (%lld readable, %lld unreadable), %s\n",
              static_cast<long long>(utts.size()), static_cast<long long>(readable),
              static_cast<long long>(unreadable.size()), Bytes(bytes).c_str());
  std::printf("duration:     %.3f h", total / 3600);
  if (readable > 0) {
    std::printf(" (per file: min %.3f s, mean %.3f s, max %.3f s)", shortest,
                total / static_cast<double>(readable), longest);
  }
  std::printf("\n");
  std::printf("sample rates: %s\n", Counts(rates).c_str());
  std::printf("channels:     %s\n", Counts(channels).c_str());
  std::printf("formats:      %s\n", Counts(formats).c_str());
  if (!unreadable.empty()) {
    std::printf("unreadable:\n");
    for (const std::string& e : unreadable) std::printf("  %s\n", e.c_str());
  }
  return unreadable.empty() ? 0 : 1;
}

}  // namespace

RunFunction AddInfoCommand(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "info",
      "Show an audio file's format, rate, channels, duration and frame count; or summarise a "
      "dataset (directory, scp:wav.scp or several files): count, hours, rates, channels, "
      "formats and unreadable files (exit status 1 if any)");
  struct State {
    FeatureFlags flags;
    std::vector<std::string> inputs;
    BatchFlagSet batch;  // --ext, -j from the dataset run's table
    bool json = false;
  };
  auto state = std::make_shared<State>();
  sub->add_option("INPUT", state->inputs, "Audio file, directory or scp:wav.scp")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  state->batch.Add(sub, {"jobs", "extensions"});
  sub->add_flag("--json", state->json,
                "JSON lines: one object per file with the manifest's fields, then (for a dataset) "
                "one summary object with \"summary\":\"dataset\"");
  AddFeatureFlags(sub, &state->flags);
  return [state]() {
    CheckStdout("info");  // the report goes there
    const std::vector<std::string>& inputs = state->inputs;
    if (inputs.size() == 1 && !IsScpInput(inputs[0]) && !IsDirectory(inputs[0])) {
      return ShowFile(inputs[0], state->flags, state->json);
    }
    return WithOptionSpelling({&state->batch}, [&] {
      BatchRequest request;
      state->batch.ApplyTo(&request);
      DatasetOptions dataset;
      dataset.extensions = ParseExtensions(request.extensions);
      return ShowDataset(inputs, dataset, request.jobs, state->json);
    });
  };
}

}  // namespace cli
}  // namespace featpool
