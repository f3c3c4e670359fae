"""Pure rules of the broadcast package: spec parsing, Ogg/MP3 framing and splicing, jitter
buffer, levels, backoff, relay reports, output addresses, command lines."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from broadcast.analysis import dominant_frequency, read_wav
from broadcast.audio import FRAME_BYTES, chime_pcm, levels, to_pcm, tone_samples
from broadcast.containers import Mp3FrameSplitter, OggPageSplitter, OggSplicer, ogg_crc
from broadcast.encoder import encoder_command
from broadcast.jitter import BYTES_PER_MS, JitterBuffer
from broadcast.outputs import mask_url, parse_icecast_url, parse_rtp_target
from broadcast.relay import Relay, pull_command
from broadcast.relays import ReportError, relay_health, validate_report
from broadcast.spec import SourceSpec, parse_source_spec
from broadcast.supervise import next_backoff


@pytest.mark.parametrize(("text", "expected"), [
    ("pyaudio", SourceSpec("pyaudio")),
    ("pyaudio:USB Audio", SourceSpec("pyaudio", device="USB Audio")),
    ("pyaudio:2", SourceSpec("pyaudio", device="2")),
    ("file:/tmp/a b.mp3", SourceSpec("file", path="/tmp/a b.mp3")),
    ("tone", SourceSpec("tone", hz=440.0)),
    ("tone:1000", SourceSpec("tone", hz=1000.0)),
    (" TONE:250.5 ", SourceSpec("tone", hz=250.5)),
])
def test_source_spec_good(text, expected):
    assert parse_source_spec(text) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty"),
    ("mic", "unknown audio source"),
    ("file:", "missing file path"),
    ("file", "missing file path"),
    ("tone:abc", "not a number"),
    ("tone:5", "between 20 and 20000"),
    ("pyaudio:", "device name"),
    ("http://x/live.mp3", "unknown audio source"),
])
def test_source_spec_bad(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_source_spec(text)


def ffmpeg_bytes(args: list[str]) -> bytes:
    return subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                           "sine=f=600:d=1:r=48000", *args, "pipe:1"],
                          check=True, capture_output=True).stdout


def opus_ogg() -> bytes:
    return ffmpeg_bytes(["-ac", "1", "-c:a", "libopus", "-b:a", "48k", "-application", "lowdelay",
                         "-frame_duration", "20", "-f", "ogg", "-page_duration", "20000"])


def test_ogg_splitter_any_chunking_and_crc():
    data = opus_ogg()
    whole = OggPageSplitter().feed(data)
    sp = OggPageSplitter()
    pieces = [sp.feed(data[i:i + 7]) for i in range(0, len(data), 7)]
    assert [p.raw for p in whole] == [p.raw for chunk in pieces for p in chunk]
    assert b"".join(p.raw for p in whole) == data
    assert whole[0].bos and whole[0].body.startswith(b"OpusHead")
    page = bytearray(whole[3].raw)
    crc = int.from_bytes(page[22:26], "little")
    page[22:26] = b"\0\0\0\0"
    assert ogg_crc(bytes(page)) == crc


def test_splicer_joins_two_encoder_runs_into_one_decodable_stream(tmp_path):
    first, second = opus_ogg(), opus_ogg()
    splicer = OggSplicer()
    out = []
    for data in (first, second):
        for page in OggPageSplitter().feed(data):
            unit = splicer.push(page)
            if unit is not None:
                out.append(unit)
    assert splicer.streams == 2 and len(splicer.headers) == 2
    stream = b"".join(splicer.headers) + b"".join(out)
    pages = OggPageSplitter().feed(stream)
    assert len({p.serial for p in pages}) == 1
    assert [p.seq for p in pages] == list(range(len(pages)))
    assert sum(p.bos for p in pages) == 1 and not any(p.flags & 0x04 for p in pages)
    granules = [p.granule for p in pages[2:]]
    assert granules == sorted(granules)
    path = tmp_path / "spliced.ogg"
    path.write_bytes(stream)
    wav = tmp_path / "spliced.wav"
    res = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", str(wav)],
                         capture_output=True, text=True)
    assert res.returncode == 0 and res.stderr == ""  # no CRC or sequence complaints
    x, rate = read_wav(wav)
    assert len(x) / rate == pytest.approx(2.0, abs=0.05)
    assert abs(dominant_frequency(x, rate) - 600.0) < 2.0


def test_mp3_splitter_finds_frames():
    data = ffmpeg_bytes(["-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", "-write_xing", "0",
                         "-id3v2_version", "0", "-f", "mp3"])
    frames = Mp3FrameSplitter().feed(b"garbage" + data)
    assert len(frames) >= 40  # 1 s at 1152 samples per frame
    assert all(len(f) in (192, 193) for f in frames)  # 144 * 64000 / 48000 (+ padding)
    assert b"".join(frames) == data[: len(b"".join(frames))]


def test_jitter_buffer_waits_for_target_underruns_and_caps_delay():
    jb = JitterBuffer(target_ms=40, max_ms=100)
    jb.push(b"\1" * (20 * BYTES_PER_MS))
    assert jb.pull(10) == bytes(10) and not jb.playing
    jb.push(b"\1" * (20 * BYTES_PER_MS))
    assert jb.pull(10) == b"\1" * 10 and jb.playing
    out = jb.pull(40 * BYTES_PER_MS)
    assert out.endswith(bytes(10)) and jb.underruns == 1 and not jb.playing
    jb.push(b"\2" * (150 * BYTES_PER_MS))
    assert jb.level_ms == pytest.approx(40) and jb.dropped_ms == pytest.approx(110)
    with pytest.raises(ValueError):
        JitterBuffer(target_ms=100, max_ms=50)


def test_levels_and_chime():
    full = to_pcm(tone_samples(1000, 0, 4800, amplitude=1.0))
    rms, peak = levels(full)
    assert rms == pytest.approx(-3.0, abs=0.1) and peak == pytest.approx(0.0, abs=0.1)
    assert levels(bytes(1920)) == (-120.0, -120.0)
    chime = chime_pcm()
    assert len(chime) % FRAME_BYTES == 0 and 0.5 < len(chime) / 96000 < 1.0
    x = np.frombuffer(chime, dtype="<i2")
    assert 0 < np.abs(x).max() < 32767


def test_backoff_doubles_and_caps():
    b = 0.0
    seen = []
    for _ in range(8):
        b = next_backoff(b, initial=0.25, maximum=5.0)
        seen.append(b)
    assert seen == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_relay_report_validation_and_health():
    now = datetime.now(UTC)
    report = validate_report({"name": "  Cụm loa thôn 3 ", "connected": True, "buffer_ms": 55.5,
                              "last_audio_at": now.isoformat(), "errors": ["x"], "url": "u"})
    assert report["name"] == "Cụm loa thôn 3"
    assert relay_health(report, now, now)[0] == "green"
    assert relay_health(report, now - timedelta(seconds=30), now)[0] == "red"
    assert relay_health({**report, "connected": False}, now, now)[0] == "red"
    old = {**report, "last_audio_at": (now - timedelta(seconds=60)).isoformat()}
    assert relay_health(old, now, now)[0] == "red"
    for bad in [[], {"name": ""}, {"name": "a", "connected": 1},
                {"name": "a", "connected": True, "buffer_ms": -1},
                {"name": "a", "connected": True, "last_audio_at": "yesterday"},
                {"name": "a", "connected": True, "errors": "boom"}]:
        with pytest.raises(ReportError):
            validate_report(bad)


def test_output_addresses():
    url, masked = parse_icecast_url("icecast://source:s3cret@127.0.0.1:8000/hoinghi.opus")
    assert "s3cret" not in masked and url.endswith("/hoinghi.opus")
    assert mask_url("http://a/b") == "http://a/b"
    for bad in ["http://source:pw@h:8000/m", "icecast://source:pw@h/m", "icecast://source:pw@h:8000/",
                "icecast://source@h:8000/m"]:
        with pytest.raises(ValueError):
            parse_icecast_url(bad)
    assert parse_rtp_target("127.0.0.1:5004") == ("127.0.0.1", 5004, 1)
    assert parse_rtp_target("rtp://239.1.2.3:5006?ttl=4") == ("239.1.2.3", 5006, 4)
    for bad in ["127.0.0.1:5005", "loa.local:5004", "127.0.0.1", "rtp://239.1.2.3:5004?ttl=0"]:
        with pytest.raises(ValueError):
            parse_rtp_target(bad)


def test_command_lines():
    cmd = encoder_command(5004)
    assert cmd[0] == "ffmpeg" and "pipe:1" in cmd
    joined = " ".join(cmd)
    for part in ["-application lowdelay", "-frame_duration 20", "-f rtp", "-payload_type 97",
                 "rtp://127.0.0.1:5004", "-flush_packets 1", "-acodec libmp3lame", "-f s16le",
                 "-ar 24000", "asetrate=48000"]:
        assert part in joined
    # measured: -fflags nobuffer with a tiny probe size holds one packet back (+20 ms)
    assert "nobuffer" not in joined
    pull = " ".join(pull_command("rtp", "/tmp/live.sdp"))
    assert "-protocol_whitelist file,udp,rtp" in pull and "-probesize 32" in pull
    assert "nobuffer" not in pull
    with pytest.raises(ValueError, match="Icecast"):
        Relay("http://h", "t", "n", source="icecast")
    with pytest.raises(ValueError, match="--server"):
        Relay("h:8080", "t", "n")


def test_jitter_buffer_trims_a_standing_backlog_only_in_a_pause():
    now = [0.0]
    jb = JitterBuffer(target_ms=20, max_ms=300, slack_ms=20, trim_window_s=1.0, clock=lambda: now[0])
    loud = to_pcm(tone_samples(1000, 0, 48 * 200))  # 200 ms of tone
    jb.push(loud)
    for _ in range(5):
        jb.pull(10 * BYTES_PER_MS)
        now[0] += 0.3
    assert jb.trimmed_ms == 0  # never cut into sound
    jb.clear()
    jb.push(bytes(200 * BYTES_PER_MS))  # 200 ms backlog of silence
    for _ in range(5):
        jb.pull(10 * BYTES_PER_MS)
        now[0] += 0.3
    assert jb.trimmed_ms > 0 and jb.level_ms <= 20
