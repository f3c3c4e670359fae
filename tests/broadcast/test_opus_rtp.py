"""The low-delay packet path: RTP parsing/rewriting, Opus durations, Ogg pages built in the
server, checked against what real ffmpeg makes and decodes."""

from __future__ import annotations

import subprocess

import pytest

from broadcast.analysis import dominant_frequency, read_wav, tone_snr_db
from broadcast.containers import OggPageSplitter
from broadcast.opus_rtp import (
    OPUS_PRE_SKIP,
    OggOpusWriter,
    RtpRewriter,
    build_rtp,
    opus_head,
    opus_packet_samples,
    opus_sdp,
    parse_rtp,
)


def ffmpeg_ogg(frame_ms: int = 20, seconds: float = 1.0) -> bytes:
    return subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
         f"sine=f=600:d={seconds}:r=48000", "-ac", "1", "-c:a", "libopus", "-b:a", "48k",
         "-application", "lowdelay", "-frame_duration", str(frame_ms), "-f", "ogg", "pipe:1"],
        check=True, capture_output=True).stdout


def opus_packets(data: bytes) -> list[bytes]:
    """Packets of an Ogg Opus stream (pages may hold several; lacing splits them)."""
    out: list[bytes] = []
    for page in OggPageSplitter().feed(data)[2:]:
        nsegs = page.raw[26]
        lacing = page.raw[27:27 + nsegs]
        pos, cur = 0, b""
        body = page.body
        for lv in lacing:
            cur += body[pos:pos + lv]
            pos += lv
            if lv < 255:
                out.append(cur)
                cur = b""
    return out


@pytest.mark.parametrize("frame_ms", [10, 20, 60])
def test_opus_packet_samples_match_the_encoder(frame_ms):
    packets = opus_packets(ffmpeg_ogg(frame_ms))
    assert packets and all(opus_packet_samples(p) == 48 * frame_ms for p in packets)
    assert opus_packet_samples(b"") == 0


def test_our_opus_head_is_what_ffmpeg_writes_for_the_same_settings():
    pages = OggPageSplitter().feed(ffmpeg_ogg())
    assert pages[0].body == opus_head(1, OPUS_PRE_SKIP)


def test_rtp_round_trip_and_rejects():
    dgram = build_rtp(97, 65535, 2**32 - 10, 1234, b"\xf8abc", marker=True)
    pkt = parse_rtp(dgram)
    assert pkt is not None and (pkt.payload_type, pkt.seq, pkt.timestamp, pkt.ssrc) == (97, 65535, 2**32 - 10, 1234)
    assert pkt.marker and pkt.payload == b"\xf8abc"
    assert parse_rtp(b"short") is None
    assert parse_rtp(b"\x80\xc8" + bytes(26)) is None  # RTCP sender report
    assert parse_rtp(b"\x40" + bytes(15)) is None  # version 1


def test_rewriter_keeps_one_ssrc_and_continuous_numbers_across_encoder_runs():
    rw = RtpRewriter(ssrc=42)
    out = []
    for ssrc, ts0 in ((1111, 5000), (2222, 900_000)):
        rw.new_run()
        for i in range(3):
            out.append(parse_rtp(rw.rewrite(parse_rtp(build_rtp(97, 7 + i, ts0 + 960 * i, ssrc, b"\xf8x")))))
    assert {p.ssrc for p in out} == {42}
    assert [(p.seq - out[0].seq) & 0xFFFF for p in out] == [0, 1, 2, 3, 4, 5]
    assert [(p.timestamp - out[0].timestamp) & 0xFFFFFFFF for p in out] == [960 * i for i in range(6)]
    stale = parse_rtp(build_rtp(97, 1, 900_000 - 960, 2222, b"\xf8x"))
    assert rw.rewrite(stale) is None


def test_ogg_writer_pages_from_packets_decode_with_ffmpeg(tmp_path):
    packets = opus_packets(ffmpeg_ogg(seconds=1.0))
    w = OggOpusWriter()
    data = w.start()
    ts = 123_456
    for i, p in enumerate(packets):
        if i == 10:
            continue  # a lost packet: the timeline (granule) keeps its place
        data += w.packet(p, ts + 960 * i)
    pages = OggPageSplitter().feed(data)
    assert len(pages) == 2 + len(packets) - 1
    assert pages[0].bos and [p.seq for p in pages] == list(range(len(pages)))
    assert pages[2].granule == 960 and pages[-1].granule == 960 * len(packets)
    path = tmp_path / "ours.ogg"
    path.write_bytes(data)
    wav = tmp_path / "ours.wav"
    res = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", str(wav)],
                         capture_output=True, text=True)
    assert res.returncode == 0 and res.stderr == ""  # CRCs, lacing and headers are right
    x, rate = read_wav(wav)
    x = x[int(0.3 * rate):int(0.9 * rate)]
    assert abs(dominant_frequency(x, rate) - 600.0) < 2.0
    assert tone_snr_db(x, rate, 600.0) >= 30.0


def test_sdp_names_the_port_payload_and_multicast_ttl():
    sdp = opus_sdp("239.1.2.3", 5004, ttl=4, multicast=True)
    assert "m=audio 5004 RTP/AVP 97" in sdp and "a=rtpmap:97 opus/48000/2" in sdp
    assert "c=IN IP4 239.1.2.3/4" in sdp
    assert "c=IN IP4 10.0.0.5\r\n" in opus_sdp("10.0.0.5", 5004)


async def test_a_failing_rtp_target_backs_off_alone(serve):
    """Sending to the broadcast address without SO_BROADCAST fails (EACCES): that output goes
    into backoff and retries; the other RTP target, the mount and the encoder never notice."""
    import asyncio
    import socket

    from .conftest import free_even_udp_port, wait_for

    port = free_even_udp_port()
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", port))
    rx.setblocking(False)
    srv = await serve("tone:1000", rtp_targets=["255.255.255.255:5004", f"127.0.0.1:{port}"])
    svc = srv.svc
    await svc.set_on_air(True, chime=False)
    bad, good = svc.rtp
    assert await wait_for(lambda: bad.restarts >= 2, 10)
    assert "rtp" in bad.status()["kind"] and "Permission" in (bad.last_error or "")
    assert bad.status()["state"] in ("backoff", "starting", "running")
    loop = asyncio.get_running_loop()
    seqs = []
    for _ in range(60):  # 1.2 s of packets, received while the server keeps running
        data = await asyncio.wait_for(loop.sock_recv(rx, 2000), 5)
        seqs.append(int.from_bytes(data[2:4], "big"))
    rx.close()
    assert all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:], strict=False))
    assert good.state == "running" and good.restarts == 0 and good.packets_sent >= 60
    assert svc.encoder.restarts == 0 and svc.opus.status()["ready"]
