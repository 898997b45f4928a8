#!/usr/bin/env bash
# Sets up a Cerulean ML machine on either cloud; runs as root at every boot.
#
#   cerulean-startup SETTINGS_FILE
#
# SETTINGS_FILE holds KEY=VALUE lines (terraform writes it from infra/startup.tftpl):
#   CERULEAN_ROLE       gpu: Jupyter + TensorBoard; scheduler: dask scheduler + worker;
#                       worker: dask worker joining CERULEAN_SCHEDULER
#   CERULEAN_REPO_URL   git URL of this project
#   CERULEAN_GIT_REF    branch, tag or commit to check out
#   CERULEAN_SCHEDULER  tcp://HOST:8786 of the dask scheduler, or empty
#   CERULEAN_DATA_DISK  device (shell pattern) for datasets, formatted when blank; may be empty
#   CERULEAN_USER, CERULEAN_HOME, CERULEAN_DATA_DIR, CERULEAN_SYSTEMD_DIR
#                       service user, checkout, data mount point and unit directory
#                       (defaults: cerulean, /opt/cerulean, /mnt/data, /etc/systemd/system)
#
# The project is installed with the README's own command, `./dev setup`. Every
# service binds to 127.0.0.1 except the dask scheduler and workers, which the cloud
# firewall confines to the stack's own machines.
set -euo pipefail

log() { printf 'cerulean-startup: %s\n' "$*"; }
die() { log "error: $*" >&2; exit 1; }

load_settings() {
  local file=$1 key value
  [ -r "$file" ] || die "cannot read settings file $file"
  # Read, never source: the values are data, not shell code.
  while IFS='=' read -r key value || [ -n "$key" ]; do
    case $key in
      CERULEAN_[A-Z_]*) export "$key=$value" ;;
      '' | '#'*) ;;
      *) die "unknown setting '$key' in $file" ;;
    esac
  done <"$file"
  ROLE=${CERULEAN_ROLE:?CERULEAN_ROLE is not set}
  REPO_URL=${CERULEAN_REPO_URL:?CERULEAN_REPO_URL is not set}
  GIT_REF=${CERULEAN_GIT_REF:-main}
  SCHEDULER=${CERULEAN_SCHEDULER:-}
  DATA_DISK=${CERULEAN_DATA_DISK:-}
  RUN_AS=${CERULEAN_USER:-cerulean}
  CHECKOUT=${CERULEAN_HOME:-/opt/cerulean}
  DATA_DIR=${CERULEAN_DATA_DIR:-/mnt/data}
  SYSTEMD_DIR=${CERULEAN_SYSTEMD_DIR:-/etc/systemd/system}
  case $ROLE in
    gpu | scheduler) ;;
    worker) [ -n "$SCHEDULER" ] || die "role worker needs CERULEAN_SCHEDULER" ;;
    *) die "CERULEAN_ROLE must be gpu, scheduler or worker, not '$ROLE'" ;;
  esac
}

# git, and a Python >= 3.11 that can make virtual environments (what ./dev needs).
ensure_system_packages() {
  local missing=() py=python3.11
  command -v git >/dev/null || missing+=(git)
  command -v "$py" >/dev/null || py=python3
  if ! "$py" -c 'import ensurepip, sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    if python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      missing+=(python3-venv)
    else
      missing+=(python3.11 python3.11-venv)
    fi
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  fi
}

ensure_user() {
  if ! id -u "$RUN_AS" >/dev/null 2>&1; then
    useradd --system --create-home --home-dir "/var/lib/$RUN_AS" --shell /bin/bash "$RUN_AS"
  fi
  RUN_AS_HOME=$(getent passwd "$RUN_AS" | cut -d: -f6)
}

as_user() {
  if [ "$(id -un)" = "$RUN_AS" ]; then
    "$@"
  else
    runuser -u "$RUN_AS" -- env HOME="$RUN_AS_HOME" "$@"
  fi
}

# Local SSD / instance store: blank after every stop, so format it when it carries no
# filesystem. Without such a disk the data directory lives on the boot disk.
mount_data_disk() {
  local disk='' candidate
  for candidate in $DATA_DISK; do
    if [ -b "$candidate" ]; then
      disk=$candidate
      break
    fi
  done
  mkdir -p "$DATA_DIR"
  if [ -n "$disk" ] && ! mountpoint -q "$DATA_DIR"; then
    if ! blkid "$disk" >/dev/null 2>&1; then
      log "formatting $disk"
      mkfs.ext4 -q -F -L cerulean-data "$disk"
    fi
    mount -o defaults,discard "$disk" "$DATA_DIR"
  fi
  chown "$RUN_AS:" "$DATA_DIR"
}

