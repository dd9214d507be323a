#!/usr/bin/env python3
"""The local API's front door: listens where clients call the portal (127.0.0.1 and ::1,
port PORT) and forwards every request to `cargo lambda watch` (WATCH_PORT), which puts
each function at its real path.

One thing watch's HTTP front does not do as API Gateway does: it passes a body whose
content type is text (no content type, `text/*`, `application/json*`) to the function as
text, and answers a `500 text/plain` of its own when those bytes are not UTF-8. API
Gateway hands such a body to the function base64-encoded (`isBase64Encoded: true`), and
the function answers it (a JSON body that is not UTF-8 is a 400). So a request with such
a body is delivered here the way API Gateway would: the function is found in the same
router watch uses (`[workspace.metadata.lambda.watch.router]` in Cargo.toml), invoked
through watch's Lambda Invoke API with an HTTP API (payload 2.0) event carrying the body
base64-encoded, and its answer returned as API Gateway returns it. Everything else goes
to watch untouched.

Usage: gateway.py PORT WATCH_PORT [CARGO_TOML]"""

from __future__ import annotations

import base64
import http.client
import json
import re
import time
import socket
import sys
import threading
import tomllib
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit, unquote

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-connection", "content-length"}


def load_router(cargo_toml: str) -> list[tuple[re.Pattern, list[str], dict[str, str]]]:
    """[(path regex, parameter names, {METHOD or "*": function})], in watch's order of
    precedence: static segments before parameters before catch-alls."""
    with open(cargo_toml, "rb") as f:
        router = tomllib.load(f)["workspace"]["metadata"]["lambda"]["watch"]["router"]
    routes = []
    for template, target in router.items():
        names, parts = [], []
        for segment in template.strip("/").split("/"):
            if segment.startswith("{*") and segment.endswith("}"):
                names.append(segment[2:-1])
                parts.append("(.*)")
            elif segment.startswith("{") and segment.endswith("}"):
                names.append(segment[1:-1])
                parts.append("([^/]+)")
            else:
                parts.append(re.escape(segment))
        pattern = re.compile("^/" + "/".join(parts) + "$")
        methods = ({"*": target} if isinstance(target, str)
                   else {entry["method"].upper(): entry["function"] for entry in target})
        rank = 2 if "{*" in template else (1 if "{" in template else 0)
        routes.append((rank, template.count("/"), pattern, names, methods))
    routes.sort(key=lambda r: (r[0], -r[1]))
    return [(pattern, names, methods) for _, _, pattern, names, methods in routes]


def find_function(routes, method: str, path: str) -> tuple[str, dict[str, str]] | None:
    for pattern, names, methods in routes:
        m = pattern.match(path)
        if not m:
            continue
        function = methods.get(method) or methods.get("*")
        if function:
            return function, {n: unquote(v) for n, v in zip(names, m.groups())}
    return None


def watch_sends_as_text(content_type: str | None) -> bool:
    """watch's own test (cargo-lambda-watch, trigger_router.rs): these bodies go as text."""
    return content_type is None or content_type.startswith("text/") or content_type.startswith("application/json")


def needs_base64(content_type: str | None, body: bytes) -> bool:
    if not body or not watch_sends_as_text(content_type):
        return False
    try:
        body.decode("utf-8")
        return False
    except UnicodeDecodeError:
        return True


def api_gateway_event(method: str, target: str, headers, body: bytes, path_parameters: dict) -> dict:
    """An HTTP API payload 2.0 event, as API Gateway builds it (and as watch builds it,
    routeKey `$default` included), with the body base64-encoded."""
    url = urlsplit(target)
    joined: dict[str, str] = {}
    for name, value in headers.items():
        name = name.lower()
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    cookies = joined.pop("cookie", None)
    query: dict[str, str] = {}
    for k, v in parse_qsl(url.query, keep_blank_values=True):
        query[k] = f"{query[k]},{v}" if k in query else v
    now = datetime.now(timezone.utc)
    request_id = str(uuid.uuid4())
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": joined,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {"method": method, "path": url.path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": joined.get("user-agent", "")},
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": True,
    }
    if cookies:
        event["cookies"] = [c.strip() for c in cookies.split(";") if c.strip()]
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    return event


class Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "portal-local-gateway"
    watch_port = 0
    routes: list = []

    def log_message(self, format, *args):  # noqa: A002 - quiet: watch logs every invocation
        pass

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def handle_any(self):
        body = self.read_body()
        try:
            if needs_base64(self.headers.get("content-type"), body):
                status, headers, payload = self.invoke_as_api_gateway(body)
            else:
                status, headers, payload = self.forward(body)
                # Watch's own failure (its error body, not a function's problem+json), for
                # instance a function instance that died while starting: a read is asked
                # once more, as a fresh Lambda instance would serve it. Writes are not
                # repeated; nothing a function answers is retried.
                if (status == 500 and self.command in ("GET", "HEAD")
                        and b"httpstatuses.com" in payload):
                    time.sleep(0.5)
                    status, headers, payload = self.forward(body)
        except (OSError, http.client.HTTPException) as e:
            status, headers = 502, [("content-type", "text/plain")]
            payload = f"cargo lambda watch did not answer: {e}\n".encode()
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def forward(self, body: bytes):
        conn = http.client.HTTPConnection("127.0.0.1", self.watch_port, timeout=900)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    conn.putheader(name, value)
            if body or self.command in ("POST", "PUT", "PATCH"):
                conn.putheader("content-length", str(len(body)))
            conn.endheaders(body or None)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def invoke_as_api_gateway(self, body: bytes):
        path = urlsplit(self.path).path
        found = find_function(self.routes, self.command, path)
        if found is None:  # watch itself would answer; let it
            return self.forward(body)
        function, params = found
        event = api_gateway_event(self.command, self.path, self.headers, body, params)
        conn = http.client.HTTPConnection("127.0.0.1", self.watch_port, timeout=900)
        try:
            conn.request("POST", f"/2015-03-31/functions/{function}/invocations",
                         body=json.dumps(event).encode(), headers={"content-type": "application/json"})
            resp = conn.getresponse()
            raw = resp.read()
            failed = resp.status != 200 or resp.getheader("x-amz-function-error")
        finally:
            conn.close()
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if failed or not isinstance(answer, dict) or "statusCode" not in answer:
            # What API Gateway answers when the integration fails.
            return 500, [("content-type", "application/json")], b'{"message":"Internal Server Error"}'
        headers = [(k, v) for k, v in (answer.get("headers") or {}).items()]
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            if not any(k.lower() == name.lower() for k, _ in headers):
                headers += [(name, v) for v in values]
        headers += [("set-cookie", c) for c in answer.get("cookies") or []]
        payload = answer.get("body") or ""
        payload = base64.b64decode(payload) if answer.get("isBase64Encoded") else payload.encode()
        return int(answer["statusCode"]), headers, payload

    def __getattr__(self, name: str):
        # Every method goes on (TRACE, QUERY, ...): API Gateway's $default route takes any.
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)


class DualStackServer(ThreadingHTTPServer):
    daemon_threads = True


def main():
    port, watch_port = int(sys.argv[1]), int(sys.argv[2])
    cargo_toml = sys.argv[3] if len(sys.argv) > 3 else "Cargo.toml"
    Gateway.watch_port = watch_port
    Gateway.routes = load_router(cargo_toml)
    servers = [DualStackServer(("127.0.0.1", port), Gateway)]
    try:
        v6 = type("V6Server", (DualStackServer,), {"address_family": socket.AF_INET6})
        servers.append(v6(("::1", port), Gateway))
    except OSError:
        pass  # no IPv6 loopback here: `cargo lambda invoke` then needs --invoke-address
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
