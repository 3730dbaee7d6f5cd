"""The default seed every test starts from (``emu`` fixture), and its well-known values.

Import in tests with ``from emu_seed import ...``.
"""

import os

import yaml

from capgo_emulator.seed import overlay_seed

SHARED_SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                           os.pardir, "examples", "seed.yml")

ORG1 = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"   # "Demo org" (admin = super admin)
ORG2 = "34a8c55d-2d0f-4652-a43f-684c7a9403ac"   # "Other org" (outsider = super admin)
APP = "com.demo.app"          # in ORG1
APP2 = "com.demo.second"      # in ORG1
APP_OUT = "com.other.app"     # in ORG2
APP_UUID = "11111111-1111-4111-8111-111111111111"
APP2_UUID = "22222222-2222-4222-8222-222222222222"
APP_OUT_UUID = "33333333-3333-4333-8333-333333333333"

ADMIN = "admin@example.com"        # org_super_admin of ORG1
DEV = "dev@example.com"            # org_admin of ORG1
MEMBER = "member@example.com"      # org_member of ORG1
OUTSIDER = "outsider@example.com"  # org_super_admin of ORG2
NOBODY = "nobody@example.com"      # user without any org
PENDING = "pending@example.com"    # user invited to ORG1, not accepted

SESSION_ADMIN = "session-admin"
SESSION_DEV = "session-dev"
SESSION_MEMBER = "session-member"
SESSION_OUTSIDER = "session-outsider"
SESSION_NOBODY = "session-nobody"

# API keys (all plain unless noted) -> role bindings
KEY_SUPER = "ae6e7458-c46d-4c00-aa3b-153b0b8520ea"      # org_super_admin ORG1 (user admin)
KEY_ORG_ADMIN = "5d3a3e5b-51b5-4f6e-9a2c-6a1f0b1e2d01"  # org_admin ORG1 (user dev)
KEY_MEMBER = "5d3a3e5b-51b5-4f6e-9a2c-6a1f0b1e2d02"     # org_member ORG1 (user member)
KEY_APP_ADMIN = "5d3a3e5b-51b5-4f6e-9a2c-6a1f0b1e2d03"  # app_admin on APP (user admin)
KEY_APP_DEV = "5d3a3e5b-51b5-4f6e-9a2c-6a1f0b1e2d04"    # app_developer on APP (user admin)
KEY_UPLOADER = "5d3a3e5b-51b5-4f6e-9a2c-6a1f0b1e2d05"   # app_uploader on APP (user admin)
KEY_READER = "5d3a3e5b-51b5-4f6e-9a2c-6a1f0b1e2d06"     # app_reader on APP (user admin)
KEY_OUTSIDER = "5d3a3e5b-51b5-4f6e-9a2c-6a1f0b1e2d07"   # org_super_admin ORG2 (user outsider)
KEY_EXPIRED = "5d3a3e5b-51b5-4f6e-9a2c-6a1f0b1e2d08"    # org_super_admin ORG1, expired
KEY_HASHED = "5d3a3e5b-51b5-4f6e-9a2c-6a1f0b1e2d09"     # org_super_admin ORG1, hashed
KEY_APIKEY_MANAGER = "5d3a3e5b-51b5-4f6e-9a2c-6a1f0b1e2d0a"  # apikey_manager ORG1 (user admin)
KEY_CHANNEL_ADMIN = "5d3a3e5b-51b5-4f6e-9a2c-6a1f0b1e2d0b"   # channel_admin on APP/beta
KEY_NONE = "5d3a3e5b-51b5-4f6e-9a2c-6a1f0b1e2d0c"       # no bindings at all (user nobody)
KEY_SUPER_ID = 1   # numeric id of KEY_SUPER (ids follow the list order below)

DEVICE1 = "00000000-0000-0000-0000-000000000001"
DEVICE2 = "00000000-0000-0000-0000-000000000002"


def _key(key, name, user, *bindings, **extra):
    entry = {"key": key, "name": name, "user": user, "expires_at": None, "hashed": False,
             "global_permissions": [], "bindings": list(bindings)}
    entry.update(extra)
    return entry


def _org(role, org=ORG1):
    return {"role_name": role, "scope_type": "org", "org_id": org}


def _app(role, app=APP):
    return {"role_name": role, "scope_type": "app", "app_id": app}


