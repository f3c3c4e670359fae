"""Push to a real icecast2 started on loopback; a relay pulls from Icecast; an Icecast failure
does not stop the RTP output nor the recording, and the push comes back with Icecast."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest

from broadcast.analysis import dominant_frequency, read_wav, tone_snr_db
from broadcast.icecast_local import LocalIcecast

from .conftest import free_even_udp_port, free_port, wait_for

PASSWORD = "hoinghi-test-pw"


@pytest.fixture
def icecast():
    server = LocalIcecast(free_port(), PASSWORD)
    server.start()
    yield server
    server.stop()


def icecast_listeners(ice: LocalIcecast) -> dict:
    with urllib.request.urlopen(f"{ice.url}/status-json.xsl", timeout=5) as resp:
        stats = json.loads(resp.read().decode("utf-8", "replace"))
    sources = stats["icestats"].get("source", [])
    if isinstance(sources, dict):
        sources = [sources]
    return {s["listenurl"].rsplit("/", 1)[-1]: s.get("listeners", 0) for s in sources}


async def test_icecast_push_relay_and_independent_failure(serve, relay, icecast):
    rtp_port = free_even_udp_port()
    srv = await serve("tone:1000", icecast_urls=[icecast.source_url("hoinghi.opus")],
                      rtp_targets=[f"127.0.0.1:{rtp_port}"])
    svc = srv.svc
    await svc.set_on_air(True, chime=False)
    ice_out, rtp_out = svc.icecast[0], svc.rtp[0]
    assert ice_out.name.startswith("icecast://source:***@")  # the password never shows
    assert await wait_for(lambda: ice_out.state == "running", 10)
    assert await wait_for(lambda: "hoinghi.opus" in icecast_listeners(icecast), 10, step=0.2)

    rp = await relay(srv.url, "--source", "icecast", f"{icecast.url}/hoinghi.opus")
    assert await wait_for(lambda: any(r["connected"] for r in svc.status()["relays"]), 15)
    await asyncio.sleep(2.5)
    assert icecast_listeners(icecast)["hoinghi.opus"] == 1
    await rp.stop()
    x, rate = read_wav(rp.wav)
    x = x[-int(1.5 * rate) : -int(0.1 * rate)]
    assert abs(dominant_frequency(x, rate) - 1000.0) < 2.0
    assert tone_snr_db(x, rate, 1000.0) >= 30.0

    # Icecast goes away: its output fails and retries, the others go on.
    icecast.stop()
    assert await wait_for(lambda: ice_out.state in ("backoff", "starting") and ice_out.restarts >= 1, 15)
    sent, recorded = rtp_out.bytes_sent, svc.recorder.total_seconds
    await asyncio.sleep(1.0)
    assert rtp_out.state == "running" and rtp_out.bytes_sent > sent
    assert svc.recorder.total_seconds > recorded + 0.8
    assert svc.encoder.state == "running"
    status = svc.status()
    ice_status = next(o for o in status["outputs"] if o["kind"] == "icecast")
    assert ice_status["last_error"]

    # Icecast comes back on the same port: the push resumes by itself.
    icecast.start()
    assert await wait_for(lambda: ice_out.state == "running", 30, step=0.2)
    assert await wait_for(lambda: "hoinghi.opus" in icecast_listeners(icecast), 10, step=0.2)
