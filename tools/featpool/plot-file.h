// Pictures of one input for `featpool plot` and `featpool extract -o x.png`:
// the plot flags, and the streaming renderer of an audio file or a .npy
// feature matrix (featpool/plot.h draws).
#ifndef FEATPOOL_TOOLS_PLOT_FILE_H_
#define FEATPOOL_TOOLS_PLOT_FILE_H_

#include <CLI/CLI.hpp>
#include <string>

#include "featpool/feature-flags.h"
#include "featpool/plot.h"
#include "featpool/option-flags.h"

namespace featpool {
namespace cli {

struct PlotFlags {
  PlotOptions opts;
  std::string cmap = "viridis";

  // Checks and converts; throws Error naming the flag.
  PlotOptions ToOptions() const;
};

// --width, --height, --cmap, --start, --duration, --title.
void AddPlotFlags(CLI::App* app, PlotFlags* flags);

// Renders `input` to the PNG `output`, through the stages `featpool extract`
// runs (`stages`, pooling included: the last panel is what extract writes).
// Audio streams through extraction and the stages into the plot's pixel
// columns (FeaturePlot), so memory stays O(width x feature dim) however long
// the file, unless a stage needs the whole utterance. A .npy input is read
// whole, its rows placed as the frames of the feature options' framer, and
// the stages run on it as on features. Reading stops once the view is
// complete.
void PlotFile(const std::string& input, const FeatureFlags& features, const StageOptions& stages,
              const PlotOptions& plot, const std::string& output);

}  // namespace cli
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_PLOT_FILE_H_
