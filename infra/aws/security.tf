# The GPU instance's group has no ingress rule at all: people reach it through SSM
# Session Manager, which the instance's agent dials out to. Its egress is limited to
# HTTP(S) (packages, git, SSM, S3) and to the dask ports of the workers.

resource "aws_security_group" "gpu" {
  name        = "${var.name}-gpu"
  description = "GPU instance: no ingress; egress to HTTPS, HTTP and the dask workers"
  vpc_id      = aws_vpc.main.id
  tags        = { Name = "${var.name}-gpu" }
}

resource "aws_vpc_security_group_egress_rule" "gpu_https" {
  security_group_id = aws_security_group.gpu.id
  description       = "HTTPS: package registries, git, SSM, S3"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "gpu_http" {
  security_group_id = aws_security_group.gpu.id
  description       = "HTTP: Ubuntu package mirrors"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "gpu_to_dask" {
  count                        = var.worker_count > 0 ? 1 : 0
  security_group_id            = aws_security_group.gpu.id
  description                  = "dask scheduler and dashboard on the first worker"
  ip_protocol                  = "tcp"
  from_port                    = 8786
  to_port                      = 8787
  referenced_security_group_id = aws_security_group.dask[0].id
}

# Workers admit only each other, on the scheduler (8786), dashboard (8787), worker
# and nanny (9000-9199, fixed by infra/startup.sh) ports, and the GPU instance on the
# scheduler and dashboard ports.
resource "aws_security_group" "dask" {
  count       = var.worker_count > 0 ? 1 : 0
  name        = "${var.name}-dask"
  description = "dask workers: ingress only from each other and from the GPU instance"
  vpc_id      = aws_vpc.main.id
  tags        = { Name = "${var.name}-dask" }
}

resource "aws_vpc_security_group_ingress_rule" "dask_peers" {
  count                        = var.worker_count > 0 ? 1 : 0
  security_group_id            = aws_security_group.dask[0].id
  description                  = "dask traffic between workers and the scheduler"
  ip_protocol                  = "tcp"
  from_port                    = 8786
  to_port                      = 9199
  referenced_security_group_id = aws_security_group.dask[0].id
}

resource "aws_vpc_security_group_ingress_rule" "dask_from_gpu" {
  count                        = var.worker_count > 0 ? 1 : 0
  security_group_id            = aws_security_group.dask[0].id
  description                  = "dask client and dashboard from the GPU instance"
  ip_protocol                  = "tcp"
  from_port                    = 8786
  to_port                      = 8787
  referenced_security_group_id = aws_security_group.gpu.id
}

resource "aws_vpc_security_group_egress_rule" "dask_peers" {
  count                        = var.worker_count > 0 ? 1 : 0
  security_group_id            = aws_security_group.dask[0].id
  description                  = "dask traffic between workers and the scheduler"
  ip_protocol                  = "tcp"
  from_port                    = 8786
  to_port                      = 9199
  referenced_security_group_id = aws_security_group.dask[0].id
}

resource "aws_vpc_security_group_egress_rule" "dask_https" {
  count             = var.worker_count > 0 ? 1 : 0
  security_group_id = aws_security_group.dask[0].id
  description       = "HTTPS: package registries, git, SSM, S3"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "dask_http" {
  count             = var.worker_count > 0 ? 1 : 0
  security_group_id = aws_security_group.dask[0].id
  description       = "HTTP: Ubuntu package mirrors"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}
