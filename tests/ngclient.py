"""A small client for rtpengine's "ng" control protocol, for tests.

- bencode: `bencode(obj)` / `bdecode(data)`. Byte strings decode to `str`
  (UTF-8 with surrogateescape), so `bencode(bdecode(x)) == x` byte for byte
  for any valid input, whatever the key order; dictionaries keep the order
  they were written in.
- NgClient: one UDP socket talking to one relay. Requests are
  `COOKIE SP DOCUMENT` (bencode, or JSON on request); replies are matched by
  cookie. `request()` resends the *same* datagram (same cookie) when no reply
  comes, as Kamailio does; `send_raw()` / `recv_raw()` give full control for
  malformed-input tests.
- SDP: `make_sdp()` builds the offers and answers a SIP phone sends;
  `parse_sdp()` reads what a relay wrote back (`c=`, `m=`, `a=rtcp`,
  `a=rtcp-mux`, direction, ICE lines) per media section.

Every wait is bounded in count and in time.
"""

import json
import random
import socket
import time

# ---------------------------------------------------------------- bencode


class BencodeError(ValueError):
    pass


def _b(s):
    if isinstance(s, bytes):
        return s
    return s.encode("utf-8", "surrogateescape")


def bencode(obj):
    """Python value -> bencode bytes. dict keys are written in the dict's own
    order (ng does not require sorted keys). bool is refused: ng has none."""
    out = bytearray()
    _enc(obj, out)
    return bytes(out)


def _enc(obj, out):
    if isinstance(obj, bool):
        raise BencodeError("bencode has no booleans")
    if isinstance(obj, int):
        out += b"i%de" % obj
    elif isinstance(obj, (str, bytes, bytearray)):
        raw = _b(bytes(obj) if isinstance(obj, bytearray) else obj)
        out += b"%d:" % len(raw) + raw
    elif isinstance(obj, (list, tuple)):
        out += b"l"
        for v in obj:
            _enc(v, out)
        out += b"e"
    elif isinstance(obj, dict):
        out += b"d"
        for k, v in obj.items():
            if not isinstance(k, (str, bytes)):
                raise BencodeError("dictionary key %r is not a string" % (k,))
            _enc(k, out)
            _enc(v, out)
        out += b"e"
    else:
        raise BencodeError("cannot bencode %r" % type(obj))


def bdecode(data):
    """bencode bytes -> Python value. The whole input must be one value."""
    data = bytes(data)
    val, end = _dec(data, 0, 0)
    if end != len(data):
        raise BencodeError("%d trailing bytes after the value" % (len(data) - end))
    return val


def _dec(data, i, depth):
    if depth > 100:
        raise BencodeError("nested too deep")
    if i >= len(data):
        raise BencodeError("truncated at %d" % i)
    c = data[i:i + 1]
    if c == b"i":
        end = data.find(b"e", i)
        txt = data[i + 1:end] if end > 0 else b""
        if not txt or txt == b"-0" or (txt.lstrip(b"-").startswith(b"0") and txt.lstrip(b"-") != b"0"):
            raise BencodeError("bad integer %r" % txt)
        try:
            return int(txt), end + 1
        except ValueError:
            raise BencodeError("bad integer %r" % txt) from None
    if c.isdigit():
        colon = data.find(b":", i)
        if colon < 0 or not data[i:colon].isdigit():
            raise BencodeError("bad string length at %d" % i)
        n = int(data[i:colon])
        s = data[colon + 1:colon + 1 + n]
        if len(s) != n:
            raise BencodeError("string of %d bytes truncated" % n)
        return s.decode("utf-8", "surrogateescape"), colon + 1 + n
    if c == b"l":
        out, i = [], i + 1
        while data[i:i + 1] != b"e":
            v, i = _dec(data, i, depth + 1)
            out.append(v)
        return out, i + 1
    if c == b"d":
        out, i = {}, i + 1
        while data[i:i + 1] != b"e":
            k, i = _dec(data, i, depth + 1)
            if not isinstance(k, str):
                raise BencodeError("dictionary key is not a string")
            v, i = _dec(data, i, depth + 1)
            out[k] = v
        return out, i + 1
    raise BencodeError("unexpected byte %r at %d" % (c, i))


# ---------------------------------------------------------------- client


class NgError(AssertionError):
    pass


_SEQ = [0]


def new_cookie():
    _SEQ[0] += 1
    return "%08x_%d" % (random.getrandbits(32), _SEQ[0])


