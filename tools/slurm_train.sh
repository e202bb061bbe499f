#!/usr/bin/env bash
# Train on a slurm cluster with mmengine's slurm launcher (one task per
# process; ranks come from SLURM_PROCID / SLURM_NTASKS, the master is the
# first node of the allocation). See docs/distributed.md.
#
# Usage:
#   [TASKS=2] [TASKS_PER_NODE=2] [GPUS_PER_NODE=0] [CPUS_PER_TASK=4] \
#   [PORT=29500] [SRUN_ARGS="--time=1:00:00"] [PYTHON=python] \
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py args...]
#
# GPUS_PER_NODE=0 (the default) runs CPU tasks with the gloo backend of
# configs/_base_/default_runtime.py; with GPUs, request them and switch to
# nccl: GPUS_PER_NODE=8 TASKS=8 ... --cfg-options env_cfg.dist_cfg.backend=nccl
set -e

if [ $# -lt 3 ]; then
    sed -n '2,14p' "$0"
    exit 1
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
TASKS=${TASKS:-2}
TASKS_PER_NODE=${TASKS_PER_NODE:-$TASKS}
GPUS_PER_NODE=${GPUS_PER_NODE:-0}
CPUS_PER_TASK=${CPUS_PER_TASK:-4}
SRUN_ARGS=${SRUN_ARGS:-""}
TOOLS="$(cd "$(dirname "$0")" && pwd)"

GRES=""
if [ "$GPUS_PER_NODE" -gt 0 ]; then
    GRES="--gres=gpu:${GPUS_PER_NODE}"
fi

# one torch thread pool per task, sized to its CPUs
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$CPUS_PER_TASK}
export MASTER_PORT=${PORT:-29500}
export PYTHONPATH="$TOOLS/..":$PYTHONPATH

# shellcheck disable=SC2086
srun -p "$PARTITION" --job-name="$JOB_NAME" $GRES \
    --ntasks="$TASKS" --ntasks-per-node="$TASKS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 $SRUN_ARGS \
    "${PYTHON:-python}" -u "$TOOLS/train.py" "$CONFIG" --launcher slurm "${@:4}"
