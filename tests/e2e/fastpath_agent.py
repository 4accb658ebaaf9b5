"""The phones of the fast-path lab (test_fastpath.py), run *inside* the
phones' network namespace: `python3 fastpath_agent.py CONFIG.json`.

Phone A and phone B each send one RTP stream to their relay port at a
steady rate and count what reaches them; A may move to a new address
mid-stream (same SSRC, sequence continued: strong evidence for the latch);
attackers send towards A's relay port from their own address, with an SSRC
and sequence numbers of their choosing, marked so that anything of theirs
reaching B is recognised. Bounded in packets and
time; prints one JSON line.
"""

from __future__ import annotations

import json
import selectors
import socket
import struct
import sys
import time

ATTACK_MARK = b"RTPROAM-FASTPATH-ATTACK"
PAYLOAD = 160


def rtp(seq: int, ts: int, ssrc: int, body: bytes = b"") -> bytes:
    head = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
    return head + body + b"\x00" * (PAYLOAD - len(body))


def bound(ip: str, port: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    s.setblocking(False)
    return s


def main(path: str) -> int:
    cfg = json.loads(open(path).read())
    relay = cfg["relay_ip"]
    a = bound(cfg["a_ip"], cfg["a_port"])
    b = bound(cfg["b_ip"], cfg["b_port"])
    moved = bound(cfg["move_ip"], cfg["a_port"]) if cfg.get("move_ip") else None
    attackers = [(bound(x["ip"], x["port"]), x) for x in cfg.get("attackers", [])]
    sel = selectors.DefaultSelector()
    receivers = {"a": a, "b": b}
    if moved:
        receivers["a_moved"] = moved
    for name, s in receivers.items():
        sel.register(s, selectors.EVENT_READ, name)
    got = {name: 0 for name in receivers}
    attack_at_b = 0
    ssrc_a, ssrc_b = cfg["ssrc_a"], cfg["ssrc_b"]
    seq0 = cfg.get("seq0", 1000)
    interval = 1.0 / cfg.get("pps", 50)
    count = cfg["count"]
    move_at = cfg.get("move_at", count + 1)
    sent = {"a": 0, "b": 0, "attack": 0}
    start = time.monotonic()

    def drain(until: float) -> None:
        """Receive until the monotonic time `until` (the next send)."""
        for _ in range(1000):
            left = until - time.monotonic()
            if left <= 0:
                return
            receive(left)

    def receive(wait: float) -> None:
        nonlocal attack_at_b
        for key, _ in sel.select(timeout=wait):
            for _ in range(64):
                try:
                    data = key.fileobj.recv(2048)
                except BlockingIOError:
                    break
                got[key.data] += 1
                if key.data == "b" and ATTACK_MARK in data:
                    attack_at_b += 1

    for i in range(count):
        seq, ts = seq0 + i, 160 * i
        src_a = moved if (moved and i >= move_at) else a
        src_a.sendto(rtp(seq, ts, ssrc_a), (relay, cfg["relay_a"]))
        b.sendto(rtp(seq, ts, ssrc_b), (relay, cfg["relay_b"]))
        sent["a"] += 1
        sent["b"] += 1
        for s, x in attackers:
            if x["from"] <= i < x["from"] + x["count"]:
                ssrc = ssrc_a if x["same_ssrc"] else x["ssrc"]
                s.sendto(rtp(seq + x["seq_offset"], ts, ssrc, ATTACK_MARK),
                         (relay, cfg["relay_a"]))
                sent["attack"] += 1
        drain(start + (i + 1) * interval)
    # Stragglers in flight: a bounded wait.
    drain(time.monotonic() + 0.5)
    print(json.dumps({"sent": sent, "got": got, "attack_at_b": attack_at_b}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
