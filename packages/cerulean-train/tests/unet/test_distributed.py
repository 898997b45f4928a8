"""Data-parallel UNet training under torchrun: 2 CPU processes on gloo."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import torch

SCRIPT = '''
import sys
from pathlib import Path

import torch

from cerulean_train.unet.config import UNetConfig
from cerulean_train.unet.trainer import UNetTraining

torch.set_num_threads(1)
dataset, out = sys.argv[1], Path(sys.argv[2])
config = UNetConfig(train=dataset, val=dataset, backbone="xresnet18_narrow", size=64,
                    crop="random", epochs=2, batch_size=4, device="cpu")
training = UNetTraining(config, out / "run", progress=False)
training.run()
torch.save(training.model.state_dict(), out / f"rank{training.procs.rank}.pt")
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_gloo_processes_end_with_identical_weights(dataset: Path, tmp_path: Path) -> None:
    script = tmp_path / "ddp_run.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--master_addr", "127.0.0.1", "--master_port", str(_free_port()), str(script),
         str(dataset), str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert ranks[0].keys() == ranks[1].keys()
    assert all(torch.equal(ranks[0][k], ranks[1][k]) for k in ranks[0])
    written = torch.load(tmp_path / "run" / "weights.pt", weights_only=True)
    assert all(torch.equal(written[k], ranks[0][k]) for k in written)
    initial = _initial_weights()
    assert any(not torch.equal(initial[k], ranks[0][k]) for k in initial)


def _initial_weights() -> dict[str, torch.Tensor]:
    """The weights training started from (same seed), to show training moved them."""
    from cerulean_train.data.seeding import seed_everything
    from cerulean_train.unet.backbones import build_unet

    seed_everything(0)
    return build_unet("xresnet18_narrow", 1, 4, img_size=128).state_dict()
