# A private network: no VM has an external address. Outbound traffic (packages, git)
# leaves through Cloud NAT; people come in only through IAP TCP forwarding.

locals {
  # Google's IAP TCP forwarding connects from this range only.
  iap_range = "35.235.240.0/20"
  tag_ssh   = "${var.name}-iap-ssh"
  tag_gpu   = "${var.name}-gpu"
  tag_dask  = "${var.name}-dask"
}

resource "google_compute_network" "main" {
  name                    = var.name
  auto_create_subnetworks = false
}

resource "google_compute_subnetwork" "main" {
  name                     = var.name
  network                  = google_compute_network.main.id
  region                   = var.region
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true
  log_config {
    aggregation_interval = "INTERVAL_10_MIN"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_router" "main" {
  name    = var.name
  network = google_compute_network.main.id
  region  = var.region
}

resource "google_compute_router_nat" "main" {
  name                               = var.name
  router                             = google_compute_router.main.name
  region                             = var.region
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "ALL_SUBNETWORKS_ALL_IP_RANGES"
  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

resource "google_compute_firewall" "iap_ssh" {
  name          = "${var.name}-iap-ssh"
  network       = google_compute_network.main.id
  description   = "SSH only from Google's IAP TCP forwarding range"
  direction     = "INGRESS"
  source_ranges = [local.iap_range]
  target_tags   = [local.tag_ssh]
  allow {
    protocol = "tcp"
    ports    = ["22"]
  }
  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "dask_peers" {
  count       = var.worker_count > 0 ? 1 : 0
  name        = "${var.name}-dask-peers"
  network     = google_compute_network.main.id
  description = "dask scheduler, dashboard, worker and nanny ports between the workers"
  direction   = "INGRESS"
  source_tags = [local.tag_dask]
  target_tags = [local.tag_dask]
  allow {
    protocol = "tcp"
    ports    = ["8786-9199"]
  }
}

resource "google_compute_firewall" "dask_from_gpu" {
  count       = var.worker_count > 0 ? 1 : 0
  name        = "${var.name}-dask-from-gpu"
  network     = google_compute_network.main.id
  description = "dask client and dashboard from the GPU VM"
  direction   = "INGRESS"
  source_tags = [local.tag_gpu]
  target_tags = [local.tag_dask]
  allow {
    protocol = "tcp"
    ports    = ["8786-8787"]
  }
}
