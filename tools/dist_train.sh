#!/usr/bin/env bash
# Usage: [PYTHON=.venv/bin/python] tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# One process per GPU (or per CPU worker with the gloo backend, the
# default of configs/_base_/default_runtime.py).
# Every process runs tools/train.py, whose main() drops the runner, collects
# its reference cycles and destroys the process group (step_mm.utils.close_dist)
# before the interpreter exits: a gloo group left alive lets gloo's threads
# race Py_FinalizeEx and abort a rank after its results were written
# (pytorch/pytorch#190489). `exec` makes the launcher this script's process,
# so a signal sent to the script (a timeout, Ctrl-C) reaches torchrun, which
# stops every rank, instead of leaving them running without it.
set -e

CONFIG=$1
PROCS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
TOOLS="$(cd "$(dirname "$0")" && pwd)"

PYTHONPATH="$TOOLS/..":$PYTHONPATH \
exec "${PYTHON:-python}" -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" --master_port="$PORT" \
    --nproc_per_node="$PROCS" \
    "$TOOLS/train.py" "$CONFIG" --launcher pytorch "${@:3}"
