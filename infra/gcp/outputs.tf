output "project" {
  description = "Project of the stack."
  value       = var.project
}

output "zone" {
  description = "Zone of the machines."
  value       = var.zone
}

output "bucket_name" {
  description = "GCS bucket for datasets and model bundles."
  value       = google_storage_bucket.data.name
}

output "instance_name" {
  description = "GPU VM; the target of IAP SSH sessions and port forwards."
  value       = google_compute_instance.gpu.name
}

output "worker_names" {
  description = "dask worker VMs, the scheduler's first."
  value       = concat(google_compute_instance.dask_head[*].name, google_compute_instance.dask_worker[*].name)
}

output "dask_scheduler_host" {
  description = "Internal address of the dask scheduler (empty without workers)."
  value       = var.worker_count > 0 ? google_compute_instance.dask_head[0].network_interface[0].network_ip : ""
}

output "dask_scheduler_address" {
  description = "Address that dask clients on the GPU VM connect to (empty without workers)."
  value       = local.scheduler_address
}
