#!/usr/bin/env bash
# The README's Slurm array recipe, tools/slurm-prepare.sh (shown verbatim in
# README.md), on a real Slurm: a private single-node cluster of Debian's
# slurm-wlm and munge (its own munge key and socket, slurm.conf, ports, state,
# spool and logs in a temporary directory; no system configuration or daemon
# is used, and everything started here is stopped on exit). The array job runs
# over a Kaldi data directory; one task is cancelled mid-run and requeued; the
# concatenated shard scps and manifests equal one unsharded run.
# Without Slurm, munge or root, or if the cluster does not come up, the test
# says why and exits 77 (skipped).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
recipe=$FEATPOOL_SOURCE_DIR/tools/slurm-prepare.sh
shards=3

# The README shows the script as it is.
"$PY" - "$FEATPOOL_SOURCE_DIR/README.md" "$recipe" <<'PY' || fail "README's Slurm recipe differs from tools/slurm-prepare.sh"
import sys
readme, script = (open(p).read() for p in sys.argv[1:3])
sys.exit(0 if "```sh\n" + script + "```\n" in readme else 1)
PY

skip() {
  echo "SKIP: $*"
  exit 77
}
export PATH=$PATH:/usr/sbin:/sbin
for tool in munged mungekey slurmctld slurmd sbatch squeue sinfo scancel scontrol; do
  command -v $tool >/dev/null || skip "no $tool (tools/install-deps.sh --tests installs slurm-wlm and munge)"
done
[[ $(id -u) == 0 ]] || skip "a private Slurm cluster needs root (slurmd starts jobs as their user)"

