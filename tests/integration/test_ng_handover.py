"""Handover over ng, side by side: a phone moves mid-call keeping its SSRC
and sequence, and an attacker sprays RTP with a guessed SSRC.

The measurement follows test_handover.py (packets, never milliseconds): how
many of the moved phone's packets were lost before the relay followed, how
many of the peer's packets still went to the old address, and how many
packets the attacker received (leaked) or got into the call (injected).
test_handover.py runs rtproam-sim over both protocols against rtproam; here
the phones are rtpp.Phone sockets driven packet by packet, so that the same
steps run against rtpengine too.
"""

import time

from ngrelay import NgCall, relayed
from rtpp import collect, parse_rtp, rtp_packet

from test_handover import SWITCH_PKTS

ROUNDS = 30


def interleave(a, a_dst, b, b_dst, rounds, extra=None):
    """Each round A sends one packet to a_dst and B one to b_dst; `extra`
    (a callable taking the round number) runs between them."""
    for i in range(rounds):
        a.send_rtp(a_dst)
        if extra:
            extra(i)
        b.send_rtp(b_dst)
        time.sleep(0.002)


def moved_phone(phones, old, ip):
    """A phone on `ip` that continues `old`'s stream: same SSRC, next
    sequence number and timestamp, its payloads counted with the old ones."""
    new = phones(ip, ssrc=old.ssrc, name="%s-moved" % old.name)
    new.seq, new.ts = old.seq, old.ts
    new.rtp_sent, new.sent_payloads = old.rtp_sent, old.sent_payloads
    return new


def test_same_ssrc_move_is_followed(relay, phones):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "move@ng", a, b)
    for _ in range(10):
        a.send_rtp(call.a_dst())
        b.send_rtp(call.b_dst())
    assert len(b.recv(10)) == 10 and len(a.recv(10)) == 10

    a2 = moved_phone(phones, a, "127.0.0.5")
    up, down = [], []
    for i in range(ROUNDS):
        a2.send_rtp(call.a_dst())
        got = collect(b.rtp, 1, 0.2)
        up.append(relayed(got, a2) == 1)
        b.send_rtp(call.b_dst())
        got = collect(a2.rtp, 1, 0.2)
        down.append(relayed(got, b) == 1)
    first_up = up.index(True) if True in up else None
    first_down = down.index(True) if True in down else None
    assert first_up is not None and first_up < SWITCH_PKTS, "uplink: %r" % up
    assert first_down is not None and first_down < SWITCH_PKTS + 1, "downlink: %r" % down
    assert all(up[first_up:]) and all(down[first_down:]), (up, down)
    # The old address gets at most what was sent before the switch.
    old_rtp, _ = a.drain()
    assert len(old_rtp) <= first_down, "%d packets went on to the old address" % len(old_rtp)


def test_same_ssrc_move_loses_nothing_uplink(relay, phones):
    # Issue 12 over ng: the first packets from the new address are evidence,
    # held and sent on when the move is confirmed. Everything the moved
    # phone sends reaches B, once and in order, and nothing of B's goes to
    # the new address before the move is confirmed (it was not yet proven).
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = NgCall(relay, "zeroloss@ng", a, b)
    for _ in range(10):
        a.send_rtp(call.a_dst())
        b.send_rtp(call.b_dst())
    assert len(b.recv(10)) == 10 and len(a.recv(10)) == 10

    a2 = moved_phone(phones, a, "127.0.0.5")
    first = a2.seq
    for _ in range(ROUNDS):
        a2.send_rtp(call.a_dst())
        b.send_rtp(call.b_dst())
        time.sleep(0.005)
    got = b.recv(ROUNDS, timeout=1.0)
    seqs = [parse_rtp(d)["seq"] for d, _ in got if parse_rtp(d)]
    assert seqs == [(first + i) & 0xffff for i in range(ROUNDS)], \
        "B received %r of A's moved stream" % seqs
    assert relayed(got, a2) == ROUNDS


# The attack runs right after set-up, while A and B talk. rtproam verifies
# sources (an SSRC alone is not evidence); rtpengine learns from whatever
# arrives in its first seconds, so the attacker takes over A's leg.
# (leaked, injected): rtpengine sent the attacker both directions of the
# call (30 + 30) and relayed all 30 of its packets toward B.
ATTACK_RESULT = {"rtproam": (0, 0), "rtpengine": (2 * ROUNDS, ROUNDS)}


def test_ssrc_guessing_attacker(relay, phones):
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    m = phones("127.0.0.66", name="M")
    call = NgCall(relay, "attack@ng", a, b)
    for _ in range(5):
        a.send_rtp(call.a_dst())
        b.send_rtp(call.b_dst())
    assert len(b.recv(5)) == 5 and len(a.recv(5)) == 5

    injected_payloads = []

    def spray(i):
        # A's SSRC, a guessed sequence far from A's, to both relay ports.
        for dst, seq in ((call.a_dst(), a.seq + 3000 + i), (call.b_dst(), b.seq + 3000 + i)):
            payload = b"attack#%d" % i
            injected_payloads.append(payload)
            m.rtp.sendto(rtp_packet(seq, i * 160, a.ssrc, payload), dst)

    interleave(a, call.a_dst(), b, call.b_dst(), ROUNDS, spray)
    got_b = b.recv(ROUNDS, timeout=0.5)
    got_a = a.recv(ROUNDS, timeout=0.5)
    leaked = len(m.drain()[0])
    injected = sum(1 for d, _ in got_a + got_b if d[12:] in injected_payloads)
    assert (leaked, injected) == relay.expect(ATTACK_RESULT), \
        "attacker leaked %d, injected %d" % (leaked, injected)
    if relay.kind == "rtproam":
        assert relayed(got_b, a) == ROUNDS and relayed(got_a, b) == ROUNDS, \
            "the call lost packets under attack"
