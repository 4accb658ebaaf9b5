"""What the NAT lab's phones, attacker and core saw, from their captures.

Each RTP packet a phone sent is matched by (SSRC, sequence number) with
what the other phone received, so losses and the gap around the move are
counted in packets, whatever the machine's speed.  The received audio is
judged by the tone the sender plays (PCMU, one Goertzel bin per 20 ms
packet).  Anything carrying the attacker's mark counts as injected.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

from nat_agent import ATTACK_MARK

RATE = 8000          # PCMU
TONE_SHARE = 0.5     # a packet "carries the tone" above this energy share
# A move's figures: packets sent from MOVE_BEFORE s before it to MOVE_AFTER
# s after it.  The tail of the call (the hangup) is left out.
MOVE_BEFORE, MOVE_AFTER, TAIL = 0.2, 1.0, 0.3


@dataclass
class Pkt:
    ts: float
    src_ip: str
    sport: int
    dst_ip: str
    dport: int
    payload: bytes

    @property
    def rtp(self) -> tuple[int, int, int] | None:
        """(ssrc, seq, payload type) of an RTP (not RTCP) packet."""
        p = self.payload
        if len(p) < 12 or p[0] >> 6 != 2 or 200 <= p[1] <= 204:
            return None
        seq, _ts, ssrc = struct.unpack(">HII", p[2:12])
        return ssrc, seq, p[1] & 0x7F

    def rtp_payload(self) -> bytes:
        p = self.payload
        off = 12 + 4 * (p[0] & 0x0F)
        if p[0] & 0x10 and len(p) >= off + 4:
            off += 4 + 4 * struct.unpack(">H", p[off + 2:off + 4])[0]
        end = len(p) - (p[-1] if p[0] & 0x20 and p else 0)
        return p[off:end]


def _ip(b: bytes) -> str:
    return ".".join(str(x) for x in b)


def _l3(linktype: int, pkt: bytes) -> bytes | None:
    if linktype == 1:
        return pkt[14:] if pkt[12:14] == b"\x08\x00" else None
    if linktype == 113:                 # Linux cooked v1
        return pkt[16:] if pkt[14:16] == b"\x08\x00" else None
    if linktype == 276:                 # Linux cooked v2
        return pkt[20:] if pkt[0:2] == b"\x08\x00" else None
    if linktype in (101, 228):
        return pkt
    return None


def read_udp(path: Path) -> list[Pkt]:
    """The IPv4 UDP packets of a libpcap file; a capture still being
    written is read up to its last whole record."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return []
    if len(data) < 24:
        return []
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") \
        else ">"
    nano = data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    out, off = [], 24
    for _ in range(5_000_000):
        if off + 16 > len(data):
            break
        sec, frac, incl, _orig = struct.unpack(endian + "IIII",
                                               data[off:off + 16])
        if off + 16 + incl > len(data):
            break
        raw = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ip = _l3(linktype, raw)
        if ip is None or len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        if struct.unpack(">H", ip[6:8])[0] & 0x1FFF:
            continue                    # a later fragment
        ihl = (ip[0] & 0x0F) * 4
        sport, dport, ulen = struct.unpack(">HHH", ip[ihl:ihl + 6])
        out.append(Pkt(sec + frac / (1e9 if nano else 1e6), _ip(ip[12:16]),
                       sport, _ip(ip[16:20]), dport,
                       ip[ihl + 8:ihl + ulen]))
    return out


def rtp_ssrcs(pkts: list[Pkt], src_ip: str) -> set[int]:
    return {p.rtp[0] for p in pkts if p.src_ip == src_ip and p.rtp}


def _ulaw(byte: int) -> int:
    u = ~byte & 0xFF
    t = ((u & 0x0F) << 3) + 0x84
    t <<= (u & 0x70) >> 4
    return (0x84 - t) if u & 0x80 else (t - 0x84)


_ULAW = [_ulaw(b) for b in range(256)]


def tone_share(payload: bytes, freq: float) -> float:
    """Share of a PCMU frame's energy at freq (1.0: a pure tone there)."""
    x = [_ULAW[b] for b in payload]
    n = len(x)
    energy = sum(v * v for v in x)
    if n < 40 or energy == 0:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * freq / RATE)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return min(1.0, 2 * power / (n * energy))


