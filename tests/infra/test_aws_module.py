"""infra/aws applied for real: terraform init, validate, apply and destroy against a
moto server on 127.0.0.1, then boto3 asks that server whether the module's promises
hold (no ingress, IMDSv2, encrypted disks, private versioned encrypted bucket, a role
that reaches its two buckets and nothing else)."""

from __future__ import annotations

import base64
import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from .tools import INFRA, Terraform

boto3 = pytest.importorskip("boto3", reason="boto3 is not installed")
botocore_exceptions = pytest.importorskip("botocore.exceptions")

REGION = "eu-central-1"
BUCKET = "cerulean-test-data"
SENTINEL1 = "sentinel-s1-l1c"
WORKERS = 2
# EC2 refuses user data larger than this.
USER_DATA_LIMIT = 16 * 1024

_SERVICES = ("ec2", "iam", "s3", "sts")


_ADMIN = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _client(service: str, endpoint: str, **credentials: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        **(credentials or _ADMIN),
    )


@dataclass
class Stack:
    terraform: Terraform
    endpoint: str
    outputs: dict[str, Any]
    variables: list[str]

    def client(self, service: str, **credentials: str) -> Any:
        return _client(service, self.endpoint, **credentials)


def _write_moto_override(tf: Terraform, endpoint: str) -> None:
    """Point the module's one provider block at moto with fake credentials."""
    endpoints = "\n".join(f'    {name} = "{endpoint}"' for name in _SERVICES)
    (tf.workdir / "moto_override.tf").write_text(
        'provider "aws" {\n'
        '  access_key                  = "testing"\n'
        '  secret_key                  = "testing"\n'
        "  skip_credentials_validation = true\n"
        "  skip_metadata_api_check     = true\n"
        "  skip_requesting_account_id  = true\n"
        "  s3_use_path_style           = true\n"
        f"  endpoints {{\n{endpoints}\n  }}\n"
        "}\n"
    )


def _moto_ami(endpoint: str) -> str:
    """An Ubuntu image moto knows; the module's own AMI lookup needs the real catalogue."""
    images = _client("ec2", endpoint).describe_images(
        Filters=[{"Name": "name", "Values": ["ubuntu/*"]}]
    )["Images"]
    assert images, "moto lists no Ubuntu image"
    return str(sorted(images, key=lambda image: image["ImageId"])[0]["ImageId"])


def _set_moto_auth(endpoint: str, enforce: bool) -> None:
    """Make moto check IAM policies on every request (or stop checking)."""
    count = b"0" if enforce else b"inf"
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=count,
        method="POST",
        # Any form content type would make the server parse the count away as a form.
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture(scope="module")
def stack(aws_terraform: Terraform, moto_endpoint: str) -> Iterator[Stack]:
    tf = aws_terraform
    _write_moto_override(tf, moto_endpoint)
    variables = [
        f"-var=bucket_name={BUCKET}",
        f"-var=ami_id={_moto_ami(moto_endpoint)}",
        f"-var=worker_count={WORKERS}",
    ]
    tf.run("init", "-input=false")
    tf.run("validate")
    tf.run("apply", "-auto-approve", "-input=false", *variables, timeout=600)
    outputs = json.loads(tf.run("output", "-json").stdout)
    yield Stack(tf, moto_endpoint, {k: v["value"] for k, v in outputs.items()}, variables)


def _instances(stack: Stack) -> list[dict[str, Any]]:
    reservations = stack.client("ec2").describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}]
    )["Reservations"]
    return [instance for r in reservations for instance in r["Instances"]]


def _group_ids(instance: dict[str, Any]) -> set[str]:
    # moto reports a VPC instance's groups on its network interfaces only.
    groups = {g["GroupId"] for g in instance.get("SecurityGroups", [])}
    for interface in instance.get("NetworkInterfaces", []):
        groups |= {g["GroupId"] for g in interface["Groups"]}
    return groups


def test_outputs_name_the_stack(stack: Stack) -> None:
    ids = {i["InstanceId"] for i in _instances(stack)}
    assert stack.outputs["bucket_name"] == BUCKET
    assert stack.outputs["region"] == REGION
    assert ids == {stack.outputs["instance_id"], *stack.outputs["worker_ids"]}
    assert len(stack.outputs["worker_ids"]) == WORKERS
    head = stack.client("ec2").describe_instances(InstanceIds=[stack.outputs["worker_ids"][0]])
    head_ip = head["Reservations"][0]["Instances"][0]["PrivateIpAddress"]
    assert stack.outputs["dask_scheduler_address"] == f"tcp://{head_ip}:8786"


def test_gpu_instance_admits_nothing(stack: Stack) -> None:
    ec2 = stack.client("ec2")
    gpu = ec2.describe_instances(InstanceIds=[stack.outputs["instance_id"]])
    groups = _group_ids(gpu["Reservations"][0]["Instances"][0])
    assert groups, "the GPU instance has no security group"
    for group in ec2.describe_security_groups(GroupIds=sorted(groups))["SecurityGroups"]:
        assert group["IpPermissions"] == [], f"{group['GroupName']} has ingress rules"


