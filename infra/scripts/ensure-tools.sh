#!/usr/bin/env bash
# Installs the infra tests' linters that cannot live in the workspace environment:
# checkov pins its own versions of boto3, networkx and friends, so it gets a virtual
# environment of its own at .tools/checkov (next to the .tools/ that ./dev keeps).
# The other two tools come from the system: terraform, and apt-get install shellcheck.
#
#   infra/scripts/ensure-tools.sh     prints the path of the checkov executable
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.tools/checkov
# 3.3: the release line these modules were checked with; a new major release may
# bring checks that need new inline justifications.
spec='checkov>=3.3,<4'
if [ ! -x "$venv/bin/checkov" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet "$spec" >&2
fi
printf '%s\n' "$PWD/$venv/bin/checkov"
