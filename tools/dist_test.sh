#!/usr/bin/env bash
# Usage: [PYTHON=.venv/bin/python] tools/dist_test.sh CONFIG CKPT NUM_PROCS [test.py args...]
# The launch and the clean end of every rank are tools/dist_launch.sh's.
set -e

CONFIG=$1
CHECKPOINT=$2
PROCS=$3
source "$(dirname "$0")/dist_launch.sh"
dist_launch "$PROCS" test.py "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
