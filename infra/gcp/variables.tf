variable "project" {
  description = "GCP project id that holds the stack."
  type        = string
}

variable "bucket_name" {
  description = "Globally unique name of the GCS bucket for datasets and model bundles."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 lower-case letters, digits, dots, underscores or hyphens."
  }
}

variable "region" {
  description = "Region of the network, the NAT and the bucket."
  type        = string
  default     = "us-central1"
}

variable "zone" {
  description = "Zone of the machines; it must offer the GPU type."
  type        = string
  default     = "us-central1-a"
}

variable "name" {
  description = "Prefix of every resource name; lets several stacks share a project."
  type        = string
  default     = "cerulean"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,20}$", var.name))
    error_message = "name must start with a letter and hold at most 21 lower-case letters, digits or hyphens."
  }
}

variable "machine_type" {
  description = "Machine type of the GPU VM."
  type        = string
  default     = "n1-standard-8"
}

variable "gpu_type" {
  description = "Accelerator type attached to the GPU VM."
  type        = string
  default     = "nvidia-tesla-t4"
}

variable "gpu_count" {
  description = "Number of GPUs on the GPU VM."
  type        = number
  default     = 1
}

variable "image" {
  description = "Boot image of the GPU VM: a Deep Learning VM image with the NVIDIA driver."
  type        = string
  default     = "projects/deeplearning-platform-release/global/images/family/common-cu128-ubuntu-2204-nvidia-570"
}

variable "boot_disk_gb" {
  description = "Size of the GPU VM's boot disk in GB."
  type        = number
  default     = 150
}

variable "local_ssd_count" {
  description = "Local NVMe SSDs (375 GB each) on the GPU VM; the first holds datasets at /mnt/data."
  type        = number
  default     = 1
}

variable "worker_count" {
  description = "Number of CPU VMs for dask (0: none). The first also runs the dask scheduler."
  type        = number
  default     = 0
  validation {
    condition     = var.worker_count >= 0 && var.worker_count == floor(var.worker_count)
    error_message = "worker_count must be a whole number >= 0."
  }
}

variable "worker_machine_type" {
  description = "Machine type of the dask CPU workers."
  type        = string
  default     = "n2-standard-8"
}

variable "worker_image" {
  description = "Boot image of the dask CPU workers."
  type        = string
  default     = "ubuntu-os-cloud/ubuntu-2404-lts-amd64"
}

variable "worker_disk_gb" {
  description = "Size of each worker's boot disk in GB."
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

variable "subnet_cidr" {
  description = "Address range of the stack's subnet."
  type        = string
  default     = "10.42.0.0/24"
}

variable "labels" {
  description = "Extra labels for every resource."
  type        = map(string)
  default     = {}
}

variable "operators" {
  description = "Members (\"user:you@example.com\") allowed to reach the GPU VM through IAP and log in with sudo via OS Login."
  type        = list(string)
  default     = []
}
