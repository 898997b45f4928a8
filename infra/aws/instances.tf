data "aws_ami" "deep_learning" {
  count       = var.ami_id == "" ? 1 : 0
  owners      = ["amazon"]
  most_recent = true
  filter {
    name   = "name"
    values = ["Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 24.04) *"]
  }
  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
}

locals {
  ami_id = var.ami_id != "" ? var.ami_id : data.aws_ami.deep_learning[0].id
  # The first worker runs the scheduler; every other machine is told where it is.
  scheduler_address = var.worker_count > 0 ? "tcp://${aws_instance.dask_head[0].private_ip}:8786" : ""
  # The instance store of g4dn (and any other type that has one) holds the datasets.
  data_disk = "/dev/disk/by-id/nvme-Amazon_EC2_NVMe_Instance_Storage_*"
  startup_settings = {
    CERULEAN_REPO_URL  = var.repo_url
    CERULEAN_GIT_REF   = var.git_ref
    CERULEAN_DATA_DISK = local.data_disk
  }
  # The scheduler finds its own address when it boots; the others are told it.
  scheduler_user_data = templatefile("${path.module}/../startup.tftpl", {
    script   = file("${path.module}/../startup.sh")
    settings = merge(local.startup_settings, { CERULEAN_ROLE = "scheduler", CERULEAN_SCHEDULER = "" })
  })
  gpu_user_data = templatefile("${path.module}/../startup.tftpl", {
    script   = file("${path.module}/../startup.sh")
    settings = merge(local.startup_settings, { CERULEAN_ROLE = "gpu", CERULEAN_SCHEDULER = local.scheduler_address })
  })
  worker_user_data = templatefile("${path.module}/../startup.tftpl", {
    script   = file("${path.module}/../startup.sh")
    settings = merge(local.startup_settings, { CERULEAN_ROLE = "worker", CERULEAN_SCHEDULER = local.scheduler_address })
  })
}

resource "aws_instance" "gpu" {
  # checkov:skip=CKV_AWS_88: the public address only carries outbound traffic; the security group admits nothing, and a NAT gateway would cost more than the idle GPU
  # checkov:skip=CKV_AWS_126: basic five-minute metrics are enough for one training machine
  ami                         = local.ami_id
  instance_type               = var.instance_type
  subnet_id                   = aws_subnet.main.id
  vpc_security_group_ids      = [aws_security_group.gpu.id]
  iam_instance_profile        = aws_iam_instance_profile.instance.name
  associate_public_ip_address = true
  ebs_optimized               = true
  user_data                   = local.gpu_user_data
  user_data_replace_on_change = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = var.root_volume_gb
    encrypted   = true
  }

  tags = { Name = "${var.name}-gpu" }
}

resource "aws_instance" "dask_head" {
  # checkov:skip=CKV_AWS_88: the public address only carries outbound traffic; the security group admits only the stack's own machines
  # checkov:skip=CKV_AWS_126: basic five-minute metrics are enough for short dataset builds
  count                       = var.worker_count > 0 ? 1 : 0
  ami                         = local.ami_id
  instance_type               = var.worker_instance_type
  subnet_id                   = aws_subnet.main.id
  vpc_security_group_ids      = [aws_security_group.dask[0].id]
  iam_instance_profile        = aws_iam_instance_profile.instance.name
  associate_public_ip_address = true
  ebs_optimized               = true
  user_data                   = local.scheduler_user_data
  user_data_replace_on_change = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = var.worker_root_volume_gb
    encrypted   = true
  }

  tags = { Name = "${var.name}-dask-0" }
}

resource "aws_instance" "dask_worker" {
  # checkov:skip=CKV_AWS_88: the public address only carries outbound traffic; the security group admits only the stack's own machines
  # checkov:skip=CKV_AWS_126: basic five-minute metrics are enough for short dataset builds
  count                       = max(var.worker_count - 1, 0)
  ami                         = local.ami_id
  instance_type               = var.worker_instance_type
  subnet_id                   = aws_subnet.main.id
  vpc_security_group_ids      = [aws_security_group.dask[0].id]
  iam_instance_profile        = aws_iam_instance_profile.instance.name
  associate_public_ip_address = true
  ebs_optimized               = true
  user_data                   = local.worker_user_data
  user_data_replace_on_change = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = var.worker_root_volume_gb
    encrypted   = true
  }

  tags = { Name = "${var.name}-dask-${count.index + 1}" }
}