def _family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class NgClient:
    """ng over UDP. `timeout` per try, `tries` sends of the same datagram."""

    def __init__(self, host, port, timeout=1.0, tries=3, bind="127.0.0.1"):
        self.addr = (host, port)
        self.timeout = timeout
        self.tries = tries
        self.sock = socket.socket(_family(host), socket.SOCK_DGRAM)
        self.sock.bind(("::1" if ":" in host else bind, 0))
        self.sent = 0

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def command(self, command, **keys):
        """As cmd(), but None when no reply came (for readiness polls)."""
        try:
            return self.cmd(command, **keys)
        except NgError:
            return None

    def drain(self):
        self.sock.setblocking(False)
        try:
            for _ in range(1000):
                self.sock.recv(70000)
        except (BlockingIOError, ConnectionRefusedError):
            pass
        finally:
            self.sock.setblocking(True)

    def send_raw(self, datagram):
        self.sock.sendto(datagram, self.addr)
        self.sent += 1

    def recv_raw(self, cookie=None, timeout=None):
        """The next datagram (whose cookie is `cookie`, if given), or None."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        for _ in range(200):
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(70000)
            except socket.timeout:
                return None
            except ConnectionRefusedError:
                return None
            if cookie is None or data.split(b" ", 1)[0] == _b(cookie):
                return data
        return None

    def exchange_raw(self, datagram, cookie=None, tries=None, timeout=None):
        """Send `datagram` (resending it identically) until a reply with
        `cookie` (default: the bytes before the first space) arrives."""
        if cookie is None:
            cookie = datagram.split(b" ", 1)[0]
        self.drain()
        for _ in range(self.tries if tries is None else tries):
            self.send_raw(datagram)
            raw = self.recv_raw(cookie, timeout)
            if raw is not None:
                return raw
        return None

    @staticmethod
    def encode(msg, as_json=False, cookie=None):
        body = json.dumps(msg).encode() if as_json else bencode(msg)
        return _b(cookie or new_cookie()) + b" " + body

    @staticmethod
    def decode_reply(raw, cookie):
        prefix = _b(cookie) + b" "
        if not raw.startswith(prefix):
            raise NgError("reply %r does not start with cookie %r" % (raw[:60], prefix))
        body = raw[len(prefix):]
        if body[:1] == b"{":
            return json.loads(body)
        return bdecode(body)

    def request(self, msg, cookie=None, as_json=False, tries=None, timeout=None):
        """Send one command (a dict); return the decoded reply dict."""
        cookie = cookie or new_cookie()
        raw = self.exchange_raw(self.encode(msg, as_json, cookie), _b(cookie), tries, timeout)
        if raw is None:
            raise NgError("no reply to %r after %d tries" % (msg.get("command"), self.tries))
        return self.decode_reply(raw, cookie)

    __call__ = request

    def ok(self, command, **keys):
        """Run a command given as keyword arguments (underscores become
        hyphens) and assert result ok/pong; returns the reply."""
        msg = {k.replace("_", "-"): v for k, v in keys.items()}
        msg["command"] = command
        rep = self.request(msg)
        want = "pong" if command == "ping" else "ok"
        if rep.get("result") != want:
            raise NgError("%s answered %r" % (command, rep))
        return rep

    def cmd(self, command, **keys):
        """As ok() but returns the reply whatever its result."""
        msg = {k.replace("_", "-"): v for k, v in keys.items()}
        msg["command"] = command
        return self.request(msg)


# ---------------------------------------------------------------- SDP


def make_sdp(ip, medias, sess_id=None, version=1, session_c=True, media_c=False,
             direction=None, extra_session=(), user="-"):
    """An SDP body as a phone sends it (CRLF).

    medias: list of dicts with keys `type` (audio), `port`, `proto`
    (RTP/AVP), `fmts` ([0, 8, 101]), `attrs` (extra a= lines, without
    "a="), `direction`, `rtcp` (port for a=rtcp), `mux` (a=rtcp-mux),
    `ice` (True: ufrag/pwd and a host candidate), `c` (media-level address).
    """
    fam = "IP6" if ":" in ip else "IP4"
    sid = sess_id if sess_id is not None else random.randrange(1000, 10 ** 9)
    lines = ["v=0", "o=%s %d %d IN %s %s" % (user, sid, version, fam, ip), "s=-"]
    if session_c:
        lines.append("c=IN %s %s" % (fam, ip))
    lines.append("t=0 0")
    lines += ["a=" + a for a in extra_session]
    for m in medias:
        mtype = m.get("type", "audio")
        fmts = m.get("fmts", [0, 8, 101] if mtype == "audio" else [96])
        lines.append("m=%s %d %s %s" % (mtype, m["port"], m.get("proto", "RTP/AVP"),
                                        " ".join(str(f) for f in fmts)))
        mc = m.get("c") or (ip if media_c else None)
        if mc:
            lines.append("c=IN %s %s" % ("IP6" if ":" in mc else "IP4", mc))
        for f in fmts:
            name = {0: "PCMU/8000", 8: "PCMA/8000", 101: "telephone-event/8000",
                    96: "H264/90000" if mtype == "video" else "opus/48000/2"}.get(f)
            if name and f >= 96:
                lines.append("a=rtpmap:%d %s" % (f, name))
        lines += ["a=" + a for a in m.get("attrs", ())]
        if m.get("rtcp"):
            lines.append("a=rtcp:%d" % m["rtcp"])
        if m.get("mux"):
            lines.append("a=rtcp-mux")
        if m.get("ice"):
            lines += ["a=ice-ufrag:Ab12", "a=ice-pwd:abcdefghijklmnopqrstuv",
                      "a=candidate:1 1 UDP 2130706431 %s %d typ host" % (ip, m["port"]),
                      "a=candidate:1 2 UDP 2130706430 %s %d typ host" % (ip, m["port"] + 1)]
        d = m.get("direction", direction)
        if d:
            lines.append("a=" + d)
    return "\r\n".join(lines) + "\r\n"


def audio_sdp(ip, port, **kw):
    """The common case: one audio line (PCMU, PCMA, DTMF)."""
    media = {"port": port}
    for k in ("direction", "rtcp", "mux", "ice", "attrs", "proto", "fmts", "c"):
        if k in kw:
            media[k] = kw.pop(k)
    return make_sdp(ip, [media], **kw)


class Media:
    """One m= section of a parsed SDP."""

    def __init__(self, mline, session_c):
        parts = mline.split()
        self.type = parts[0]
        port = parts[1].split("/")
        self.port = int(port[0])
        self.nports = int(port[1]) if len(port) > 1 else 1
        self.proto = parts[2]
        self.fmts = parts[3:]
        self.c = None
        self.session_c = session_c
        self.attrs = []   # "rtpmap:0 PCMU/8000", in order

    @property
    def addr(self):
        """Where media for this section goes (media c= or session c=)."""
        return self.c or self.session_c

    def attr(self, name):
        """Values of a=name:value (or "" for a=name flags)."""
        out = []
        for a in self.attrs:
            k, _, v = a.partition(":")
            if k == name:
                out.append(v)
        return out

    def has(self, name):
        return bool(self.attr(name))

    @property
    def direction(self):
        ds = [a for a in self.attrs if a in ("sendrecv", "sendonly", "recvonly", "inactive")]
        return ds[-1] if ds else None

    @property
    def rtcp_port(self):
        """a=rtcp port, else port + 1 (RFC 3550), else None when muxed."""
        v = self.attr("rtcp")
        if v:
            return int(v[0].split()[0])
        return None if self.mux else self.port + 1

    @property
    def rtcp_addr(self):
        v = self.attr("rtcp")
        if v and len(v[0].split()) >= 4:
            return v[0].split()[3]
        return self.addr

    @property
    def mux(self):
        return self.has("rtcp-mux")

    @property
    def ice_lines(self):
        return [a for a in self.attrs
                if a.startswith(("candidate", "ice-", "end-of-candidates"))]

    def __repr__(self):
        return "<Media %s %d %s @%s %r>" % (self.type, self.port, self.proto, self.addr,
                                           self.attrs)


class Sdp:
    def __init__(self, text):
        self.text = text
        self.origin = None
        self.c = None
        self.session_attrs = []
        self.medias = []
        for line in text.replace("\r\n", "\n").split("\n"):
            if not line:
                continue
            kind, _, val = line.partition("=")
            cur = self.medias[-1] if self.medias else None
            if kind == "o":
                self.origin = val
            elif kind == "c":
                addr = val.split()[2]
                if cur is None:
                    self.c = addr
                else:
                    cur.c = addr
            elif kind == "m":
                self.medias.append(Media(val, self.c))
            elif kind == "a":
                (cur.attrs if cur else self.session_attrs).append(val)
        for m in self.medias:
            m.session_c = self.c

    @property
    def origin_addr(self):
        return self.origin.split()[5] if self.origin else None

    @property
    def audio(self):
        return self.medias[0]

    def lines(self):
        return self.text.replace("\r\n", "\n").rstrip("\n").split("\n")


def parse_sdp(text):
    return Sdp(text)


# ------------------------------------------------ framing, for transcripts

# The codec under the names the e2e tier and its codec test use.
encode = bencode
decode = bdecode


def split_message(datagram):
    """(cookie, document) of one ng datagram, or None without a space."""
    cookie, sep, doc = bytes(datagram).partition(b" ")
    if not sep:
        return None
    return cookie, doc


def parse_message(datagram):
    """(cookie, dictionary) of one datagram; the dictionary is None when the
    document is not a bencoded dictionary (so a transcript can still show
    the cookie of a malformed message)."""
    parts = split_message(datagram)
    if parts is None:
        return "", None
    cookie, doc = parts
    cookie = cookie.decode("utf-8", "surrogateescape")
    try:
        value = bdecode(doc)
    except BencodeError:
        return cookie, None
    return cookie, value if isinstance(value, dict) else None
