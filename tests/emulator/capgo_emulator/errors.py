"""The error type every handler raises; app.py turns it into Capgo's error envelope."""

# Messages for codes whose text is fixed by capgo-api.md; other codes get a message
# derived from the code ("cannot_access_app" -> "Cannot access app").
DEFAULT_MESSAGES = {
    "invalid_json_parse_body": "Invalid JSON body",
    "invalid_body": "Invalid body",
    "invalid_apikey": "Invalid apikey",
    "no_key_provided": "No key provided",
    "no_jwt_apikey_or_subkey": "No JWT, apikey or subkey provided",
    "invalid_jwt": "Invalid JWT",
    "invalid_subkey": "Invalid subkey",
    "too_many_requests": "Too many requests",
    "unknown_error": "Unknown error",
    "not_found": "Not found",
    "cannot_create_apikey": "API keys cannot create other API keys",
    "invalid_version_id": "Cannot set version to device, use channel instead",
    "cannot_get_bundle": "Cannot get bundle",
    "no_permission": "App-scoped API keys cannot manage organization webhooks",
}


def default_message(code):
    if code in DEFAULT_MESSAGES:
        return DEFAULT_MESSAGES[code]
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else "Error"


class ApiError(Exception):
    """Raise anywhere in a handler: becomes ``{"error", "message", "moreInfo"}``."""

    def __init__(self, code, message=None, status=400, more_info=None, headers=None):
        self.code = code
        self.message = message or default_message(code)
        self.status = int(status)
        self.more_info = more_info if more_info is not None else {}
        self.headers = dict(headers or {})
        super().__init__("%s %s: %s" % (self.status, code, self.message))

    def body(self):
        return {"error": self.code, "message": self.message, "moreInfo": self.more_info}


class SeedError(ValueError):
    """A seed document that cannot be loaded; the message names the offending entry."""


class PgError(Exception):
    """PostgREST's error: ``{"code", "details", "hint", "message"}`` (code = SQLSTATE or PGRSTnnn)."""

    def __init__(self, status, code, message, details=None, hint=None, headers=None):
        self.status = int(status)
        self.code = code
        self.message = message
        self.details = details
        self.hint = hint
        self.headers = dict(headers or {})
        super().__init__("%s %s: %s" % (self.status, code, message))

    def body(self):
        return {"code": self.code, "details": self.details, "hint": self.hint,
                "message": self.message}
