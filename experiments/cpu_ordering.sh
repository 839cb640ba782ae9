#!/usr/bin/env bash
# The ordering of the sharp-views families at one budget on a CPU: pose_encoder (continuous pose),
# flow, flow_visibility (three variants: visibility weight 1; weight 0.1; weight 1 with a mix
# residual) and flow_completion, each trained STEPS steps of batch 64 on the same data (width 1;
# the completion U-Net at half that), then scored on the validation split (which flow_visibility
# variant to keep) and on the test split.
# About 65 minutes of training on 2 cores (62 measured), then about 15 of evaluation:
#   bash experiments/cpu_ordering.sh            # DATA=data/procedural4 RUNS=runs/order STEPS=1200
# A run whose export/ already exists is not trained again (to finish an interrupted study).
set -u
cd "$(dirname "$0")/.."
DATA=${DATA:-data/procedural4}
RUNS=${RUNS:-runs/order}
STEPS=${STEPS:-1200}
THREADS=${THREADS:-2}
mkdir -p "$RUNS"
common=(--data "$DATA" --threads "$THREADS" --max-steps "$STEPS" data.batch_size=64 trainer.val_check_interval=400)
train() {
  local name=$1; shift
  if [ -f "$RUNS/$name/export/config.json" ]; then echo "$name: trained already"; return; fi
  local start=$(date +%s)
  novelview train --out "$RUNS/$name" "${common[@]}" "$@" > "$RUNS/$name.log" 2>&1
  echo "$name: exit $? after $(( $(date +%s) - start )) s" | tee -a "$RUNS/times.txt"
}
train flow --config configs/flow.yaml model.options.width=1
train flow_visibility --config configs/flow_visibility.yaml model.options.width=1
train flow_visibility_v01 --config configs/flow_visibility.yaml model.options.width=1 \
  model.options.visibility_weight=0.1
train flow_visibility_mixres --config configs/flow_visibility.yaml model.options.width=1 \
  model.options.mix_residual=true
train pose_encoder --config configs/pose_encoder.yaml model.options.pose=continuous data.pairs=all \
  data.elevations=any trainer.max_epochs=-1
train flow_completion --config configs/flow_completion.yaml model.options.width=1 \
  model.options.completion_width=0.5

models=()
for name in flow_completion flow_visibility flow_visibility_v01 flow_visibility_mixres flow pose_encoder; do
  models+=(--model "$RUNS/$name/export")
done
novelview evaluate --data "$DATA" --split val --elevation-index 0 --no-accuracy --threads "$THREADS" \
  "${models[@]}" --out "$RUNS/eval_val"
novelview evaluate --data "$DATA" --elevation-index 0 --threads "$THREADS" "${models[@]}" --out "$RUNS/eval_test"
