#!/usr/bin/env bash
# Seeds the local stack's demo data through the portal's own functions (so the data is
# exactly what the code writes): an internal admin via admin-bootstrap and a partner
# owner via the registration route. Needs `cargo lambda watch` on $PORTAL_PORT; the first
# call compiles the functions, which can take a few minutes on a cold machine.
set -euo pipefail
api="http://127.0.0.1:${PORTAL_PORT:-9000}"
admin_email="admin@demo.partners.local"
admin_password="demo-admin-password"
owner_email="owner@demo-solar.partners.local"
owner_password="demo-owner-password"

echo "==> seeding demo data (the first request compiles the functions it calls)"
admin=$(curl -fsS --max-time 900 -X POST "$api/2015-03-31/functions/admin-bootstrap/invocations" \
  -H 'content-type: application/json' \
  -d "{\"email\":\"$admin_email\",\"first_name\":\"Demo\",\"last_name\":\"Admin\",\"password\":\"$admin_password\"}")
partner=$(curl -sS --max-time 900 -X POST "$api/v1/auth/register" -H 'content-type: application/json' -d @- <<JSON
{"business_name":"Demo Solar (Pty) Ltd","business_type":"company","registration_number":"2020/000001/07",
 "contact_person":"Demo Owner","email":"$owner_email","phone":"021 555 0100","street_address":"1 Demo Street",
 "city":"Cape Town","province":"Western Cape","postal_code":"8001","country":"ZA","password":"$owner_password"}
JSON
)
case "$admin" in *'"created"'*) ;; *) echo "admin seed failed: $admin" >&2; exit 1 ;; esac
case "$partner" in *'"partner_id"'*) ;; *) echo "partner seed failed: $partner" >&2; exit 1 ;; esac
cat <<INFO

  Demo accounts (local only)
    admin          $admin_email / $admin_password
    partner owner  $owner_email / $owner_password   (partner status: pending)
  Sign in:  curl -s -X POST $api/v1/auth/login -H 'content-type: application/json' \\
              -d '{"email":"$owner_email","password":"$owner_password"}'
INFO
