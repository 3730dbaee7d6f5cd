# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The resource engine of capgo.cloud: read, compare, predict, write the difference.

No Ansible imports: the same code runs one resource for a module (through ``_ansible.py``)
or many resources of different kinds in one process with one client (``capgo_environment``).

``Operation``
    one request-making unit of work: options (``params``), the ``Engine`` it runs in, one-line
    errors (``Failure``), error explanations, input checks that run before any request.
``Resource``
    an ``Operation`` that manages one Capgo object: a declaration (``resource_key``, ``argument_spec``,
    ``managed``, ``secret_fields``, ``create_defaults`` ...) and four verbs (``read``, ``create``,
    ``update``, ``delete``). The cycle (compare only what the user set, check mode, diff, masking,
    results) is here, once.
``Engine``
    what the operations of one run share: the client (one HTTP session), check and diff mode,
    warnings, and listings read once per kind and scope.

Private to the collection (the leading underscore): no compatibility promise.
"""

import copy
import json
import re
import threading
from typing import Any, Dict, List, Optional

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.capgo.cloud.plugins.module_utils._client import (
    MASK,
    CapgoAPIError,
    connection_problems,
    request_of,
    unexpected_answer,
)

APP_ID_RE = re.compile(r"^[a-z0-9]+(\.[\w-]+)+\Z", re.IGNORECASE)
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")

AUTH_ERRORS = ("invalid_apikey", "no_key_provided", "no_jwt_apikey_or_subkey")
# The one wording of an invalid app id, whether the module or Capgo finds it.
INVALID_APP_ID = "app_id {app_id!r} is not a valid app id (reverse-domain, like com.example.app)"
UNEXPECTED = (KeyError, TypeError, AttributeError, ValueError, IndexError)


# -- a bounded pool ----------------------------------------------------------------

def in_pool(call, items, workers):
    """``[call(item) for item in items]`` with at most ``workers`` calls at a time, in order.

    The listings of independent scopes (the channels of each app) go through it. The calls share
    one client, so its retries and a 429's ``Retry-After`` pause every call, not only the one
    that got it. The first exception (in item order) is raised once the started calls are over;
    calls not started yet are dropped.
    """
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [call(item) for item in items]
    pool = ThreadPoolExecutor(max_workers=min(workers, len(items)))
    futures = []
    try:
        futures.extend(pool.submit(call, item) for item in items)
        return [future.result() for future in futures]
    finally:
        for future in futures:
            future.cancel()
        pool.shutdown(wait=True)


# -- shared checks -----------------------------------------------------------------


def is_uuid(value):
    return isinstance(value, str) and bool(UUID_RE.match(value))


def is_app_id(value):
    """Capgo's app id pattern: reverse-domain, at least one dot, first segment alphanumeric."""
    return isinstance(value, str) and bool(APP_ID_RE.match(value))


def is_email(value):
    return isinstance(value, str) and bool(EMAIL_RE.match(value))


def options(kind, *names):
    """Argument-spec entries: each of ``names`` an option of type ``kind`` and nothing else."""
    return {name: dict(type=kind) for name in names}


def state_option():
    """The ``state`` option of every resource: present (the default) or absent."""
    return dict(type="str", default="present", choices=["present", "absent"])


def drop_none(data):
    return {k: v for k, v in data.items() if v is not None}


def empty_option(params, names):
    """The first of ``names`` that is set but blank (``""`` or white space), or None."""
    for name in names:
        value = params.get(name)
        if isinstance(value, str) and not value.strip():
            return name
    return None


def get_or_none(call, missing, status=None):
    """``call()``, or None when Capgo answers one of the ``missing`` error codes (with ``status``, if given).

    ``missing`` may be None (any code: ``status`` alone decides), or a dict ``{code: status or None}``
    when each code comes with its own status.
    """
    try:
        return call()
    except CapgoAPIError as err:
        if isinstance(missing, dict):
            if err.error in missing and missing[err.error] in (None, err.status):
                return None
        elif (missing is None or err.error in missing) and (status is None or err.status == status):
            return None
        raise


