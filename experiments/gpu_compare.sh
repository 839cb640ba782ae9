#!/usr/bin/env bash
# Two comparisons of the sharp-views issue in one call on a machine with one GPU (after
# benchmarks/gpu_check.sh's render of set A, which this script does itself if $DATA is missing):
# - the ordering at one longer budget: pose_encoder (continuous pose), flow, flow_visibility
#   (visibility weight 1 and 0.1; which to keep is chosen on validation) and flow_completion, each
#   STEPS steps of batch 256 from scratch, with a checkpoint every SAVE steps (if the deadline
#   stops one early, the packer compares them all at the last step every run reached);
# - adversarial fine-tunes of the shipped default beside their L1-only twin: the same data,
#   batch, learning rate and start, one run per adversarial weight in ADVERSARIAL ("weight:fm"
#   pairs, fm = the feature-matching weight), and the twin with objective l1 (a checkpoint every
#   TWIN_SAVE batches in each of these runs, so the packer compares them at one batch count).
# Every run shares the GPU until DEADLINE. Exports come back in float16 as tar files in $OUT
# (experiments/gpu_compare_pack.py), with the logs. Evaluate them on the workstation.
#   OUT=/tmp/out DEADLINE=$(( $(date +%s) + 560 )) bash experiments/gpu_compare.sh
# CPU dry run: WHEELS=none ACCELERATOR=cpu PRECISION=32-true MODELS=4 STEPS=8 SAVE=4 TWIN_SAVE=8 \
#   EXTRA="data.batch_size=8 data.max_val_pairs=32" DEADLINE=$(( $(date +%s) + 400 )) bash experiments/gpu_compare.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/gpu_out}
DEADLINE=${DEADLINE:-$(( $(date +%s) + 560 ))}
ACCELERATOR=${ACCELERATOR:-gpu}
PRECISION=${PRECISION:-bf16-mixed}
MODELS=${MODELS:-400}                 # per category: set A, as gpu_check.sh renders it
DATA=${DATA:-data/gpu_procedural}
RUNS=${RUNS:-runs/gpu_compare}
STEPS=${STEPS:-4000}
SAVE=${SAVE:-1000}
ADVERSARIAL=${ADVERSARIAL:-0.03:0.1 0.1:1.0 0.3:1.0}
FINETUNE=${FINETUNE:-optim.lr=1.0e-4}  # the fine-tunes' settings beside model.init=default
TWIN_SAVE=${TWIN_SAVE:-200}
EXTRA=${EXTRA:-}
mkdir -p "$OUT" "$RUNS"
source benchmarks/gpu_env.sh   # wheels, PYTHONPATH, $nv
log() { echo "$(( $(date +%s) - DEADLINE )) s to deadline: $*" | tee -a "$OUT/steps.log"; }
if [ ! -f "$DATA/views.npy" ]; then
  $nv render --source procedural:all --models "$MODELS" --size 64 --elevations 0,10,20,30 --azimuth-jitter 10 \
    --val-share 0.05 --workers "$(nproc)" --out "$DATA" > "$OUT/render.log" 2>&1
  log "render exit $?"
fi
seconds=$(( DEADLINE - $(date +%s) - 50 ))   # leave time to export and pack
[ "$seconds" -lt 30 ] && seconds=30
clock=$(printf "00:%02d:%02d:%02d" $(( seconds / 3600 )) $(( seconds % 3600 / 60 )) $(( seconds % 60 )))
log "training for $seconds s at most"
common=(--data "$DATA" --accelerator "$ACCELERATOR" --precision "$PRECISION" --threads 1
        trainer.channels_last=true trainer.steps_per_fetch=4 "trainer.max_time=$clock")
run() {
  local name=$1; shift
  $nv train --out "$RUNS/$name" "${common[@]}" "$@" $EXTRA > "$OUT/$name.log" 2>&1
  log "$name exit $?"
}
ordering=(--max-steps "$STEPS" "trainer.save_every_n_steps=$SAVE" trainer.val_check_interval="$SAVE")
run order_pose_encoder --config configs/pose_encoder.yaml "${ordering[@]}" model.options.pose=continuous \
  data.pairs=all data.elevations=any data.batch_size=256 trainer.max_epochs=-1 &
run order_flow --config configs/flow.yaml "${ordering[@]}" &
run order_flow_visibility --config configs/flow_visibility.yaml "${ordering[@]}" &
run order_flow_visibility_v01 --config configs/flow_visibility.yaml "${ordering[@]}" model.options.visibility_weight=0.1 &
run order_flow_completion --config configs/flow_completion.yaml "${ordering[@]}" &
finetune=(--max-steps 1000000 model.init=default trainer.val_check_interval=800 $FINETUNE)
run adv_twin --config configs/flow_completion.yaml "${finetune[@]}" "trainer.save_every_n_steps=$TWIN_SAVE" &
for pair in $ADVERSARIAL; do
  run "adv_${pair%%:*}" --config configs/flow_completion_gan.yaml "${finetune[@]}" \
    "objective.options.adversarial_weight=${pair%%:*}" "objective.options.feature_matching_weight=${pair##*:}" \
    "trainer.save_every_n_steps=$(( 2 * TWIN_SAVE ))" &
done
wait
python3 experiments/gpu_compare_pack.py "$RUNS" "$OUT" >> "$OUT/steps.log" 2>&1
log "packed"
(cd "$OUT" && tar -cf logs.tar ./*.log && rm -f ./*.log)
