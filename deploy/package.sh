#!/usr/bin/env bash
# Build the stack for a stage: `chalice package` with deploy/resources.yaml merged in, under a Python
# that Lambda still creates functions for (3.13; Chalice takes the runtime from the Python it runs
# under, and the wheels it bundles must match), then lint the template offline. Nothing reaches AWS.
#
#   deploy/package.sh [stage] [out-dir]        e.g. deploy/package.sh prod build/prod
#
# For stage prod the RDS CA bundle must be in chalicelib/certs/rds-global-bundle.pem (docs/operations.md,
# "Deployment and runbook"); CI, which cannot download it, sets ALLOW_MISSING_RDS_CA=1.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=${1:-prod}
out=${2:-build/$stage}

find_python() {
  for candidate in "${DEPLOY_PYTHON:-}" python3.13; do
    if [ -n "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
      echo "$candidate"; return
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    version=$(pyenv latest 3.13 2>/dev/null || true)
    if [ -n "$version" ] && [ -x "$(pyenv root)/versions/$version/bin/python3" ]; then
      echo "$(pyenv root)/versions/$version/bin/python3"; return
    fi
  fi
  echo "package: needs Python 3.13 (set DEPLOY_PYTHON)" >&2
  exit 2
}

if [ "$stage" = prod ] && [ ! -s chalicelib/certs/rds-global-bundle.pem ] && [ -z "${ALLOW_MISSING_RDS_CA:-}" ]; then
  echo "package: chalicelib/certs/rds-global-bundle.pem is missing; see docs/operations.md, "First deploy", step 1" >&2
  exit 2
fi

venv=.venv-deploy
if [ ! -x "$venv/bin/chalice" ] || [ requirements.txt -nt "$venv/.installed" ] || [ deploy/requirements.txt -nt "$venv/.installed" ]; then
  "$(find_python)" -m venv --clear "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -r deploy/requirements.txt
  touch "$venv/.installed"
fi

rm -rf "$out"
AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-eu-central-1} \
  "$venv/bin/chalice" package --stage "$stage" --merge-template deploy/resources.yaml "$out"
"$venv/bin/cfn-lint" "$out/sam.yaml"
"$venv/bin/python" deploy/connection_budget.py "$out/sam.yaml"
echo "package: $out/sam.yaml and $out/deployment.zip are ready (runtime $(grep -m1 -o 'python3\.[0-9]*' "$out/sam.yaml"))"
