"""The one shared seed (examples/seed.yml) and the overlays tests put on it."""

import pytest

from capgo_emulator.errors import SeedError
from capgo_emulator.seed import overlay_seed
from capgo_emulator.state import State
from emu_seed import BASE_SEED, DEFAULT_SEED, KEY_SUPER, ORG1, ORG2


def test_the_shared_seed_loads_and_is_the_tests_base():
    state = State()
    state.load_seed(BASE_SEED)
    assert [o["id"] for o in state.orgs] == [ORG1, ORG2]
    assert state.apikey_by_value(KEY_SUPER)["name"] == "integration-admin"
    # the default seed of these tests is that base with an overlay, not a copy of it
    assert DEFAULT_SEED["orgs"][0]["id"] == BASE_SEED["orgs"][0]["id"]
    assert BASE_SEED["bundles"] != DEFAULT_SEED["bundles"]


def test_overlay_updates_appends_and_removes_by_natural_key():
    base = {"users": [{"email": "a@example.com"}],
            "orgs": [{"name": "O", "members": [{"email": "a@example.com", "role": "org_member"}]}],
            "stats": [{"app_id": "com.a.b", "date": "2026-11-01", "mau": 1},
                      {"app_id": "com.a.b", "date": "2026-11-02", "mau": 2}]}
    out = overlay_seed(base, {
        "users": [{"email": "b@example.com"}],
        "orgs": [{"name": "O", "members": [{"email": "a@example.com", "role": "org_admin"},
                                           {"email": "b@example.com"}]}],
        "stats": [{"app_id": "com.a.b", "date": "2026-11-01", "mau": 10},
                  {"app_id": "com.a.b", "date": "2026-11-02", "remove": True}],
    })
    assert out["users"] == [{"email": "a@example.com"}, {"email": "b@example.com"}]
    assert out["orgs"][0]["members"] == [{"email": "a@example.com", "role": "org_admin"},
                                         {"email": "b@example.com"}]
    assert out["stats"] == [{"app_id": "com.a.b", "date": "2026-11-01", "mau": 10}]
    assert base["stats"][0]["mau"] == 1 and len(base["users"]) == 1  # the base is not changed


@pytest.mark.parametrize("overlay,needle", [
    ({"widgets": []}, "widgets"),
    ({"apps": [{"app_id": "com.none.here", "remove": True}]}, "com.none.here"),
])
def test_overlay_refuses_what_it_cannot_apply(overlay, needle):
    with pytest.raises(SeedError, match=needle):
        overlay_seed({"apps": []}, overlay)
