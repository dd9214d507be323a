#!/usr/bin/env python3
"""The access-token signing keys (ES256) kept in the TokenSigningKeySecret.

Two secrets: TokenSigningKeySecret holds the private keys (only the functions that issue
tokens may read it) and TokenVerifyingKeysSecret their public halves (every verifier).

  signing-key.py new                         print a signing secret value with one fresh key
  signing-key.py public < SIGNING_SECRET     print the public-keys secret value of it
  signing-key.py rotate --secret-id ARN --public-secret-id ARN
                                             add a fresh key: first publish its public half,
                                             then make it the active signing key; the previous
                                             two stay so tokens they signed verify until they
                                             expire (15 minutes)

Run `rotate` once after the first deploy (the template creates both secrets empty), and
again to rotate. Signers read the secret at cold start; a verifier that meets a token
signed with a key it does not know re-reads the public keys (at most once a minute), so a
rotation never locks anyone out."""

from __future__ import annotations

import argparse
import base64
import json
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

KEEP_PREVIOUS = 2


def b64url(n: int) -> str:
    return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()


def fresh_key() -> dict:
    private = ec.generate_private_key(ec.SECP256R1())
    numbers = private.public_key().public_numbers()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    kid = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + base64.urlsafe_b64encode(private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint))[:6].decode()
    return {"kid": kid, "private_key_pem": pem, "x": b64url(numbers.x), "y": b64url(numbers.y)}


def new_secret() -> str:
    key = fresh_key()
    return json.dumps({"active_kid": key["kid"], "keys": [key]})


def public_keys(signing: str) -> str:
    """The public-keys secret value of a signing secret value: every key without its
    private half."""
    doc = json.loads(signing or "{}")
    keys = [{k: v for k, v in key.items() if k != "private_key_pem"} for key in doc.get("keys") or []]
    return json.dumps({"keys": keys})


def rotated(current: str) -> str:
    doc = json.loads(current or "{}")
    keys = doc.get("keys") or []
    key = fresh_key()
    return json.dumps({"active_kid": key["kid"], "keys": [key] + keys[:KEEP_PREVIOUS]})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("new")
    sub.add_parser("public")
    rot = sub.add_parser("rotate")
    rot.add_argument("--secret-id", required=True)
    rot.add_argument("--public-secret-id", required=True)
    rot.add_argument("--endpoint-url")
    args = ap.parse_args()
    if args.command == "new":
        print(new_secret())
        return
    if args.command == "public":
        import sys

        print(public_keys(sys.stdin.read()))
        return
    import boto3

    sm = boto3.client("secretsmanager", endpoint_url=args.endpoint_url)
    current = sm.get_secret_value(SecretId=args.secret_id)["SecretString"]
    next_value = rotated(current)
    # Publish first: verifiers accept the new key before any token is signed with it.
    sm.put_secret_value(SecretId=args.public_secret_id, SecretString=public_keys(next_value))
    sm.put_secret_value(SecretId=args.secret_id, SecretString=next_value)
    print(f"rotated {args.secret_id}: new key published, then active; {KEEP_PREVIOUS} previous kept for verification")


if __name__ == "__main__":
    main()