checkout_project() {
  if [ ! -d "$CHECKOUT/.git" ]; then
    log "cloning $REPO_URL into $CHECKOUT"
    install -d -o "$RUN_AS" "$CHECKOUT"
    as_user git clone --quiet "$REPO_URL" "$CHECKOUT"
  fi
  as_user git -C "$CHECKOUT" fetch --quiet origin "$GIT_REF"
  as_user git -C "$CHECKOUT" checkout --quiet --force --detach FETCH_HEAD
  log "checked out $GIT_REF at $(git -C "$CHECKOUT" rev-parse HEAD)"
}

install_project() {
  log "running ./dev setup"
  (cd "$CHECKOUT" && as_user ./dev setup)
  local bin="$CHECKOUT/.hatch/bin"
  [ -x "$bin/python" ] || die "./dev setup made no environment at $CHECKOUT/.hatch"
  if [ ! -x "$bin/jupyter-lab" ] || [ ! -x "$bin/tensorboard" ] || [ ! -x "$bin/dask" ]; then
    log "adding Jupyter, TensorBoard and dask to the workspace environment"
    as_user "$bin/python" -m pip install --quiet \
      "jupyterlab>=4,<5" "tensorboard>=2.16,<3" "dask[distributed]>=2024.8" "bokeh>=3.1"
  fi
}

# Fixed worker and nanny ports, so that the firewall can name them (8786-9199).
readonly DASK_WORKER_PORTS="--worker-port 9000:9099 --nanny-port 9100:9199"

# write_unit NAME DESCRIPTION EXEC [ENVIRONMENT]
write_unit() {
  local name=$1 description=$2 exec=$3 environment=${4:-}
  {
    printf '[Unit]\nDescription=%s\nAfter=network-online.target\nWants=network-online.target\n\n' \
      "$description"
    printf '[Service]\nUser=%s\nWorkingDirectory=%s\n' "$RUN_AS" "$CHECKOUT"
    if [ -n "$environment" ]; then
      printf 'Environment=%s\n' "$environment"
    fi
    printf 'ExecStart=%s\nRestart=on-failure\nRestartSec=5\n\n' "$exec"
    printf '[Install]\nWantedBy=multi-user.target\n'
  } >"$SYSTEMD_DIR/$name.service.tmp"
  mv -f "$SYSTEMD_DIR/$name.service.tmp" "$SYSTEMD_DIR/$name.service"
  UNITS+=("$name.service")
}

write_services() {
  local bin="$CHECKOUT/.hatch/bin" address
  mkdir -p "$SYSTEMD_DIR"
  as_user mkdir -p "$DATA_DIR/runs" "$DATA_DIR/dask"
  UNITS=()
  case $ROLE in
    gpu)
      write_unit cerulean-jupyter "JupyterLab on 127.0.0.1:8888" \
        "$bin/jupyter-lab --no-browser --ip=127.0.0.1 --port=8888 --ServerApp.root_dir=$CHECKOUT" \
        "${SCHEDULER:+DASK_SCHEDULER_ADDRESS=$SCHEDULER}"
      write_unit cerulean-tensorboard "TensorBoard on 127.0.0.1:6006" \
        "$bin/tensorboard --logdir $DATA_DIR/runs --host 127.0.0.1 --port 6006"
      ;;
    scheduler)
      address="tcp://$(hostname -I | cut -d' ' -f1):8786"
      write_unit cerulean-dask-scheduler "dask scheduler on port 8786, dashboard on 8787" \
        "$bin/dask scheduler --port 8786 --dashboard-address :8787"
      write_unit cerulean-dask-worker "dask worker joining $address" \
        "$bin/dask worker $address $DASK_WORKER_PORTS --local-directory $DATA_DIR/dask"
      ;;
    worker)
      write_unit cerulean-dask-worker "dask worker joining $SCHEDULER" \
        "$bin/dask worker $SCHEDULER $DASK_WORKER_PORTS --local-directory $DATA_DIR/dask"
      ;;
  esac
  systemctl daemon-reload
  systemctl enable "${UNITS[@]}"
  systemctl restart "${UNITS[@]}"
  log "started ${UNITS[*]}"
}

main() {
  [ $# -eq 1 ] || die "usage: cerulean-startup SETTINGS_FILE"
  load_settings "$1"
  ensure_system_packages
  ensure_user
  mount_data_disk
  checkout_project
  install_project
  write_services
}

main "$@"
