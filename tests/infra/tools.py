"""What the infra/ tests share: paths, tool discovery and offline terraform runs.

Each tool a test needs is looked up here; a missing one skips the test with what
installs it. CI installs all of them (infra/scripts/ensure-tools.sh, apt shellcheck).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"

# Where terraform itself looks for local provider mirrors, plus /opt where this
# project's machines keep theirs; CERULEAN_TF_PLUGIN_MIRROR names any other.
_MIRROR_ROOTS = (
    Path.home() / ".terraform.d" / "plugins",
    Path.home() / ".local" / "share" / "terraform" / "plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
    *sorted(Path("/opt").glob("*")),
)


def tool_missing(reason: str) -> None:
    """Skip, except in CI (CI=true), where every infra tool must be there and run."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason}; CI must install it")
    pytest.skip(reason)


def require_tool(name: str, install: str) -> str:
    """Return the path of executable ``name``, or skip saying how to install it."""
    path = shutil.which(name)
    if path is None:
        tool_missing(f"{name} is not installed ({install})")
    assert path is not None
    return path


def find_checkov() -> str:
    """checkov from its own environment (infra/scripts/ensure-tools.sh) or PATH."""
    own = REPO / ".tools" / "checkov" / "bin" / "checkov"
    if own.is_file():
        return str(own)
    return require_tool("checkov", "run infra/scripts/ensure-tools.sh")


def find_aws_provider_mirror() -> Path | None:
    """Return a filesystem-mirror root that holds a hashicorp/aws 5.x provider."""
    roots = [Path(p) for p in [os.environ.get("CERULEAN_TF_PLUGIN_MIRROR")] if p]
    for root in [*roots, *_MIRROR_ROOTS]:
        provider = root / "registry.terraform.io" / "hashicorp" / "aws"
        if any(provider.glob("5.*/*/terraform-provider-aws*")):
            return root
    return None


@dataclass
class Terraform:
    """Runs one terraform binary in one working directory, offline."""

    binary: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.binary, *args, "-no-color"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(
                f"terraform {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result
