#!/usr/bin/env bash
# The sharp-views training, in one call on a machine with one GPU (after gpu_check.sh rendered
# $DATA). Five runs share the GPU at once, each in bf16 with its views resident on the GPU and
# four optimiser steps per loader item:
# - default_l1: flow_completion, objective l1, until the deadline (the candidate for the default);
#   it keeps a checkpoint every COMPARE_STEPS steps;
# - default_gan: flow_completion, pose-aware adversarial objective, for GAN_SHARE of the time;
# - pose_encoder (continuous pose), flow, flow_visibility: COMPARE_STEPS steps each, for the
#   ordering at one budget (default_l1's checkpoint at COMPARE_STEPS is flow_completion's entry).
# Exports come back as tar files in $OUT: the candidates in float32, the others rounded to float16
# (twin.tar: default_l1 at as many batches as default_gan trained, for the adversarial comparison).
#   OUT=/tmp/out DEADLINE=$(( $(date +%s) + 400 )) bash benchmarks/gpu_train.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/gpu_out}
DATA=${DATA:-data/gpu_procedural}
RUNS=${RUNS:-runs/gpu}
COMPARE_STEPS=${COMPARE_STEPS:-1600}
GAN_SHARE=${GAN_SHARE:-55}           # percent of the training time
DEADLINE=${DEADLINE:-$(( $(date +%s) + 360 ))}
PRECISION=${PRECISION:-bf16-mixed}
ACCELERATOR=${ACCELERATOR:-gpu}
EXTRA=${EXTRA:-}
mkdir -p "$OUT" "$RUNS"
[ -d /tmp/site ] && export PYTHONPATH=/tmp/site:$PWD/src || export PYTHONPATH=$PWD/src
export PYTHONUNBUFFERED=1
clock() { printf "00:00:%02d:%02d" $(( $1 / 60 )) $(( $1 % 60 )); }
seconds=$(( DEADLINE - $(date +%s) - 60 ))   # leave time to start, export and pack
[ "$seconds" -lt 30 ] && seconds=30
echo "training for $seconds s at most" | tee "$OUT/train.log"
common=(--data "$DATA" --accelerator "$ACCELERATOR" --precision "$PRECISION" --threads 2
        trainer.channels_last=true trainer.val_check_interval=800 trainer.steps_per_fetch=4)
run() {
  local name=$1 time=$2; shift 2
  python3 -m novelview.cli train --out "$RUNS/$name" "${common[@]}" "trainer.max_time=$(clock "$time")" "$@" $EXTRA \
    > "$OUT/$name.log" 2>&1
  echo "$name: exit $? at $(date +%s)" >> "$OUT/train.log"
}
run default_l1 "$seconds" --config configs/flow_completion.yaml --max-steps 1000000 \
  "trainer.save_every_n_steps=$COMPARE_STEPS" &
run default_gan $(( seconds * GAN_SHARE / 100 )) --config configs/flow_completion_gan.yaml --max-steps 2000000 &
run pose_encoder "$seconds" --config configs/pose_encoder.yaml --max-steps "$COMPARE_STEPS" model.options.pose=continuous \
  data.pairs=all data.elevations=any data.batch_size=256 trainer.max_epochs=-1 &
run flow "$seconds" --config configs/flow.yaml --max-steps "$COMPARE_STEPS" &
run flow_visibility "$seconds" --config configs/flow_visibility.yaml --max-steps "$COMPARE_STEPS" &
wait
python3 benchmarks/gpu_pack.py "$RUNS" "$OUT" "$COMPARE_STEPS" >> "$OUT/train.log" 2>&1
echo "packed at $(date +%s), deadline $DEADLINE" >> "$OUT/train.log"
(cd "$OUT" && tar -cf logs.tar ./*.log && rm -f ./*.log)
