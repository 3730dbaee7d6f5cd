"""Core behaviour: envelope, 404 catch-all, /ok, control endpoints (more below)."""

from emu_seed import KEY_SUPER


def test_ok(emu):
    r = emu.call("GET", "/ok")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
