"""socket.io's packets are JSON written by orjson: the same data for every reader."""
from __future__ import annotations

import json

import pytest
import socketio

from server import wire_json


def test_the_same_json_as_the_standard_library_shorter_for_vietnamese() -> None:
    data = {"name": "Nguyễn Thị Hồng Nhung", "n": 3, "x": 1.5, "ok": True, "none": None,
            "list": [1, "Đắk Lắk", {"nested": "ờ"}], 7: "số"}
    text = wire_json.dumps(data, separators=(",", ":"))
    assert json.loads(text) == json.loads(json.dumps(data))
    assert "Nguyễn" in text and "\\u" not in text
    assert len(text.encode()) < len(json.dumps(data, separators=(",", ":")).encode())
    assert wire_json.loads(text) == wire_json.loads(text.encode()) == json.loads(text)


def test_bad_input_is_refused_as_the_standard_library_does() -> None:
    with pytest.raises(ValueError):
        wire_json.loads('{"a": ')
    with pytest.raises(TypeError):
        wire_json.dumps({"a": {1, 2}})


def test_the_server_encodes_its_packets_with_it() -> None:
    sio = socketio.AsyncServer(async_mode="aiohttp", json=wire_json)
    pkt = sio.packet_class(2, namespace="/", data=["queue:state", {"tên": "Hoà"}])
    assert pkt.encode() == '2["queue:state",{"tên":"Hoà"}]'
