"""Fixtures for the infra/ tests: terraform with an offline provider mirror, a moto server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from .tools import INFRA, Terraform, find_aws_provider_mirror, require_tool, tool_missing


@pytest.fixture(scope="session")
def terraform_binary() -> str:
    return require_tool("terraform", "terraform >= 1.5 from HashiCorp")


@pytest.fixture(scope="module")
def aws_terraform(terraform_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    """A copy of infra/ whose aws/ module installs hashicorp/aws from a local mirror."""
    mirror = find_aws_provider_mirror()
    if mirror is None:
        tool_missing(
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
