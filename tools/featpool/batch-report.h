// `featpool extract` over a dataset: RunBatch() (featpool/batch.h) with the
// command's view of it on stderr: the progress bar or periodic lines
// (progress.h), a line per failed, skipped or warned-about utterance, and
// the summary line. README.md, "Manifest and summary", shows them.
#ifndef FEATPOOL_TOOLS_BATCH_REPORT_H_
#define FEATPOOL_TOOLS_BATCH_REPORT_H_

#include <string>

#include "featpool/batch.h"
#include "featpool/progress.h"

namespace featpool {
namespace cli {

// "featpool: 110 processed, 7 failed, 0.029 h audio, 0.04 s wall, RTF ..."
std::string SummaryLine(const BatchSummary& summary);

// Runs the batch; returns the exit status (0: all done, 1: some failed or
// stopped by --strict). SIGINT, SIGTERM and SIGHUP stop it resumably
// (RunBatch's stop request) and then end the process by the signal. Throws
// Error for problems that stop the whole run.
int RunBatchCommand(const BatchConfig& config, ProgressMode progress);

}  // namespace cli
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_BATCH_REPORT_H_
