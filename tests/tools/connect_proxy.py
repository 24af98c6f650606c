#!/usr/bin/env python3
"""connect_proxy.py: an HTTP CONNECT proxy on 127.0.0.1, for the network tests only.

What Tor's HTTPTunnelPort or a corporate proxy offers: `CONNECT host:port HTTP/1.1`, a
"200 Connection established", then bytes relayed both ways untouched (TLS stays end to
end). Every other method gets 405. Python's standard library only.

  --port N          0 picks a free port; the port is written to --port-file
  --log FILE        one line per request: "CONNECT host:port ok" (or the failure)
"""
import argparse
import os
import select
import socket
import socketserver
import sys
import threading

LOG_LOCK = threading.Lock()


class Handler(socketserver.BaseRequestHandler):
    def log(self, line):
        with LOG_LOCK:
            with open(self.server.args.log, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def handle(self):
        c = self.request
        c.settimeout(30)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = c.recv(4096)
            if not chunk or len(head) > 65536:
                return
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        parts = head.split(b"\r\n")[0].decode("latin-1").split()
        if len(parts) != 3 or parts[0] != "CONNECT":
            self.log(f"refused {' '.join(parts)[:200]}")
            c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n"
                      b"Connection: close\r\n\r\n")
            return
        target = parts[1]
        host, _, port = target.rpartition(":")
        try:
            up = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        except (OSError, ValueError) as e:
            self.log(f"CONNECT {target} failed: {e}")
            c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        self.log(f"CONNECT {target} ok")
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if rest:
            up.sendall(rest)
        c.settimeout(None)
        up.settimeout(None)
        socks = [c, up]
        try:
            while True:
                r, _, _ = select.select(socks, [], [])
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    (up if s is c else c).sendall(data)
        except OSError:
            return
        finally:
            up.close()


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.args = args
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{srv.server_address[1]}\n")
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
