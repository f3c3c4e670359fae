"""Pure byte-stream helpers for the hub: Ogg page splitting and splicing, MP3 frame splitting.

The encoder writes a byte stream; listeners must receive whole Ogg pages (or MP3 frames), a late
joiner must first get the Ogg stream headers, and an encoder restart must not break the stream
that listeners already decode. No I/O here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

OGG_MAGIC = b"OggS"
_OGG_HEADER = struct.Struct("<4sBBqIIIB")  # magic, version, flags, granule, serial, seq, crc, nsegs
FLAG_CONTINUED = 0x01
FLAG_BOS = 0x02
FLAG_EOS = 0x04


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        table.append(r & 0xFFFFFFFF)
    return table


_CRC_TABLE = _crc_table()


def ogg_crc(data: bytes) -> int:
    """The Ogg page checksum (CRC-32, polynomial 0x04C11DB7, no reflection, init 0)."""
    crc = 0
    table = _CRC_TABLE
    for b in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[((crc >> 24) ^ b) & 0xFF]
    return crc


@dataclass(frozen=True)
class OggPage:
    raw: bytes
    flags: int
    granule: int
    serial: int
    seq: int

    @property
    def bos(self) -> bool:
        return bool(self.flags & FLAG_BOS)

    @property
    def body(self) -> bytes:
        nsegs = self.raw[26]
        return self.raw[27 + nsegs :]


class OggPageSplitter:
    """Feed arbitrary chunks, get whole Ogg pages back; garbage before a page is skipped."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.skipped_bytes = 0

    def feed(self, data: bytes) -> list[OggPage]:
        self._buf += data
        pages: list[OggPage] = []
        buf = self._buf
        while True:
            start = buf.find(OGG_MAGIC)
            if start < 0:
                keep = 3  # a magic may straddle chunks
                if len(buf) > keep:
                    self.skipped_bytes += len(buf) - keep
                    del buf[: len(buf) - keep]
                break
            if start > 0:
                self.skipped_bytes += start
                del buf[:start]
            if len(buf) < 27:
                break
            nsegs = buf[26]
            if len(buf) < 27 + nsegs:
                break
            body_len = sum(buf[27 : 27 + nsegs])
            total = 27 + nsegs + body_len
            if len(buf) < total:
                break
            raw = bytes(buf[:total])
            del buf[:total]
            _, version, flags, granule, serial, seq, _crc, _ = _OGG_HEADER.unpack_from(raw)
            if version != 0:
                self.skipped_bytes += total
                continue
            pages.append(OggPage(raw, flags, granule, serial, seq))
        return pages


def rewrite_page(page: OggPage, *, flags: int, granule: int, serial: int, seq: int) -> bytes:
    """The page with new header fields and a recomputed checksum."""
    if (flags, granule, serial, seq) == (page.flags, page.granule, page.serial, page.seq):
        return page.raw
    raw = bytearray(page.raw)
    struct.pack_into("<BqII", raw, 5, flags, granule, serial, seq)
    struct.pack_into("<I", raw, 22, 0)
    struct.pack_into("<I", raw, 22, ogg_crc(raw))
    return bytes(raw)


class OggSplicer:
    """Turns successive Ogg/Opus streams (one per encoder run) into one endless stream.

    The first stream's header pages (BOS page and the following granule-0 pages, i.e.
    OpusHead and OpusTags) are kept for late joiners. Later streams' header pages are
    swallowed and their audio pages are renumbered onto the first stream's serial,
    page sequence and granule position, so a listener keeps decoding across an encoder
    restart (it only hears the gap). EOS flags are cleared: the live stream never ends.
    """

    def __init__(self) -> None:
        self.headers: list[bytes] = []
        self._serial: int | None = None
        self._next_seq = 0
        self._in_serial: int | None = None
        self._in_headers = False
        self._granule_base = 0
        self._last_out_granule = 0
        self.streams = 0

    @property
    def ready(self) -> bool:
        return bool(self.headers) and not (self.streams == 1 and self._in_headers)

    def push(self, page: OggPage) -> bytes | None:
        """Return the page to publish to listeners, or None when it is a header page."""
        if page.bos or page.serial != self._in_serial:
            self.streams += 1
            self._in_serial = page.serial
            self._in_headers = True
            self._granule_base = self._last_out_granule
            if self._serial is None:
                self._serial = page.serial
        if self._in_headers and (page.bos or page.granule == 0):
            if self.streams == 1:
                out = rewrite_page(page, flags=page.flags & ~FLAG_EOS, granule=page.granule,
                                   serial=self._serial, seq=self._next_seq)
                self._next_seq += 1
                self.headers.append(out)
            return None
        self._in_headers = False
        granule = page.granule
        if granule != -1:
            granule = self._granule_base + granule
            self._last_out_granule = granule
        out = rewrite_page(page, flags=page.flags & ~(FLAG_EOS | FLAG_BOS), granule=granule,
                           serial=self._serial or 0, seq=self._next_seq)
        self._next_seq = (self._next_seq + 1) & 0xFFFFFFFF
        return out


_MP3_BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0]
_MP3_BITRATES_V2_L3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0]
_MP3_RATES = {3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000]}


def mp3_frame_length(header: bytes) -> int | None:
    """Length in bytes of the MPEG audio Layer III frame starting with these 4 bytes, or None."""
    if len(header) < 4 or header[0] != 0xFF or (header[1] & 0xE0) != 0xE0:
        return None
    version = (header[1] >> 3) & 0x03
    layer = (header[1] >> 1) & 0x03
    if version == 1 or layer != 1:  # reserved version, or not Layer III
        return None
    br_index = header[2] >> 4
    sr_index = (header[2] >> 2) & 0x03
    if sr_index == 3:
        return None
    bitrate = (_MP3_BITRATES_V1_L3 if version == 3 else _MP3_BITRATES_V2_L3)[br_index] * 1000
    if bitrate == 0:
        return None
    rate = _MP3_RATES[version][sr_index]
    padding = (header[2] >> 1) & 0x01
    coeff = 144 if version == 3 else 72
    return coeff * bitrate // rate + padding


class Mp3FrameSplitter:
    """Feed arbitrary chunks, get whole MP3 frames back (so a late joiner starts on a frame)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.skipped_bytes = 0

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        frames: list[bytes] = []
        buf = self._buf
        pos = 0
        while len(buf) - pos >= 4:
            length = mp3_frame_length(bytes(buf[pos : pos + 4]))
            if length is None:
                nxt = buf.find(b"\xff", pos + 1)
                skip_to = nxt if nxt >= 0 else len(buf)
                self.skipped_bytes += skip_to - pos
                pos = skip_to
                continue
            if len(buf) - pos < length:
                break
            frames.append(bytes(buf[pos : pos + length]))
            pos += length
        del buf[:pos]
        return frames
