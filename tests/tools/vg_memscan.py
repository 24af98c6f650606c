#!/usr/bin/env python3
"""vg_memscan.py: search a live process's memory for given byte strings (tests only).

Reads every writable mapping of PID (heap, stacks, anonymous and sodium_malloc pages,
.data/.bss of the program and its libraries) through /proc/PID/maps and /proc/PID/mem,
the way a debugger or an attacker with ptrace rights would, and reports which needles it
found. Reading another process's memory needs ptrace rights over it: root with
CAP_SYS_PTRACE for a non-dumpable process.

  vg_memscan.py PID NEEDLES        NEEDLES: lines "NAME HEX" (at least 8 bytes each)
  --all                            every readable mapping, not only writable ones

A mapping larger than 1 GiB is skipped and counted ("skipped"): the sanitizers reserve
terabytes of shadow memory as writable mappings, which no reader can walk; a program's
own data is never there.

Prints one JSON object: {"pid", "regions", "bytes", "unreadable", "skipped", "found": {NAME: [address
in hex, ...]}, "missing": [NAME, ...]}. Exits 0, or 1 when nothing could be read (no
rights, the process is gone): a scan that read nothing proves nothing.
"""
import json
import sys


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    every = "--all" in sys.argv[1:]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    pid, path = int(args[0]), args[1]
    needles = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            if not line.strip():
                continue
            name, hexv = line.split()
            b = bytes.fromhex(hexv)
            if len(b) < 8:
                print(f"vg_memscan: needle {name} is shorter than 8 bytes", file=sys.stderr)
                return 2
            needles[name] = b
    longest = max((len(b) for b in needles.values()), default=1)
    found = {n: [] for n in needles}
    regions = nbytes = unreadable = skipped = 0
    try:
        maps = open(f"/proc/{pid}/maps", encoding="ascii").read().splitlines()
        mem = open(f"/proc/{pid}/mem", "rb", buffering=0)
    except OSError as e:
        print(json.dumps({"pid": pid, "error": str(e)}))
        return 1
    with mem:
        for line in maps:
            f = line.split()
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            perms = f[1]
            name = f[5] if len(f) > 5 else ""
            if perms[0] != "r" or name in ("[vvar]", "[vsyscall]"):
                continue
            if not every and perms[1] != "w":
                continue
            if hi - lo > 1 << 30:
                skipped += 1
                continue
            # In steps, with an overlap so a needle across a step boundary is found.
            step = 1 << 22
            addr, tail, ok = lo, b"", False
            while addr < hi:
                n = min(step, hi - addr)
                try:
                    mem.seek(addr)
                    chunk = mem.read(n)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                ok = True
                nbytes += len(chunk)
                data = tail + chunk
                base = addr - len(tail)
                for k, b in needles.items():
                    i = data.find(b)
                    while i >= 0:
                        a = base + i
                        if hex(a) not in found[k]:
                            found[k].append(hex(a))
                        i = data.find(b, i + 1)
                tail = data[-(longest - 1):] if longest > 1 else b""
                addr += len(chunk)
            if ok:
                regions += 1
            else:
                unreadable += 1
    out = {
        "pid": pid,
        "regions": regions,
        "bytes": nbytes,
        "unreadable": unreadable,
        "skipped": skipped,
        "found": {k: v for k, v in found.items() if v},
        "missing": [k for k, v in found.items() if not v],
    }
    print(json.dumps(out))
    return 0 if nbytes > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