# The emulator's tests start from the one shared seed (examples/seed.yml, also the demo's and
# the integration tests') with this overlay: more identities, an app, bundles and rows the
# route tests need (capgo_emulator.seed.overlay_seed: same natural key = update,
# new = append, remove: true = drop).
OVERLAY = {
    "users": [
        {"email": MEMBER, "session_token": SESSION_MEMBER},
        {"email": NOBODY, "session_token": SESSION_NOBODY},
        {"email": PENDING},
    ],
    "orgs": [
        {"name": "Demo org", "members": [
            {"email": DEV, "role": "org_admin"},
            {"email": MEMBER, "role": "org_member"},
            {"email": PENDING, "role": "org_member", "pending": True},
        ]},
    ],
    "apps": [
        {"app_id": APP, "id": APP_UUID},
        {"app_id": APP_OUT, "id": APP_OUT_UUID},
        {"app_id": APP2, "id": APP2_UUID, "name": "Second app", "owner_org": "Demo org"},
    ],
    "bundles": [
        {"app_id": APP, "name": "1.0.0", "checksum": "a" * 64,
         "external_url": "https://cdn.example.com/1.0.0.zip"},
        {"app_id": APP, "name": "1.1.0", "remove": True},
        {"app_id": APP, "name": "1.2.0", "remove": True},
        {"app_id": APP_OUT, "name": "1.0.0", "remove": True},
        {"app_id": APP, "name": "1.0.1", "checksum": "b" * 64,
         "external_url": "https://cdn.example.com/1.0.1.zip"},
        {"app_id": APP, "name": "0.9.0", "checksum": "c" * 64, "deleted": True},
        {"app_id": APP_OUT, "name": "2.0.0", "checksum": "d" * 64},
    ],
    "channels": [
        {"app_id": APP, "name": "beta", "version": "1.0.1"},
        {"app_id": APP_OUT, "name": "production", "version": "2.0.0", "public": True},
    ],
    "apikeys": [
        {"key": "67eeaff4-ae4c-49a6-8eb1-0875f5369de0", "remove": True},
        {"key": "985d55b1-c4a0-4b87-9cb1-3a2a9a0e3a01", "remove": True},
        {"key": "1f0c3e2a-5b6d-4e7f-8091-a2b3c4d5e6f7", "remove": True},
        {"key": KEY_SUPER, "name": "super"},
        _key(KEY_ORG_ADMIN, "org-admin", DEV, _org("org_admin")),
        _key(KEY_MEMBER, "member", MEMBER, _org("org_member")),
        _key(KEY_APP_ADMIN, "app-admin", ADMIN, _app("app_admin")),
        _key(KEY_APP_DEV, "app-dev", ADMIN, _app("app_developer")),
        _key(KEY_UPLOADER, "uploader", ADMIN, _app("app_uploader")),
        _key(KEY_READER, "reader", ADMIN, _app("app_reader")),
        _key(KEY_OUTSIDER, "outsider", OUTSIDER, _org("org_super_admin", ORG2)),
        _key(KEY_EXPIRED, "expired", ADMIN, _org("org_super_admin"),
             expires_at="2020-01-01T00:00:00Z"),
        _key(KEY_HASHED, "hashed", ADMIN, _org("org_super_admin"), hashed=True),
        _key(KEY_APIKEY_MANAGER, "apikey-manager", ADMIN, _org("apikey_manager")),
        _key(KEY_CHANNEL_ADMIN, "channel-admin", ADMIN,
             {"role_name": "channel_admin", "scope_type": "channel", "app_id": APP,
              "channel": "beta"}),
        _key(KEY_NONE, "no-bindings", NOBODY),
    ],
    "devices": [
        {"app_id": APP, "device_id": DEVICE2, "version_name": "1.0.1"},
    ],
    "device_overrides": [
        {"app_id": APP, "device_id": DEVICE2, "channel": "beta"},
    ],
    "stats": [
        {"app_id": APP, "date": "2026-11-02", "mau": 130, "bandwidth": 10485760},
        {"app_id": APP, "date": "2026-11-03", "remove": True},
        {"app_id": APP, "date": "2026-11-04", "remove": True},
        {"app_id": APP, "date": "2026-11-05", "remove": True},
        {"app_id": APP2, "date": "2026-11-01", "mau": 5, "storage": 0, "bandwidth": 1000},
    ],
}

with open(SHARED_SEED, encoding="utf-8") as _handle:
    BASE_SEED = yaml.safe_load(_handle)
DEFAULT_SEED = overlay_seed(BASE_SEED, OVERLAY)
