#!/bin/bash
# Features for a Kaldi data directory as a Slurm array job: task K of N
# extracts shard K of DATA/wav.scp into FEATS/feats.K.{ark,scp} and
# FEATS/manifest.K-of-N.jsonl. --resume lets a requeued or preempted task
# continue where it stopped. Options after FEATS go to featpool extract;
# $FEATPOOL names the command if it is not featpool on the PATH.
#   sbatch --array=1-32 slurm-prepare.sh data/train feats/train --config=conf/fbank-80.conf
#SBATCH --array=1-32
#SBATCH --cpus-per-task=8
#SBATCH --mem=8G
#SBATCH --requeue
set -euo pipefail
data=${1:?usage: sbatch --array=1-N slurm-prepare.sh DATA FEATS [featpool options]}
feats=${2:?usage: sbatch --array=1-N slurm-prepare.sh DATA FEATS [featpool options]}
shift 2
K=$SLURM_ARRAY_TASK_ID
# N is the array's size; to rerun only some tasks of an N-task array, submit
# them with --array=LIST and SHARDS=N in the environment.
N=${SHARDS:-$SLURM_ARRAY_TASK_COUNT}
if [[ -z ${SHARDS:-} && ($SLURM_ARRAY_TASK_MIN != 1 || $SLURM_ARRAY_TASK_MAX != "$N") ]]; then
  echo "slurm-prepare.sh: the array is not 1-$N; set SHARDS to the number of shards" >&2
  exit 2
fi
mkdir -p "$feats"
exec "${FEATPOOL:-featpool}" extract "scp:$data/wav.scp" --shard="$K/$N" --resume \
  --progress=never "$@" -o "ark,scp:$feats/feats.$K.ark,$feats/feats.$K.scp"
