#!/usr/bin/env bash
# Usage: [PYTHON=.venv/bin/python] tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# One process per GPU (or per CPU worker with the gloo backend, the
# default of configs/_base_/default_runtime.py); the launch and the clean
# end of every rank are tools/dist_launch.sh's.
set -e

CONFIG=$1
PROCS=$2
source "$(dirname "$0")/dist_launch.sh"
dist_launch "$PROCS" train.py "$CONFIG" --launcher pytorch "${@:3}"
