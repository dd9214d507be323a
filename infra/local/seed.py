#!/usr/bin/env python3
"""Seeds the local stack's demo data through the portal's own API, so the data is exactly
what the code writes: an internal admin (admin-bootstrap), a partner that goes through the
whole onboarding (registration, KYC uploads to presigned URLs, verification by the bucket
event, submission, review, approval), a few leads, published sales material and the partner's operations workspace (tasks,
a document link, notes), three peer partners and performance history (see `seed_history`:
the one part written directly); then makes sure the fake Zoho
(FAKE_ZOHO_URL, when set) holds the partner's Vendors record. Needs `cargo lambda watch`
and the event delivery running (`make dev` builds every function before it runs this).

`seed.py --fresh-partner FILE` instead onboards one new approved partner with a unique
address (and an admin to approve it) and writes its owner's token, ids and both accounts'
credentials to FILE: the API fuzzer's account and the browser tests' (infra/local/served.sh)."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request

API = f"http://127.0.0.1:{os.environ.get('PORTAL_PORT', '9000')}"
FAKE_ZOHO = os.environ.get("FAKE_ZOHO_URL", "").rstrip("/")
ADMIN = ("admin@demo.partners.local", "demo-admin-password")
OWNER = ("owner@demo-solar.partners.local", "demo-owner-password")
BUSINESS = "Demo Solar (Pty) Ltd"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def call(method, path, body=None, token=None, url=None, headers=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    h = {"content-type": "application/json"} if body is not None else {}
    if token:
        h["authorization"] = f"Bearer {token}"
    h.update(headers or {})
    req = urllib.request.Request(url or API + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=900) as resp:
            text = resp.read()
            return resp.status, (json.loads(text) if text.strip().startswith(b"{") else None)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def must(result, *ok):
    status, body = result
    if status not in ok:
        sys.exit(f"seed failed: {status} {body}")
    return body


def login(email, password):
    return must(call("POST", "/v1/auth/login", {"email": email, "password": password}), 200)["access_token"]


def fake_zoho(method: str, url: str, body=None):
    """(status, JSON body or None) of a call to the fake Zoho's control API."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, text = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    try:
        return status, json.loads(text) if text.strip() else None
    except ValueError:
        return status, text.decode(errors="replace")[:200]


def records(body) -> list:
    """The records a fake Zoho listing returned (Zoho's {"data": [...]} or a bare list)."""
    if isinstance(body, dict):
        body = body.get("data")
    return [r for r in body if isinstance(r, dict)] if isinstance(body, list) else []


def seed_fake_zoho(partner_id: str, business_name: str, email: str) -> str:
    """The demo partner's Vendors record in the fake Zoho. crm-outbound pushes it on its own
    (an upsert keyed on Portal_Id) once the table stream delivers the approval; creating it
    here makes the demo independent of that timing, and the push then updates this record."""
    if not FAKE_ZOHO:
        return "fake Zoho not configured (FAKE_ZOHO_URL)"
    url = f"{FAKE_ZOHO}/__fake/records/Vendors"
    try:
        status, body = fake_zoho("GET", url)
        if status == 200 and any(r.get("Portal_Id") == partner_id for r in records(body)):
            return "Vendors record already pushed by crm-outbound"
        status, body = fake_zoho("POST", url, {"Vendor_Name": business_name, "Email": email,
                                               "Portal_Id": partner_id, "Partner_Status": "Approved"})
    except OSError as e:
        return f"fake Zoho not reachable ({e}); its Vendors record was not created"
    if status not in (200, 201):
        return f"fake Zoho refused the Vendors record: {status} {body}"
    return "Vendors record created"


def verification_tokens(mail: object, address: str) -> list[str]:
    """The verification tokens in the emails to `address` among the emulator's sent mail
    (its JSON dump, walked for each message that names the address)."""
    found: list[str] = []
    if isinstance(mail, dict):
        text = json.dumps(mail)
        if address in text and "/verify-email?token=" in text and not any(
                isinstance(v, (dict, list)) and address in json.dumps(v) and "/verify-email?token=" in json.dumps(v)
                for v in mail.values()):
            for chunk in text.split("/verify-email?token=")[1:]:
                # The token runs to the first character outside base64url.
                token = ""
                for c in chunk:
                    if not (c.isalnum() or c in "-_"):
                        break
                    token += c
                if token:
                    found.append(token)
            return found
        for v in mail.values():
            found += verification_tokens(v, address)
    elif isinstance(mail, list):
        for v in mail:
            found += verification_tokens(v, address)
    return found


