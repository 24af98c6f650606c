#!/usr/bin/env python3
"""git_https_server.py: smart HTTP git over TLS on 127.0.0.1, for the network tests only.

Serves the bare repositories under --root through stock `git http-backend` (run as a CGI
per request: GIT_PROJECT_ROOT, GIT_HTTP_EXPORT_ALL, REMOTE_USER), the way a forge or an
nginx + fcgiwrap host does. Python's standard library only (http.server, ssl, subprocess):
no web server package is needed on a fresh Debian 12.

  --root DIR            the repositories (https://127.0.0.1:PORT/NAME.git is DIR/NAME.git)
  --cert PEM --key PEM  the server's certificate and key
  --port N              0 picks a free port; the port is written to --port-file
  --log FILE            one line per request: method, path, user, status (and stalls)
  --user NAME:TOKEN     (repeatable) every request needs HTTP Basic auth with one of
                        these pairs (401 otherwise); it runs as NAME (REMOTE_USER, and
                        the log). Without it, anyone may read and push (anonymous).
  --stall-after BYTES   for POST .../git-upload-pack (the pack of a fetch; protocol v2's
                        ls-refs excepted), send the headers and the first BYTES bytes of
                        the response, then hold the connection open sending nothing,
                        forever: a server that stalls mid-transfer.
"""
import argparse
import base64
import hmac
import os
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

LOG_LOCK = threading.Lock()
FOREVER = threading.Event()


def log(args, line):
    with LOG_LOCK:
        with open(args.log, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vigil-test-git-https"

    def setup(self):
        # The TLS handshake happens here, in the request's thread, so a client that
        # refuses the certificate (or stalls in the handshake) never blocks the others.
        self.request.settimeout(60)
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError) as e:
            log(self.server.args, f"TLS handshake failed: {e}")
            raise
        super().setup()

    def log_message(self, fmt, *a):  # the request log is --log; keep stderr quiet
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(16)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def user(self):
        """The authenticated user, None when auth is required and missing or wrong."""
        users = self.server.args.user
        if not users:
            return "anonymous"
        got = self.headers.get("Authorization", "")
        if not got.startswith("Basic "):
            return None
        try:
            cred = base64.b64decode(got[6:], validate=True)
        except ValueError:
            return None
        for want in users:
            if hmac.compare_digest(cred, want.encode()):
                return want.split(":", 1)[0]
        return None

    def reply(self, status, headers, body, path, user, note=""):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        log(self.server.args, f"{self.command} {path} user={user} status={status}{note}")
        self.wfile.write(body)

    def handle_git(self):
        args = self.server.args
        url = urlsplit(self.path)
        body = self.read_body()
        user = self.user()
        if user is None:
            why = "no credentials" if "Authorization" not in self.headers else "bad credentials"
            self.reply(401, [("WWW-Authenticate", 'Basic realm="vigil-test"'),
                             ("Content-Type", "text/plain")],
                       b"authentication required\n", url.path, "-", f" ({why})")
            return
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": args.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "REMOTE_USER": user,
            "REMOTE_ADDR": self.client_address[0],
            "REQUEST_METHOD": self.command,
            "PATH_INFO": url.path,
            "QUERY_STRING": url.query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        p = subprocess.run(["git", "http-backend"], input=body, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        out = p.stdout
        ends = [(i, n) for i, n in ((out.find(b"\r\n\r\n"), 4), (out.find(b"\n\n"), 2)) if i >= 0]
        if not ends:
            err = p.stderr.decode(errors="replace").strip()
            self.reply(500, [("Content-Type", "text/plain")], b"http-backend failed\n",
                       url.path, user, f" (http-backend: {err})")
            return
        sep, skip = min(ends)
        status, headers = 200, []
        for line in out[:sep].decode("latin-1").splitlines():
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.strip().split()[0])
            elif k.lower() != "content-length":
                headers.append((k, v.strip()))
        payload = out[sep + skip:]
        if (args.stall_after is not None and self.command == "POST"
                and url.path.endswith("/git-upload-pack") and b"command=ls-refs" not in body
                and len(payload) > args.stall_after):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[:args.stall_after])
            self.wfile.flush()
            log(args, f"{self.command} {url.path} user={user} status={status} "
                      f"stalled after {args.stall_after} of {len(payload)} bytes")
            self.request.settimeout(None)
            FOREVER.wait()
            return
        self.reply(status, headers, payload, url.path, user)

    do_GET = handle_git
    do_POST = handle_git


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--user", action="append")
    ap.add_argument("--stall-after", type=int)
    args = ap.parse_args()
    if any(":" not in u for u in args.user or []):
        ap.error("--user is NAME:TOKEN")
    args.root = os.path.abspath(args.root)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    httpd.daemon_threads = True
    httpd.args = args
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{httpd.server_address[1]}\n")
    os.rename(tmp, args.port_file)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
