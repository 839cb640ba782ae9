"""Training in several processes (DDP): 2 CPU processes at batch B/2 take the same steps as one at
batch B, and settings that cannot start are one line."""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from training_helpers import CONFIGS, config_for, novelview_command, render_cars_without_depth

from novelview.data.order import PassSampler
from novelview.errors import NovelviewError
from novelview.train import train
from novelview.training.processes import check_processes

# A pose encoder without batch norm (whose statistics would depend on how the batch is split),
# small enough that the run is mostly start-up.
SMALL = ["model.options.encoder_batch_norm=false", "model.options.encoder_channels=[8,8,8,12]",
         "model.options.decoder_channels=[8,8,8]", "data.pairs=all", "data.val_pairs=null"]
STEPS, BATCH = 4, 8


@pytest.fixture(scope="module")
def no_val_set(tmp_path_factory):
    """procedural:car, 3 models, 32x32, 8 azimuths, all for training (no validation to pick a best)."""
    return render_cars_without_depth(tmp_path_factory.mktemp("ddp") / "data", 3, 0.0, 0.0)


@pytest.mark.parametrize("world, steps_per_item", [(2, 1), (2, 3), (3, 2)])
def test_each_step_of_all_ranks_together_is_one_process_step(world, steps_per_item):
    size, batch = 1000, 4
    one = PassSampler(size, batch * world, seed=5, steps_per_item=steps_per_item)
    ranks = [PassSampler(size, batch, seed=5, rank=r, world=world, steps_per_item=steps_per_item)
             for r in range(world)]
    assert len(one) == len(ranks[0]) > 10
    for _ in range(2):  # two passes: each draws its own order
        keys = [list(iter(one)), *(list(iter(r)) for r in ranks)]
        for item in range(len(one)):
            whole = one.batch_ids(keys[0][item]).reshape(steps_per_item, -1)
            shares = [r.batch_ids(k[item]).reshape(steps_per_item, -1) for r, k in zip(ranks, keys[1:])]
            for step in range(steps_per_item):
                np.testing.assert_array_equal(np.concatenate([s[step] for s in shares]), whole[step])


def test_one_process_reads_the_same_order_whatever_the_steps_per_item():
    for steps_per_item in (1, 2, 5):
        split = PassSampler(999, 8, seed=1, steps_per_item=steps_per_item)
        whole = PassSampler(999, 8 * steps_per_item, seed=1)
        assert len(split) == len(whole)
        for key in list(iter(split))[:20]:
            np.testing.assert_array_equal(split.batch_ids(key), whole.batch_ids(key))


def test_two_processes_at_half_the_batch_train_the_weights_of_one(no_val_set, tmp_path):
    one = tmp_path / "one"
    train(config_for("pose_encoder", *SMALL, f"data.batch_size={BATCH}", f"trainer.max_steps={STEPS}"),
          no_val_set, one)
    two = tmp_path / "two"
    # steps_per_fetch=2: each loader item holds two steps, which the ranks must still split step by step.
    command = [*novelview_command(), "train", "--config", str(CONFIGS / "pose_encoder.yaml"), "--data",
               str(no_val_set), "--out", str(two), "--max-steps", str(STEPS), "--accelerator", "cpu",
               "--devices", "2", "--strategy", "ddp", "--threads", "1", *SMALL, f"data.batch_size={BATCH // 2}",
               "trainer.steps_per_fetch=2", "trainer.log_every_n_steps=1"]
    proc = subprocess.run(command, check=False, capture_output=True, text=True, timeout=240,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    for run in (one, two):
        assert json.loads((run / "export" / "config.json").read_text())["trained"]["global_step"] == STEPS
    single, double = load_file(str(one / "export" / "model.safetensors")), load_file(str(two / "export" / "model.safetensors"))
    difference = max(float((single[k] - double[k]).abs().max()) for k in single)
    print(f"2 processes x batch {BATCH // 2} against 1 x batch {BATCH}, {STEPS} steps: max |difference| {difference:.3g}")
    assert difference < 1e-5
    # The steps moved the weights far more than that: the test compares trained weights.
    half = tmp_path / "half"
    train(config_for("pose_encoder", *SMALL, f"data.batch_size={BATCH // 2}", f"trainer.max_steps={STEPS}"),
          no_val_set, half)
    other = load_file(str(half / "export" / "model.safetensors"))
    assert max(float((single[k] - other[k]).abs().max()) for k in single) > 1e-3


@pytest.mark.parametrize("settings, environ, words", [
    ({"strategy": "ddp_spawn", "devices": 2}, {}, "use --strategy ddp"),
    ({"strategy": "single_device", "devices": 2}, {}, "single_device trains in one process"),
    ({"strategy": "fsdp", "accelerator": "cpu"}, {}, "fsdp shards the model over GPUs"),
    ({"strategy": "ddp", "num_nodes": 2}, {}, "--num-nodes 2 needs a launcher"),
    ({"devices": 1}, {"TORCHELASTIC_RUN_ID": "x", "LOCAL_WORLD_SIZE": "2", "WORLD_SIZE": "4"},
     ("torchrun started 2 process(es) per node, 4 in all, but --devices 1 --num-nodes 1 ask for others: "
      "give --devices 2 --num-nodes 2")),
    ({"devices": 4, "num_nodes": 2}, {"SLURM_NTASKS": "8", "SLURM_NTASKS_PER_NODE": "4", "SLURM_NNODES": "4"},
     ("srun started 4 process(es) per node, 16 in all, but --devices 4 --num-nodes 2 ask for others: "
      "give --devices 4 --num-nodes 4")),
])
def test_settings_that_cannot_start_are_refused(settings, environ, words):
    trainer = {"strategy": "auto", "devices": 1, "num_nodes": 1, "accelerator": "cpu", **settings}
    with pytest.raises(NovelviewError, match=words.replace("(", r"\(").replace(")", r"\)")):
        check_processes(trainer, cuda=False, environ=environ)


@pytest.mark.parametrize("settings, environ", [
    ({"strategy": "ddp", "devices": 2}, {}),
    ({"strategy": "ddp", "devices": 2, "num_nodes": 2}, {"TORCHELASTIC_RUN_ID": "x", "LOCAL_WORLD_SIZE": "2",
                                                         "WORLD_SIZE": "4"}),
    ({"strategy": "ddp", "devices": 4, "num_nodes": 2}, {"SLURM_NTASKS": "8", "SLURM_NTASKS_PER_NODE": "4",
                                                         "SLURM_NNODES": "2"}),
    ({"strategy": "ddp", "devices": 2}, {"SLURM_NTASKS": "1", "SLURM_JOB_NAME": "interactive",
                                         "SLURM_NTASKS_PER_NODE": "1"}),  # a shell in a job: not srun's
    ({"strategy": "ddp", "num_nodes": 2}, {"MASTER_ADDR": "node0", "MASTER_PORT": "29500", "NODE_RANK": "1"}),
])
def test_settings_a_launcher_can_start_pass(settings, environ):
    check_processes({"strategy": "auto", "devices": 1, "num_nodes": 1, "accelerator": "cpu", **settings},
                    cuda=False, environ=environ)


def test_the_command_line_says_it_in_one_line(novelview, no_val_set, tmp_path):
    code, _, err = novelview("train", "--config", "pose_encoder", "--data", no_val_set, "--out", tmp_path / "run",
                             "--accelerator", "cpu", "--devices", "2", "--strategy", "ddp_spawn")
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: --strategy ddp_spawn"), err
    assert not (tmp_path / "run" / "checkpoints").exists()
    torch.set_num_threads(1)  # the refused run set torch's threads before the check
