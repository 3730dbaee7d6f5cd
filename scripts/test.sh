#!/usr/bin/env bash
# Run every test of the capgo.cloud collection: the one command behind `make test` and CI.
#
# Stages (in this order; each runs even when an earlier one failed):
#   emulator           pytest suite of the Capgo API emulator (tests/emulator/tests)
#   checks             repository checks: no sanity ignore files, one standard seed that loads
#   build              ansible-galaxy builds the artifact; a copy seeded with decoys (venvs,
#                      test output, local config, caches, ...) packs none of them
#   lint               ansible-lint --profile production --strict over the whole tree
#   importer           galaxy-importer on the artifact (as Galaxy runs it): no WARNING/ERROR
#   docs-lint          antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all
#   changelog          antsibull-changelog lint, CHANGELOG.rst up to date, version_added of new plugins
#   docs               make docs (antsibull-docs + Sphinx -W, internal links) in a copy of the tree
#   readme             every command shown in README.md runs (see scripts/gates.sh)
#   sanity             ansible-test sanity --venv on ansible-core $SANITY_CORE (2.19)
#   units-<core>       ansible-test units on every core of $CORE_VERSIONS
#   integration-<core> ansible-test integration against one emulator, every core
#   awx                the collection built and installed, its playbooks run as AWX jobs
#                      through ansible-runner against the emulator, and the EE build
#                      context (tests/awx; venv `awx` from tests/requirements/awx.txt)
#
# Knobs (environment):
#   CORE_VERSIONS="2.16 2.17 2.18 2.19"  cores for units and integration
#   STAGES="emulator checks build lint importer docs-lint changelog docs readme sanity units integration awx"
#                                        stage kinds to run (default: all of them)
#   TARGETS="capgo_channel ..."          integration targets (default: all)
#   SANITY_CORE=2.19                     core for sanity
#   PYTHON=python3.11                    interpreter for the venvs
#   KEEP_TMP=1                           keep the temporary collection tree
#   VERBOSE=1                            pass -v to ansible-test
#
# Venvs live in .venvs/ and are rebuilt only when their requirements change.
# Results: tests/output/ (ansible-test's output of the last run, and logs/<stage>.log).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/gates.sh
. "$ROOT/scripts/gates.sh"
CORE_VERSIONS=${CORE_VERSIONS:-"2.16 2.17 2.18 2.19"}
SANITY_CORE=${SANITY_CORE:-2.19}
ALL_STAGES="emulator checks build lint importer docs-lint changelog docs readme sanity units integration awx"
STAGES=${STAGES:-$ALL_STAGES}
TARGETS=${TARGETS:-}

# The modules read these as fallbacks; a developer's own settings must not leak into tests.
unset CAPGO_API_KEY CAPGO_TOKEN CAPGO_API_URL CAPGO_TIMEOUT CAPGO_RETRIES CAPGO_VALIDATE_CERTS CAPGO_CA_PATH \
    CAPGO_SESSION_TOKEN CAPGO_LOOKUP_API_KEY
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-0}

EMU_STARTED=0
LOGDIR=""
START_TS=$(date +%s)

declare -a ST_NAME=() ST_RESULT=() ST_PASSED=() ST_FAILED=() ST_SKIPPED=() ST_SECS=() ST_NOTE=()

want() { [[ " $STAGES " == *" $1 "* ]]; }

# ---------------------------------------------------------------- cleanup
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_child
    stop_emulator
    if [[ -n "$COLL" && -d "$COLL/tests/output" ]]; then
        mkdir -p "$ROOT/tests/output"
        (cd "$COLL/tests/output" && tar --exclude=./.tmp -cf - .) | (cd "$ROOT/tests/output" && tar -xf -) 2>/dev/null || true
    fi
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        if [[ "${KEEP_TMP:-0}" == 1 ]]; then
            say "temporary tree kept: $COLL"
        else
            rm -rf "$WORK"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

# ---------------------------------------------------------------- stage bookkeeping
# record NAME RESULT(PASS|FAIL|SKIP) PASSED FAILED SKIPPED SECONDS NOTE
record() {
    ST_NAME+=("$1"); ST_RESULT+=("$2"); ST_PASSED+=("$3"); ST_FAILED+=("$4")
    ST_SKIPPED+=("$5"); ST_SECS+=("$6"); ST_NOTE+=("$7")
}

