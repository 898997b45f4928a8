variable "bucket_name" {
  description = "Globally unique name of the S3 bucket for datasets and model bundles."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 lower-case letters, digits, dots or hyphens."
  }
}

variable "region" {
  description = "AWS region. eu-central-1 holds the requester-pays Sentinel-1 archive, so reading it there costs no egress."
  type        = string
  default     = "eu-central-1"
}

variable "name" {
  description = "Prefix of every resource name; lets several stacks share an account."
  type        = string
  default     = "cerulean"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,20}$", var.name))
    error_message = "name must start with a letter and hold at most 21 lower-case letters, digits or hyphens."
  }
}

variable "instance_type" {
  description = "GPU instance type for training (g4dn.xlarge: one T4, 4 vCPU, 16 GiB, 125 GB NVMe instance store)."
  type        = string
  default     = "g4dn.xlarge"
}

variable "ami_id" {
  description = "AMI for every instance; empty means the newest Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 24.04)."
  type        = string
  default     = ""
}

variable "root_volume_gb" {
  description = "Size of the GPU instance's encrypted root volume in GiB (the Deep Learning AMI alone needs about 75)."
  type        = number
  default     = 150
}

variable "worker_count" {
  description = "Number of CPU instances for dask (0: none). The first also runs the dask scheduler."
  type        = number
  default     = 0
  validation {
    condition     = var.worker_count >= 0 && var.worker_count == floor(var.worker_count)
    error_message = "worker_count must be a whole number >= 0."
  }
}

variable "worker_instance_type" {
  description = "Instance type of the dask CPU workers."
  type        = string
  default     = "c6i.2xlarge"
}

variable "worker_root_volume_gb" {
  description = "Size of each worker's encrypted root volume in GiB."
  type        = number
  default     = 100
}

variable "repo_url" {
  description = "Git URL the machines clone this project from (the Makefile passes your checkout's origin)."
  type        = string
  default     = "https://github.com/cerulean-ml/cerulean-ml.git"
  validation {
    condition     = can(regex("^[A-Za-z0-9._~:/@+-]+$", var.repo_url))
    error_message = "repo_url may hold only URL characters (no spaces, quotes or newlines)."
  }
}

variable "git_ref" {
  description = "Branch, tag or commit the machines check out (the Makefile passes your checkout's HEAD commit)."
  type        = string
  default     = "main"
  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+$", var.git_ref))
    error_message = "git_ref may hold only letters, digits, '.', '_', '/' and '-'."
  }
}

variable "sentinel1_bucket" {
  description = "Requester-pays bucket of the Sentinel-1 GRD archive; the instances may only read it."
  type        = string
  default     = "sentinel-s1-l1c"
}

variable "vpc_cidr" {
  description = "Address range of the stack's own VPC."
  type        = string
  default     = "10.42.0.0/16"
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
