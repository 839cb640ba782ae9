#!/usr/bin/env bash
# The engine's GPU check, in one call on a machine with one GPU and its CPU cores (under 6 min):
# install the few wheels the GPU image lacks, render the procedural set with every core, and
# measure `novelview train` against a bare loop (benchmarks/bench_loop.py) -> $OUT/gpu.json.
#
# Wheels (made on the workstation, see the device tool's README): trimesh, embreex and pytorch-msssim in .whl/.
#   OUT=benchmarks/results bash benchmarks/gpu_check.sh
# Tiny sizes for a CPU dry run: MODELS=2 SIZE=32 BATCHES=8 DEVICE=cpu bash benchmarks/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-benchmarks/results}
MODELS=${MODELS:-400}                 # per category: 1,200 models, 912 for training
ELEVATIONS=${ELEVATIONS:-0,10,20,30}
JITTER=${JITTER:-10}                  # each view's azimuth off the grid by up to +-5 degrees
SIZE=${SIZE:-64}
DATA=${DATA:-data/gpu_procedural}
BATCHES=${BATCHES:-256,2048}
DEVICE=${DEVICE:-cuda}
mkdir -p "$OUT"
source benchmarks/gpu_env.sh   # wheels, PYTHONPATH, $nv
start=$(date +%s)
if [ ! -f "$DATA/views.npy" ]; then
  $nv render --source procedural:all --models "$MODELS" --size "$SIZE" --elevations "$ELEVATIONS" \
    --azimuth-jitter "$JITTER" --val-share 0.05 --workers "$(nproc)" --out "$DATA" > "$OUT/render.log" 2>&1
  echo "render: exit $?, $(( $(date +%s) - start )) s" | tee -a "$OUT/render.log"
fi
# The set has jittered azimuths: the pose encoder takes the continuous pose (4 numbers, not a one-hot).
timeout "${BENCH_TIMEOUT:-150}" python3 benchmarks/bench_loop.py --data "$DATA" --device "$DEVICE" --batches "$BATCHES" \
  --rounds 1 --images "${BENCH_IMAGES:-40000}" --override model.options.pose=continuous \
  --out "$OUT/gpu.json" > "$OUT/bench.log" 2>&1
echo "bench: exit $?, $(( $(date +%s) - start )) s in all" | tee -a "$OUT/bench.log"
