"""Pure packet helpers for the low-delay path: RTP (RFC 3550) headers, Opus packet durations
(RFC 6716 TOC byte), Ogg Opus pages built from Opus packets (RFC 7845), the SDP of an RTP/Opus
stream. No I/O here.

Why: the encoder sends its Opus packets over RTP to the server itself (each packet leaves
ffmpeg the moment it is encoded); the server forwards them to the RTP targets and wraps each
one in its own Ogg page for the HTTP mount. ffmpeg's Ogg muxer keeps the last finished page
until the next one is complete, which costs one frame (20 ms) on every listener.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from .containers import FLAG_BOS, OGG_MAGIC, ogg_crc

RTP_VERSION = 2
OPUS_PAYLOAD_TYPE = 97
OPUS_RATE = 48_000
OPUS_PRE_SKIP = 120  # libopus, application "lowdelay" (restricted low delay): 2.5 ms look-ahead
_RTP_HEADER = struct.Struct(">BBHII")

# Frame size in samples at 48 kHz for each TOC config (RFC 6716, 3.1): SILK 10/20/40/60 ms,
# Hybrid 10/20 ms, CELT 2.5/5/10/20 ms.
_CONFIG_SAMPLES = ([480, 960, 1920, 2880] * 3 + [480, 960] * 2 + [120, 240, 480, 960] * 4)


@dataclass(frozen=True)
class RtpPacket:
    payload_type: int
    marker: bool
    seq: int
    timestamp: int
    ssrc: int
    payload: bytes


def parse_rtp(datagram: bytes) -> RtpPacket | None:
    """The RTP packet in a datagram, or None when it is not RTP version 2 (or is RTCP)."""
    if len(datagram) < 12:
        return None
    b0, b1, seq, ts, ssrc = _RTP_HEADER.unpack_from(datagram)
    if b0 >> 6 != RTP_VERSION or 200 <= b1 <= 204:  # RTCP SR/RR/SDES/BYE/APP on the same port
        return None
    pos = 12 + 4 * (b0 & 0x0F)
    if b0 & 0x10:  # header extension
        if len(datagram) < pos + 4:
            return None
        pos += 4 + 4 * struct.unpack_from(">H", datagram, pos + 2)[0]
    end = len(datagram)
    if b0 & 0x20:  # padding
        end -= datagram[-1]
    if pos > end:
        return None
    return RtpPacket(b1 & 0x7F, bool(b1 & 0x80), seq, ts, ssrc, bytes(datagram[pos:end]))


def build_rtp(payload_type: int, seq: int, timestamp: int, ssrc: int, payload: bytes,
              *, marker: bool = False) -> bytes:
    return _RTP_HEADER.pack(RTP_VERSION << 6, (0x80 if marker else 0) | payload_type,
                            seq & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc & 0xFFFFFFFF) + payload


def opus_packet_samples(packet: bytes) -> int:
    """Samples (48 kHz) of audio in one Opus packet, from its TOC byte; 0 when malformed."""
    if not packet:
        return 0
    toc = packet[0]
    per_frame = _CONFIG_SAMPLES[toc >> 3]
    code = toc & 0x03
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    else:
        if len(packet) < 2:
            return 0
        frames = packet[1] & 0x3F
    total = per_frame * frames
    return total if total <= 5760 else 0  # at most 120 ms per packet


class RtpRewriter:
    """Keeps the RTP stream sent to loudspeakers continuous across encoder restarts: one SSRC,
    sequence numbers and timestamps that go on from where the previous encoder stopped (the
    gap is only heard, exactly like the Ogg splice on the HTTP mount)."""

    def __init__(self, ssrc: int | None = None) -> None:
        self.ssrc = ssrc if ssrc is not None else int.from_bytes(os.urandom(4), "big")
        self._seq = int.from_bytes(os.urandom(2), "big")
        self._next_ts = int.from_bytes(os.urandom(4), "big")
        self._in_ssrc: int | None = None
        self._in_ts0 = 0
        self._out_ts0 = 0
        self._last_in_ts: int | None = None

    def new_run(self) -> None:
        """The next packet starts a new encoder run (its SSRC/sequence/timestamps restart)."""
        self._in_ssrc = None

    def rewrite(self, pkt: RtpPacket) -> bytes | None:
        """The packet to send, or None for a stale packet (timestamp going backwards)."""
        if self._in_ssrc is None or pkt.ssrc != self._in_ssrc:
            self._in_ssrc = pkt.ssrc
            self._in_ts0 = pkt.timestamp
            self._out_ts0 = self._next_ts
            self._last_in_ts = None
        delta = (pkt.timestamp - self._in_ts0) & 0xFFFFFFFF
        if self._last_in_ts is not None and ((pkt.timestamp - self._last_in_ts) & 0xFFFFFFFF) >= 1 << 31:
            return None
        self._last_in_ts = pkt.timestamp
        ts = (self._out_ts0 + delta) & 0xFFFFFFFF
        self._next_ts = (ts + (opus_packet_samples(pkt.payload) or 960)) & 0xFFFFFFFF
        self._seq = (self._seq + 1) & 0xFFFF
        return build_rtp(pkt.payload_type, self._seq, ts, self.ssrc, pkt.payload, marker=pkt.marker)


def opus_head(channels: int = 1, pre_skip: int = OPUS_PRE_SKIP, input_rate: int = OPUS_RATE) -> bytes:
    return b"OpusHead" + struct.pack("<BBHIhB", 1, channels, pre_skip, input_rate, 0, 0)


def opus_tags(vendor: str = "doithoai") -> bytes:
    v = vendor.encode("utf-8")
    return b"OpusTags" + struct.pack("<I", len(v)) + v + struct.pack("<I", 0)


def ogg_page(body: bytes, *, serial: int, seq: int, granule: int, flags: int = 0) -> bytes:
    """One Ogg page holding one whole packet (lacing values, CRC)."""
    lacing = bytes([255] * (len(body) // 255) + [len(body) % 255])
    if len(lacing) > 255:
        raise ValueError("packet too large for one Ogg page")
    header = bytearray(OGG_MAGIC + struct.pack("<BBqIII", 0, flags, granule, serial, seq, 0)
                       + bytes([len(lacing)]) + lacing)
    page = header + body
    struct.pack_into("<I", page, 22, ogg_crc(bytes(page)))
    return bytes(page)


class OggOpusWriter:
    """Ogg Opus stream, one page per Opus packet (so a page leaves as soon as its packet does).
    `start()` begins a new logical stream (its two header pages); `packet()` is one audio page
    whose granule position follows the RTP timestamps (a lost packet keeps the timeline)."""

    def __init__(self, channels: int = 1, pre_skip: int = OPUS_PRE_SKIP) -> None:
        self.channels = channels
        self.pre_skip = pre_skip
        self.serial = 0
        self._seq = 0
        self._ts0: int | None = None
        self.pages = 0

    def start(self) -> bytes:
        self.serial = int.from_bytes(os.urandom(4), "little") or 1
        self._seq = 0
        self._ts0 = None
        out = ogg_page(opus_head(self.channels, self.pre_skip), serial=self.serial, seq=0,
                       granule=0, flags=FLAG_BOS)
        out += ogg_page(opus_tags(), serial=self.serial, seq=1, granule=0)
        self._seq = 2
        return out

    def packet(self, payload: bytes, timestamp: int) -> bytes | None:
        samples = opus_packet_samples(payload)
        if samples == 0:
            return None
        if self._ts0 is None:
            self._ts0 = timestamp
        granule = ((timestamp - self._ts0) & 0xFFFFFFFF) + samples
        page = ogg_page(payload, serial=self.serial, seq=self._seq, granule=granule)
        self._seq += 1
        self.pages += 1
        return page


def opus_sdp(host: str, port: int, *, ttl: int = 1, multicast: bool = False,
             payload_type: int = OPUS_PAYLOAD_TYPE, name: str = "Hoi nghi doi thoai") -> str:
    """SDP of the RTP/Opus stream sent to host:port (what a receiver such as ffmpeg needs)."""
    conn = f"{host}/{ttl}" if multicast else host
    return "\r\n".join([
        "v=0", f"o=- 0 0 IN IP4 {host}", f"s={name}", f"c=IN IP4 {conn}", "t=0 0",
        f"m=audio {port} RTP/AVP {payload_type}", "b=AS:64",
        f"a=rtpmap:{payload_type} opus/48000/2", f"a=fmtp:{payload_type} sprop-stereo=0", "",
    ])