def verify_owner_email(address: str):
    """Follows the verification link the registration emailed to `address` (read from the
    emulator's sent mail, which the email sender fills from the table stream)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    for _ in range(600):
        with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=30) as resp:
            mail = json.loads(resp.read().decode()).get("ses") or {}
        for token in verification_tokens(mail, address):
            status, _ = call("POST", "/v1/auth/email/verify", {"token": token})
            if status == 204:
                return
        time.sleep(0.5)
    sys.exit("seed failed: no verification email arrived (see .local/events.log)")


def bootstrap_admin(email: str, password: str) -> str:
    """An internal admin (admin-bootstrap, invoked as its Lambda); its access token."""
    must(call("POST", None, {"email": email, "first_name": "Demo", "last_name": "Admin", "password": password},
              url=f"{API}/2015-03-31/functions/admin-bootstrap/invocations"), 200)
    return login(email, password)


def approved_partner(admin: str, email: str, password: str, business: str) -> tuple[dict, str]:
    """A partner through the whole onboarding: registration, email verification, four KYC
    PDFs uploaded to their presigned URLs and verified by the bucket event, submission,
    review and approval by `admin`. (The registration's answer, the owner's access token.)"""
    partner = must(call("POST", "/v1/auth/register", {
        "business_name": business, "business_type": "company", "registration_number": "2020/000001/07",
        "contact_person": "Demo Owner", "email": email, "phone": "021 555 0100", "street_address": "1 Demo Street",
        "city": "Cape Town", "province": "western_cape", "postal_code": "8001", "country": "ZA", "password": password}), 201)
    verify_owner_email(email)
    owner = login(email, password)
    docs = []
    for kind in ["id_document", "proof_of_address", "bank_statement", "business_registration"]:
        granted = must(call("POST", "/v1/kyc/documents", {"document_type": kind, "file_name": f"{kind}.pdf",
                                                           "content_type": "application/pdf", "size": len(PDF)}, owner), 201)
        up = granted["upload"]
        headers = {k: v for k, v in up["headers"].items() if k != "content-length"}
        must(call("PUT", None, url=up["url"], raw=PDF, headers=headers), 200)
        docs.append(granted["document"]["id"])
    print("    KYC documents uploaded; waiting for the verifier", flush=True)
    for _ in range(600):
        listed = must(call("GET", "/v1/kyc/documents", token=owner), 200)["items"]
        if len(listed) == 4 and all(d["verification_status"] == "pending" for d in listed):
            break
        time.sleep(0.5)
    else:
        sys.exit("seed failed: the uploads were not verified (see .local/events.log)")
    must(call("POST", "/v1/kyc/submit", token=owner), 200)
    for doc in docs:
        must(call("POST", f"/v1/admin/kyc/documents/{doc}/review", {"partner_id": partner["partner_id"], "decision": "approve"}, admin), 200)
    must(call("POST", f"/v1/admin/partners/{partner['partner_id']}/decision", {"decision": "approve"}, admin), 200)
    return partner, owner


# The smallest PNG: signature and a 1×1 header (the verifier checks the signature).
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def seed_resources(admin: str) -> int:
    """A handful of published resources across types and tiers: two files uploaded to their
    presigned URLs and verified by the bucket event, and three links."""
    made = 0
    for title, kind, category, tier, tags, upload, link in [
        ("Demo Solar brochure", "brochure", "solar", "registered", ["residential"], ("application/pdf", PDF), None),
        ("Panel product sheet", "product_sheet", "solar", "registered", ["panels"], ("image/png", PNG), None),
        ("Installer price list", "price_list", "pricing", "gold", ["installers"], None,
         "https://docs.example.com/price-list.xlsx"),
        ("Selling solar: onboarding", "training_video", "training", "registered", ["onboarding"], None,
         "https://videos.example.com/onboarding.mp4"),
        ("Karoo Lodge case study", "case_study", "solar", "silver", ["commercial"], None,
         "https://docs.example.com/karoo-lodge.pdf"),
    ]:
        body = {"title": title, "type": kind, "category": category, "min_tier": tier, "tags": tags}
        if upload:
            body["file"] = {"content_type": upload[0], "size": len(upload[1])}
        else:
            body["url"] = link
        created = must(call("POST", "/v1/admin/resources", body, admin), 201)
        if upload:
            up = created["upload_url"]
            headers = {k: v for k, v in up["headers"].items() if k != "content-length"}
            must(call("PUT", None, url=up["url"], raw=upload[1], headers=headers), 200)
        # Published once the file is verified (400 until then).
        for _ in range(600):
            status, _ = call("PATCH", f"/v1/admin/resources/{created['id']}", {"status": "published"}, admin,
                             headers={"if-match": "*"})
            if status == 200:
                made += 1
                break
            time.sleep(0.5)
        else:
            sys.exit(f"seed failed: {title} was not verified (see .local/events.log)")
    return made


def seed_workspace(admin: str, partner_id: str) -> int:
    """The operations workspace of the demo partner: tasks (one overdue, one due this week,
    one done), an internal document link and two notes on its timeline."""
    from datetime import date, timedelta
    today = date.today()
    made = 0
    for title, due, status, priority in [
        ("Chase the signed reseller agreement", today - timedelta(days=2), "todo", "high"),
        ("Quarterly pipeline review with Demo Solar", today + timedelta(days=4), "in_progress", "normal"),
        ("Welcome call", today - timedelta(days=20), "done", "low"),
    ]:
        must(call("POST", f"/v1/admin/partners/{partner_id}/tasks",
                  {"title": title, "due_date": due.isoformat(), "status": status, "priority": priority,
                   "assignee_id": me(admin)}, admin), 201)
        made += 1
    must(call("POST", f"/v1/admin/partners/{partner_id}/documents",
              {"title": "Account plan (Notion)", "document_type": "plan", "tags": ["2027"],
               "url": "https://www.notion.so/demo-solar/account-plan"}, admin), 201)
    for text in ["Prefers email over calls; decision maker is the MD.",
                 "Interested in the storage training before the winter season."]:
        must(call("POST", f"/v1/admin/partners/{partner_id}/notes", {"text": text}, admin), 201)
    return made


def seed_history(partners: list[tuple[str, float, float]]) -> None:
    """Performance history the API cannot make (it stamps every write with the present):
    for each (partner id, win rate, share of fast first contacts), the five quarters before
    this one as the quarter counters hold them (leads registered, won, lost, first-contact
    latencies, commission earned) with the closed leads in the partner's counters — figures
    imported from before the portal, in exactly the shapes lead and commission writes keep
    them — and, for the first partner, 90 days of daily score snapshots. Today's scores,
    ranks, trend and benchmarks are then computed by the real nightly job (invoked once
    here; its schedule finds the day done)."""
    import random
    from datetime import date, timedelta

    import boto3
    ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    table = os.environ["TABLE_NAME"]
    rnd = random.Random(7)
    today = date.today()
    n = lambda v: {"N": str(int(v))}
    for i, (pid, win_rate, fast) in enumerate(partners):
        won_total = lost_total = 0
        year, quarter = today.year, (today.month - 1) // 3 + 1
        for _ in range(5):
            year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
            q = f"{year}-Q{quarter}"
            created = rnd.randint(8, 20)
            closed = rnd.randint(created // 2, created)
            won = round(closed * win_rate)
            lost = closed - won
            contacts = created
            buckets = [round(contacts * fast), round(contacts * (1 - fast) * 0.5)]
            buckets += [round(contacts * (1 - fast) * 0.3), round(contacts * (1 - fast) * 0.15)]
            buckets.append(max(0, contacts - sum(buckets)))
            names = ["1h", "4h", "24h", "72h", "later"]
            values = {":c": n(created), ":w": n(won), ":l": n(lost),
                      ":e": n(won * rnd.randint(150_000, 900_000))}
            expr = "ADD leads_created :c, leads_won :w, leads_lost :l, commission_earned_ZAR_minor :e"
            for name, v in zip(names, buckets):
                values[f":f{name}"] = n(v)
                expr += f", first_contact_{name} :f{name}"
            ddb.update_item(TableName=table, Key={"PK": {"S": f"PARTNER#{pid}"}, "SK": {"S": f"QUARTER#{q}"}},
                            UpdateExpression=expr + " SET kind = :k",
                            ExpressionAttributeValues={**values, ":k": {"S": "partner_quarter"}})
            won_total += won
            lost_total += lost
        ddb.update_item(TableName=table, Key={"PK": {"S": f"PARTNER#{pid}"}, "SK": {"S": "COUNTERS"}},
                        UpdateExpression="ADD leads_total :t, status_won :w, status_lost :l SET kind = :k",
                        ExpressionAttributeValues={":t": n(won_total + lost_total), ":w": n(won_total),
                                                   ":l": n(lost_total), ":k": {"S": "partner_counters"}})
        if i == 0:
            for back in range(90, 0, -1):
                d = today - timedelta(days=back)
                value = round(64 + (90 - back) * 0.14 + rnd.uniform(-1.5, 1.5), 1)
                ddb.put_item(TableName=table, Item={
                    "PK": {"S": f"PARTNER#{pid}"}, "SK": {"S": f"SCORE#{d.isoformat()}"},
                    "kind": {"S": "score_snapshot"}, "partner_id": {"S": pid},
                    "business_name": {"S": BUSINESS}, "date": {"S": d.isoformat()},
                    "value": {"N": str(value)}, "components": {"L": []},
                    "metrics": {"M": {"score": {"N": str(value)}, "leads_per_quarter": {"N": "12"}}},
                    "rank": {"N": "2"}, "of": {"N": str(len(partners))},
                    "computed_at": {"S": f"{d.isoformat()}T00:30:00.000Z"}})
    invoke = os.environ.get("LAMBDA_INVOKE_URL")
    if invoke:
        req = urllib.request.Request(f"{invoke}/2015-03-31/functions/insight-nightly/invocations",
                                     data=b"{}", headers={"content-type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=300) as resp:
            print(f"    nightly scores: {resp.read().decode()[:200]}", flush=True)


def me(token: str) -> str:
    return must(call("GET", "/v1/me", None, token), 200)["user"]["id"]


def fresh_partner(out: str):
    """`--fresh-partner FILE`: a new approved partner with a unique address (and an admin to
    approve it); writes its owner's access token and ids to FILE as JSON."""
    unique = f"{int(time.time())}-{os.getpid()}"
    admin = bootstrap_admin(f"admin-{unique}@fuzz.partners.local", "fuzz-admin-password")
    email, password = f"owner-{unique}@fuzz.partners.local", "fuzz-owner-password"
    partner, _ = approved_partner(admin, email, password, f"Fuzz Partner {unique}")
    # A token issued after the approval: it carries the approved partner's standing.
    owner = login(email, password)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"access_token": owner, "partner_id": partner["partner_id"], "user_id": partner["user_id"],
                   "slug": partner["slug"], "email": email, "password": password,
                   "business_name": f"Fuzz Partner {unique}",
                   "admin_email": f"admin-{unique}@fuzz.partners.local", "admin_password": "fuzz-admin-password"}, f)
    print(f"    approved partner {partner['partner_id']} ({email})", flush=True)


