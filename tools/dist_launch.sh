#!/usr/bin/env bash
# Sourced by tools/dist_train.sh and tools/dist_test.sh:
#   dist_launch NUM_PROCS SCRIPT [SCRIPT args...]
# runs tools/SCRIPT on NUM_PROCS processes per node with torchrun
# (NNODES, NODE_RANK, PORT, MASTER_ADDR and PYTHON from the environment).
# Every process runs the tool's main(), which drops the runner, collects its
# reference cycles and destroys the process group (step_mm.utils.close_dist)
# before the interpreter exits: a gloo group left alive lets gloo's threads
# race Py_FinalizeEx and abort a rank after its results were written
# (pytorch/pytorch#190489). `exec` makes the launcher the calling script's
# process, so a signal sent to the script (a timeout, Ctrl-C) reaches
# torchrun, which stops every rank, instead of leaving them running without it.

TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

dist_launch() {
    local procs=$1 script=$2
    shift 2
    PYTHONPATH="$TOOLS/..":$PYTHONPATH \
    exec "${PYTHON:-python}" -m torch.distributed.run \
        --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
        --master_addr="${MASTER_ADDR:-"127.0.0.1"}" \
        --master_port="${PORT:-29500}" \
        --nproc_per_node="$procs" \
        "$TOOLS/$script" "$@"
}
