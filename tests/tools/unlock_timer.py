#!/usr/bin/env python3
"""Time one unlock request at vigild's socket (agent/PROTOCOL.md).

Usage: unlock_timer.py SOCKET, with the passphrase's base64 on standard input (never in
argv). Prints the seconds from sending the request to receiving the reply, and whether
the reply was ok. The clock starts after the connection is made and stops at the reply
line, so what it measures is the daemon's answer alone: the interpreter's start-up and a
client's (tens of milliseconds under AddressSanitizer, and as noisy) stay outside it.
"""
import json
import socket
import sys
import time


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: unlock_timer.py SOCKET < passphrase-base64")
    b64 = sys.stdin.readline().strip()
    request = json.dumps({"cmd": "unlock", "passphrase": b64}, separators=(",", ":"))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    data = (request + "\n").encode()
    buf = b""
    t0 = time.perf_counter()
    s.sendall(data)
    while True:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("the daemon closed the connection before its reply")
        buf += chunk
        # Progress messages come first; the reply is the last line.
        lines = buf.split(b"\n")
        done = [json.loads(l) for l in lines[:-1] if l]
        replies = [m for m in done if m.get("type") == "reply"]
        if replies:
            t1 = time.perf_counter()
            break
    s.close()
    print("%.6f %s" % (t1 - t0, "ok" if replies[0].get("ok") else replies[0].get("code")))


if __name__ == "__main__":
    main()
