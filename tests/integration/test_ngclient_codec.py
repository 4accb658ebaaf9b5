"""The test side's bencode codec (tests/ngclient.py), one row per case.
Pure Python: no daemon.  The wire examples are the ones in
docs/ng-protocol.md (Kamailio's ping, rtpengine's offer reply order)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ngclient import (BencodeError, decode, encode,  # noqa: E402
                      parse_message, split_message)

ROUND_TRIP = [
    ("zero", 0, b"i0e"),
    ("negative", -42, b"i-42e"),
    ("port", 38000, b"i38000e"),
    ("empty string", "", b"0:"),
    ("address", "127.0.0.1", b"9:127.0.0.1"),
    ("CRLF and NUL kept", "a\r\n\x00b", b"5:a\r\n\x00b"),
    ("non-UTF-8 byte survives", b"\xff".decode("utf-8", "surrogateescape"),
     b"1:\xff"),
    ("list", ["origin", "session-connection"],
     b"l6:origin18:session-connectione"),
    ("ping, Kamailio", {"command": "ping"}, b"d7:command4:pinge"),
    ("key order kept", {"sdp": "v=0", "result": "ok"},
     b"d3:sdp3:v=06:result2:oke"),
    ("nested", {"totals": {"RTP": {"packets": 50, "bytes": 8600}}},
     b"d6:totalsd3:RTPd7:packetsi50e5:bytesi8600eeee"),
    ("empty dict and list", {"SSRC": {}, "flags": []},
     b"d4:SSRCde5:flagslee"),
]


@pytest.mark.parametrize("name,value,wire", ROUND_TRIP,
                         ids=[r[0] for r in ROUND_TRIP])
def test_round_trip(name, value, wire):
    assert encode(value) == wire
    assert decode(wire) == value


MALFORMED = [
    ("leading zero", b"i03e"),
    ("minus zero", b"i-0e"),
    ("empty integer", b"ie"),
    ("unterminated integer", b"i12"),
    ("string past the end", b"5:abc"),
    ("dict without end", b"d7:command4:ping"),
    ("integer key", b"di1e1:ae"),
    ("trailing bytes", b"i1ei2e"),
    ("unknown type", b"x"),
    ("empty", b""),
]


@pytest.mark.parametrize("name,wire", MALFORMED, ids=[r[0] for r in MALFORMED])
def test_malformed(name, wire):
    with pytest.raises(BencodeError):
        decode(wire)


@pytest.mark.parametrize("value", [True, 1.5, None, {1: "a"}],
                         ids=["bool", "float", "None", "int key"])
def test_not_encodable(value):
    with pytest.raises(BencodeError):
        encode(value)


FRAMES = [
    ("ping", b"0_16685_0 d7:command4:pinge", ("0_16685_0", {"command": "ping"})),
    ("cookie is up to the first space", b"c1 d6:result2:oke",
     ("c1", {"result": "ok"})),
    ("no space: no cookie", b"nocookie", ("", None)),
    ("not a dictionary", b"c6 i42e", ("c6", None)),
    ("two spaces", b"c7  d6:result2:oke", ("c7", None)),
]


@pytest.mark.parametrize("name,datagram,want", FRAMES,
                         ids=[r[0] for r in FRAMES])
def test_parse_message(name, datagram, want):
    assert parse_message(datagram) == want


def test_split_message_keeps_document_bytes():
    assert split_message(b"ck d1:a1:be") == (b"ck", b"d1:a1:be")
    assert split_message(b"nospace") is None
