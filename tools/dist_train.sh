#!/usr/bin/env bash
# Usage: [PYTHON=.venv/bin/python] tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# One process per GPU (or per CPU worker with the gloo backend, the
# default of configs/_base_/default_runtime.py).
set -e

CONFIG=$1
PROCS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
TOOLS="$(cd "$(dirname "$0")" && pwd)"

PYTHONPATH="$TOOLS/..":$PYTHONPATH \
"${PYTHON:-python}" -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" --master_port="$PORT" \
    --nproc_per_node="$PROCS" \
    "$TOOLS/train.py" "$CONFIG" --launcher pytorch "${@:3}"