def find_one(items, matches, ambiguous):
    """The one item for which ``matches(item)``; None when none; ``ambiguous(hits)`` raised when several."""
    hits = [item for item in items if matches(item)]
    if len(hits) > 1:
        raise ambiguous(hits)
    return hits[0] if hits else None


# -- field tables -----------------------------------------------------------------


class Field:
    """One field of a resource: its option name, its API name, and the conversions between them.

    ``api``    the key read from an API object (default: the option name).
    ``decode`` converter, API value -> option value (default: as is).
    ``send``   the key written in a request body (default: ``api``; False: never sent).
    ``encode`` converter, option value -> API value (default: as is).
    ``fields`` a nested table: the option is a dict whose keys are flat API keys.
    """

    def __init__(self, option, api=None, decode=None, encode=None, send=None, fields=None):
        self.option = option
        self.api = api or option
        self.decode = decode
        self.encode = encode
        self.send = self.api if send is None else send
        self.fields = fields


NOT_SET = object()


class Option(Field):
    """One managed option of a declaration, declared once: its argument spec entry (``spec``), its
    API field (as ``Field``), and ``new``, the value the server gives a new resource (check mode's
    prediction; not set: the option is left out of ``create_defaults``), and ``export``, whether
    an export of the estate writes it (False for an identity, a secret, what Capgo cannot read
    back). With ``fields`` (a table of ``Option``), the spec's suboptions and ``new`` derive from
    that table.
    """

    def __init__(self, option, spec, api=None, new=NOT_SET, export=True, **field):
        super().__init__(option, api, **field)
        self.export = export
        self.spec = dict(spec)
        if self.fields is not None:
            self.spec.setdefault("options", argument_spec_of(self.fields))
            if new is NOT_SET:
                new = create_defaults_of(self.fields) or NOT_SET
        self.new = new


def argument_spec_of(table):
    """The argument spec entries of the ``Option`` of ``table``."""
    return {o.option: dict(o.spec) for o in table if isinstance(o, Option)}


def managed_of(table):
    """The names of the ``Option`` of ``table`` (what a declaration manages)."""
    return tuple(o.option for o in table if isinstance(o, Option))


def exported_of(table):
    """The names of the ``Option`` of ``table`` an export writes."""
    return tuple(o.option for o in table if isinstance(o, Option) and o.export)


def create_defaults_of(table):
    """What the server gives a new resource, per ``Option`` of ``table`` that says."""
    return {o.option: copy.deepcopy(o.new) for o in table if isinstance(o, Option) and o.new is not NOT_SET}


def from_api(table, data):
    """An API object in the options' language, through ``table`` (a tuple of ``Field``)."""
    out = {}
    for field in table:
        if field.fields is not None:
            out[field.option] = from_api(field.fields, data)
            continue
        value = data.get(field.api)
        out[field.option] = field.decode(value) if field.decode else value
    return out


def to_api(table, changes):
    """The request body for ``changes`` (option names), through ``table``: only the keys in ``changes``."""
    body = {}
    for field in table:
        if field.option not in changes or field.send is False:
            continue
        value = changes[field.option]
        if field.fields is not None:
            body.update(to_api(field.fields, value or {}))
        else:
            body[field.send] = field.encode(value) if field.encode else value
    return body


# -- results ----------------------------------------------------------------------


class Failure(Exception):
    """A failed operation: one line, and what the result held when it failed."""

    def __init__(self, msg, result=None, api_error=None):
        super().__init__(msg)
        self.msg = msg
        self.result = dict(result or {})
        if api_error is not None:
            self.result["api_error"] = api_error