# Counts summed over every pytest summary line of a log ("== 3 failed, 10 passed, 1 skipped
# in 2.1s =="); ansible-test units runs pytest once per group (modules, module_utils, controller).
pytest_counts() {
    grep -E '^=+ .*( passed| failed| errors?| skipped| no tests ran).* in [0-9.]+s' "$1" | awk '
        { for (i = 2; i <= NF; i++) {
              w = $i; sub(/,$/, "", w)
              if (w == "passed") p += $(i-1)
              else if (w == "failed" || w == "error" || w == "errors") f += $(i-1)
              else if (w == "skipped") s += $(i-1)
          } }
        END { printf "%d %d %d\n", p, f, s }'
}

# ansible-test's closing "FATAL: The N ... test(s) listed below (out of M) failed".
ansible_test_failed_counts() {
    local line
    line=$(grep -oE 'The [0-9]+ [a-z]+ test\(s\) listed below \(out of [0-9]+\) failed' "$1" | tail -n 1)
    if [[ -n "$line" ]]; then
        local n m
        n=$(awk '{print $2}' <<<"$line")
        m=$(grep -oE 'out of [0-9]+' <<<"$line" | awk '{print $3}')
        echo "$(( m - n )) $n"
    fi
}

# run_stage NAME KIND FUNCTION [ARGS...]; KIND: pytest | sanity | integration | checks
run_stage() {
    local name=$1 kind=$2 fn=$3
    shift 3
    local log="$LOGDIR/$name.log" t0 rc secs
    banner "$name"
    t0=$(date +%s)
    STAGE_NOTE=""
    # Show the stage's output and keep it in $log. The tee's fd is kept in TEE_FD so that
    # start_emulator can close it in the long-running emulator (else tee would never end).
    local tee_pid
    exec {TEE_FD}> >(tee "$log")
    tee_pid=$!
    "$fn" "$@" >&"$TEE_FD" 2>&1
    rc=$?
    exec {TEE_FD}>&-
    wait "$tee_pid" 2>/dev/null
    secs=$(( $(date +%s) - t0 ))
    local p=0 f=0 s=0 counts
    case "$rc:$kind" in
        77:*)  # the stage has legitimately nothing to run yet
            record "$name" SKIP 0 0 0 "$secs" "${STAGE_NOTE:-nothing to run}"
            return 0 ;;
    esac
    case "$kind" in
        pytest)
            read -r p f s < <(pytest_counts "$log") ;;
        sanity|integration)
            counts=$(ansible_test_failed_counts "$log")
            if [[ -n "$counts" ]]; then
                read -r p f <<<"$counts"
            elif [[ "$kind" == sanity ]]; then
                p=$(grep -cE '^Running sanity test ' "$log" || true)
            else
                p=$(grep -oE '^Running [^ ]+ integration test (role|script)' "$log" | awk '{print $2}' \
                    | grep -vE '^(setup|prepare)_' | sort -u | wc -l)
            fi ;;
        checks)
            p=$(grep -cE '^ok: ' "$log" || true)
            f=$(grep -cE '^not ok: ' "$log" || true) ;;
    esac
    if (( rc != 0 )); then
        (( f == 0 )) && f=1
        record "$name" FAIL "$p" "$f" "$s" "$secs" "${STAGE_NOTE:-exit status $rc}"
    else
        record "$name" PASS "$p" "$f" "$s" "$secs" "$STAGE_NOTE"
    fi
    return 0
}

# ---------------------------------------------------------------- stages
stage_emulator() {
    if ! compgen -G "$COLL/tests/emulator/tests/test_*.py" >/dev/null; then
        STAGE_NOTE="no emulator tests yet"
        return 77
    fi
    ensure_emulator_venv || return 1
    run_child "$COLL/tests/emulator" env PYTHONPATH="$COLL/tests/emulator" \
        "$VENVS/emulator/bin/python" -m pytest -p no:cacheprovider tests
}

