#!/usr/bin/env bash
# flow_completion against depth_warp at one budget (issue 26) (13 minutes each of the 2-core CPU, from scratch,
# the same data: the Sweet Home 3D library's CC0/CC-BY training models), then both scored on the
# test sets at elevation 0 beside the baselines.
set -e
cd /work/main
COMMON="data.batch_size=32 trainer.max_time=00:00:13:00 trainer.max_steps=100000 trainer.val_check_interval=100 data.max_val_pairs=512 trainer.threads=2"
for family in flow_completion depth_warp; do
  novelview train --config $family --data data/library/sh3d_cc --out runs/budget_$family --overwrite $COMMON > runs/budget_$family.log 2>&1
done
for set in sh3d_cc:test flightgear:all torcs:all; do
  name=${set%%:*}; split=${set##*:}
  novelview evaluate --data data/library/$name --split $split --model runs/budget_flow_completion/export \
    --model runs/budget_depth_warp/export --elevation-index 0 --max-pairs 600 --no-accuracy --threads 2 \
    --out runs/budget_eval_$name > runs/budget_eval_$name.log 2>&1
done
echo done > runs/budget_done
