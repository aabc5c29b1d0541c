// The formats of a single-file output (-o of `featpool extract` with one
// input, and of `featpool pool`), chosen by the path's extension.
#ifndef FEATPOOL_TOOLS_SINGLE_OUTPUT_H_
#define FEATPOOL_TOOLS_SINGLE_OUTPUT_H_

#include <cstdio>
#include <string>

#include "featpool/matrix.h"

namespace featpool {
namespace cli {

enum class SingleOutput {
  kNpy,         // .npy, or no extension
  kText,        // .txt: one row per line, as numpy.savetxt / numpy.loadtxt
  kTextStdout,  // "-": a Kaldi text archive record on stdout (copy-feats ark,t:-)
  kPng,         // .png: the picture of `featpool plot`
};

// Throws Error for any other extension, listing the accepted ones.
SingleOutput ClassifySingleOutput(const std::string& path);

// Rows of space-separated numbers, each written as Kaldi writes text
// matrices (7 significant digits: io-funcs-inl.h InitKaldiOutputStream()).
// Atomic (AtomicOutputFile); throws Error naming the file.
void WriteTextMatrix(const std::string& path, MatrixView matrix);

// "key  [\n  v v \n  v v ]\n": the library's Kaldi text form of a matrix
// (kaldi-io.h AppendKaldiTextMatrix, as copy-feats ark,t: writes it) after
// the holder's "key ". Throws Error if the stream fails.
void WriteKaldiTextRecord(std::FILE* out, const std::string& key, MatrixView matrix);

// The archive key of an input file: its name without directory or extension.
std::string KeyOfPath(const std::string& path);

}  // namespace cli
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_SINGLE_OUTPUT_H_