stage_checks() {
    local rc=0 f
    # 1. Sanity runs with zero ignores.
    local ignores=()
    for f in "$COLL"/tests/sanity/ignore-*.txt; do [[ -e "$f" ]] && ignores+=("${f#"$COLL"/}"); done
    if (( ${#ignores[@]} )); then
        say "not ok: sanity ignore files are not allowed: ${ignores[*]}"
        rc=1
    else
        say "ok: no tests/sanity/ignore-*.txt"
    fi
    # 2. One seed: examples/seed.yml is the only copy of the standard world, and it loads.
    ensure_emulator_venv || return 1  # PyYAML and the emulator's own loader
    PYTHONPATH="$COLL/tests/emulator" "$VENVS/emulator/bin/python" - "$COLL" <<'EOF' || rc=1
import os, sys, yaml
from capgo_emulator.state import State
root = sys.argv[1]
seed = os.path.join(root, 'examples/seed.yml')
State().load_seed(yaml.safe_load(open(seed)))
print('ok: examples/seed.yml loads in the emulator')
copies = [p for p in ('tests/integration/seed.yml',) if os.path.exists(os.path.join(root, p))]
defaults = os.path.join(root, 'tests/integration/targets/setup_capgo_emulator/defaults/main.yml')
a = yaml.safe_load(open(seed))
b = yaml.safe_load(open(defaults)).get('setup_capgo_emulator_seed')
if a == b:
    print('ok: tests/integration/seed.yml == setup_capgo_emulator defaults setup_capgo_emulator_seed')
else:
    print('not ok: tests/integration/seed.yml differs from setup_capgo_emulator_seed in %s' % os.path.relpath(defaults, root))
    sys.exit(1)
print('ok: no second copy of the standard seed')
EOF
    return $rc
}

ansible_test() {
    local core=$1
    shift
    local venv
    venv=$(core_venv "$core")
    local v=()
    [[ "${VERBOSE:-0}" == 1 ]] && v=(-v)
    run_child "$COLL" env PATH="$venv/bin:$PATH" VIRTUAL_ENV="$venv" "$venv/bin/ansible-test" "$@" "${v[@]}"
}

stage_sanity() {
    local core=$1
    local f
    for f in "$COLL"/tests/sanity/ignore-*.txt; do
        if [[ -e "$f" ]]; then
            say "sanity ignore files are not allowed: ${f#"$COLL"/}"
            return 1
        fi
    done
    ensure_core_venv "$core" || return 1
    ansible_test "$core" sanity --venv --python 3.11
}

stage_units() {
    local core=$1
    if [[ -z "$(find "$COLL/tests/unit" -name 'test_*.py' 2>/dev/null | head -n 1)" ]]; then
        STAGE_NOTE="no unit tests yet"
        return 77
    fi
    ensure_core_venv "$core" || return 1
    ansible_test "$core" units --local --python 3.11
}

integration_targets() {
    local d
    for d in "$COLL"/tests/integration/targets/*/; do
        d=$(basename "$d")
        [[ "$d" == setup_* || "$d" == prepare_* ]] && continue
        echo "$d"
    done
}

write_integration_config() {
    "$VENVS/emulator/bin/python" - "$COLL/examples/seed.yml" "$EMU_URL" "$COLL/tests/emulator" \
        > "$COLL/tests/integration/integration_config.yml" <<'EOF'
import sys, yaml
seed = yaml.safe_load(open(sys.argv[1]))
url = sys.argv[2]
keys = {k['name']: k['key'] for k in seed.get('apikeys', [])}
tokens = {u['email']: u.get('session_token') for u in seed.get('users', [])}
orgs = {o['name']: o['id'] for o in seed.get('orgs', [])}
cfg = {
    'capgo_api_url': url,
    'capgo_emulator_url': url,
    'capgo_api_key': keys['integration-admin'],
    'capgo_session_token': tokens['admin@example.com'],
    # More identities of the standard seed, for permission tests.
    'capgo_reader_api_key': keys.get('integration-reader'),
    'capgo_developer_api_key': keys.get('integration-developer'),
    'capgo_outsider_api_key': keys.get('outsider-admin'),
    'capgo_dev_session_token': tokens.get('dev@example.com'),
    'capgo_outsider_session_token': tokens.get('outsider@example.com'),
    'capgo_org_id': orgs.get('Demo org'),
    'capgo_other_org_id': orgs.get('Other org'),
    # The whole standard seed: setup_capgo_emulator's default capgo_seed.
    'capgo_standard_seed': seed,
    # For targets that start an emulator of their own (an HTTPS one, say): its interpreter,
    # sources and the standard seed file.
    'capgo_emulator_python': sys.executable,
    'capgo_emulator_path': sys.argv[3],
    'capgo_emulator_seed': sys.argv[1],
}
print('---')
print(yaml.safe_dump(cfg, default_flow_style=False, sort_keys=False), end='')
EOF
}

stage_integration() {
    local core=$1
    local targets=()
    if [[ -n "$TARGETS" ]]; then
        read -r -a targets <<<"$TARGETS"
    elif [[ -z "$(integration_targets)" ]]; then
        STAGE_NOTE="no integration targets yet"
        return 77
    fi
    ensure_core_venv "$core" || return 1
    if (( ! EMU_STARTED )); then
        EMU_STARTED=1
        start_emulator "$COLL/examples/seed.yml" "$LOGDIR/emulator-server.log" || return 1
    fi
    if [[ -z "$EMU_PID" ]] || ! kill -0 "$EMU_PID" 2>/dev/null; then
        say "the emulator is not running (see $LOGDIR/emulator-server.log)"
        return 1
    fi
    write_integration_config || return 1
    ansible_test "$core" integration --local --python 3.11 --continue-on-error "${targets[@]}"
}

# AWX jobs: build and install the collection as an EE would hold it, start an emulator of
# its own (after the integration stages, whose emulator it replaces), and run tests/awx.
# The emulator is stopped whatever the outcome.
stage_awx() {
    if [[ ! -d "$COLL/tests/awx" ]]; then
        STAGE_NOTE="no tests/awx yet"
        return 77
    fi
    ensure_venv awx "$REQ_DIR/awx.txt" || return 1
    local venv="$VENVS/awx" dist="$WORK/awx-dist" cols="$WORK/awx-collections" rc
    rm -rf "$dist" "$cols"
    mkdir -p "$dist" "$cols"
    run_child "$COLL" "$venv/bin/ansible-galaxy" collection build --force --output-path "$dist" || return 1
    run_child "$WORK" "$venv/bin/ansible-galaxy" collection install --force -p "$cols" "$dist"/capgo-cloud-*.tar.gz \
        || return 1
    stop_emulator
    start_emulator "$COLL/examples/seed.yml" "$LOGDIR/emulator-awx.log" || return 1
    run_child "$COLL" env PATH="$venv/bin:$PATH" CAPGO_AWX_ROOT="$COLL" CAPGO_AWX_COLLECTIONS="$cols" \
        CAPGO_AWX_EMULATOR="$EMU_URL" "$venv/bin/python" -m pytest -p no:cacheprovider tests/awx
    rc=$?
    stop_emulator
    return $rc
}

# ---------------------------------------------------------------- main
for kind in $STAGES; do
    case "$kind" in
        emulator|checks|build|lint|importer|docs-lint|changelog|docs|readme|sanity|units|integration|awx) ;;
        *) say "unknown stage kind '$kind' (known: $ALL_STAGES)"; exit 2 ;;
    esac
done

say "capgo.cloud tests: cores [$CORE_VERSIONS], stages [$STAGES]${TARGETS:+, targets [$TARGETS]}"
if ! command -v "$PYTHON" >/dev/null; then
    say "$PYTHON not found (set PYTHON=...)"
    exit 2
fi

LOGDIR="$ROOT/tests/output/logs"
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"
layout_tree test || { say "could not lay out the collection tree"; exit 2; }

want emulator && run_stage emulator pytest stage_emulator
want checks && run_stage checks checks stage_checks
want build && run_stage build checks stage_build
want lint && run_stage lint checks stage_lint
want importer && run_stage importer checks stage_importer
want docs-lint && run_stage docs-lint checks stage_docs_lint
want changelog && run_stage changelog checks stage_changelog
want docs && run_stage docs checks stage_docs
want readme && run_stage readme checks stage_readme
want sanity && run_stage "sanity-$SANITY_CORE" sanity stage_sanity "$SANITY_CORE"
if want units; then
    for core in $CORE_VERSIONS; do run_stage "units-$core" pytest stage_units "$core"; done
fi
if want integration; then
    for core in $CORE_VERSIONS; do run_stage "integration-$core" integration stage_integration "$core"; done
fi
want awx && run_stage awx pytest stage_awx
stop_emulator

# ---------------------------------------------------------------- summary
banner "summary"
total_p=0 total_f=0 total_s=0 stages_failed=0
printf '%-18s %-5s %7s %7s %7s %7s  %s\n' STAGE RESULT PASSED FAILED SKIPPED SECONDS NOTE
for i in "${!ST_NAME[@]}"; do
    printf '%-18s %-5s %7s %7s %7s %7s  %s\n' "${ST_NAME[$i]}" "${ST_RESULT[$i]}" "${ST_PASSED[$i]}" \
        "${ST_FAILED[$i]}" "${ST_SKIPPED[$i]}" "${ST_SECS[$i]}" "${ST_NOTE[$i]}"
    total_p=$(( total_p + ST_PASSED[i] ))
    total_f=$(( total_f + ST_FAILED[i] ))
    total_s=$(( total_s + ST_SKIPPED[i] ))
    [[ "${ST_RESULT[$i]}" == FAIL ]] && stages_failed=$(( stages_failed + 1 ))
done
say "total time: $(( $(date +%s) - START_TS )) s; logs: tests/output/logs/"
say "counts are tests (pytest), sanity tests and integration targets"
if (( total_s > 0 )); then
    say "$total_p passed, $total_f failed, $total_s skipped"
else
    say "$total_p passed, $total_f failed"
fi
(( stages_failed == 0 && total_f == 0 ))
