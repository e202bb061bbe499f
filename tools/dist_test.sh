#!/usr/bin/env bash
# Usage: [PYTHON=.venv/bin/python] tools/dist_test.sh CONFIG CKPT NUM_PROCS [test.py args...]
# Every process runs tools/test.py, whose main() drops the runner, collects
# its reference cycles and destroys the process group (step_mm.utils.close_dist)
# before the interpreter exits: a gloo group left alive lets gloo's threads
# race Py_FinalizeEx and abort a rank after its results were written
# (pytorch/pytorch#190489). `exec` makes the launcher this script's process,
# so a signal sent to the script (a timeout, Ctrl-C) reaches torchrun, which
# stops every rank, instead of leaving them running without it.
set -e

CONFIG=$1
CHECKPOINT=$2
PROCS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
TOOLS="$(cd "$(dirname "$0")" && pwd)"

PYTHONPATH="$TOOLS/..":$PYTHONPATH \
exec "${PYTHON:-python}" -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" --master_port="$PORT" \
    --nproc_per_node="$PROCS" \
    "$TOOLS/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
