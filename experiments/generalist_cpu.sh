#!/usr/bin/env bash
# The shipped `generalist` of round 3 (src/novelview/weights/generalist/TRAINING.md), on a 2-core CPU:
# the default trained further on real objects beside procedural ones, in three stages, then scored
# on every test set beside the default. Each stage is stopped by its time limit (or Ctrl-C;
# `--resume` goes on exactly) and exports its best checkpoint by validation L1.
set -e
cd "$(dirname "$0")/.."
# Data: the Sweet Home 3D library's CC0/CC-BY models (the shipped split; GPL left out), procedural
# shapes of both appearances (seeds 0 and 5: no test set uses them), joined into one set.
python benchmarks/sh3d_objects_split.py --cc-train runs/sh3d_cc_split.json
novelview render --source sh3d::objects --elevations 0,10,20,30 --split-file runs/sh3d_cc_split.json --out data/library/sh3d_cc
novelview render --source "procedural:every?appearance=varied" --models 13 --elevations 0,10,20,30 --out data/library/procedural
novelview render --source procedural:all --models 60 --seed 5 --elevations 0,10,20,30 --azimuth-jitter 10 \
    --val-share 0.05 --test-share 0 --out data/library/procedural_plain
novelview combine data/library/procedural data/library/procedural_plain data/library/sh3d_cc --out data/library/mixed
# Stage 1: the default fine-tuned on the real models alone (5,500 steps, 2 h 23 min in three pieces).
novelview train --config finetune --data data/library/sh3d_cc --out runs/generalist_cpu --threads 2 \
    trainer.max_time=00:05:00:00
novelview export --checkpoint runs/generalist_cpu/checkpoints/best.ckpt --out runs/generalist_cpu/export_5500
# Stage 2: real and procedural together (15 min).
novelview train --config shipped/generalist --data data/library/mixed --out runs/generalist_mixed --threads 2 \
    model.init=runs/generalist_cpu/export_5500 data.photo_framing=0 trainer.max_time=00:00:15:00
novelview export --checkpoint runs/generalist_mixed/checkpoints/best.ckpt --out runs/generalist_mixed/export_best
# Stage 3: the same, half of the sources framed as photos are (stopped by Ctrl-C after 71 min, step 4,764).
novelview train --config shipped/generalist --data data/library/mixed --out runs/generalist_photo --threads 2 \
    model.init=runs/generalist_mixed/export_best trainer.max_time=00:01:11:00
novelview export --checkpoint runs/generalist_photo/checkpoints/best.ckpt --out runs/generalist_photo/export_best
# Every test set, the same pairs for every row, beside copying the input and the mean view.
python experiments/ship_generalist.py runs/generalist_photo/export_best
python experiments/generalist_attribution.py data/library/sh3d_cc
novelview suite --model generalist --model default --data-root data/suite --out runs/suite_round3 --max-pairs 1200 --workers 2
OMP_NUM_THREADS=2 python benchmarks/bench_photo.py --model generalist --out benchmarks/results/photo_generalist
