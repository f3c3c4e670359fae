"""Pure rules of the broadcast package: spec parsing, Ogg/MP3 framing and splicing, jitter
buffer, levels, backoff, relay reports, output addresses, command lines."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from broadcast.analysis import dominant_frequency, read_wav, tone_snr_db
from broadcast.audio import FRAME_BYTES, chime_pcm, levels, to_pcm, tone_samples
from broadcast.containers import Mp3FrameSplitter, OggPageSplitter, OggSplicer, ogg_crc
from broadcast.encoder import encoder_command
from broadcast.jitter import BYTES_PER_MS, JitterBuffer, splice_cut, splice_insert
from broadcast.outputs import mask_url, parse_icecast_url, parse_rtp_target
from broadcast.relay import Relay, pull_command
from broadcast.relays import ReportError, relay_health, validate_report
from broadcast.spec import SourceSpec, parse_source_spec
from broadcast.supervise import Supervised, next_backoff


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
    stutter = validate_report({"name": "a", "connected": True, "last_audio_at": now.isoformat(),
                               "underruns": 7, "underruns_1min": 3, "target_ms": 180,
                               "last_underrun_at": now.isoformat()})
    assert relay_health(stutter, now, now) == (
        "green", "Đang phát; bị ngắt tiếng 3 lần trong 1 phút qua (bộ đệm 180 ms)")
    for bad in [[], {"name": ""}, {"name": "a", "connected": 1},
                {"name": "a", "connected": True, "buffer_ms": -1},
                {"name": "a", "connected": True, "last_audio_at": "yesterday"},
                {"name": "a", "connected": True, "errors": "boom"},
                {"name": "a", "connected": True, "underruns_1min": 1.5}]:
        with pytest.raises(ReportError) as refused:
            validate_report(bad)
        assert refused.value.kind == "invalid" and refused.value.code == "bad_report"
        assert refused.value.fields and "không hợp lệ" in refused.value.message


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


def tone_pcm(hz: float, ms: int, start_ms: int = 0) -> bytes:
    return to_pcm(tone_samples(hz, 48 * start_ms, 48 * ms))


def test_jitter_buffer_trims_a_standing_backlog_in_a_pause_at_once_and_splices_sound():
    now = [0.0]
    jb = JitterBuffer(target_ms=20, max_ms=400, slack_ms=20, trim_window_s=1.0, clock=lambda: now[0])
    jb.push(bytes(20 * BYTES_PER_MS))
    jb.pull(10 * BYTES_PER_MS)  # playing at the target
    jb.push(bytes(200 * BYTES_PER_MS))  # then a burst: a 200 ms backlog of silence
    for _ in range(9):
        jb.pull(10 * BYTES_PER_MS)
        now[0] += 0.3
    assert jb.trimmed_ms > 0 and jb.level_ms <= 20
    # The same backlog in a tone is spliced out where the waveform repeats: no click.
    jb = JitterBuffer(target_ms=20, max_ms=400, slack_ms=20, trim_window_s=1.0, clock=lambda: now[0])
    jb.push(tone_pcm(1000, 20))
    out = [jb.pull(10 * BYTES_PER_MS)]
    jb.push(tone_pcm(1000, 200, start_ms=20))
    for i in range(60):
        out.append(jb.pull(5 * BYTES_PER_MS))
        jb.push(tone_pcm(1000, 5, start_ms=220 + 5 * i))
        now[0] += 0.1
    assert jb.trimmed_ms >= 150 and jb.level_ms <= 45 and jb.underruns == 0
    x = np.frombuffer(b"".join(out), dtype="<i2") / 32768.0
    assert tone_snr_db(x, 48000, 1000.0, block_s=0.05) >= 40.0


@pytest.mark.parametrize("hz", [1000.0, 700.0, 233.0])
def test_splices_cut_or_repeat_about_the_amount_and_keep_a_tone_continuous(hz):
    x = tone_samples(hz, 0, 48 * 300)
    y, cut = splice_cut(x, 48 * 100)
    assert 48 * 80 <= cut <= 48 * 100 and len(y) == len(x) - cut
    assert tone_snr_db(y, 48000, hz, block_s=0.05) >= 35.0
    assert splice_cut(x[:100], 200)[1] == 0  # too short to splice: left alone
    y, added = splice_insert(x, 48 * 20)
    assert 48 * 2 < added <= 48 * 20 and len(y) == len(x) + added
    assert tone_snr_db(y, 48000, hz, block_s=0.05) >= 35.0
    # Asked for less than a long period, it does nothing rather than repeat a part-period.
    assert splice_insert(x, 48 * 3)[1] == 0


def test_jitter_buffer_builds_a_drained_buffer_back_up_without_a_gap():
    now = [0.0]
    jb = JitterBuffer(target_ms=100, max_ms=400, clock=lambda: now[0])
    jb.push(tone_pcm(1000, 100))
    out = [jb.pull(60 * BYTES_PER_MS)]  # a stall: 60 ms played, nothing came in
    pos = 100
    for _ in range(300):  # then 3 s of steady flow, 10 ms in, 10 ms out
        jb.push(tone_pcm(1000, 10, start_ms=pos))
        pos += 10
        out.append(jb.pull(10 * BYTES_PER_MS))
        now[0] += 0.01
    assert jb.underruns == 0 and jb.level_ms >= 75 and 40 <= jb.stretched_ms <= 80
    x = np.frombuffer(b"".join(out), dtype="<i2") / 32768.0
    assert tone_snr_db(x, 48000, 1000.0, block_s=0.05) >= 35.0


def test_jitter_buffer_learns_from_an_underrun_resyncs_and_relaxes():
    now = [100.0]
    jb = JitterBuffer(target_ms=30, max_target_ms=400, max_ms=600, clock=lambda: now[0],
                      wall_clock=lambda: 1_800_000_000.0)
    jb.push(tone_pcm(500, 40))
    assert jb.pull(20 * BYTES_PER_MS) != bytes(20 * BYTES_PER_MS)
    jb.pull(20 * BYTES_PER_MS)
    now[0] += 0.1
    out = jb.pull(20 * BYTES_PER_MS)  # the network stalls: nothing left
    assert out == bytes(len(out)) and jb.underruns == 1 and not jb.playing
    now[0] += 0.08
    jb.push(tone_pcm(500, 200))  # 80 ms later the stalled audio comes in a burst
    # It was 20 + 80 ms late: the target grows by that much (next time the stall fits).
    assert jb.target_ms == 130
    first = jb.pull(5 * BYTES_PER_MS)
    assert jb.playing and jb.level_ms == pytest.approx(125)  # resynced: 70 ms late audio dropped
    assert jb.dropped_ms == pytest.approx(70)
    assert np.abs(np.frombuffer(first[:4], dtype="<i2")).max() < 200  # it fades back in
    st = jb.status()
    assert st["underruns"] == 1 and st["underruns_1min"] == 1 and st["target_ms"] == 130
    assert st["last_underrun_at"] == 1_800_000_000.0 and st["silence_ms"] == 20
    # A second stall of the same size is ridden out.
    now[0] += 0.1
    assert jb.pull(100 * BYTES_PER_MS) != bytes(100 * BYTES_PER_MS) and jb.underruns == 1
    # Half a minute without an underrun: the target steps back down, the minute's count empties.
    jb.push(tone_pcm(500, 200))
    now[0] += 31
    jb.pull(5 * BYTES_PER_MS)
    assert jb.target_ms == 100 and jb.recent_underruns() == 1
    now[0] += 31
    assert jb.recent_underruns() == 0
    with pytest.raises(ValueError):
        JitterBuffer(target_ms=30, max_target_ms=400, max_ms=300)


def test_jitter_buffer_fades_out_into_an_underrun():
    jb = JitterBuffer(target_ms=10, max_ms=100)
    jb.push(to_pcm(np.full(48 * 10, 0.5)))
    out = np.frombuffer(jb.pull(20 * BYTES_PER_MS), dtype="<i2")
    assert out[0] > 16000 and abs(int(out[48 * 10 - 1])) < 500 and not out[48 * 10 :].any()


async def test_stop_ends_a_job_whose_cancellation_was_lost():
    """Python 3.11's wait_for can swallow a cancellation (its inner read completing at the
    same moment): stop() cancels again until the job has really ended."""

    class Stubborn(Supervised):
        swallowed = 0

        async def run_once(self) -> None:
            self.mark_running()
            while True:
                try:
                    await asyncio.sleep(0.01)
                except asyncio.CancelledError:
                    if self.swallowed:
                        raise
                    self.swallowed += 1

    job = Stubborn("x")
    job.start()
    await asyncio.sleep(0.05)
    await asyncio.wait_for(job.stop(), 3)
    assert job.state == "stopped" and job.swallowed == 1