# --- the cluster ---------------------------------------------------------------
cluster=$(mktemp -d "${TMPDIR:-/tmp}/featpool-slurm.XXXXXX")
chmod 755 "$cluster"                         # munged wants its socket reachable
mkdir -m 700 "$cluster/munge"                # and its key private
mkdir -m 755 "$cluster/socket"
mkdir "$cluster/state" "$cluster/spool" "$cluster/log"
export SLURM_CONF=$cluster/slurm.conf
daemons=()
job=""
teardown() {
  set +e
  if [[ -n $job ]]; then
    scancel "$job" 2>/dev/null
    for _ in $(seq 100); do
      [[ -z $(squeue -h -j "$job" 2>/dev/null) ]] && break
      sleep 0.1
    done
  fi
  for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do kill "${daemons[i]}" 2>/dev/null; done
  for pid in "${daemons[@]}"; do wait "$pid" 2>/dev/null; done
  # Whatever this cluster started and is still running (job steps) has its
  # SLURM_CONF in the environment.
  for env in /proc/[0-9]*/environ; do
    if { tr '\0' '\n' < "$env"; } 2>/dev/null | grep -qxF "SLURM_CONF=$SLURM_CONF"; then
      pid=${env#/proc/}
      kill -9 "${pid%/environ}" 2>/dev/null
    fi
  done
  rm -rf "$cluster"
}
trap teardown EXIT
# cluster_failed WHAT: the cluster did not come up: skip, with its logs.
cluster_failed() {
  for f in "$cluster"/log/*; do echo "--- $f" && tail -n 20 "$f"; done
  skip "cannot start a private Slurm cluster: $*"
}

mungekey --create --keyfile="$cluster/munge/munge.key" >/dev/null 2>&1 || cluster_failed "mungekey"
munged --foreground --socket="$cluster/socket/munge" --key-file="$cluster/munge/munge.key" \
  --pid-file="$cluster/munge/munged.pid" --seed-file="$cluster/munge/munged.seed" \
  --log-file="$cluster/log/munged.log" > "$cluster/log/munged.out" 2>&1 &
daemons+=($!)
for _ in $(seq 100); do
  [[ -S $cluster/socket/munge ]] && break
  sleep 0.1
done
[[ -S $cluster/socket/munge ]] || cluster_failed "munged did not start"

read -r ctld_port slurmd_port < <("$PY" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
node=$(hostname -s)
cat > "$SLURM_CONF" <<EOF
ClusterName=featpool-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$cluster/socket/munge
StateSaveLocation=$cluster/state
SlurmdSpoolDir=$cluster/spool
SlurmctldPidFile=$cluster/slurmctld.pid
SlurmdPidFile=$cluster/slurmd.pid
PlugStackConfig=$cluster/plugstack.conf
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=5
# Room for every task at once, whatever this machine has.
SlurmdParameters=config_overrides
NodeName=$node NodeAddr=127.0.0.1 CPUs=$shards RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=10 State=UP
EOF
: > "$cluster/plugstack.conf"
slurmctld -D > "$cluster/log/slurmctld.out" 2>&1 &
daemons+=($!)
slurmd -D -N "$node" > "$cluster/log/slurmd.out" 2>&1 &
daemons+=($!)
node_idle() { [[ $(sinfo -h -N -n "$node" -o %t 2>/dev/null) == idle ]]; }
for _ in $(seq 300); do
  node_idle && break
  for pid in "${daemons[@]}"; do
    kill -0 "$pid" 2>/dev/null || cluster_failed "a daemon exited (its log is above)"
  done
  sleep 0.1
done
node_idle || cluster_failed "the node is not idle after 30 s"

# --- a Kaldi data directory ----------------------------------------------------
"$PY" "$FEATPOOL_SOURCE_DIR/tests/make-batch-audio.py" audio 60 --bad --seconds=0.5,2
mkdir -p data/train gate
# One utterance in the middle, gate/utt.wav, is an empty file (an error in
# the manifest), but a named pipe while the array runs: the task whose shard
# holds it stops there, mid-run, until it is cancelled; the pipe is then
# replaced by the empty file (the same size, so the same shards).
: > gate/utt.wav
find audio -name '*.wav' | sort | awk '{id = $0; sub(/^audio\//, "", id); sub(/\.wav$/, "", id);
  gsub(/\//, "-", id); print id " " $0} NR == 30 {print "gate-utt gate/utt.wav"}' > data/train/wav.scp
utts=$(wc -l < data/train/wav.scp)
options=(--config="$FEATPOOL_SOURCE_DIR/data/conf/fbank-80.conf")
run 1 "$FEATPOOL" extract scp:data/train/wav.scp "${options[@]}" --progress=never \
  -o ark,scp:ref/feats.ark,ref/feats.scp 2>/dev/null
rm gate/utt.wav && mkfifo gate/utt.wav

# --- the array job ---------------------------------------------------------------
# (--cpus-per-task and --mem made to fit this node; the script's own are for
# a real cluster.)
mkdir log
job=$(sbatch --parsable --array=1-$shards --cpus-per-task=1 --mem=100M -o "log/%a.out" \
  "$recipe" data/train feats/train "${options[@]}") || fail "sbatch: $job"
job=${job%%;*}
# state K: task K's state (COMPLETED, RUNNING, ...).
state() { squeue -h -t all -j "${job}_$1" -o %T 2>/dev/null; }
# wait_for WHAT COMMAND...: until COMMAND succeeds (60 s at most).
wait_for() {
  local what=$1; shift
  for _ in $(seq 600); do
    "$@" && return 0
    sleep 0.1
  done
  squeue -t all -j "$job" >&2 || true
  fail "timed out waiting for $what"
}
# The gated task: the one still running when the others have finished.
gated=""
one_left() {
  local k running=() finished=0
  for k in $(seq $shards); do
    case $(state $k) in
      RUNNING) running+=($k) ;;
      COMPLETED | FAILED) finished=$((finished + 1)) ;;
    esac
  done
  [[ ${#running[@]} == 1 && $finished == $((shards - 1)) ]] && gated=${running[0]}
}
wait_for "one task left running" one_left
journal=feats/train/.manifest.$gated-of-$shards.jsonl.partial
done_before=$(wc -l < "$journal")
((done_before > 0)) || fail "task $gated: nothing done before the gate"
scancel "${job}_$gated"
cancelled() { [[ $(state $gated) == CANCELLED ]]; }
wait_for "task $gated to be cancelled" cancelled
[[ ! -e feats/train/feats.$gated.scp && ! -e feats/train/manifest.$gated-of-$shards.jsonl ]] \
  || fail "task $gated finished its outputs before it was cancelled"
[[ -s feats/train/.feats.$gated.ark.partial ]] || fail "task $gated: no partial archive"
rm gate/utt.wav && : > gate/utt.wav
scontrol requeue "${job}_$gated" || fail "requeue"
# A requeued job waits about two minutes before it may start again.
scontrol update JobId="${job}_$gated" StartTime=now || fail "scontrol update StartTime=now"
all_done() { [[ -z $(squeue -h -j "$job") ]]; }
wait_for "the array to finish" all_done
for k in $(seq $shards); do
  # FAILED: the shard holds bad files (exit status 1); every shard has some.
  [[ $(state $k) == COMPLETED || $(state $k) == FAILED ]] || fail "task $k: $(state $k)"
  [[ -f feats/train/feats.$k.scp && -f feats/train/manifest.$k-of-$shards.jsonl ]] \
    || fail "task $k: no outputs ($(cat log/$k.out))"
done
grep -q "done by an earlier run" "log/$gated.out" || fail "task $gated did not resume: $(cat log/$gated.out)"
[[ -z $(find feats -name '.*') ]] || fail "leftover temporary files: $(find feats -name '.*')"

# --- the merged shards equal the unsharded run -------------------------------------
cat feats/train/feats.*.scp | LC_ALL=C sort > data/train/feats.scp
cat feats/train/manifest.*-of-$shards.jsonl > feats/train/manifest.jsonl
"$PY" - "$utts" "$shards" "$gated" "$done_before" <<'PY'
import json, sys
import numpy as np
utts, shards, gated, done_before = (int(v) for v in sys.argv[1:5])


def read_at(location):
    """A Kaldi binary float matrix at ark:offset."""
    ark, offset = location.rsplit(":", 1)
    with open(ark, "rb") as f:
        f.seek(int(offset))
        assert f.read(6) == b"\0BFM \4", location
        rows = int(np.frombuffer(f.read(4), "<i4")[0])
        assert f.read(1) == b"\4", location
        cols = int(np.frombuffer(f.read(4), "<i4")[0])
        data = np.frombuffer(f.read(4 * rows * cols), "<f4")
        assert data.size == rows * cols, location
        return data.reshape(rows, cols)


def scp(path):
    return dict(line.split() for line in open(path))


def manifest(path):
    out = {}
    for e in map(json.loads, open(path)):
        e.pop("output", None)
        assert e["id"] not in out, e["id"]
        out[e["id"]] = e
    return out


ref, merged = scp("ref/feats.scp"), scp("data/train/feats.scp")
assert sorted(merged) == sorted(ref), "the shards' keys differ from the unsharded run's"
assert list(merged) == sorted(merged, key=lambda k: k.encode())
for key in ref:
    a, b = read_at(ref[key]), read_at(merged[key])
    assert a.shape == b.shape and np.array_equal(a, b), key
m_ref, m_merged = manifest("ref/manifest.jsonl"), manifest("feats/train/manifest.jsonl")
assert len(m_ref) == utts and m_merged == m_ref, "the shards' manifests differ from the unsharded run's"
assert m_ref["gate-utt"]["status"] == "error"
print("slurm: %d utterances (%d with features) in %d shards; task %d cancelled after %d and "
      "resumed" % (utts, len(ref), shards, gated, done_before))
PY
echo "test-slurm: ok"
