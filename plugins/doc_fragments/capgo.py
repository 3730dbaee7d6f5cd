# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # Connection options shared by every capgo.cloud module.
    DOCUMENTATION = r"""
options:
  api_key:
    description:
      - Capgo API key, sent raw in the C(authorization) header.
      - A dashboard session token (JWT) also works on the routes that accept one; some
        operations (creating API keys, changing a key's bindings) need one.
      - If not set, the environment variable E(CAPGO_API_KEY) is used, then E(CAPGO_TOKEN).
      - Never printed by the modules, not even in error messages.
    type: str
    required: true
  api_url:
    description:
      - Base URL of the Capgo API, for self-hosted Capgo or the local emulator.
      - If not set, the environment variable E(CAPGO_API_URL) is used.
    type: str
    default: https://api.capgo.app
  timeout:
    description:
      - Timeout of each HTTP request, in seconds; a number greater than V(0).
      - When a write was sent but its answer did not arrive in time (or the connection dropped
        before it), the task fails saying that the write may have been applied; running it
        again reads the current state and converges.
      - If not set, the environment variable E(CAPGO_TIMEOUT) is used.
    type: float
    default: 30
  retries:
    description:
      - How many times a request is retried after HTTP 429 (honouring C(Retry-After)),
        502, 503, 504 or a connection error, with exponential backoff and jitter.
      - Only requests Capgo treats as repeatable are retried after 5xx or connection
        errors; 401 is never retried (Capgo locks an address out after 20 failed
        authentications). Each retry is reported as a warning.
      - V(0) or more; V(0) disables retries. A request whose connection could not be
        opened was never seen by Capgo and is retried whatever its method.
      - If not set, the environment variable E(CAPGO_RETRIES) is used.
    type: int
    default: 5
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url).
      - V(false) skips the check entirely (O(ca_path) is then ignored).
      - Holds even when E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) is set in the environment;
        with V(true) and no O(ca_path), the bundle those variables name is used.
      - If not set, the environment variable E(CAPGO_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - Path of a CA bundle (PEM) to verify a private endpoint with; it must exist.
      - Takes precedence over E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE).
      - If not set, the environment variable E(CAPGO_CA_PATH) is used.
    type: path
  files_url:
    description:
      - Base URL of Capgo's files service, which receives the bundles M(capgo.cloud.capgo_bundle)
        uploads (O(capgo.cloud.capgo_bundle#module:src)); for self-hosted Capgo or the local emulator.
      - Uploads honour O(timeout), O(retries), O(validate_certs) and O(ca_path) too.
      - If not set, the environment variable E(CAPGO_FILES_URL) is used.
    type: str
    default: https://files.capgo.app
    version_added: 0.2.0
requirements:
  - requests >= 2.25
notes:
  - All modules of this collection are in the action group C(capgo.cloud.capgo), so
    C(module_defaults) with C(group/capgo.cloud.capgo) sets these options once for a play.
"""

    # Attributes of the resource modules (capgo_info uses INFO_ATTRIBUTES).
    ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the changed status prediction without modifying Capgo.
    support: full
    details:
      - Check mode sends no POST, PUT or DELETE request; it reads the current state and predicts the result.
      - Across tasks, a check run cannot see what an earlier task only predicted. A dependency
        that an earlier task of the run would create (the bundle a channel serves, the channel a
        device or C(promote_from) names, the app a resource belongs to) is then assumed, with a
        warning that names it, and the task predicts what the real run reports once it exists.
        A real run still fails on a dependency that does not exist.
      - The result's C(check_mode) says whether it is a prediction, also when check mode comes
        from the task keyword C(check_mode), where C(ansible_check_mode) stays false.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode).
    support: full
    details:
      - C(diff.before) and C(diff.after) hold only the fields the module manages; secrets are masked.
  action_group:
    description: Use C(group/capgo.cloud.capgo) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - capgo.cloud.capgo
"""

    INFO_ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the same information as in a normal run.
    support: full
  diff_mode:
    description: Returns no diff; the module changes nothing in Capgo.
    support: none
  action_group:
    description: Use C(group/capgo.cloud.capgo) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - capgo.cloud.capgo
"""

    # The connection options of the inventory plugin: the same options (their descriptions come
    # from DOCUMENTATION above), read from the same environment variables through Ansible's
    # configuration (the last variable listed that is set wins).
    PLUGIN = r"""
options:
  api_key:
    env:
      - name: CAPGO_TOKEN
      - name: CAPGO_API_KEY
  api_url:
    env:
      - name: CAPGO_API_URL
  timeout:
    env:
      - name: CAPGO_TIMEOUT
  retries:
    env:
      - name: CAPGO_RETRIES
  validate_certs:
    env:
      - name: CAPGO_VALIDATE_CERTS
  ca_path:
    env:
      - name: CAPGO_CA_PATH
  files_url:
    env:
      - name: CAPGO_FILES_URL
"""
