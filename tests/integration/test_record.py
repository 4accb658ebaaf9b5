"""Recording: R writes the whole call to one pcap file in --record-dir;
every packet the relay forwarded is in it, with real IP/UDP headers."""

import shutil
import struct
import subprocess

from rtpp import make_call, poll_until


def read_pcap(path):
    """[(src_port, dst_port, payload)] from a DLT_RAW/LINKTYPE_RAW IPv4 pcap."""
    data = path.read_bytes()
    magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4, "not a little-endian pcap: %#x" % magic
    assert linktype in (12, 101), "link type %d, want raw IP" % linktype
    out, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        assert pkt[0] >> 4 == 4, "IPv4 expected"
        ihl = (pkt[0] & 15) * 4
        assert pkt[9] == 17, "UDP expected"
        sport, dport, ulen = struct.unpack("!HHH", pkt[ihl:ihl + 6])
        assert ulen == len(pkt) - ihl, "UDP length %d for %d bytes" % (ulen, len(pkt) - ihl)
        out.append((sport, dport, pkt[ihl + 8:]))
    return out


def test_recorded_call_holds_every_relayed_packet(rtproam, phones, workdir):
    rec_dir = workdir / "rec"
    rec_dir.mkdir()
    daemon = rtproam("--record-dir", str(rec_dir))
    ctl = daemon.ctl
    assert ctl("VF 20071218") == "1"
    a, b = phones("127.0.0.2", name="A"), phones("127.0.0.3", name="B")
    call = make_call(ctl, "rec@test", a, b)
    assert ctl("R rec@test ft tt") == "0"
    sent_a = a.send_rtp(call.a_dst, 20, 0.002)
    sent_b = b.send_rtp(call.b_dst, 20, 0.002)
    a.send_rtcp_sr(call.a_rtcp)
    assert len(b.recv(20)) == 20 and len(a.recv(20)) == 20
    assert ctl("D rec@test ft tt") == "0"
    files = poll_until(lambda: sorted(rec_dir.glob("*.pcap")), lambda f: len(f) == 1, timeout=3.0)
    assert len(files) == 1, "want one file per call, got %r" % files
    assert "rec@test" in files[0].name
    # The file is complete once the writer closed it; stopping flushes all.
    daemon.stop()
    pkts = read_pcap(files[0])
    from_a = [p for s, d, p in pkts if s == a.port and d == call.a_port]
    from_b = [p for s, d, p in pkts if s == b.port and d == call.b_port]
    assert [p[12:] for p in from_a] == sent_a, "A's packets in the recording"
    assert [p[12:] for p in from_b] == sent_b, "B's packets in the recording"
    rtcp = [p for s, d, p in pkts if d == call.a_port + 1]
    assert len(rtcp) == 1, "A's RTCP report"
    # And libpcap itself (through tcpdump) reads the same 41 packets.
    tcpdump = shutil.which("tcpdump")
    if tcpdump:
        out = subprocess.run([tcpdump, "-nn", "-r", str(files[0])], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=30, check=True).stdout
        assert len(out.decode().splitlines()) == len(pkts) == 41, out.decode()


def test_record_without_a_directory_says_so(daemon, phones):
    ctl = daemon.ctl
    a, b = phones("127.0.0.2"), phones("127.0.0.3")
    make_call(ctl, "norec@test", a, b)
    assert ctl("VF 20071218") == "0"
    assert ctl("R norec@test ft tt") == "E65"
    assert ctl("R nosuch@test ft") == "E50"
