# The machines run as one service account whose only grant is object access to the
# stack's bucket.

resource "google_service_account" "machine" {
  account_id   = "${var.name}-machine"
  display_name = "Cerulean ML machines (${var.name})"
}

resource "google_storage_bucket_iam_member" "machine" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.machine.email}"
}

# Operators: IAP tunnels to the GPU VM, OS Login with sudo there, and acting as the
# VM's service account (OS Login requires it for VMs that run as one).
resource "google_iap_tunnel_instance_iam_member" "operator" {
  for_each = toset(var.operators)
  instance = google_compute_instance.gpu.name
  zone     = var.zone
  role     = "roles/iap.tunnelResourceAccessor"
  member   = each.value
}

resource "google_compute_instance_iam_member" "operator" {
  for_each      = toset(var.operators)
  instance_name = google_compute_instance.gpu.name
  zone          = var.zone
  role          = "roles/compute.osAdminLogin"
  member        = each.value
}

resource "google_service_account_iam_member" "operator" {
  for_each           = toset(var.operators)
  service_account_id = google_service_account.machine.name
  role               = "roles/iam.serviceAccountUser"
  member             = each.value
}
