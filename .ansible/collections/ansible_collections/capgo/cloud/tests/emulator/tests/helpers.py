"""Assertion helpers shared by the emulator's tests."""


def err(resp, status, code):
    """Assert an error answer with that HTTP status and Capgo error code; return its body."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    body = resp.json()
    assert body["error"] == code, body
    return body
