"""The API worker's ``/private/*`` routes and Supabase's edge functions (``/functions/v1/*``)
that Capgo's CLI calls (capgo-api.md §8): ``private/config`` and
``private/delete_failed_version``. Envelope: Capgo's ``{error, message, moreInfo}``.
"""

from ..errors import ApiError
from . import route

# The Supabase anon key the emulator hands out in private/config (PostgREST checks it).
ANON_KEY = "capgo-emulator-anon-key"


def base_url(ctx):
    return ctx.request.host_url.rstrip("/")


def private_config(ctx):
    """private/config.ts: where Supabase is (the emulator itself) and its anon key."""
    host = base_url(ctx)
    return {"supaHost": host,
            "supbaseId": host.split("//", 1)[1].split(".")[0].split(":")[0],
            "supaKey": ANON_KEY, "stripeEnabled": False}


route("GET", "/private/config", service="functions")(private_config)
route("GET", "/functions/v1/private/config", service="functions")(private_config)


def delete_failed_version(ctx):
    """private/delete_failed_version.ts: delete a version row still in ``r2-direct``."""
    principal = ctx.auth_key()
    body = ctx.parse_body()
    st = ctx.state
    app_id = body.get("app_id")
    app = st.app_by_app_id(app_id) if isinstance(app_id, str) else None
    if app is None or not principal.has_perm("bundle.delete", app=app):
        raise ApiError("not_authorized", "You can't access this app", 401,
                       more_info={"app_id": app_id})
    if not principal.has_perm("app.read", app=app):  # the apps row through RLS
        raise ApiError("app_not_found", "Error App not found", 404)
    if not body.get("name"):
        raise ApiError("error_bundle_name_missing", "Error bundle name missing", 400)
    version = None
    for b in st.bundles_of(app_id):
        if (b["name"] == body["name"] and b.get("storage_provider") == "r2-direct"
                and not b.get("deleted")):
            version = b
    if version is None or not principal.has_perm("app.read_bundles", app=app):
        raise ApiError("error_already_deleted", "Already deleted")
    if version.get("r2_path") and any(f["key"] == version["r2_path"] for f in st.files):
        raise ApiError("error_already_uploaded_to_s3",
                       "Error already uploaded to S3, delete is unsafe use the webapp to "
                       "delete it")
    st.bundles.remove(version)
    st.add_audit("app_versions", version["id"], "DELETE", version.get("owner_org"),
                 version, None, principal)
    return {"status": "ok"}


route("DELETE", "/functions/v1/private/delete_failed_version",
      service="functions")(delete_failed_version)
route("DELETE", "/private/delete_failed_version", service="functions")(delete_failed_version)


def events(ctx):
    """private/events.ts: the CLI's usage events (accepted, not stored)."""
    ctx.auth_any()
    ctx.parse_body()
    return {"status": "ok"}


route("POST", "/private/events", service="functions")(events)
route("POST", "/functions/v1/private/events", service="functions")(events)