class Engine:
    """What the operations of one run share: client, modes, warnings, listings."""

    def __init__(self, client, check_mode=False, diff=False):
        self.client = client
        self.clients = {client.api_key: client}
        self.check_mode = check_mode
        self.diff = diff
        self.warnings = []
        self.listings = {}
        self.loading = {}
        # What this run wrote (or, in check mode, predicts) by (kind, identity): the items after
        # them see it although the listings were read before (a device's new channel).
        self.written = {}
        # Check mode across tasks: the dependencies this run assumed (Operation.assume), warned once each.
        self.assumed = set()
        # Many resources in one run: read each kind once per scope (Resource.current).
        self.prefer_listings = False
        self.lock = threading.Lock()

    def scrub(self, text):
        """``text`` without any credential of this run (every client's key masked)."""
        with self.lock:
            clients = list(self.clients.values())
        for client in clients:
            text = client.scrub(text)
        return text

    def warn(self, msg):
        msg = self.scrub(msg)
        with self.lock:
            self.warnings.append(msg)

    def client_for(self, api_key):
        """The client of ``api_key``: the run's own, or one more (a session token beside an API key,
        a key for lookups), built like the run's own once ``api_key`` passes ``connection_problems``.
        The only way an operation gets a client."""
        if not api_key or api_key == self.client.api_key:
            return self.client
        with self.lock:
            if api_key not in self.clients:
                problem = connection_problems({"api_key": api_key})
                if problem:
                    raise Failure(problem, dict(changed=False))
                client = self.client.with_key(api_key)
                client.warn = self.warn
                self.clients[api_key] = client
            return self.clients[api_key]

    def listing(self, key, load):
        """``load()`` once per ``key`` (a kind and its scope) for this run; later calls reuse it."""
        with self.lock:
            if key in self.listings:
                return self.listings[key]
            key_lock = self.loading.setdefault(key, threading.Lock())
        with key_lock:  # concurrent items of one scope wait for one listing
            with self.lock:
                if key in self.listings:
                    return self.listings[key]
            value = load()
            with self.lock:
                return self.listings.setdefault(key, value)

    def prefetch(self, resources, workers):
        """Load the listings ``resources`` will look up, one per kind and scope, ``workers`` at a time.

        Without it, the items of a level that share a scope wait for its listing while it loads,
        and the pool reads one scope after the other. A listing that fails is not kept: the
        resource's own lookup reads it again and reports the error.
        """
        if not self.prefer_listings:
            return
        first = {}
        for resource in resources:
            if resource.kind is not None and not resource.known_absent:
                first.setdefault(resource.listing_key()[0], resource)

        def load(resource):
            key, scope = resource.listing_key()
            try:
                self.listing(key, lambda: resource.list_all(resource, scope))
            except (CapgoAPIError, Failure) + UNEXPECTED:
                pass

        in_pool(load, list(first.values()), workers)

    def forget(self, key):
        with self.lock:
            self.listings.pop(key, None)

    def run(self, cls, params):
        """Run one operation; returns its result, or raises ``Failure``."""
        return cls.operation_for(params)(self, params).run()


# -- operations -------------------------------------------------------------------


