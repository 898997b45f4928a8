"""infra/startup.sh executed in a sandbox: it clones the project with real git from a
local origin, runs the README's install command (`./dev setup`) in the checkout, and
writes systemd units that bind Jupyter and TensorBoard to 127.0.0.1 or start dask.

Installing the real workspace (torch included) is out of scope on a test machine, so
the origin's `dev` is a stand-in that records how it was called and makes the
environment's `python`; systemctl is a stand-in that records its calls."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from .tools import INFRA, require_tool

_DEV_STAND_IN = """#!/usr/bin/env bash
set -euo pipefail
printf 'dev %s in %s\\n' "$*" "$PWD" >>"{log}"
mkdir -p .hatch/bin
cat >.hatch/bin/python <<'PYTHON'
#!/usr/bin/env bash
set -euo pipefail
printf 'python %s\\n' "$*" >>"{log}"
bin=$(dirname "$0")
for tool in jupyter-lab tensorboard dask; do
  printf '#!/bin/sh\\n' >"$bin/$tool"
  chmod +x "$bin/$tool"
done
PYTHON
chmod +x .hatch/bin/python
"""

_SYSTEMCTL_STAND_IN = """#!/usr/bin/env bash
printf 'systemctl %s\\n' "$*" >>"{log}"
"""


@dataclass
class Sandbox:
    root: Path
    origin: Path
    log: Path
    env: dict[str, str]

    @property
    def checkout(self) -> Path:
        return self.root / "checkout"

    @property
    def units(self) -> Path:
        return self.root / "units"

    def git(self, *args: str, cwd: Path | None = None) -> str:
        return subprocess.run(
            ["git", *args],
            cwd=cwd or self.origin,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    def commit(self, message: str) -> str:
        (self.origin / "NOTES").write_text(message)
        self.git("add", "-A")
        self.git("commit", "--quiet", "-m", message)
        return self.git("rev-parse", "HEAD")

    def run(self, **settings: str) -> subprocess.CompletedProcess[str]:
        values = {
            "CERULEAN_REPO_URL": str(self.origin),
            "CERULEAN_GIT_REF": "main",
            "CERULEAN_DATA_DISK": str(self.root / "no-such-disk-*"),
            "CERULEAN_USER": subprocess.run(
                ["id", "-un"], capture_output=True, text=True, check=True
            ).stdout.strip(),
            "CERULEAN_HOME": str(self.checkout),
            "CERULEAN_DATA_DIR": str(self.root / "data"),
            "CERULEAN_SYSTEMD_DIR": str(self.units),
            **settings,
        }
        settings_file = self.root / "settings.env"
        settings_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        return subprocess.run(
            ["bash", str(INFRA / "startup.sh"), str(settings_file)],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def unit(self, name: str) -> dict[str, str]:
        lines = (self.units / f"{name}.service").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    require_tool("git", "apt-get install git")
    log = tmp_path / "calls.log"
    stubs = tmp_path / "bin"
    stubs.mkdir()
    systemctl = stubs / "systemctl"
    systemctl.write_text(_SYSTEMCTL_STAND_IN.format(log=log))
    systemctl.chmod(0o755)
    env = {
        "PATH": f"{stubs}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    origin = tmp_path / "origin"
    origin.mkdir()
    box = Sandbox(tmp_path, origin, log, env)
    box.git("init", "--quiet", "--initial-branch=main")
    dev = origin / "dev"
    dev.write_text(_DEV_STAND_IN.format(log=log))
    dev.chmod(0o755)
    box.commit("first")
    return box


def test_gpu_role_installs_with_dev_setup_and_binds_to_localhost(sandbox: Sandbox) -> None:
    result = sandbox.run(CERULEAN_ROLE="gpu", CERULEAN_SCHEDULER="tcp://10.0.0.9:8786")
    assert result.returncode == 0, result.stderr
    assert sandbox.git("rev-parse", "HEAD", cwd=sandbox.checkout) == sandbox.git(
        "rev-parse", "HEAD"
    )
    bin_dir = sandbox.checkout / ".hatch" / "bin"
    calls = sandbox.calls()
    assert calls[0] == f"dev setup in {sandbox.checkout}"
    assert calls[1].startswith("python -m pip install")
    for package in ("jupyterlab", "tensorboard", "dask[distributed]"):
        assert package in calls[1]

    jupyter = sandbox.unit("cerulean-jupyter")
    assert jupyter["ExecStart"].startswith(f"{bin_dir}/jupyter-lab ")
    assert "--ip=127.0.0.1" in jupyter["ExecStart"].split()
    assert jupyter["Environment"] == "DASK_SCHEDULER_ADDRESS=tcp://10.0.0.9:8786"
    tensorboard = sandbox.unit("cerulean-tensorboard")
    args = tensorboard["ExecStart"].split()
    assert args[0] == f"{bin_dir}/tensorboard"
    assert args[args.index("--host") + 1] == "127.0.0.1"
    assert sorted(p.name for p in sandbox.units.iterdir()) == [
        "cerulean-jupyter.service",
        "cerulean-tensorboard.service",
    ]
    assert calls[2:] == [
        "systemctl daemon-reload",
        "systemctl enable cerulean-jupyter.service cerulean-tensorboard.service",
        "systemctl restart cerulean-jupyter.service cerulean-tensorboard.service",
    ]


def test_second_boot_follows_the_ref_and_reinstalls(sandbox: Sandbox) -> None:
    assert sandbox.run(CERULEAN_ROLE="gpu").returncode == 0
    newer = sandbox.commit("second")
    result = sandbox.run(CERULEAN_ROLE="gpu")
    assert result.returncode == 0, result.stderr
    assert sandbox.git("rev-parse", "HEAD", cwd=sandbox.checkout) == newer
    calls = sandbox.calls()
    assert calls.count(f"dev setup in {sandbox.checkout}") == 2
    # Jupyter, TensorBoard and dask were added once; the second run finds them.
    assert sum(call.startswith("python -m pip install") for call in calls) == 1
    assert "Environment" not in sandbox.unit("cerulean-jupyter")


def test_worker_role_joins_the_scheduler(sandbox: Sandbox) -> None:
    result = sandbox.run(CERULEAN_ROLE="worker", CERULEAN_SCHEDULER="tcp://10.0.0.9:8786")
    assert result.returncode == 0, result.stderr
    assert f"dev setup in {sandbox.checkout}" in sandbox.calls()
    assert [p.name for p in sandbox.units.iterdir()] == ["cerulean-dask-worker.service"]
    args = sandbox.unit("cerulean-dask-worker")["ExecStart"].split()
    assert args[:3] == [f"{sandbox.checkout}/.hatch/bin/dask", "worker", "tcp://10.0.0.9:8786"]
    assert args[args.index("--worker-port") + 1] == "9000:9099"
    assert args[args.index("--nanny-port") + 1] == "9100:9199"


def test_scheduler_role_runs_scheduler_and_a_worker_on_its_own_address(sandbox: Sandbox) -> None:
    result = sandbox.run(CERULEAN_ROLE="scheduler", CERULEAN_SCHEDULER="")
    assert result.returncode == 0, result.stderr
    own = subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=True)
    address = f"tcp://{own.stdout.split()[0]}:8786"
    scheduler = sandbox.unit("cerulean-dask-scheduler")["ExecStart"].split()
    assert scheduler[1:] == ["scheduler", "--port", "8786", "--dashboard-address", ":8787"]
    worker = sandbox.unit("cerulean-dask-worker")["ExecStart"].split()
    assert worker[1:3] == ["worker", address]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"CERULEAN_ROLE": "worker", "CERULEAN_SCHEDULER": ""}, "needs CERULEAN_SCHEDULER"),
        ({"CERULEAN_ROLE": "trainer"}, "must be gpu, scheduler or worker"),
        ({"CERULEAN_ROLE": "gpu", "PATH": "/tmp"}, "unknown setting 'PATH'"),
    ],
)
def test_bad_settings_stop_before_anything_runs(
    sandbox: Sandbox, settings: dict[str, str], message: str
) -> None:
    result = sandbox.run(**settings)
    assert result.returncode != 0
    assert message in result.stderr
    assert sandbox.calls() == []
    assert not sandbox.checkout.exists()
