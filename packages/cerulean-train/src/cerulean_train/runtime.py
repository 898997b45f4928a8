"""The serving runtime: a separate venv holding the torch the serving service runs.

The serving service loads ``model.ts`` under torch 2.0.1 / torchvision 0.15.2. A Mask
R-CNN scripted by a newer torch does not load there (its graph names operators 2.0.1
does not have), so the export scripts it *inside* a venv with that torch, and checks
there that the TorchScript loads and agrees with the eager model. Nothing of that venv
enters the workspace: the two talk through files (a JSON job, a state dict, sample
tensors) and the standalone :mod:`cerulean_train.maskrcnn._runtime_script`.

The venv is created once per torch version under the runtime folder (``--runtime-dir``,
else ``$CERULEAN_RUNTIME_DIR``, else ``~/.cache/cerulean-ml/runtimes``) as
``torch-<version>/``. Creation is crash-safe: it is built in a hidden temporary folder
next to its final place, checked, marked complete (:data:`MARKER`) and renamed into
place, so a venv either exists complete or not at all; an interrupted creation leaves a
temporary folder that the next creation removes. ``--runtime workspace`` uses the
workspace's own torch instead (fast, for tests and demos): such a bundle does not load
in the serving runtime.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cerulean_tiling.errors import JSONReadError
from cerulean_tiling.jsonio import read_json_object
from cerulean_train.errors import ConfigError, ExportError, RuntimeEnvError

logger = logging.getLogger(__name__)

DEFAULT_RUNTIME = "torch==2.0.1"
"""The serving service's torch."""

WORKSPACE = "workspace"

TORCHVISION_FOR_TORCH = {"2.0.1": "0.15.2", "2.1.2": "0.16.2", "2.2.2": "0.17.2",
                         "2.3.1": "0.18.1", "2.4.1": "0.19.1"}
"""torchvision release built for each torch release a runtime may name."""

MARKER = "cerulean-runtime.json"
"""Written last into a runtime venv: its presence means the venv is complete."""

ENV_VAR = "CERULEAN_RUNTIME_DIR"
_TEMP_PREFIX = ".building-"
SCRIPT = Path(__file__).parent / "maskrcnn" / "_runtime_script.py"


@dataclass(frozen=True)
class RuntimeTarget:
    """What ``--runtime`` names: the workspace's torch, or a pinned torch release."""

    torch: str | None
    """The torch version of the runtime venv, or None for the workspace."""

    @classmethod
    def parse(cls, text: str) -> RuntimeTarget:
        """Parse ``workspace`` or ``torch==X.Y.Z``.

        Raises:
            ConfigError: any other text, or a torch release without a known torchvision.
        """
        if text == WORKSPACE:
            return cls(None)
        name, sep, version = text.partition("==")
        if name.strip() != "torch" or not sep:
            raise ConfigError(f"runtime {text!r}: use 'workspace' or 'torch==VERSION'")
        version = version.strip()
        if version not in TORCHVISION_FOR_TORCH:
            raise ConfigError(f"runtime {text!r}: torch {version} is not one of "
                              f"{', '.join(TORCHVISION_FOR_TORCH)}")
        return cls(version)

    @property
    def torchvision(self) -> str | None:
        """The matching torchvision version (None for the workspace)."""
        return None if self.torch is None else TORCHVISION_FOR_TORCH[self.torch]

    @property
    def requirements(self) -> tuple[str, ...]:
        """What pip installs into the venv (numpy < 2: torch 2.0 was built against 1.x)."""
        if self.torch is None:
            return ()
        return (f"torch=={self.torch}", f"torchvision=={self.torchvision}", "numpy<2")

    def __str__(self) -> str:
        return WORKSPACE if self.torch is None else f"torch=={self.torch}"


@dataclass(frozen=True)
class RuntimeEnv:
    """A complete runtime venv."""

    path: Path
    torch: str
    torchvision: str

    @property
    def python(self) -> Path:
        """The venv's interpreter."""
        return self.path / "bin" / "python"