class Operation:
    """One unit of work against Capgo: checks, requests, one-line errors."""

    resource_key = "resource"
    # What the Ansible adapter passes to AnsibleModule besides the argument spec.
    argument_spec = {}
    module_kwargs = {}
    # Options whose format is checked before any request.
    checked_identifiers = ("app_id", "org_id")
    # Capgo error code: a clearer sentence, formatted with the options (``{app_id}``), ``{what}``
    # (``describe()``) and ``{code}``. A code that needs more than a template goes in ``explain``.
    errors = {}

    def __init__(self, engine, params):
        self.engine = engine
        self.client = engine.client_for(params.get("api_key"))
        self.params = params
        self.check_mode = engine.check_mode
        self.result = dict(changed=False)
        self.writes_done = 0
        self.setup()

    @classmethod
    def operation_for(cls, params: Dict[str, Any]) -> type:
        """The operation that runs ``params`` (a declaration may hand some to one of its own)."""
        return cls

    def setup(self) -> None:
        """Hook: derive attributes from ``params`` (nothing may be requested here)."""
        return None

    @property
    def uses_session_token(self):
        """True when ``api_key`` is a dashboard session token (JWT), not an API key (UUID)."""
        return not is_uuid(self.params["api_key"])

    # -- messages --------------------------------------------------------

    def warn(self, msg):
        self.engine.warn(msg)

    def failure(self, msg, **kwargs):
        """The ``Failure`` of this operation with ``msg`` (to raise, or to hand to ``find_one``)."""
        kwargs.setdefault("changed", self.writes_done > 0)
        return Failure(self.engine.scrub(msg), kwargs)

    def fail(self, msg, **kwargs):
        raise self.failure(msg, **kwargs)

    def assume(self, missing, msg=None):
        """A dependency this operation refers to does not exist (``missing``: "bundle 1.3.0 does not exist in
        app com.demo.app"). A real run fails with ``msg`` (default: ``missing``). In check mode an earlier task
        of the same run may create it (its own check run predicted that, and wrote nothing): it is assumed,
        with one warning per run that names it, and the prediction goes on as if it existed."""
        if not self.check_mode:
            self.fail(msg or missing)
        with self.engine.lock:
            first = missing not in self.engine.assumed
            self.engine.assumed.add(missing)
        if first:
            self.warn("check mode: %s; assumed to be created by an earlier task of this run" % missing)

    def require_filled(self, *names):
        """Fail with "NAME must not be empty" for the first of ``names`` set but blank."""
        name = empty_option(self.params, names)
        if name is not None:
            self.fail("%s must not be empty" % name)

    def describe(self) -> str:
        return "the %s" % self.resource_key

    def explain(self, err: CapgoAPIError) -> Optional[str]:
        """Hook: a clearer sentence for an API error, or None. The error line is appended.

        Resources handle their own codes (``errors``, or code here) and end with
        ``return super(...).explain(err)``.
        """
        template = self.errors.get(err.error)
        if template is not None:
            return template.format(what=self.describe(), code=err.error, **self.params)
        if err.error in AUTH_ERRORS:
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

    def api_failure(self, err):
        # The resource's own explanation first, else the shared one for auth, rate limits, network.
        hint = self.explain(err) or Operation.explain(self, err)
        msg = str(err) if not hint else "%s (%s)" % (hint, err)
        result = {k: v for k, v in self.result.items() if k not in ("msg", "api_error")}
        result["changed"] = self.writes_done > 0  # only what was really written counts as a change
        api_error = json.loads(self.engine.scrub(json.dumps(err.to_dict())))
        return Failure(self.engine.scrub(msg), result, api_error)

    def unexpected_failure(self, exc):
        """An answer of a shape the resource did not expect: one line, no traceback, naming the
        request that answered it (carried by ``exc``, or the last one this thread sent)."""
        method, path = request_of(exc)
        where = "%s %s" % (method, path) if method else "Capgo"
        return self.failure("unexpected answer from Capgo to %s (%s: %s); is api_url a Capgo API?"
                            % (where, type(exc).__name__, exc))

    # -- running ---------------------------------------------------------

    def validate(self) -> None:
        """Hook: check option values the argument spec cannot express, before any request."""
        return None

    def validate_identifiers(self):
        """``app_id`` must be a reverse-domain id and ``org_id`` a UUID, in every module."""
        app_id = self.params.get("app_id")
        if "app_id" in self.checked_identifiers and app_id is not None and not is_app_id(app_id):
            self.fail(INVALID_APP_ID.format(app_id=app_id))
        org_id = self.params.get("org_id")
        if "org_id" in self.checked_identifiers and org_id is not None and not is_uuid(org_id):
            self.fail("org_id must be the organization's id (a UUID), got %r" % (org_id,))

    def validate_all(self):
        """Every check that runs before the first request."""
        self.validate_identifiers()
        self.validate()

    def execute(self) -> None:
        raise NotImplementedError

    def run(self):
        """Check, then execute; the result, or ``Failure`` (never another exception)."""
        self.validate_all()
        try:
            self.execute()
        except CapgoAPIError as err:
            raise self.api_failure(err)
        except UNEXPECTED as exc:
            raise self.unexpected_failure(exc)
        return self.result

    # -- API shortcuts ---------------------------------------------------

    def api(self, method, path, params=None, body=None, idempotent=None):
        data = self.client.request(method, path, params=params, body=body, idempotent=idempotent)
        if method == "GET" and not isinstance(data, (dict, list)):
            # Every Capgo read answers a JSON object or array; anything else is not Capgo.
            raise unexpected_answer(method, path, "expected a JSON object or array, got %s" % type(data).__name__)
        return data

    def get_or_none(self, path, missing, params=None, status=None):
        """GET ``path``; None when Capgo answers one of the ``missing`` error codes."""
        return get_or_none(lambda: self.api("GET", path, params=params), missing, status)

    def write(self, method, path, params=None, body=None, idempotent=None):
        """A POST/PUT/DELETE: never sent in check mode (a guard against resource bugs)."""
        if self.check_mode:
            raise AssertionError("write request %s %s attempted in check mode" % (method, path))
        response = self.api(method, path, params=params, body=body, idempotent=idempotent)
        self.writes_done += 1
        return response

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

    def read(self) -> Optional[Dict[str, Any]]:
        raise NotImplementedError