def _direction(sent: list[Pkt], got: list[Pkt], t_media: float,
               t_move: float, t_end: float, tone: int) -> dict:
    """Figures for one direction: what one phone sent and the other got."""
    delivered = {}
    foreign = injected = 0
    for p in got:
        r = p.rtp
        if ATTACK_MARK in p.payload:
            injected += 1
        if r:
            delivered.setdefault((r[0], r[1]), p)
    sent_keys = set()
    for p in sent:
        sent_keys.add(p.rtp[:2])
    foreign = sum(1 for k in delivered if k not in sent_keys)
    # Only the call's steady part: from media up to just before the hangup.
    window = [p for p in sent if t_media - 1 <= p.ts <= t_end - TAIL]
    before = [p for p in window if p.ts < t_move]
    after = [p for p in window if p.ts >= t_move]
    lost = [p for p in window if p.rtp[:2] not in delivered]
    around = [p for p in window
              if t_move - MOVE_BEFORE <= p.ts <= t_move + MOVE_AFTER]
    # The longest run of consecutive sent packets that never arrived.
    gap = run = 0
    for p in window:
        run = run + 1 if p.rtp[:2] not in delivered else 0
        gap = max(gap, run)
    # Packets sent after the move until delivery resumed for good: one
    # past the last loss within MOVE_AFTER s of the move (0 if none was
    # lost; None if nothing after that loss arrived).  A packet that
    # slipped through the old mapping before the flush took hold does
    # not count as resumed.
    first = [p for p in after if p.ts <= t_move + MOVE_AFTER]
    lost_at = [i for i, p in enumerate(first) if p.rtp[:2] not in delivered]
    resume = 0 if not lost_at else lost_at[-1] + 1
    if resume >= len(first):
        resume = None
    shares = [tone_share(delivered[p.rtp[:2]].rtp_payload(), tone)
              for p in after if p.rtp[:2] in delivered and p.rtp[2] == 0]
    return {
        "sent": len(window), "sent_before": len(before),
        "sent_after": len(after),
        "delivered": len(window) - len(lost),
        "delivered_before": sum(1 for p in before
                                if p.rtp[:2] in delivered),
        "delivered_after": sum(1 for p in after if p.rtp[:2] in delivered),
        "lost": len(lost),
        "lost_around_move": sum(1 for p in around
                                if p.rtp[:2] not in delivered),
        "max_gap_pkts": gap,
        "resume_pkts": resume,
        "foreign": foreign, "injected": injected,
        "tone_hz": tone,
        "tone_pkts_after": sum(1 for s in shares if s >= TONE_SHARE),
        "tone_median_share_after": sorted(shares)[len(shares) // 2]
        if shares else 0.0,
    }


def analyse(caller: Path, callee: Path, public: Path, attacker: Path,
            t_media: float, t_move: float, t_end: float, ips: dict,
            tones: dict) -> dict:
    a, b = read_udp(caller), read_udp(callee)
    relay = ips["relay"]

    def rtp(pkts, src, dst):
        return [p for p in pkts if p.src_ip == src and p.dst_ip == dst
                and p.rtp]
    a_tx, a_rx = rtp(a, ips["caller"], relay), rtp(a, relay, ips["caller"])
    b_tx, b_rx = rtp(b, ips["callee"], relay), rtp(b, relay, ips["callee"])
    pub = read_udp(public)
    uplinks = {}
    for name in ("uplink1", "uplink2"):
        ip = ips[name]
        uplinks[name] = {
            "to_relay_before": sum(1 for p in pub if p.src_ip == ip
                                   and p.rtp and p.ts < t_move),
            "to_relay_after": sum(1 for p in pub if p.src_ip == ip
                                  and p.rtp and p.ts >= t_move),
            "from_relay_before": sum(1 for p in pub if p.dst_ip == ip
                                     and p.rtp and p.ts < t_move),
            "from_relay_after": sum(1 for p in pub if p.dst_ip == ip
                                    and p.rtp and p.ts >= t_move),
            "ports_to_relay_after": sorted({p.sport for p in pub
                                            if p.src_ip == ip and p.rtp
                                            and p.ts >= t_move}),
        }
    att = read_udp(attacker)
    return {
        "t_move_s": round(t_move - t_media, 3),
        "t_end_s": round(t_end - t_media, 3),
        "uplink": _direction(a_tx, b_rx, t_media, t_move, t_end,
                             tones["caller"]),
        "downlink": _direction(b_tx, a_rx, t_media, t_move, t_end,
                               tones["callee"]),
        "public": uplinks,
        "attacker_captured": len(att),
        "attacker_captured_rtp": sum(1 for p in att if p.rtp),
        "phones_got_mark": sum(1 for p in a + b
                               if p.dst_ip in (ips["caller"], ips["callee"])
                               and ATTACK_MARK in p.payload),
    }


def summarise(res: dict) -> list[str]:
    """A few lines for a person (pytest's summary, the benchmark)."""
    lines = [f"relay {res['relay']}: move at {res.get('t_move_s')} s of "
             f"media, hangup at {res.get('t_end_s')} s ({res['workdir']})"]
    for name, label in (("uplink", "A->B (caller to callee)"),
                        ("downlink", "B->A (callee to caller)")):
        d = res.get(name)
        if not d:
            continue
        lines.append(
            f"  {label}: sent {d['sent_before']}+{d['sent_after']} "
            f"(before+after move), delivered {d['delivered_before']}+"
            f"{d['delivered_after']}, lost around move "
            f"{d['lost_around_move']}, longest gap {d['max_gap_pkts']} pkts, "
            f"resumed after {d['resume_pkts']} pkts, injected "
            f"{d['injected']}, tone {d['tone_hz']} Hz in "
            f"{d['tone_pkts_after']} pkts after move")
    for name, u in (res.get("public") or {}).items():
        lines.append(f"  {name}: to relay {u['to_relay_before']}/"
                     f"{u['to_relay_after']}, from relay "
                     f"{u['from_relay_before']}/{u['from_relay_after']} "
                     "(before/after move)")
    att = res.get("attack") or {}
    lines.append(f"  attacker: sent {att.get('sent')}, received "
                 f"{att.get('received')} (capture: "
                 f"{res.get('attacker_captured')} UDP); phones got "
                 f"{res.get('phones_got_mark')} marked packets")
    return lines
