#!/usr/bin/env bash
# Drives a Cerulean ML stack on either cloud; infra/Makefile calls it.
#
#   machine.sh CLOUD up [TERRAFORM_ARGS...]   create or update the stack (terraform apply)
#   machine.sh CLOUD down [TERRAFORM_ARGS...] destroy it
#   machine.sh CLOUD ssh                      shell on the GPU machine (SSM / IAP)
#   machine.sh CLOUD tunnel                   forward Jupyter 8888, TensorBoard 6006 and
#                                             the dask dashboard 8787 to localhost
#   machine.sh CLOUD sync-up LOCAL_DIR PREFIX     copy a folder into the bucket
#   machine.sh CLOUD sync-down PREFIX LOCAL_DIR   copy a bucket prefix to a folder
#   machine.sh CLOUD start | stop             start or stop every machine of the stack
#
# CLOUD is aws or gcp. `up` passes the checkout's origin URL and HEAD commit as
# repo_url and git_ref, so the machines run exactly the code you have (REPO_URL and
# GIT_REF override them).
set -euo pipefail

die() { printf 'machine.sh: %s\n' "$*" >&2; exit 1; }

INFRA=$(cd "$(dirname "$0")/.." && pwd)
readonly INFRA
readonly PORTS=(8888 6006)
readonly DASHBOARD=8787

tf() { terraform -chdir="$INFRA/$CLOUD" "$@"; }
out() { tf output -raw "$1"; }
# A list output as words: ["a","b"] -> a b
out_list() { tf output -json "$1" | tr -d '[]" \n' | tr ',' ' '; }

# The pushed commit the machines should check out, and where they fetch it from.
source_settings() {
  REPO=${REPO_URL:-}
  REF=${GIT_REF:-}
  if [ -z "$REPO" ]; then
    REPO=$(git -C "$INFRA" remote get-url origin 2>/dev/null) ||
      die "this checkout has no origin remote; set REPO_URL"
  fi
  if [ -z "$REF" ]; then
    REF=$(git -C "$INFRA" rev-parse HEAD)
    [ -n "$(git -C "$INFRA" branch --remotes --contains "$REF")" ] ||
      die "HEAD $REF is not pushed to any remote; push it or set GIT_REF"
  fi
}

up() {
  source_settings
  tf init -input=false
  tf apply "-var=repo_url=$REPO" "-var=git_ref=$REF" "$@"
}

down() {
  tf destroy "$@"
}

aws_ssh() {
  aws ssm start-session --region "$(out region)" --target "$(out instance_id)"
}

# One SSM port-forwarding session per port; all end together.
aws_tunnel() {
  local region target host port
  region=$(out region)
  target=$(out instance_id)
  host=$(out dask_scheduler_host)
  # When one session ends (or Ctrl-C), end the others too.
  trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
  for port in "${PORTS[@]}"; do
    aws ssm start-session --region "$region" --target "$target" \
      --document-name AWS-StartPortForwardingSession \
      --parameters "portNumber=$port,localPortNumber=$port" &
  done
  if [ -n "$host" ]; then
    aws ssm start-session --region "$region" --target "$target" \
      --document-name AWS-StartPortForwardingSessionToRemoteHost \
      --parameters "host=$host,portNumber=$DASHBOARD,localPortNumber=$DASHBOARD" &
  else
    aws ssm start-session --region "$region" --target "$target" \
      --document-name AWS-StartPortForwardingSession \
      --parameters "portNumber=$DASHBOARD,localPortNumber=$DASHBOARD" &
  fi
  wait
}

gcp_ssh() {
  gcloud compute ssh "$(out instance_name)" --project "$(out project)" --zone "$(out zone)" \
    --tunnel-through-iap "$@"
}

gcp_tunnel() {
  local host port forwards=()
  host=$(out dask_scheduler_host)
  for port in "${PORTS[@]}"; do
    forwards+=(-L "$port:localhost:$port")
  done
  forwards+=(-L "$DASHBOARD:${host:-localhost}:$DASHBOARD")
  gcp_ssh -- -N "${forwards[@]}"
}

sync_bucket() {
  local direction=$1 from=$2 to=$3 bucket
  bucket=$(out bucket_name)
  case $CLOUD:$direction in
    aws:up) aws s3 sync "$from" "s3://$bucket/$to" --region "$(out region)" ;;
    aws:down) aws s3 sync "s3://$bucket/$from" "$to" --region "$(out region)" ;;
    gcp:up) gcloud storage rsync --recursive "$from" "gs://$bucket/$to" ;;
    gcp:down) gcloud storage rsync --recursive "gs://$bucket/$from" "$to" ;;
  esac
}

power() {
  local verb=$1 machines
  case $CLOUD in
    aws)
      read -ra machines <<<"$(out instance_id) $(out_list worker_ids)"
      aws ec2 "$verb-instances" --region "$(out region)" --instance-ids "${machines[@]}"
      ;;
    gcp)
      read -ra machines <<<"$(out instance_name) $(out_list worker_names)"
      # Stopping a VM with local SSD must say what happens to it: it is wiped.
      local flags=()
      [ "$verb" = stop ] && flags=(--discard-local-ssd=true)
      gcloud compute instances "$verb" "${machines[@]}" --project "$(out project)" \
        --zone "$(out zone)" "${flags[@]}"
      ;;
  esac
}

main() {
  [ $# -ge 2 ] || die "usage: machine.sh aws|gcp up|down|ssh|tunnel|sync-up|sync-down|start|stop"
  CLOUD=$1
  local verb=$2
  shift 2
  case $CLOUD in
    aws | gcp) ;;
    *) die "CLOUD must be aws or gcp, not '$CLOUD'" ;;
  esac
  case $verb in
    up) up "$@" ;;
    down) down "$@" ;;
    ssh) "${CLOUD}_ssh" ;;
    tunnel) "${CLOUD}_tunnel" ;;
    sync-up | sync-down)
      [ $# -eq 2 ] || die "usage: machine.sh $CLOUD $verb FROM TO"
      sync_bucket "${verb#sync-}" "$1" "$2"
      ;;
    start | stop) power "$verb" ;;
    *) die "unknown command '$verb'" ;;
  esac
}

main "$@"