class AppResource:
    """What the resources that live in one app share (mixed into their ``Resource``): listed per app,
    and Capgo's ``invalid_app_id`` explained."""

    scope_options = ("app_id",)
    errors = {"invalid_app_id": INVALID_APP_ID}
    parent_missing = {"cannot_access_app": "app {app_id} does not exist (or this API key cannot read it)"}


class Resource(Operation):
    """Read, compare only what the user set, write only the difference.

    A declaration sets:

    ``resource_key``
        name of the returned resource (``channel``).
    ``argument_spec`` / ``module_kwargs``
        its options (beside the connection options) and their constraints.
    ``managed``
        option names it manages; they are compared (when the user set them) and make up
        ``diff.before`` / ``diff.after``.
    ``unordered``
        managed list options compared as sets.
    ``secret_fields``
        keys of the returned resource that hold secrets: masked in diffs, and removed from
        the returned resource unless ``self.reveal`` names them.
    ``create_required``
        options that must be set to create (checked before any write).
    ``create_defaults``
        the values the server gives a new resource, for the check-mode prediction.

    and implements ``read()``, ``create(desired)``, ``update(before, changes)``,
    ``delete(before)``. States are dicts in the module's language (option names).
    """

    managed = ()
    unordered = ()
    secret_fields = ()
    create_required = ()
    create_defaults = {}
    state_option = "state"
    # For runs over many resources (``Engine.prefer_listings``): the section name in an
    # environment, and the options that scope one listing of this kind (``("app_id",)``).
    kind = None
    scope_options = ()
    known_absent = False
    # The managed options an export of the estate writes beside the identity: no secrets, no
    # read-only server fields, nothing Capgo cannot read back, nothing the nesting gives.
    export_options = ()
    # Check mode across tasks: {Capgo error code of a read: what is missing} for the answers that
    # mean the parent does not exist (an app an earlier task creates): assumed, the resource new.
    parent_missing = {}

    @classmethod
    def list_all(cls, op: "Operation", scope: Dict[str, Any]) -> Optional[List[Dict[str, Any]]]:
        """Every object of this kind in ``scope`` (a dict of ``scope_options``), all pages.

        States in the module's language, exactly as ``read()`` returns them. ``op`` is the
        operation asking (its ``api``, ``client`` and ``fail`` are used). None when the kind
        cannot be listed: then each resource is read on its own.
        """
        return None

    def identity(self) -> str:
        """The resource's identity as a string (``com.example.app/production``)."""
        return "/".join("%s" % self.params.get(o) for o in self.identity_options)

    identity_options = ()

    def matches(self, state: Dict[str, Any]) -> bool:
        """True when a listed state is this resource (default: every identity option equal)."""
        return all(state.get(o) == self.params.get(o) for o in self.identity_options)

    def current(self) -> Optional[Dict[str, Any]]:
        """The current state: from this run's listing of the scope when the engine prefers
        listings (one request per kind and scope for many resources), else ``read()``."""
        if self.known_absent:
            return None  # its parent is only predicted (check mode): it cannot exist yet
        if not self.engine.prefer_listings or self.kind is None:
            return self.read()
        key, scope = self.listing_key()
        states = self.engine.listing(key, lambda: self.list_all(self, scope))
        if states is None:
            return self.read()
        found = find_one(states, self.matches, self.ambiguous)
        return self.unlisted() if found is None else found

    def current_or_assumed(self) -> Optional[Dict[str, Any]]:
        """``current()``; in check mode, a missing parent (``parent_missing``) is assumed (``assume``) and
        the resource cannot exist yet (``known_absent``): its state is then ``unlisted()``."""
        try:
            return self.current()
        except CapgoAPIError as err:
            missing = self.parent_missing.get(err.error)
            if missing is None or not self.check_mode:
                raise
            self.assume(missing.format(**self.params))
            self.known_absent = True
            return self.unlisted()

    def listing_key(self):
        """The kind and scope of the listing ``current()`` reads: ``(key, scope)``."""
        scope = {o: self.params.get(o) for o in self.scope_options}
        return (self.kind,) + tuple(scope[o] for o in self.scope_options), scope

    def unlisted(self) -> Optional[Dict[str, Any]]:
        """Hook: the state of a resource its kind's listing does not show (default: absent)."""
        return None

    def current_of(self, declaration, **identity):
        """Another resource of this run (the channel a device points at): what this run wrote
        (or predicted) for it, else its current state (from the run's listing, or read on its own)."""
        peer = declaration(self.engine, dict(self.params, **identity))
        peer.known_absent = self.known_absent  # the parent of both is only predicted (check mode)
        key = (declaration.kind, peer.identity())
        with self.engine.lock:
            if key in self.engine.written:
                return self.engine.written[key]
        return peer.current()

    def ambiguous(self, hits):
        ids = ", ".join(sorted("%s" % h.get("id") for h in hits))
        return self.failure("%d objects match %s (ids %s)" % (len(hits), self.describe(), ids))

    def __init__(self, engine, params):
        self.reveal = set()
        self.before = None
        self.after = None
        self.planned = {}  # what present() decided to write: the desired state, or the changes
        self.prediction = None  # the state present() predicts after that write
        super().__init__(engine, params)

    @property
    def absent_wanted(self):
        return self.params.get(self.state_option, "present") == "absent"

    # -- desired state ---------------------------------------------------

    def normalize(self, key: str, value: Any) -> Any:
        """Hook: turn an option value into the form ``read()`` returns."""
        return value

    def desired(self) -> Dict[str, Any]:
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

    def values_equal(self, key: str, current: Any, wanted: Any) -> bool:
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

    def compare(self, before: Dict[str, Any], desired: Dict[str, Any]) -> Dict[str, Any]:
        """The part of ``desired`` that differs from ``before`` (nested dicts: only differing keys)."""
        changes = {}
        for key, wanted in desired.items():
            current = before.get(key)
            if isinstance(wanted, dict):
                current = current if isinstance(current, dict) else {}
                sub = {k: v for k, v in wanted.items() if not self.values_equal(key, current.get(k), v)}
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

    def predict_create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        return self.merge(self.create_defaults, desired)

    def predict_update(self, before: Dict[str, Any], changes: Dict[str, Any]) -> Dict[str, Any]:
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
        return self.mask({k: copy.deepcopy(state.get(k)) for k in self.managed if k in state})

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

    def create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        raise NotImplementedError

    def update(self, before: Dict[str, Any], changes: Dict[str, Any]) -> Dict[str, Any]:
        raise NotImplementedError

    def delete(self, before: Dict[str, Any]) -> None:
        raise NotImplementedError

    def current_after_write(self, msg=None):
        """The state after a write: ``read()`` (failing, with ``msg`` if given, when the resource is
        not there), or, in a run over many resources, the state check mode predicts, so that such
        a run sends one write per change and nothing else."""
        if self.engine.prefer_listings and self.prediction is not None:
            return copy.deepcopy(self.prediction)
        after = self.read()
        if after is None:
            self.fail(msg or "%s was written but cannot be read back" % self.describe())
        return after

    def check_create(self, desired: Dict[str, Any]) -> None:
        """Hook run before a create (also in check mode): fail early on what cannot work."""
        missing = [k for k in self.create_required if desired.get(k) is None and self.params.get(k) is None]
        if missing:
            self.fail("%s is required to create %s" % (", ".join(missing), self.describe()))

    def check_update(self, before: Dict[str, Any], changes: Dict[str, Any]) -> None:
        """Hook run before an update (also in check mode)."""
        return None

    def present(self, before: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
        desired = self.desired()
        self.planned = desired
        if before is None:
            self.check_create(desired)
            self.result["changed"] = True
            self.prediction = self.predict_create(desired)
            if self.check_mode:
                return self.prediction
            return self.create(desired)
        changes = self.compare(before, desired)
        self.planned = changes
        if not changes:
            return before
        self.check_update(before, changes)
        self.result["changed"] = True
        self.prediction = self.predict_update(before, changes)
        if self.check_mode:
            return self.prediction
        return self.update(before, changes)

    def absent(self, before: Optional[Dict[str, Any]]) -> None:
        if before is None:
            return None
        self.result["changed"] = True
        if not self.check_mode:
            self.delete(before)
        return None

    def execute(self):
        before = self.current_or_assumed()
        self.before = before
        if self.absent_wanted:
            after = self.absent(before)
        else:
            after = self.present(before)
        self.after = after
        if self.kind and self.result.get("changed"):
            with self.engine.lock:
                self.engine.written[(self.kind, self.identity())] = after
        self.finish(before, after)

    def finish(self, before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]]) -> None:
        self.result[self.resource_key] = self.public_view(after)
        if self.engine.diff:
            self.result["diff"] = dict(before=self.diff_view(before), after=self.diff_view(after))

    # -- in an environment (capgo_environment) ---------------------------

    @classmethod
    def with_defaults(cls, params):
        """``params`` with every option it does not set at its default (None without one)."""
        out = {name: option.get("default") for name, option in cls.argument_spec.items()}
        out.update(params)
        return out

    @classmethod
    def item_id(cls, params: Dict[str, Any]) -> str:
        """The identity ``capgo_environment``'s ``changes`` name the resource by (``com.example.app/beta``)."""
        return "/".join("%s" % params.get(o) for o in cls.identity_options)

    @classmethod
    def purge_options(cls, state: Dict[str, Any], scope: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """The options that delete the listed ``state`` of ``scope`` (a purge), or None: it stays."""
        return None

    def change_action(self, before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]]) -> str:
        """create, update or delete."""
        if not before:
            return "create"
        if not after:
            return "delete"
        return "update"

    def revealed_secrets(self):
        """The secrets this run created (``{field: value}``): returned once, never in a state."""
        after = self.after or {}
        return {key: after[key] for key in self.secret_fields if key in self.reveal and after.get(key)}

    def environment_view(self):
        """The state after the run as an environment returns it: no secret field at all."""
        if not self.after:
            return {}
        return copy.deepcopy({k: v for k, v in self.public_view(self.after).items() if k not in self.secret_fields})

    def changes(self, item_id: str, result: Dict[str, Any]) -> List[Dict[str, Any]]:
        """What this run changed (``result``: the run's result, or its failure's), as ``capgo_environment``'s
        ``changes`` entries (managed fields, secrets masked)."""
        if not result.get("changed"):
            return []
        before, after = self.before, self.after
        action = self.change_action(before, after)
        old, new = self.diff_view(before), self.diff_view(after)
        if action != "delete":
            # The fields this run decided to write, computed before writing: the same in check mode.
            keys = [k for k in self.planned if k in self.managed]
            old = {k: old.get(k) for k in keys if k in old} if action == "update" else {}
            new = {k: new.get(k) for k in keys}
        return [{"kind": self.kind, "id": item_id, "action": action, "before": old, "after": new}]
