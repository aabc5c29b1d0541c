// Umbrella header: everything a featpool user needs.
#ifndef FEATPOOL_FEATPOOL_H_
#define FEATPOOL_FEATPOOL_H_

#include "featpool/audio-source.h"
#include "featpool/cmvn.h"
#include "featpool/compressed-matrix.h"
#include "featpool/deltas.h"
#include "featpool/dataset.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/fbank.h"
#include "featpool/feature-computer.h"
#include "featpool/feature-options.h"
#include "featpool/frame-extractor.h"
#include "featpool/kaldi-io.h"
#include "featpool/matrix.h"
#include "featpool/mel-bank.h"
#include "featpool/mfcc.h"
#include "featpool/normalize.h"
#include "featpool/npy.h"
#include "featpool/online-feature.h"
#include "featpool/online-pooler.h"
#include "featpool/output-file.h"
#include "featpool/plot.h"
#include "featpool/pooler.h"
#include "featpool/rfft.h"
#include "featpool/row-queue.h"
#include "featpool/spectrogram.h"
#include "featpool/splice.h"
#include "featpool/stage.h"
#include "featpool/version.h"

#endif  // FEATPOOL_FEATPOOL_H_
