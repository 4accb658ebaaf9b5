"""Test-side client for the rtpengine "ng" control protocol.

- bencode: encode() and decode() for the four bencode types.  Byte strings
  come back as str, decoded as UTF-8 with surrogateescape, so any byte
  sequence survives a decode/encode round trip unchanged (SDP is ASCII in
  practice, but a relay under test may send anything).
- split_message(): a datagram's cookie and document (docs/ng-protocol.md
  1.1: the cookie is every byte before the first space).
- NgClient: one UDP socket, one request at a time, cookie matched, resent
  with the same cookie (as Kamailio does) a bounded number of times.

Shared by the integration and end-to-end tiers; no third-party modules.
"""

from __future__ import annotations

import os
import socket
import threading
import time

_ENC = "utf-8"
_ERRORS = "surrogateescape"


class BencodeError(ValueError):
    pass


# --------------------------------------------------------------- encoding


def _to_bytes(s: str | bytes) -> bytes:
    return s if isinstance(s, bytes) else s.encode(_ENC, _ERRORS)


def _encode_into(value, out: list[bytes]) -> None:
    # bool is an int subclass; bencode has no booleans, so refuse it rather
    # than silently sending i1e.
    if isinstance(value, bool):
        raise BencodeError("bencode has no boolean type")
    if isinstance(value, int):
        out.append(b"i%de" % value)
    elif isinstance(value, (str, bytes, bytearray)):
        raw = bytes(value) if isinstance(value, bytearray) else \
            _to_bytes(value)
        out.append(b"%d:" % len(raw))
        out.append(raw)
    elif isinstance(value, (list, tuple)):
        out.append(b"l")
        for item in value:
            _encode_into(item, out)
        out.append(b"e")
    elif isinstance(value, dict):
        # Insertion order is kept: the protocol does not sort keys, and a
        # test may want to send them in Kamailio's order.
        out.append(b"d")
        for key, item in value.items():
            if not isinstance(key, (str, bytes)):
                raise BencodeError(f"dictionary key {key!r} is not a string")
            _encode_into(key, out)
            _encode_into(item, out)
        out.append(b"e")
    else:
        raise BencodeError(f"cannot bencode {type(value).__name__}")


def encode(value) -> bytes:
    out: list[bytes] = []
    _encode_into(value, out)
    return b"".join(out)


# --------------------------------------------------------------- decoding


def _decode_at(buf: bytes, pos: int, depth: int):
    if depth > 64:
        raise BencodeError("nesting deeper than 64")
    if pos >= len(buf):
        raise BencodeError(f"truncated at {pos}")
    lead = buf[pos:pos + 1]
    if lead == b"i":
        end = buf.find(b"e", pos + 1)
        if end < 0:
            raise BencodeError(f"unterminated integer at {pos}")
        digits = buf[pos + 1:end]
        neg = digits.startswith(b"-")
        body = digits[1:] if neg else digits
        if not body.isdigit() or (len(body) > 1 and body[:1] == b"0") \
                or (neg and body == b"0"):
            raise BencodeError(f"bad integer {digits!r} at {pos}")
        return int(digits), end + 1
    if lead.isdigit():
        colon = buf.find(b":", pos)
        if colon < 0 or not buf[pos:colon].isdigit():
            raise BencodeError(f"bad string length at {pos}")
        length = int(buf[pos:colon])
        start = colon + 1
        if start + length > len(buf):
            raise BencodeError(f"string of {length} bytes runs past the end")
        return buf[start:start + length].decode(_ENC, _ERRORS), \
            start + length
    if lead == b"l":
        items = []
        pos += 1
        while buf[pos:pos + 1] != b"e":
            item, pos = _decode_at(buf, pos, depth + 1)
            items.append(item)
        return items, pos + 1
    if lead == b"d":
        d = {}
        pos += 1
        while buf[pos:pos + 1] != b"e":
            if not buf[pos:pos + 1].isdigit():
                raise BencodeError(f"dictionary key at {pos} is not a string")
            key, pos = _decode_at(buf, pos, depth + 1)
            d[key], pos = _decode_at(buf, pos, depth + 1)
        return d, pos + 1
    raise BencodeError(f"unexpected byte {lead!r} at {pos}")


def decode(buf: bytes):
    """One bencoded value that fills buf exactly."""
    value, end = _decode_at(bytes(buf), 0, 0)
    if end != len(buf):
        raise BencodeError(f"{len(buf) - end} bytes after the value")
    return value


def decode_prefix(buf: bytes):
    """(value, bytes used): for a stream that holds several messages."""
    return _decode_at(bytes(buf), 0, 0)


# --------------------------------------------------------------- framing


def split_message(datagram: bytes) -> tuple[bytes, bytes] | None:
    """(cookie, document) of one ng datagram, or None without a space."""
    cookie, sep, doc = bytes(datagram).partition(b" ")
    if not sep:
        return None
    return cookie, doc


def parse_message(datagram: bytes) -> tuple[str, dict | None]:
    """(cookie, dictionary) of one datagram; the dictionary is None when the
    document is not a bencoded dictionary (so a transcript can still show
    the cookie of a malformed message)."""
    parts = split_message(datagram)
    if parts is None:
        return "", None
    cookie, doc = parts
    try:
        value = decode(doc)
    except BencodeError:
        return cookie.decode(_ENC, _ERRORS), None
    return cookie.decode(_ENC, _ERRORS), value if isinstance(value, dict) \
        else None


# --------------------------------------------------------------- client


_seq = 0
_seq_lock = threading.Lock()


def new_cookie(prefix: str = "t") -> str:
    global _seq
    with _seq_lock:
        _seq += 1
        return f"{prefix}{os.getpid()}_{_seq}"


class NgClient:
    """ng over UDP from one connected socket, like Kamailio's."""

    def __init__(self, addr: tuple[str, int], timeout: float = 1.0,
                 tries: int = 3):
        self.addr = addr
        self.timeout = timeout
        self.tries = tries
        fam = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.connect(addr)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def request(self, message: dict, cookie: str | None = None) -> dict | None:
        """Send message, return the reply dictionary, or None when no reply
        with our cookie came within tries x timeout seconds.  Resends keep
        the cookie, so a relay with a reply cache executes it once."""
        cookie = cookie or new_cookie()
        payload = cookie.encode() + b" " + encode(message)
        want = cookie.encode() + b" "
        for _ in range(self.tries):
            try:
                self.sock.send(payload)
            except OSError:
                return None
            deadline = time.monotonic() + self.timeout
            for _ in range(64):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                try:
                    data = self.sock.recv(65535)
                except (socket.timeout, ConnectionRefusedError):
                    break
                if data.startswith(want):
                    reply = decode(data[len(want):])
                    if not isinstance(reply, dict):
                        raise BencodeError(f"reply is not a dictionary: "
                                           f"{data[:80]!r}")
                    return reply
        return None

    def command(self, name: str, **keys) -> dict | None:
        """request() with command=name; keyword arguments use _ for -."""
        msg = {k.replace("_", "-"): v for k, v in keys.items()}
        msg["command"] = name
        return self.request(msg)


def ng_request(addr: tuple[str, int], message: dict, timeout: float = 1.0,
               tries: int = 3) -> dict | None:
    """One request on a fresh socket."""
    with NgClient(addr, timeout, tries) as c:
        return c.request(message)
