locals {
  # The first worker runs the scheduler; every other machine is told where it is.
  scheduler_address = var.worker_count > 0 ? "tcp://${google_compute_instance.dask_head[0].network_interface[0].network_ip}:8786" : ""
  startup_settings = {
    CERULEAN_REPO_URL = var.repo_url
    CERULEAN_GIT_REF  = var.git_ref
  }
}

resource "google_compute_instance" "gpu" {
  # checkov:skip=CKV_GCP_38: the boot disk is encrypted with Google-managed keys; customer-supplied keys would have to be handed in at every start
  name         = "${var.name}-gpu"
  machine_type = var.machine_type
  zone         = var.zone
  tags         = [local.tag_ssh, local.tag_gpu]

  boot_disk {
    initialize_params {
      image = var.image
      size  = var.boot_disk_gb
      type  = "pd-balanced"
    }
  }

  dynamic "scratch_disk" {
    for_each = range(var.local_ssd_count)
    content {
      interface = "NVME"
    }
  }

  guest_accelerator {
    type  = var.gpu_type
    count = var.gpu_count
  }

  # GPU VMs cannot live-migrate.
  scheduling {
    on_host_maintenance = "TERMINATE"
    automatic_restart   = true
  }

  network_interface {
    subnetwork = google_compute_subnetwork.main.id
  }

  service_account {
    email  = google_service_account.machine.email
    scopes = ["cloud-platform"]
  }

  # Secure Boot stays off: it refuses the NVIDIA kernel modules of the Deep Learning images.
  shielded_instance_config {
    enable_secure_boot          = false
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  # OS Login decides who may log in; keys in project metadata are ignored.
  metadata = {
    enable-oslogin         = "TRUE"
    block-project-ssh-keys = "TRUE"
    startup-script = templatefile("${path.module}/../startup.tftpl", {
      script = file("${path.module}/../startup.sh")
      settings = merge(local.startup_settings, {
        CERULEAN_ROLE      = "gpu"
        CERULEAN_SCHEDULER = local.scheduler_address
        CERULEAN_DATA_DISK = var.local_ssd_count > 0 ? "/dev/disk/by-id/google-local-nvme-ssd-0" : ""
      })
    })
  }
}

resource "google_compute_instance" "dask_head" {
  # checkov:skip=CKV_GCP_38: the boot disk is encrypted with Google-managed keys; customer-supplied keys would have to be handed in at every start
  count        = var.worker_count > 0 ? 1 : 0
  name         = "${var.name}-dask-0"
  machine_type = var.worker_machine_type
  zone         = var.zone
  tags         = [local.tag_ssh, local.tag_dask]

  boot_disk {
    initialize_params {
      image = var.worker_image
      size  = var.worker_disk_gb
      type  = "pd-balanced"
    }
  }

  network_interface {
    subnetwork = google_compute_subnetwork.main.id
  }

  service_account {
    email  = google_service_account.machine.email
    scopes = ["cloud-platform"]
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  # OS Login decides who may log in; keys in project metadata are ignored.
  metadata = {
    enable-oslogin         = "TRUE"
    block-project-ssh-keys = "TRUE"
    startup-script = templatefile("${path.module}/../startup.tftpl", {
      script = file("${path.module}/../startup.sh")
      settings = merge(local.startup_settings, {
        CERULEAN_ROLE      = "scheduler"
        CERULEAN_SCHEDULER = ""
        CERULEAN_DATA_DISK = ""
      })
    })
  }
}

resource "google_compute_instance" "dask_worker" {
  # checkov:skip=CKV_GCP_38: the boot disk is encrypted with Google-managed keys; customer-supplied keys would have to be handed in at every start
  count        = max(var.worker_count - 1, 0)
  name         = "${var.name}-dask-${count.index + 1}"
  machine_type = var.worker_machine_type
  zone         = var.zone
  tags         = [local.tag_ssh, local.tag_dask]

  boot_disk {
    initialize_params {
      image = var.worker_image
      size  = var.worker_disk_gb
      type  = "pd-balanced"
    }
  }

  network_interface {
    subnetwork = google_compute_subnetwork.main.id
  }

  service_account {
    email  = google_service_account.machine.email
    scopes = ["cloud-platform"]
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  # OS Login decides who may log in; keys in project metadata are ignored.
  metadata = {
    enable-oslogin         = "TRUE"
    block-project-ssh-keys = "TRUE"
    startup-script = templatefile("${path.module}/../startup.tftpl", {
      script = file("${path.module}/../startup.sh")
      settings = merge(local.startup_settings, {
        CERULEAN_ROLE      = "worker"
        CERULEAN_SCHEDULER = local.scheduler_address
        CERULEAN_DATA_DISK = ""
      })
    })
  }
}
