# One VPC with one subnet. The instances have public addresses only so that they can
# reach package registries, git hosts and the SSM endpoints without a NAT gateway
# (which would cost more per hour than an idle T4); no security group admits anything
# from outside, so nothing can connect to those addresses.

data "aws_ec2_instance_type_offerings" "gpu" {
  location_type = "availability-zone"
  filter {
    name   = "instance-type"
    values = [var.instance_type]
  }
}

locals {
  availability_zone = sort(data.aws_ec2_instance_type_offerings.gpu.locations)[0]
}

resource "aws_vpc" "main" {
  # checkov:skip=CKV2_AWS_11: flow logs of a VPC that admits no inbound traffic would cost more than they could tell
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = var.name }
}

# Takes over the VPC's default security group and leaves it without rules, so an
# instance launched here by hand is not open by accident.
resource "aws_default_security_group" "main" {
  vpc_id = aws_vpc.main.id
}

resource "aws_subnet" "main" {
  vpc_id                  = aws_vpc.main.id
  cidr_block              = cidrsubnet(var.vpc_cidr, 8, 0)
  availability_zone       = local.availability_zone
  map_public_ip_on_launch = false
  tags                    = { Name = var.name }
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = var.name }
}

resource "aws_route_table" "main" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }
  tags = { Name = var.name }
}

resource "aws_route_table_association" "main" {
  subnet_id      = aws_subnet.main.id
  route_table_id = aws_route_table.main.id
}

# S3 traffic inside the region stays on AWS's network and is not billed as egress.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.main.id]
  tags              = { Name = "${var.name}-s3" }
}