def runtime_root(runtime_dir: Path | None = None) -> Path:
    """Where runtime venvs live: ``runtime_dir``, ``$CERULEAN_RUNTIME_DIR`` or the cache."""
    if runtime_dir is not None:
        return Path(runtime_dir)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return Path.home() / ".cache" / "cerulean-ml" / "runtimes"


def runtime_path(target: RuntimeTarget, runtime_dir: Path | None = None) -> Path:
    """Where the venv of ``target`` is (or will be)."""
    if target.torch is None:
        raise ConfigError("the workspace runtime has no venv")
    return runtime_root(runtime_dir) / f"torch-{target.torch}"


def find_runtime(target: RuntimeTarget, runtime_dir: Path | None = None) -> RuntimeEnv | None:
    """The complete venv of ``target``, or None when it has not been created."""
    path = runtime_path(target, runtime_dir)
    try:
        marker = read_json_object(path / MARKER, "runtime marker")
    except JSONReadError:
        return None
    return RuntimeEnv(path, str(marker["torch"]), str(marker["torchvision"]))


def ensure_runtime(target: RuntimeTarget, runtime_dir: Path | None = None, *,
                   progress: bool = False) -> RuntimeEnv:
    """The venv of ``target``, created first when it does not exist (a big download).

    Args:
        target: a pinned torch (not the workspace).
        runtime_dir: the runtime folder (see :func:`runtime_root`).
        progress: let pip print its progress on stderr (else it goes to a log file
            that the error message names when pip fails).

    Raises:
        RuntimeEnvError: the venv cannot be created (pip failed, no space, no network).
    """
    found = find_runtime(target, runtime_dir)
    if found is not None:
        return found
    final = runtime_path(target, runtime_dir)
    root = final.parent
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RuntimeEnvError(f"{root}: cannot create the runtime folder ({exc})") from None
    _remove_stale_builds(root, final.name)
    build = Path(tempfile.mkdtemp(prefix=f"{_TEMP_PREFIX}{final.name}-", dir=root))
    try:
        env = _create(target, build, progress)
        try:
            build.rename(final)
        except OSError:
            # Another process finished the same venv first: keep theirs.
            other = find_runtime(target, runtime_dir)
            if other is None:
                raise RuntimeEnvError(f"{final}: exists but is not a complete runtime venv; "
                                      "remove it") from None
            return other
        return RuntimeEnv(final, env.torch, env.torchvision)
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)


