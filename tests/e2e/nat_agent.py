"""Small jobs run *inside* a network namespace of the NAT lab (nat_lab.py):

    python3 nat_agent.py ctrl PORT COMMAND [PARAMS]   baresip ctrl_tcp, once
    python3 nat_agent.py rtpp IP PORT COMMAND         rtpproxy command, once
    python3 nat_agent.py sipping SRC_IP IP PORT       one SIP OPTIONS
    python3 nat_agent.py attack CONFIG.json           the attacker

The test process lives in the root namespace and cannot open sockets in the
lab's namespaces, so it runs these through `ip netns exec`.  Each job is
bounded in time and packets and prints one JSON line.
"""

from __future__ import annotations

import json
import os
import random
import selectors
import socket
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_helpers import rtpp_command, sip_ping  # noqa: E402

# Every attacker datagram carries this after the RTP header, so whatever
# reaches a phone can be recognised as injected.
ATTACK_MARK = b"RTPROAM-E2E-ATTACK"


def ctrl(port: int, command: str, params: str = "") -> dict:
    """One baresip ctrl_tcp command (JSON in a netstring); its response."""
    body = json.dumps({"command": command, "params": params,
                       "token": f"e2e{os.getpid()}"}).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        s.sendall(b"%d:%s," % (len(body), body))
        buf = b""
        deadline = time.monotonic() + 3
        # Events (call progress) may arrive first: read until a response.
        for _ in range(64):
            if time.monotonic() > deadline:
                break
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            for _ in range(64):
                head, sep, rest = buf.partition(b":")
                if not sep or not head.isdigit() or len(rest) < int(head) + 1:
                    break
                msg = json.loads(rest[:int(head)])
                buf = rest[int(head) + 1:]
                if msg.get("response"):
                    return msg
    return {"response": False, "ok": False, "data": "no response"}


def attack(cfg: dict) -> dict:
    """Spray RTP at every port of the relay's range from several local
    ports: random SSRCs and the call's real SSRCs (as a guesser who got
    them right would), each (socket, port, SSRC) stream with consecutive
    sequence numbers, so that nothing short of real evidence tells it
    from a phone.  Count every datagram that comes back."""
    rng = random.Random(cfg.get("seed", 1))
    socks = []
    for _ in range(cfg.get("sources", 4)):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((cfg["ip"], 0))
        s.setblocking(False)
        socks.append(s)
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    ports = list(range(cfg["port_min"], cfg["port_max"] + 1))
    ssrc_file = Path(cfg["ssrc_file"]) if cfg.get("ssrc_file") else None
    guessed: list[int] = []
    seqs: dict[tuple[int, int, int], int] = {}
    pps = cfg.get("pps", 1000)
    t_end = time.monotonic() + cfg["duration"]
    sent = received = 0
    received_from: dict[str, int] = {}
    send_errors = 0
    i = 0
    next_send = time.monotonic()
    for _ in range(int(cfg["duration"] * pps * 4) + 1000):
        now = time.monotonic()
        if now >= t_end:
            break
        if ssrc_file is not None and not guessed and i % 50 == 0:
            try:
                guessed = [int(x, 0) for x in ssrc_file.read_text().split()]
            except (OSError, ValueError):
                guessed = []
        # Send the packets that are due, then wait for replies until the
        # next one is.
        while next_send <= now and sent < cfg["duration"] * pps * 2:
            si = i % len(socks)
            port = ports[(i // len(socks)) % len(ports)]
            pool = guessed + [rng.getrandbits(32)]
            ssrc = pool[(i // (len(socks) * len(ports))) % len(pool)]
            key = (si, port, ssrc)
            seq = seqs.get(key, rng.getrandbits(16))
            seqs[key] = (seq + 1) & 0xFFFF
            hdr = struct.pack(">BBHII", 0x80, 0, seq, (seq * 160) & 0xFFFFFFFF,
                              ssrc)
            payload = ATTACK_MARK + bytes(160 - len(ATTACK_MARK))
            try:
                socks[si].sendto(hdr + payload, (cfg["relay_ip"], port))
                sent += 1
            except OSError:
                send_errors += 1
            i += 1
            next_send += 1.0 / pps
        for key, _ in sel.select(timeout=max(0.0, next_send - time.monotonic())):
            for _ in range(256):
                try:
                    _data, src = key.fileobj.recvfrom(65535)
                except (BlockingIOError, InterruptedError, OSError):
                    break
                received += 1
                name = f"{src[0]}:{src[1]}"
                received_from[name] = received_from.get(name, 0) + 1
    sel.close()
    for s in socks:
        s.close()
    return {"sent": sent, "received": received, "send_errors": send_errors,
            "received_from": received_from, "guessed_ssrcs": guessed,
            "ports": len(ports), "sources": len(socks)}


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    job = argv[1]
    if job == "ctrl":
        out = ctrl(int(argv[2]), argv[3], argv[4] if len(argv) > 4 else "")
    elif job == "rtpp":
        out = {"reply": rtpp_command((argv[2], int(argv[3])), argv[4],
                                     timeout=0.3, tries=2)}
    elif job == "sipping":
        out = {"reply": sip_ping(argv[2], argv[3], int(argv[4]))}
    elif job == "attack":
        out = attack(json.loads(Path(argv[2]).read_text()))
    else:
        print(f"nat_agent: unknown job {job!r}", file=sys.stderr)
        return 2
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
