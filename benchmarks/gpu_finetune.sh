#!/usr/bin/env bash
# Fine-tunes of the shipped default in one call on a machine with one GPU, until DEADLINE:
# - furniture (FURNITURE=1): re-render the furniture's train and val models from the libraries that
#   benchmarks/sh3d_subset.py packed into .carry/furniture (checked against the views rendered
#   here: furniture_check.txt), then train configs/furniture.yaml from the default's weights;
# - default_more: render a procedural set (PROCEDURAL; by default gpu_check.sh's: seed 0, same
#   split) on the cores the furniture run leaves, then go on training from DEFAULT_INIT.
# Both share the GPU once the second starts. Exports (float32) and logs come back as tars in $OUT.
# The shipped default's stages 2 and 3 and the furniture weights came from this script
# (src/novelview/weights/*/TRAINING.md give the exact calls).
#   OUT=/tmp/out DEADLINE=$(( $(date +%s) + 520 )) bash benchmarks/gpu_finetune.sh
# CPU dry run: WHEELS=none ACCELERATOR=cpu PRECISION=32-true MODELS=10 EXTRA="data.batch_size=8 data.max_val_pairs=32"
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/gpu_out}
DEADLINE=${DEADLINE:-$(( $(date +%s) + 520 ))}
ACCELERATOR=${ACCELERATOR:-gpu}
PRECISION=${PRECISION:-bf16-mixed}
MODELS=${MODELS:-400}
PACKED=${PACKED:-.carry/furniture}
SELECTION=${SELECTION:-chair,armchair,sofa,table,mug,cup,bottle,vase,Vehicles}
FURNITURE_EXTRA=${FURNITURE_EXTRA:-data.batch_size=512 optim.lr=5.0e-4}
DEFAULT_EXTRA=${DEFAULT_EXTRA:-data.batch_size=1024 optim.lr=7.0e-4}
EXTRA=${EXTRA:-}
RUNS=${RUNS:-runs/gpu}
FURNITURE=${FURNITURE:-1}             # 0: only the procedural run
PROCEDURAL=${PROCEDURAL:---seed 0 --val-share 0.05}   # render options beside --models (seed 0: gpu_check.sh's set)
DEFAULT_INIT=${DEFAULT_INIT:-default}  # the weights default_more starts from (a shipped name or an export folder)
mkdir -p "$OUT" "$RUNS"
source benchmarks/gpu_env.sh   # wheels, PYTHONPATH, $nv
log() { echo "$(( $(date +%s) - DEADLINE )) s to deadline: $*" | tee -a "$OUT/steps.log"; }
clock() { local s=$(( $1 < 30 ? 30 : $1 )); printf "00:%02d:%02d:%02d" $(( s / 3600 )) $(( s % 3600 / 60 )) $(( s % 60 )); }
common=(--accelerator "$ACCELERATOR" --precision "$PRECISION" --threads 2 trainer.channels_last=true
        trainer.steps_per_fetch=4 --max-steps 1000000)

furniture=
if [ "$FURNITURE" = 1 ]; then
  $nv render --source "sh3d:$PACKED:$SELECTION" --elevations 0,10,20,30 --azimuth-jitter 10 \
    --split-file "$PACKED/split.json" --workers "$(nproc)" --out data/furniture_tv > "$OUT/render_furniture.log" 2>&1
  log "furniture render exit $?"
  python3 benchmarks/sh3d_subset.py check "$PACKED" data/furniture_tv > "$OUT/furniture_check.txt" 2>&1
  cat "$OUT/furniture_check.txt"
  $nv train --config configs/furniture.yaml --data data/furniture_tv --out "$RUNS/furniture" "${common[@]}" \
    trainer.val_check_interval=400 "trainer.max_time=$(clock $(( DEADLINE - $(date +%s) - 45 )))" \
    model.init=default $FURNITURE_EXTRA $EXTRA > "$OUT/furniture.log" 2>&1 &
  furniture=$!
  log "furniture training started"
fi

$nv render --source procedural:all --models "$MODELS" $PROCEDURAL --elevations 0,10,20,30 --azimuth-jitter 10 \
  --workers $(( $(nproc) > 4 && FURNITURE == 1 ? $(nproc) - 2 : $(nproc) )) --out data/gpu_procedural > "$OUT/render_procedural.log" 2>&1
log "procedural render exit $?"
$nv train --config configs/shipped/default.yaml --data data/gpu_procedural --out "$RUNS/default_more" "${common[@]}" \
  trainer.val_check_interval=400 "trainer.max_time=$(clock $(( DEADLINE - $(date +%s) - 45 )))" \
  "model.init=$DEFAULT_INIT" $DEFAULT_EXTRA $EXTRA > "$OUT/default_more.log" 2>&1
log "default_more exit $?"
if [ -n "$furniture" ]; then wait "$furniture"; log "furniture exit $?"; fi
for run in furniture default_more; do
  [ -d "$RUNS/$run" ] || continue
  (cd "$RUNS/$run" && tar -cf "$OUT/$run.tar" config.yaml csv/metrics.csv export) || log "nothing to pack for $run"
done
(cd "$OUT" && tar -cf logs.tar $(ls ./*.log ./*.txt 2>/dev/null) && rm -f ./*.log ./*.txt)
log "packed"