def test_no_ingress_from_any_address_and_only_web_egress(stack: Stack) -> None:
    ec2 = stack.client("ec2")
    vpc_id = ec2.describe_instances(InstanceIds=[stack.outputs["instance_id"]])["Reservations"][0][
        "Instances"
    ][0]["VpcId"]
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "SecurityGroups"
    ]
    own = {g["GroupId"] for g in groups}
    for group in groups:
        name = group["GroupName"]
        if name == "default":
            assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == [], (
                "the VPC's default security group keeps rules"
            )
        for rule in group["IpPermissions"]:
            assert not rule.get("IpRanges") and not rule.get("Ipv6Ranges"), (
                f"{name} admits addresses: {rule}"
            )
            assert not rule.get("PrefixListIds"), f"{name} admits a prefix list: {rule}"
            sources = {pair["GroupId"] for pair in rule["UserIdGroupPairs"]}
            assert sources and sources <= own, f"{name} admits groups outside the stack: {rule}"
        for rule in group["IpPermissionsEgress"]:
            if rule.get("IpRanges") or rule.get("Ipv6Ranges"):
                assert rule["IpProtocol"] == "tcp" and (rule["FromPort"], rule["ToPort"]) in {
                    (80, 80),
                    (443, 443),
                }, f"{name} lets out more than HTTP(S) to the internet: {rule}"


def test_every_instance_requires_imdsv2_and_encrypts_its_disks(stack: Stack) -> None:
    ec2 = stack.client("ec2")
    instances = _instances(stack)
    assert len(instances) == 1 + WORKERS
    for instance in instances:
        options = instance["MetadataOptions"]
        assert options["HttpTokens"] == "required", instance["InstanceId"]
        assert options["HttpPutResponseHopLimit"] == 1, instance["InstanceId"]
        volume_ids = [m["Ebs"]["VolumeId"] for m in instance["BlockDeviceMappings"]]
        assert volume_ids
        for volume in ec2.describe_volumes(VolumeIds=volume_ids)["Volumes"]:
            assert volume["Encrypted"], f"{volume['VolumeId']} of {instance['InstanceId']}"


