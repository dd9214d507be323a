#!/usr/bin/env bash
# Seeds the local stack's demo data. Runs with the resolved function environment loaded
# (TABLE_NAME, AWS_ENDPOINT_URL, ...). Each domain that owns demo data adds its step here.
set -euo pipefail
echo "==> seeding demo data"
echo "    nothing to seed yet: partner and admin accounts arrive with the identity functions"
