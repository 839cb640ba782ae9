"""Training in several processes and on several machines: the combinations that cannot work, refused
in one line before anything starts (Lightning would stop with a traceback, hang waiting for
processes that never come, or quietly train on fewer devices than asked).

Three ways to start a run in several processes:
- ``--strategy ddp --devices N``: Lightning starts the N processes of one machine itself;
- ``torchrun --nproc-per-node N [--nnodes M ...] -m novelview.cli train ... --devices N --num-nodes M``;
- ``srun`` in a SLURM job (``--ntasks-per-node N --nodes M``), with ``--devices N --num-nodes M``.
Under a launcher every process runs ``novelview train``, and the devices per node and the nodes
must be the ones the launcher started.
"""

from __future__ import annotations

import os
import re

from novelview.errors import NovelviewError

# Strategies that run the fit in processes forked or spawned for it, which hand back the weights
# only: the run's last checkpoint (optimiser state, for --resume) and its export are written after
# the fit, by the process that called it, so they would miss what was trained.
SPAWNING = ("ddp_spawn", "ddp_fork", "ddp_notebook")


def check_processes(trainer: dict, cuda: bool, environ=None) -> None:
    """Refuse trainer settings (``config["trainer"]``) that cannot start; ``cuda``: a GPU is usable."""
    env = os.environ if environ is None else environ
    strategy, devices, nodes = trainer["strategy"], trainer["devices"], trainer["num_nodes"]
    on_cpu = trainer["accelerator"] == "cpu" or (trainer["accelerator"] == "auto" and not cuda)
    if strategy in SPAWNING:
        raise NovelviewError(f"--strategy {strategy} trains in processes that hand back only the weights, so the "
                             "run's checkpoint and export would miss the training: use --strategy ddp (it starts "
                             "the processes itself), or launch with torchrun or srun")
    several = nodes > 1 or devices == -1 or (isinstance(devices, int) and devices > 1)
    if strategy == "single_device" and several:
        raise NovelviewError(f"--strategy single_device trains in one process, but --devices {devices} --num-nodes "
                             f"{nodes} ask for more: use --strategy ddp (or auto)")
    if strategy == "fsdp" and on_cpu:
        raise NovelviewError("--strategy fsdp shards the model over GPUs and cannot train on the CPU: "
                             "use --strategy ddp there (or --accelerator gpu on a GPU machine)")
    if "TORCHELASTIC_RUN_ID" in env:  # torchrun sets it, as torch.distributed.is_torchelastic_launched reads
        _match_launcher("torchrun", _number(env, "LOCAL_WORLD_SIZE"), _number(env, "WORLD_SIZE"), devices, nodes)
    elif _under_srun(env):
        per_node, node_count = _number(env, "SLURM_NTASKS_PER_NODE"), _number(env, "SLURM_NNODES")
        total = per_node * node_count if per_node and node_count else None
        _match_launcher("srun", per_node, total, devices, nodes)
    elif nodes > 1 and not all(name in env for name in ("MASTER_ADDR", "MASTER_PORT", "NODE_RANK")):
        raise NovelviewError(f"--num-nodes {nodes} needs a launcher that starts the run on every node: srun in a "
                             f"SLURM job (sbatch --nodes {nodes}), torchrun --nnodes {nodes} ..., or MASTER_ADDR, "
                             "MASTER_PORT and NODE_RANK set on each node (see docs/scaling-out.md)")


def _under_srun(env) -> bool:
    """As Lightning's SLURM detection: tasks of a SLURM job not named bash or interactive (a shell)."""
    return "SLURM_NTASKS" in env and env.get("SLURM_JOB_NAME") not in ("bash", "interactive")


def _number(env, name: str) -> int | None:
    text = env.get(name, "")
    return int(text) if re.fullmatch(r"[0-9]+", text.strip()) else None


def _match_launcher(launcher: str, per_node: int | None, total: int | None, devices, nodes: int) -> None:
    """Each process a launcher starts trains on one device: --devices is its processes per node and
    --num-nodes its nodes; Lightning would stop with a traceback otherwise."""
    if per_node is None:
        return  # the launcher does not say (SLURM without --ntasks-per-node): Lightning decides
    want = f"--devices {per_node}" + (f" --num-nodes {total // per_node}" if total and total % per_node == 0 else "")
    if devices != per_node or (total is not None and devices * nodes != total):
        raise NovelviewError(f"{launcher} started {per_node} process(es) per node"
                             + (f", {total} in all" if total is not None else "")
                             + f", but --devices {devices} --num-nodes {nodes} ask for others: give {want}")
