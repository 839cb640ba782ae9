#!/usr/bin/env bash
# The sharp-views training, in one call on a machine with one GPU (after gpu_check.sh rendered
# $DATA): six runs share the GPU at once, each in bf16 with its views resident on the GPU:
# - the ordering at one budget (COMPARE_STEPS batches of 256 each): pose_encoder (continuous pose),
#   flow, flow_visibility, flow_completion;
# - the candidates for the shipped default, trained until the deadline: flow_completion with the
#   l1 objective and with the pose-aware adversarial objective.
# Exports come back as tar files in $OUT (the candidates in float32, the others rounded to float16).
#   OUT=/tmp/out DEADLINE=$(( $(date +%s) + 400 )) bash benchmarks/gpu_train.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/gpu_out}
DATA=${DATA:-data/gpu_procedural}
RUNS=${RUNS:-runs/gpu}
COMPARE_STEPS=${COMPARE_STEPS:-4000}
DEADLINE=${DEADLINE:-$(( $(date +%s) + 360 ))}
PRECISION=${PRECISION:-bf16-mixed}
ACCELERATOR=${ACCELERATOR:-gpu}
EXTRA=${EXTRA:-}
mkdir -p "$OUT" "$RUNS"
[ -d /tmp/site ] && export PYTHONPATH=/tmp/site:$PWD/src || export PYTHONPATH=$PWD/src
export PYTHONUNBUFFERED=1
seconds=$(( DEADLINE - $(date +%s) - 60 ))   # leave time to start, export and pack
[ "$seconds" -lt 30 ] && seconds=30
max_time=$(printf "00:00:%02d:%02d" $(( seconds / 60 )) $(( seconds % 60 )))
echo "training for $max_time at most" | tee "$OUT/train.log"
common=(--data "$DATA" --accelerator "$ACCELERATOR" --precision "$PRECISION" --threads 2
        trainer.channels_last=true "trainer.max_time=$max_time" trainer.val_check_interval=1000)
run() {
  local name=$1; shift
  python3 -m novelview.cli train --out "$RUNS/$name" "${common[@]}" "$@" $EXTRA > "$OUT/$name.log" 2>&1
  echo "$name: exit $?" >> "$OUT/train.log"
}
run pose_encoder --config configs/pose_encoder.yaml --max-steps "$COMPARE_STEPS" model.options.pose=continuous \
  data.pairs=all data.elevations=any data.batch_size=256 trainer.max_epochs=-1 &
run flow --config configs/flow.yaml --max-steps "$COMPARE_STEPS" &
run flow_visibility --config configs/flow_visibility.yaml --max-steps "$COMPARE_STEPS" &
run flow_completion --config configs/flow_completion.yaml --max-steps "$COMPARE_STEPS" &
run default_l1 --config configs/flow_completion.yaml --max-steps 1000000 &
run default_gan --config configs/flow_completion_gan.yaml --max-steps 2000000 &
wait
python3 - "$RUNS" "$OUT" <<'PY'
"""Pack each run's export (and its CSV log) into a tar; the comparison runs' weights in float16."""
import io, json, sys, tarfile
from pathlib import Path
from safetensors.torch import load_file, save_file
import torch
runs, out = Path(sys.argv[1]), Path(sys.argv[2])
# At most 8 files of 16 MiB come back from the machine: four tars, the logs and gpu.json.
groups = {"default_l1": ["default_l1"], "default_gan": ["default_gan"],
          "compare_a": ["pose_encoder", "flow"], "compare_b": ["flow_visibility", "flow_completion"]}
for tar_name, names in groups.items():
    with tarfile.open(out / f"{tar_name}.tar", "w") as tar:
        for name in names:
            folder = runs / name
            for path in [folder / "export" / "config.json", folder / "config.yaml", folder / "csv" / "metrics.csv"]:
                if path.exists():
                    tar.add(path, arcname=f"{name}/{path.relative_to(folder)}")
            weights = folder / "export" / "model.safetensors"
            if not weights.exists():
                continue
            if tar_name.startswith("compare"):
                state = {k: (v.half() if v.dtype == torch.float32 else v) for k, v in load_file(str(weights)).items()}
                tmp = folder / "export" / "model.fp16.safetensors"
                save_file(state, str(tmp))
                tar.add(tmp, arcname=f"{name}/export/model.safetensors")
            else:
                tar.add(weights, arcname=f"{name}/export/model.safetensors")
    print(tar_name, (out / f"{tar_name}.tar").stat().st_size)
PY
echo "packed at $(date +%s), deadline $DEADLINE" >> "$OUT/train.log"
(cd "$OUT" && tar -cf logs.tar ./*.log && rm -f ./*.log)