def test_bucket_is_private_versioned_and_encrypted(stack: Stack) -> None:
    s3 = stack.client("s3")
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert s3.get_bucket_policy_status(Bucket=BUCKET)["PolicyStatus"]["IsPublic"] is False
    ownership = s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]
    assert ownership["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
    grants = s3.get_bucket_acl(Bucket=BUCKET)["Grants"]
    assert all(g["Grantee"]["Type"] == "CanonicalUser" for g in grants), grants
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    denies = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert any(
        s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false" for s in denies
    ), "the bucket accepts requests without TLS"


def test_instances_share_one_role_with_inline_policy_only(stack: Stack) -> None:
    iam = stack.client("iam")
    profiles = {i["IamInstanceProfile"]["Arn"] for i in _instances(stack)}
    assert len(profiles) == 1
    profile_name = profiles.pop().rsplit("/", 1)[1]
    roles = iam.get_instance_profile(InstanceProfileName=profile_name)["InstanceProfile"]["Roles"]
    assert len(roles) == 1
    role = roles[0]["RoleName"]
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for statement in document["Statement"]:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            assert all("*" not in action for action in actions), statement


def _assume_instance_role(stack: Stack) -> dict[str, str]:
    iam = stack.client("iam")
    profile = _instances(stack)[0]["IamInstanceProfile"]["Arn"].rsplit("/", 1)[1]
    role_arn = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"][0][
        "Arn"
    ]
    credentials = stack.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="test")[
        "Credentials"
    ]
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def test_role_reaches_its_bucket_and_reads_sentinel1_only(stack: Stack) -> None:
    """With moto enforcing IAM, the instance role's credentials may read and write the
    stack's bucket and read the Sentinel-1 bucket; everything else is refused.

    moto cannot tell TLS from plain requests and applies the bucket's TLS-only deny
    to every request, so this test lifts that policy (checked above) while it runs."""
    admin = stack.client("s3")
    admin.create_bucket(Bucket=SENTINEL1, CreateBucketConfiguration={"LocationConstraint": REGION})
    admin.put_object(Bucket=SENTINEL1, Key="GRD/scene.zip", Body=b"grd")
    admin.create_bucket(
        Bucket="someone-else", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    tls_only_policy = admin.get_bucket_policy(Bucket=BUCKET)["Policy"]
    admin.delete_bucket_policy(Bucket=BUCKET)
    role = _assume_instance_role(stack)
    s3 = stack.client("s3", **role)
    ec2 = stack.client("ec2", **role)
    iam = stack.client("iam", **role)
    denied = botocore_exceptions.ClientError
    _set_moto_auth(stack.endpoint, enforce=True)
    try:
        s3.put_object(Bucket=BUCKET, Key="datasets/a.json", Body=b"{}")
        assert s3.get_object(Bucket=BUCKET, Key="datasets/a.json")["Body"].read() == b"{}"
        assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == [
            "datasets/a.json"
        ]
        assert s3.get_object(Bucket=SENTINEL1, Key="GRD/scene.zip")["Body"].read() == b"grd"
        refused = {
            "write to Sentinel-1": lambda: s3.put_object(Bucket=SENTINEL1, Key="x", Body=b"x"),
            "read another bucket": lambda: s3.list_objects_v2(Bucket="someone-else"),
            "write another bucket": lambda: s3.put_object(Bucket="someone-else", Key="x", Body=b""),
            "change the bucket policy": lambda: s3.delete_bucket_policy(Bucket=BUCKET),
            "list EC2": lambda: ec2.describe_instances(),
            "list IAM roles": lambda: iam.list_roles(),
        }
        allowed = []
        for what, call in refused.items():
            try:
                call()
            except denied as error:
                assert error.response["Error"]["Code"] in {"AccessDenied", "UnauthorizedOperation"}
            else:
                allowed.append(what)
        assert allowed == [], f"the instance role may {allowed}"
    finally:
        _set_moto_auth(stack.endpoint, enforce=False)
        # A versioned bucket keeps every version; terraform can only destroy it empty.
        versions = admin.list_object_versions(Bucket=BUCKET)
        for version in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
            admin.delete_object(Bucket=BUCKET, Key=version["Key"], VersionId=version["VersionId"])
        admin.put_bucket_policy(Bucket=BUCKET, Policy=tls_only_policy)


def _user_data(stack: Stack, instance_id: str) -> str:
    attribute = stack.client("ec2").describe_instance_attribute(
        InstanceId=instance_id, Attribute="userData"
    )
    return base64.b64decode(attribute["UserData"]["Value"]).decode()


def _settings(user_data: str) -> dict[str, str]:
    block = re.search(r"<<'CERULEAN_SETTINGS_END'\n(.*?)\nCERULEAN_SETTINGS_END", user_data, re.S)
    assert block, "user data writes no settings"
    return dict(line.split("=", 1) for line in block.group(1).splitlines())


def test_user_data_carries_the_shared_startup_script_and_each_role(stack: Stack) -> None:
    script = (INFRA / "startup.sh").read_text()
    scheduler = stack.outputs["dask_scheduler_address"]
    roles = {}
    for instance_id in [stack.outputs["instance_id"], *stack.outputs["worker_ids"]]:
        user_data = _user_data(stack, instance_id)
        assert len(user_data.encode()) < USER_DATA_LIMIT
        assert f"<<'CERULEAN_STARTUP_END'\n{script}\nCERULEAN_STARTUP_END\n" in user_data
        settings = _settings(user_data)
        roles[instance_id] = settings["CERULEAN_ROLE"]
        expected_scheduler = "" if settings["CERULEAN_ROLE"] == "scheduler" else scheduler
        assert settings["CERULEAN_SCHEDULER"] == expected_scheduler
    head, *others = stack.outputs["worker_ids"]
    assert roles == {
        stack.outputs["instance_id"]: "gpu",
        head: "scheduler",
        **{worker: "worker" for worker in others},
    }


def test_plan_without_workers_drops_every_dask_resource(stack: Stack) -> None:
    variables = [v for v in stack.variables if not v.startswith("-var=worker_count")]
    plan = stack.terraform.run("plan", "-input=false", *variables, "-var=worker_count=0")
    destroyed = set(re.findall(r"# (\S+) will be destroyed", plan.stdout))
    assert destroyed == {
        "aws_instance.dask_head[0]",
        *(f"aws_instance.dask_worker[{i}]" for i in range(WORKERS - 1)),
        "aws_security_group.dask[0]",
        "aws_vpc_security_group_egress_rule.dask_http[0]",
        "aws_vpc_security_group_egress_rule.dask_https[0]",
        "aws_vpc_security_group_egress_rule.dask_peers[0]",
        "aws_vpc_security_group_egress_rule.gpu_to_dask[0]",
        "aws_vpc_security_group_ingress_rule.dask_from_gpu[0]",
        "aws_vpc_security_group_ingress_rule.dask_peers[0]",
    }, plan.stdout


def test_destroy_removes_everything(stack: Stack) -> None:
    stack.terraform.run("destroy", "-auto-approve", "-input=false", *stack.variables, timeout=600)
    assert _instances(stack) == []
    buckets = {b["Name"] for b in stack.client("s3").list_buckets()["Buckets"]}
    assert BUCKET not in buckets
    roles = {r["RoleName"] for r in stack.client("iam").list_roles()["Roles"]}
    assert "cerulean-instance" not in roles
    state = json.loads(stack.terraform.run("show", "-json").stdout)
    assert "resources" not in state.get("values", {}).get("root_module", {})
