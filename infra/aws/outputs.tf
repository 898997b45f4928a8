output "region" {
  description = "Region of the stack."
  value       = var.region
}

output "bucket_name" {
  description = "S3 bucket for datasets and model bundles."
  value       = aws_s3_bucket.data.bucket
}

output "instance_id" {
  description = "GPU instance; the target of SSM sessions and port forwards."
  value       = aws_instance.gpu.id
}

output "worker_ids" {
  description = "dask worker instances, the scheduler's first."
  value       = concat(aws_instance.dask_head[*].id, aws_instance.dask_worker[*].id)
}

output "dask_scheduler_host" {
  description = "Private address of the dask scheduler (empty without workers)."
  value       = var.worker_count > 0 ? aws_instance.dask_head[0].private_ip : ""
}

output "dask_scheduler_address" {
  description = "Address that dask clients on the GPU instance connect to (empty without workers)."
  value       = local.scheduler_address
}
