"""Fixtures for the infra/ tests: terraform with an offline provider mirror (the moto
server, ``moto_endpoint``, is the workspace's test support: tests/support/s3.py)."""

from __future__ import annotations

import os
import shutil

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
