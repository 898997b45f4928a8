"""infra/gcp checked statically (no google provider can be installed offline): terraform
fmt, every file parses, variables and locals are declared exactly where used, and the
parsed configuration keeps the module's promises (IAP-only SSH, no external address,
private versioned bucket, a service account that reaches that bucket only)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .tools import INFRA, require_tool

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 is not installed")

GCP = INFRA / "gcp"
MODULES = [INFRA / "aws", GCP]
IAP_RANGE = "35.235.240.0/20"


def _strings(node: Any) -> Iterator[str]:
    """Every string of a parsed HCL tree, comments left out."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key != "__comments__":
                yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _name(label: str) -> str:
    return label.strip('"')


def _parse(module: Path) -> dict[str, list[Any]]:
    """All top-level blocks of a module's .tf files, by block type."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(module.glob("*.tf")):
        with path.open() as handle:
            for block_type, blocks in hcl2.load(handle).items():
                merged.setdefault(block_type, []).extend(blocks)
    return merged


def _resources(config: dict[str, list[Any]], kind: str) -> dict[str, dict[str, Any]]:
    found = {}
    for block in config.get("resource", []):
        for resource_type, named in block.items():
            if _name(resource_type) == kind:
                found.update({_name(label): body for label, body in named.items()})
    return found


def _locals(config: dict[str, list[Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in config.get("locals", []):
        values.update({k: v for k, v in block.items() if not k.startswith("__")})
    return values


def _literal(value: Any, config: dict[str, list[Any]]) -> Any:
    """A string literal's value; a reference to a local resolves to that local's."""
    if isinstance(value, str):
        local = re.fullmatch(r"\$\{local\.(\w+)\}", value)
        if local:
            return _literal(_locals(config)[local.group(1)], config)
        return value.strip('"')
    return value


@pytest.fixture(scope="module")
def gcp() -> dict[str, list[Any]]:
    return _parse(GCP)


def test_terraform_fmt_leaves_every_module_unchanged() -> None:
    terraform = require_tool("terraform", "terraform >= 1.5 from HashiCorp")
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", "-no-color", str(INFRA)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_every_file_parses(module: Path) -> None:
    files = sorted(module.glob("*.tf"))
    assert files
    for path in files:
        with path.open() as handle:
            assert hcl2.load(handle), f"{path} holds no blocks"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_variables_are_declared_exactly_where_used(module: Path) -> None:
    config = _parse(module)
    declared = {_name(label) for block in config["variable"] for label in block}
    used = set()
    for block_type, blocks in config.items():
        for block in blocks:
            if block_type == "variable":
                # A variable's own validation refers to it; that is not a use.
                continue
            for text in _strings(block):
                used |= set(re.findall(r"\bvar\.([A-Za-z_][\w-]*)", text))
    assert used - declared == set(), "used but not declared"
    assert declared - used == set(), "declared but never used"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_locals_are_declared_exactly_where_used(module: Path) -> None:
    config = _parse(module)
    declared = set(_locals(config))
    used = set()
    for text in _strings(config):
        used |= set(re.findall(r"\blocal\.([A-Za-z_][\w-]*)", text))
    assert used == declared


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_one_provider_block(module: Path) -> None:
    assert len(_parse(module)["provider"]) == 1


def test_only_iap_reaches_the_machines(gcp: dict[str, list[Any]]) -> None:
    firewalls = _resources(gcp, "google_compute_firewall")
    assert firewalls
    for name, rule in firewalls.items():
        assert _literal(rule.get("direction", '"INGRESS"'), gcp) == "INGRESS", name
        ranges = [_literal(r, gcp) for r in rule.get("source_ranges", [])]
        if ranges:
            assert ranges == [IAP_RANGE], f"{name} admits {ranges}"
            ports = [_literal(p, gcp) for allow in rule["allow"] for p in allow["ports"]]
            assert ports == ["22"], f"{name} opens {ports} to the IAP range"
        else:
            assert rule.get("source_tags"), f"{name} admits neither a range nor a tag"
    for name, instance in _resources(gcp, "google_compute_instance").items():
        for interface in instance["network_interface"]:
            assert "access_config" not in interface, f"{name} has an external address"
        metadata = instance["metadata"]
        assert _literal(metadata["enable-oslogin"], gcp) == "TRUE", name
        assert _literal(metadata["block-project-ssh-keys"], gcp) == "TRUE", name


def test_gpu_vm_has_gpus_and_local_ssd_from_variables(gcp: dict[str, list[Any]]) -> None:
    gpu = _resources(gcp, "google_compute_instance")["gpu"]
    assert gpu["machine_type"] == "${var.machine_type}"
    assert gpu["zone"] == "${var.zone}"
    accelerator = gpu["guest_accelerator"][0]
    assert (accelerator["type"], accelerator["count"]) == ("${var.gpu_type}", "${var.gpu_count}")
    assert gpu["scheduling"][0]["on_host_maintenance"].strip('"') == "TERMINATE"
    assert gpu["boot_disk"][0]["initialize_params"][0]["size"] == "${var.boot_disk_gb}"
    scratch = gpu["dynamic"][0]['"scratch_disk"']
    assert scratch["for_each"] == "${range(var.local_ssd_count)}"
    assert _literal(scratch["content"][0]["interface"], gcp) == "NVME"
    variables = {_name(k): v for block in gcp["variable"] for k, v in block.items()}
    assert _literal(variables["gpu_type"]["default"], gcp) == "nvidia-tesla-t4"


def test_bucket_is_private_and_versioned(gcp: dict[str, list[Any]]) -> None:
    bucket = _resources(gcp, "google_storage_bucket")["data"]
    assert bucket["uniform_bucket_level_access"] is True
    assert _literal(bucket["public_access_prevention"], gcp) == "enforced"
    assert bucket["versioning"][0]["enabled"] is True
    assert bucket["force_destroy"] is False


def test_service_account_reaches_its_bucket_only(gcp: dict[str, list[Any]]) -> None:
    member = "serviceAccount:${google_service_account.machine.email}"
    grants = [
        (kind, name, body)
        for block in gcp["resource"]
        for kind, named in block.items()
        for name, body in named.items()
        if "iam" in kind
    ]
    sa_grants = [
        (kind, name, body)
        for kind, name, body in grants
        if _literal(body.get("member"), gcp) == member
    ]
    assert [(_name(kind), _name(name)) for kind, name, _ in sa_grants] == [
        ("google_storage_bucket_iam_member", "machine")
    ]
    (_, _, grant) = sa_grants[0]
    assert grant["bucket"] == "${google_storage_bucket.data.name}"
    assert _literal(grant["role"], gcp) == "roles/storage.objectAdmin"
    project_wide = [_name(kind) for kind, _, _ in grants if "project_iam" in kind]
    assert project_wide == [], "the module grants project-wide roles"
    for name, instance in _resources(gcp, "google_compute_instance").items():
        account = instance["service_account"][0]
        assert account["email"] == "${google_service_account.machine.email}", name
