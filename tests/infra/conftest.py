"""Shared fixtures for the infra/ tests: tool discovery, terraform runs, a moto server.

Each tool a test needs is looked up here; a missing one skips the test with the
command that installs it. CI installs all of them (see infra/scripts/ensure-tools.sh).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
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


def require_tool(name: str, install: str) -> str:
    """Return the path of executable ``name`` or skip, saying how to install it."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed ({install})")
    return path


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


@pytest.fixture(scope="session")
def terraform_binary() -> str:
    return require_tool("terraform", "terraform >= 1.5 from HashiCorp")


@pytest.fixture(scope="module")
def aws_terraform(terraform_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    """A copy of infra/ whose aws/ module installs hashicorp/aws from a local mirror."""
    mirror = find_aws_provider_mirror()
    if mirror is None:
        pytest.skip(
            "no filesystem mirror with hashicorp/aws 5.x found; set CERULEAN_TF_PLUGIN_MIRROR"
        )
    root = tmp_path_factory.mktemp("tf-aws")
    shutil.copytree(
        INFRA, root / "infra", ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*")
    )
    config = root / "terraform.rc"
    config.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n'
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "TF_CLI_CONFIG_FILE": str(config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }
    return Terraform(terraform_binary, root / "infra" / "aws", env)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto server on a free port of 127.0.0.1, stopped when the module's tests end."""
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