def main():
    print("==> seeding demo data through the API", flush=True)
    admin = bootstrap_admin(*ADMIN)
    partner, owner = approved_partner(admin, OWNER[0], OWNER[1], BUSINESS)
    for first, last, email, phone, stage in [
        ("Lerato", "Mokoena", "lerato@brightfarms.co.za", "083 555 0101", "site visit"),
        ("Johan", "van Wyk", "johan@karoo-lodge.co.za", "082 555 0102", "quote"),
        ("Ayesha", "Patel", "ayesha.patel@gmail.com", "084 555 0103", None),
    ]:
        body = {"first_name": first, "last_name": last, "email": email, "phone": phone}
        if stage:
            body["stage"] = stage
        must(call("POST", "/v1/leads", body, owner), 201)
    resources = seed_resources(admin)
    tasks = seed_workspace(admin, partner["partner_id"])
    zoho = seed_fake_zoho(partner["partner_id"], BUSINESS, OWNER[0])
    peers = [approved_partner(admin, f"owner@{name}.partners.local", OWNER[1], title)[0]["partner_id"]
             for name, title in [("karoo-energy", "Karoo Energy"), ("cape-installers", "Cape Installers"),
                                 ("highveld-power", "Highveld Power")]]
    seed_history([(partner["partner_id"], 0.55, 0.6), (peers[0], 0.35, 0.3),
                  (peers[1], 0.45, 0.5), (peers[2], 0.25, 0.2)])
    print(f"""
  Demo accounts (local only)
    admin          {ADMIN[0]} / {ADMIN[1]}
    partner owner  {OWNER[0]} / {OWNER[1]}   (Demo Solar: approved, KYC verified, 3 leads)
    sales material {resources} published resources: curl -s {API}/v1/resources -H "authorization: Bearer <token>"
    performance    five quarters of history, 90 days of scores, 3 peer partners: curl -s {API}/v1/dashboard -H "authorization: Bearer <token>"
    workspace      {tasks} tasks, a document link and notes: curl -s {API}/v1/admin/partners/{partner['partner_id']}/timeline -H "authorization: Bearer <admin token>"
    public form    POST {API}/v1/public/partners/{partner['slug']}/leads
    fake Zoho      {FAKE_ZOHO or "-"}: {zoho}
                   leads pushed by crm-outbound: curl -s {FAKE_ZOHO or "<fake zoho>"}/__fake/records/Leads
  Sign in:  curl -s -X POST {API}/v1/auth/login -H 'content-type: application/json' \\
              -d '{{"email":"{OWNER[0]}","password":"{OWNER[1]}"}}'
""", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--fresh-partner":
        fresh_partner(sys.argv[2])
    else:
        main()