def _create(target: RuntimeTarget, build: Path, progress: bool) -> RuntimeEnv:
    start = time.monotonic()
    logger.info("creating the %s runtime venv in %s (pip: %s)", target, build,
                " ".join(target.requirements))
    log_path = build.parent / f"{build.name}.log"
    with open(log_path, "w", encoding="utf-8") as log:
        output = None if progress else log
        steps = [
            [sys.executable, "-m", "venv", str(build)],
            [str(build / "bin" / "python"), "-m", "pip", "install", "--no-input",
             "--disable-pip-version-check", *target.requirements],
        ]
        for command in steps:
            result = subprocess.run(command, stdout=output, stderr=output, check=False)
            if result.returncode != 0:
                where = "" if progress else f"; see {log_path}"
                raise RuntimeEnvError(f"{build}: '{' '.join(command[-3:])}' failed with "
                                      f"status {result.returncode}{where}")
    env = RuntimeEnv(build, target.torch or "", target.torchvision or "")
    versions = run_job(env, {"mode": "versions"})
    if not str(versions["torch"]).startswith(target.torch or ""):
        raise RuntimeEnvError(f"{build}: pip installed torch {versions['torch']}, "
                              f"not {target.torch}")
    marker = {"torch": target.torch, "torchvision": target.torchvision,
              "installed": versions, "python": sys.version.split()[0],
              "seconds": round(time.monotonic() - start, 1)}
    (build / MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
    log_path.unlink(missing_ok=True)
    logger.info("runtime venv ready after %.0f s", marker["seconds"])
    return env


def _remove_stale_builds(root: Path, name: str) -> None:
    """Remove temporary folders of earlier creations that died (older than a day, or
    whose log has not grown in an hour: pip writes to it continuously)."""
    now = time.time()
    for stale in root.glob(f"{_TEMP_PREFIX}{name}-*"):
        log = stale.parent / f"{stale.name}.log"
        stamp = log.stat().st_mtime if log.exists() else stale.stat().st_mtime
        if now - stamp > 3600 and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
            log.unlink(missing_ok=True)


def run_job(env: RuntimeEnv | None, job: dict[str, Any], timeout: float = 1800) -> dict[str, Any]:
    """Run one job of the runtime script in ``env`` (None: in this process).

    Returns:
        The script's result object; ``result["ok"]`` says whether the job succeeded.

    Raises:
        RuntimeEnvError: the venv's Python could not run the script at all.
    """
    if env is None:
        from cerulean_train.maskrcnn._runtime_script import run_job as run_here

        return run_here(job)
    with tempfile.TemporaryDirectory(prefix="cerulean-job-") as tmp:
        job_path = Path(tmp) / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        try:
            result = subprocess.run([str(env.python), str(SCRIPT), str(job_path)],
                                    capture_output=True, text=True, timeout=timeout,
                                    check=False, env=_clean_env())
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RuntimeEnvError(f"{env.python}: cannot run the runtime script ({exc})") \
                from None
    lines = result.stdout.strip().splitlines()
    try:
        parsed: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeEnvError(f"{env.path}: the runtime script failed "
                              f"(status {result.returncode}): {tail}") from None
    return parsed


def verify_unet(model_ts: Path, inputs: Any, expected: Any, *,
                runtime: str = DEFAULT_RUNTIME, runtime_dir: Path | None = None,
                atol: float = 1e-4) -> RuntimeEnv | None:
    """Check a traced UNet ``model.ts`` in the runtime venv, when that venv exists.

    The venv is not created for this (a UNet traced by a newer torch loads in 2.0.1, so
    the check confirms rather than enables the export): without it, nothing runs.

    Args:
        model_ts: the traced model.
        inputs: a float tensor ``[B, C, H, W]`` to run it on.
        expected: the eager model's logits for ``inputs``.
        runtime: the runtime to check in.
        runtime_dir: where runtime venvs live.
        atol: largest allowed logit difference.

    Returns:
        The venv the model was checked in, or None when it does not exist.

    Raises:
        ExportError: the model does not load there, or its logits differ.
    """
    import torch

    target = RuntimeTarget.parse(runtime)
    env = None if target.torch is None else find_runtime(target, runtime_dir)
    if env is None:
        return None
    with tempfile.TemporaryDirectory(prefix="cerulean-check-") as tmp:
        samples = Path(tmp) / "samples.pt"
        # Plain tensors: the venv loads them with weights_only (fastai's subclasses fail).
        torch.save({"inputs": inputs.as_subclass(torch.Tensor).detach().cpu(),
                    "expected": expected.as_subclass(torch.Tensor).detach().cpu()}, samples)
        result = run_job(env, {"mode": "check-unet", "model": str(model_ts),
                               "samples": str(samples), "atol": atol})
    if not result["ok"]:
        raise ExportError(f"{model_ts}: check in runtime {target} failed: {result['error']}")
    return env


def _clean_env() -> dict[str, str]:
    """The environment for the venv's Python: without the workspace's import paths."""
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


__all__ = ["DEFAULT_RUNTIME", "ENV_VAR", "MARKER", "TORCHVISION_FOR_TORCH", "WORKSPACE",
           "RuntimeEnv", "RuntimeTarget", "ensure_runtime", "find_runtime", "run_job",
           "runtime_path", "runtime_root", "verify_unet"]
