# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Base classes of the capgo.cloud modules.

``CapgoModule`` owns the shared connection options, the API client and error reporting.
``CapgoResource`` adds the read / compare / write-the-difference cycle that every resource
module follows, with check mode, diff mode and secret masking done once, here.

A resource module describes itself (which options it manages, how to read, create, update
and delete) and calls ``Resource(...).run()``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re
import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.capgo.cloud.plugins.module_utils._client import (
    HAS_REQUESTS,
    MASK,
    REQUESTS_IMPORT_ERROR,
    CapgoAPIError,
    CapgoClient,
    DEFAULT_API_URL,
    connection_problems,
)

APP_ID_RE = re.compile(r"^[a-z0-9]+(\.[\w-]+)+\Z", re.IGNORECASE)
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


def connection_argument_spec():
    """The options every capgo.cloud module takes (documented in the ``capgo.cloud.capgo`` fragment)."""
    return dict(
        api_key=dict(type="str", required=True, no_log=True,
                     fallback=(env_fallback, ["CAPGO_API_KEY", "CAPGO_TOKEN"])),
        api_url=dict(type="str", default=DEFAULT_API_URL, fallback=(env_fallback, ["CAPGO_API_URL"])),
        timeout=dict(type="float", default=30.0, fallback=(env_fallback, ["CAPGO_TIMEOUT"])),
        retries=dict(type="int", default=5, fallback=(env_fallback, ["CAPGO_RETRIES"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["CAPGO_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["CAPGO_CA_PATH"])),
    )


CONNECTION_OPTIONS = tuple(connection_argument_spec())


def is_uuid(value):
    return isinstance(value, str) and bool(UUID_RE.match(value))


def is_app_id(value):
    """Capgo's app id pattern: reverse-domain, at least one dot, first segment alphanumeric."""
    return isinstance(value, str) and bool(APP_ID_RE.match(value))


def drop_none(data):
    return dict((k, v) for k, v in data.items() if v is not None)


class CapgoModule(object):
    """An Ansible module talking to Capgo: options, client, one-line errors."""

    def __init__(self, argument_spec=None, mutually_exclusive=None, required_if=None, required_one_of=None,
                 required_together=None, required_by=None, supports_check_mode=True):
        spec = connection_argument_spec()
        spec.update(argument_spec or {})
        self.module = AnsibleModule(
            argument_spec=spec,
            mutually_exclusive=mutually_exclusive or [],
            required_if=required_if or [],
            required_one_of=required_one_of or [],
            required_together=required_together or [],
            required_by=required_by or {},
            supports_check_mode=supports_check_mode,
        )
        if not HAS_REQUESTS:
            error = "".join(traceback.format_exception_only(type(REQUESTS_IMPORT_ERROR), REQUESTS_IMPORT_ERROR))
            self.module.fail_json(msg=missing_required_lib("requests"), exception=error)
        self.params = self.module.params
        problem = connection_problems(self.params)
        if problem:
            self.module.fail_json(msg=problem)
        self.check_mode = self.module.check_mode
        self.result = dict(changed=False)
        self.writes_done = 0
        self.client = CapgoClient(
            api_key=self.params["api_key"],
            api_url=self.params["api_url"],
            timeout=self.params["timeout"],
            retries=self.params["retries"],
            validate_certs=self.params["validate_certs"],
            ca_path=self.params["ca_path"],
            warn=self.warn,
        )

    # -- messages --------------------------------------------------------

    @property
    def uses_session_token(self):
        """True when ``api_key`` is a dashboard session token (JWT), not an API key (UUID)."""
        return not is_uuid(self.params["api_key"])

    def warn(self, msg):
        self.module.warn(self.client.scrub(msg) if hasattr(self, "client") else msg)

    def fail(self, msg, **kwargs):
        kwargs.setdefault("changed", self.writes_done > 0)
        self.module.fail_json(msg=self.client.scrub(msg), **kwargs)

    def explain(self, err):
        """Hook: a clearer sentence for an API error, or None. The error line is appended.

        Modules handle their own codes and end with ``return super(...).explain(err)``.
        """
        if err.error in ("invalid_apikey", "no_key_provided", "no_jwt_apikey_or_subkey"):
            return "Capgo refused the credentials: api_key is unknown, expired or missing"
        if err.error == "invalid_jwt":
            return "Capgo refused api_key as a session token (it is neither a valid API key nor a valid JWT)"
        if err.error == "org_requires_expiring_key":
            return "the organization requires API keys with an expiry date, and this key has none"
        if err.error == "too_many_requests" and err.more_info.get("reason") == "too_many_failed_auth_attempts":
            return "Capgo locked this address out after too many failed authentications (15 minutes)"
        if err.error == "too_many_requests":
            return "Capgo rate-limited the request; run again later"
        return err.hint  # a request that got no answer (connection_error, no_answer, write_answer_lost)

    def fail_api(self, err):
        # The module's own explanation first, else the shared one for auth, rate limits, network.
        hint = self.explain(err) or CapgoModule.explain(self, err)
        msg = str(err) if not hint else "%s (%s)" % (hint, err)
        # Only what was really written counts as a change.
        self.result["changed"] = self.writes_done > 0
        result = dict((k, v) for k, v in self.result.items() if k not in ("msg", "api_error"))
        api_error = json.loads(self.client.scrub(json.dumps(err.to_dict())))
        self.module.fail_json(msg=self.client.scrub(msg), api_error=api_error, **result)

    def fail_unexpected(self, exc):
        """An answer of a shape the module did not expect: one line, no traceback."""
        method, path = self.client.last_request
        where = "%s %s" % (method, path) if method else "Capgo"
        self.fail("unexpected answer from Capgo to %s (%s: %s); is api_url a Capgo API?"
                  % (where, type(exc).__name__, exc))

    # -- running ---------------------------------------------------------

    def validate(self):
        """Hook: check option values the argument spec cannot express, before any request."""
        return None

    # Options whose format is checked before any request (see validate_identifiers).
    checked_identifiers = ("app_id", "org_id")

    def validate_identifiers(self):
        """``app_id`` must be a reverse-domain id and ``org_id`` a UUID, in every module."""
        app_id = self.params.get("app_id")
        if "app_id" in self.checked_identifiers and app_id is not None and not is_app_id(app_id):
            self.fail("app_id %r is not a valid app id (reverse-domain, like com.example.app)" % (app_id,))
        org_id = self.params.get("org_id")
        if "org_id" in self.checked_identifiers and org_id is not None and not is_uuid(org_id):
            self.fail("org_id must be the organization's id (a UUID), got %r" % (org_id,))

    def execute(self):
        raise NotImplementedError

    def run(self):
        self.validate_identifiers()
        self.validate()
        try:
            self.execute()
        except CapgoAPIError as err:
            self.fail_api(err)
        except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
            self.fail_unexpected(exc)
        self.module.exit_json(**self.result)

    # -- API shortcuts ---------------------------------------------------

    def api(self, method, path, params=None, body=None, idempotent=None):
        data = self.client.request(method, path, params=params, body=body, idempotent=idempotent)
        if method == "GET" and not isinstance(data, (dict, list)):
            # Every Capgo read answers a JSON object or array; anything else is not Capgo.
            raise TypeError("expected a JSON object or array, got %s" % type(data).__name__)
        return data

    def delete_gone_ok(self, path, gone_errors, params=None, body=None, confirm=None):
        """DELETE that accepts Capgo's "not found" answer once a read confirms the resource is gone.

        Capgo's deletes are not idempotent: a DELETE retried after a lost answer (or a
        resource deleted by someone else since our read) gets a "not found" error. The goal
        of ``state: absent`` is reached then, which ``confirm()`` (default ``read()``) checks.
        """
        try:
            return self.write("DELETE", path, params=params, body=body)
        except CapgoAPIError as err:
            if err.error in gone_errors and (confirm or self.read)() is None:
                return None
            raise

    def write(self, method, path, params=None, body=None, idempotent=None):
        """A POST/PUT/DELETE: never sent in check mode (a guard against module bugs)."""
        if self.check_mode:
            raise AssertionError("write request %s %s attempted in check mode" % (method, path))
        response = self.api(method, path, params=params, body=body, idempotent=idempotent)
        self.writes_done += 1
        return response


class CapgoResource(CapgoModule):
    """Read, compare only what the user set, write only the difference.

    Subclasses set:

    ``resource_key``
        name of the returned resource (``channel``).
    ``managed``
        option names this module manages; they are compared (when the user set them) and
        make up ``diff.before`` / ``diff.after``.
    ``unordered``
        managed list options compared as sets.
    ``secret_fields``
        keys of the returned resource that hold secrets: masked in diffs, and removed from
        the returned resource unless ``self.reveal`` names them.
    ``create_required``
        options that must be set to create (checked before any write).
    ``create_defaults``
        the values the server gives a new resource, for the check-mode prediction.

    and implement ``read()``, ``create(desired)``, ``update(before, changes)``,
    ``delete(before)``. States are dicts in the module's language (option names).
    """

    resource_key = "resource"
    managed = ()
    unordered = ()
    secret_fields = ()
    create_required = ()
    create_defaults = {}
    state_option = "state"

    def __init__(self, *args, **kwargs):
        super(CapgoResource, self).__init__(*args, **kwargs)
        self.reveal = set()

    # -- desired state ---------------------------------------------------

    def normalize(self, key, value):
        """Hook: turn an option value into the form ``read()`` returns."""
        return value

    def desired(self):
        """The managed options the user set (None means "not set": never compared).

        Unset suboptions of dict options are dropped too; ``normalize`` runs afterwards, so a
        value it turns into None (``""`` for "clear", say) is compared and sent as None.
        """
        out = {}
        for key in self.managed:
            value = self.params.get(key)
            if isinstance(value, dict):
                value = drop_none(value)
                if not value:
                    continue
            if value is None:
                continue
            out[key] = self.normalize(key, value)
        return out

    # -- comparison ------------------------------------------------------

    def values_equal(self, key, current, wanted):
        if isinstance(wanted, dict):
            current = current if isinstance(current, dict) else {}
            return all(self.values_equal(key, current.get(k), v) for k, v in wanted.items())
        if key in self.unordered and isinstance(wanted, (list, tuple)):
            return isinstance(current, (list, tuple)) and set(current) == set(wanted)
        if isinstance(wanted, float) or isinstance(current, float):
            try:
                return abs(float(current) - float(wanted)) < 1e-9
            except (TypeError, ValueError):
                return False
        return current == wanted

    def compare(self, before, desired):
        """The part of ``desired`` that differs from ``before`` (nested dicts: only differing keys)."""
        changes = {}
        for key, wanted in desired.items():
            current = before.get(key)
            if isinstance(wanted, dict):
                current = current if isinstance(current, dict) else {}
                sub = dict((k, v) for k, v in wanted.items() if not self.values_equal(key, current.get(k), v))
                if sub:
                    changes[key] = sub
            elif not self.values_equal(key, current, wanted):
                changes[key] = wanted
        return changes

    # -- prediction (check mode) -----------------------------------------

    @staticmethod
    def merge(state, changes):
        out = copy.deepcopy(state)
        for key, value in changes.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                merged = dict(out[key])
                merged.update(value)
                out[key] = merged
            else:
                out[key] = copy.deepcopy(value)
        return out

    def predict_create(self, desired):
        return self.merge(self.create_defaults, desired)

    def predict_update(self, before, changes):
        return self.merge(before, changes)

    # -- output ----------------------------------------------------------

    def mask(self, state):
        if not state:
            return state
        out = dict(state)
        for key in self.secret_fields:
            if out.get(key) is not None:
                out[key] = MASK
        return out

    def diff_view(self, state):
        """Only the managed fields, secrets masked: what ``diff.before/after`` show."""
        if not state:
            return {}
        return self.mask(dict((k, copy.deepcopy(state.get(k))) for k in self.managed if k in state))

    def public_view(self, state):
        """The returned resource: secrets removed unless revealed by this run."""
        if not state:
            return {}
        out = dict(state)
        for key in self.secret_fields:
            if key not in self.reveal:
                out.pop(key, None)
        return out

    # -- the cycle -------------------------------------------------------

    def read(self):
        raise NotImplementedError

    def create(self, desired):
        raise NotImplementedError

    def update(self, before, changes):
        raise NotImplementedError

    def delete(self, before):
        raise NotImplementedError

    def read_written(self, msg=None):
        """``read()`` after a write; fails (with ``msg``, if given) when the resource is not there."""
        after = self.read()
        if after is None:
            self.fail(msg or "%s was written but cannot be read back" % self.describe())
        return after

    def check_create(self, desired):
        """Hook run before a create (also in check mode): fail early on what cannot work."""
        missing = [k for k in self.create_required if desired.get(k) is None and self.params.get(k) is None]
        if missing:
            self.fail("%s is required to create %s" % (", ".join(missing), self.describe()))

    def check_update(self, before, changes):
        """Hook run before an update (also in check mode)."""
        return None

    def describe(self):
        return "the %s" % self.resource_key

    def present(self, before):
        desired = self.desired()
        if before is None:
            self.check_create(desired)
            self.result["changed"] = True
            if self.check_mode:
                return self.predict_create(desired)
            return self.create(desired)
        changes = self.compare(before, desired)
        if not changes:
            return before
        self.check_update(before, changes)
        self.result["changed"] = True
        if self.check_mode:
            return self.predict_update(before, changes)
        return self.update(before, changes)

    def absent(self, before):
        if before is None:
            return None
        self.result["changed"] = True
        if not self.check_mode:
            self.delete(before)
        return None

    def execute(self):
        before = self.read()
        if self.params.get(self.state_option, "present") == "absent":
            after = self.absent(before)
        else:
            after = self.present(before)
        self.finish(before, after)

    def finish(self, before, after):
        self.result[self.resource_key] = self.public_view(after)
        if self.module._diff:
            self.result["diff"] = dict(before=self.diff_view(before), after=self.diff_view(after))
