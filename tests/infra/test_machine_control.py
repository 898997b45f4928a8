"""infra/Makefile and infra/scripts/machine.sh run for real through make, in a copy of
infra/ inside a throw-away git repository with a local origin. terraform, aws and
gcloud are stand-ins that record their arguments (and answer `terraform output`),
since no cloud can be reached from a test."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from .tools import INFRA, require_tool

_RECORDER = """#!/usr/bin/env bash
printf '%s\\n' "$(basename "$0") $*" >>"{log}"
if [ "$(basename "$0")" = terraform ]; then
  case "$2 $3" in
    "output -raw") name=STUB_$4; printf '%s' "${{!name}}" ;;
    "output -json") name=STUB_$4; printf '%s\\n' "${{!name}}" ;;
  esac
fi
"""

OUTPUTS = {
    "aws": {
        "region": "eu-central-1",
        "instance_id": "i-0gpu",
        "worker_ids": '["i-0head","i-0worker"]',
        "dask_scheduler_host": "10.42.0.4",
        "bucket_name": "cerulean-data",
    },
    "gcp": {
        "project": "cerulean-project",
        "zone": "us-central1-a",
        "instance_name": "cerulean-gpu",
        "worker_names": "[]",
        "dask_scheduler_host": "",
        "bucket_name": "cerulean-data",
    },
}


@dataclass
class Workspace:
    repo: Path
    origin: Path
    log: Path
    env: dict[str, str]

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(self.repo), *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    def make(self, cloud: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **{f"STUB_{k}": v for k, v in OUTPUTS[cloud].items()}}
        return subprocess.run(
            [
                "make",
                "--no-print-directory",
                "-C",
                str(self.repo / "infra"),
                f"CLOUD={cloud}",
                *args,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def cloud_calls(self) -> list[str]:
        return [c for c in self.calls() if not c.startswith("terraform ")]


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    require_tool("make", "apt-get install make")
    require_tool("git", "apt-get install git")
    log = tmp_path / "calls.log"
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for tool in ("terraform", "aws", "gcloud"):
        path = stubs / tool
        path.write_text(_RECORDER.format(log=log))
        path.chmod(0o755)
    env = {
        "PATH": f"{stubs}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    repo = tmp_path / "repo"
    origin = tmp_path / "origin.git"
    shutil.copytree(INFRA, repo / "infra", ignore=shutil.ignore_patterns(".terraform*"))
    box = Workspace(repo, origin, log, env)
    subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], env=env, check=True)
    box.git("init", "--quiet", "--initial-branch=main")
    box.git("remote", "add", "origin", str(origin))
    box.git("add", "-A")
    box.git("commit", "--quiet", "-m", "infra")
    return box


def test_up_refuses_a_commit_the_machines_cannot_fetch(workspace: Workspace) -> None:
    result = workspace.make("aws", "up")
    assert result.returncode != 0
    assert "is not pushed to any remote" in result.stderr
    assert workspace.calls() == []


def test_up_applies_the_pushed_head_from_origin(workspace: Workspace) -> None:
    workspace.git("push", "--quiet", "origin", "main")
    head = workspace.git("rev-parse", "HEAD")
    result = workspace.make("gcp", "up", "ARGS=-var=project=p -var=bucket_name=b")
    assert result.returncode == 0, result.stderr
    module = workspace.repo / "infra" / "gcp"
    assert workspace.calls() == [
        f"terraform -chdir={module} init -input=false",
        f"terraform -chdir={module} apply -var=repo_url={workspace.origin} -var=git_ref={head} "
        "-var=project=p -var=bucket_name=b",
    ]


def test_down_destroys(workspace: Workspace) -> None:
    assert workspace.make("aws", "down").returncode == 0
    assert workspace.calls() == [f"terraform -chdir={workspace.repo / 'infra' / 'aws'} destroy"]


def test_aws_tunnel_forwards_three_ports_through_ssm(workspace: Workspace) -> None:
    result = workspace.make("aws", "tunnel")
    assert result.returncode == 0, result.stderr
    common = "aws ssm start-session --region eu-central-1 --target i-0gpu --document-name"
    assert sorted(workspace.cloud_calls()) == sorted(
        [
            f"{common} AWS-StartPortForwardingSession "
            "--parameters portNumber=8888,localPortNumber=8888",
            f"{common} AWS-StartPortForwardingSession "
            "--parameters portNumber=6006,localPortNumber=6006",
            f"{common} AWS-StartPortForwardingSessionToRemoteHost "
            "--parameters host=10.42.0.4,portNumber=8787,localPortNumber=8787",
        ]
    )


def test_gcp_tunnel_forwards_three_ports_through_iap(workspace: Workspace) -> None:
    result = workspace.make("gcp", "tunnel")
    assert result.returncode == 0, result.stderr
    assert workspace.cloud_calls() == [
        "gcloud compute ssh cerulean-gpu --project cerulean-project --zone us-central1-a "
        "--tunnel-through-iap -- -N -L 8888:localhost:8888 -L 6006:localhost:6006 "
        "-L 8787:localhost:8787"
    ]


def test_ssh_opens_a_session_on_the_gpu_machine(workspace: Workspace) -> None:
    assert workspace.make("aws", "ssh").returncode == 0
    assert workspace.make("gcp", "ssh").returncode == 0
    assert workspace.cloud_calls() == [
        "aws ssm start-session --region eu-central-1 --target i-0gpu",
        "gcloud compute ssh cerulean-gpu --project cerulean-project --zone us-central1-a "
        "--tunnel-through-iap",
    ]


def test_sync_copies_between_folder_and_bucket(workspace: Workspace) -> None:
    assert workspace.make("aws", "sync-up", "FROM=data/coco", "TO=datasets/coco").returncode == 0
    assert workspace.make("gcp", "sync-down", "FROM=bundles", "TO=out").returncode == 0
    assert workspace.cloud_calls() == [
        "aws s3 sync data/coco s3://cerulean-data/datasets/coco --region eu-central-1",
        "gcloud storage rsync --recursive gs://cerulean-data/bundles out",
    ]
    missing = workspace.make("aws", "sync-up", "FROM=data")
    assert missing.returncode != 0 and "needs FROM=... TO=..." in missing.stderr


def test_start_and_stop_reach_every_machine(workspace: Workspace) -> None:
    assert workspace.make("aws", "start").returncode == 0
    assert workspace.make("gcp", "stop").returncode == 0
    assert workspace.cloud_calls() == [
        "aws ec2 start-instances --region eu-central-1 --instance-ids i-0gpu i-0head i-0worker",
        "gcloud compute instances stop cerulean-gpu --project cerulean-project "
        "--zone us-central1-a --discard-local-ssd=true",
    ]


def test_unknown_cloud_is_refused(workspace: Workspace) -> None:
    result = subprocess.run(
        ["bash", str(workspace.repo / "infra" / "scripts" / "machine.sh"), "azure", "up"],
        env=workspace.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "CLOUD must be aws or gcp, not 'azure'" in result.stderr
