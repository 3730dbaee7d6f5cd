# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the pipeline's own code (run by the `checks` session, in the emulator's venv)."""

import io
import json
import os
import signal
import sys
import tarfile

import pytest

from pipeline import checks, common, emulator, matrix, results, run

LISTED = {"emulator": ["emulator"], "checks": ["checks"], "artifact": ["checks"],
          "units-2.19": ["units", "core-2.19"], "units-2.21": ["units", "core-2.21"],
          "integration-2.21": ["integration", "core-2.21"]}


def test_select_by_name_tag_and_glob_in_pipeline_order():
    assert run.select(LISTED, []) == [n for n in matrix.PIPELINE if n in LISTED]
    assert run.select(LISTED, ["integration-2.21", "emulator"]) == ["emulator", "integration-2.21"]
    assert run.select(LISTED, ["core-2.21"]) == ["units-2.21", "integration-2.21"]
    assert run.select(LISTED, ["units-2.1*"]) == ["units-2.19"]
    with pytest.raises(SystemExit, match="unknown stage"):
        run.select(LISTED, ["nope"])


def test_table_ends_with_the_counts_line_and_fails_on_any_failure(capsys):
    rows = [dict(name="a", result="PASS", passed=3, failed=0, skipped=0, seconds=1.0, note=""),
            dict(name="b", result="FAIL", passed=1, failed=0, skipped=0, seconds=2.0, note="")]
    assert run.table(rows, 3.0) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "4 passed, 0 failed"
    assert run.table(rows[:1], 1.0) == 0


def test_junit_counts(tmp_path):
    path = tmp_path / "r.xml"
    path.write_text('<testsuites><testsuite><testcase name="a"/><testcase name="b"><failure/></testcase>'
                    '<testcase name="c"><error/></testcase><testcase classname="sanity" name="shellcheck"><skipped/>'
                    '</testcase></testsuite></testsuites>')
    counts, skipped = results.junit_counts([str(path)])
    assert (counts.passed, counts.failed, counts.skipped) == (1, 2, 1)
    assert skipped == ["sanity shellcheck"]


def test_integration_counts_the_targets_missing_from_the_data_file(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "integration-2026.json").write_text(json.dumps({"targets": {"a": {}, "b": {}}}))
    counts = results.integration_counts(str(tmp_path), ["a", "b", "c"])
    assert (counts.passed, counts.failed, counts.notes) == (2, 1, ["failed: c"])


def _tarball(path, files):
    with tarfile.open(str(path), "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_check_artifact_finds_a_decoy_by_path_and_by_content(tmp_path):
    clean = tmp_path / "clean"
    clean.mkdir()
    good = {name: "x" for name in checks.ARTIFACT_MUST}
    _tarball(tmp_path / "good.tar.gz", good)
    assert checks.check_artifact(str(tmp_path / "good.tar.gz"), "good", str(clean), "MARK", [".env"]).failed == 0
    _tarball(tmp_path / "bad.tar.gz", dict(good, **{".env": "y", "README.md": "MARK"}))
    counts = checks.check_artifact(str(tmp_path / "bad.tar.gz"), "bad", str(clean), "MARK", [".env"])
    assert counts.failed == 2


def test_importer_log_refuses_a_warning():
    done = "Importer processing completed successfully"
    assert checks.importer_log("INFO: fine\n" + done).failed == 0
    assert checks.importer_log("WARNING: plugins/x.py: E501\n" + done).failed == 1
    assert checks.importer_log("INFO: fine\n").failed == 1


def test_readme_parsing(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("x\n```console\n$ make test\nout\n$ make demo\n```\n<!-- readme-test: p.yml -->\n```yaml\n- a: 1\n```\n")
    assert checks.readme_commands(str(readme)) == ["make test", "make demo"]
    assert checks.readme_block(str(readme), "p.yml") == "- a: 1\n"


SEED = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
                    "examples", "seed.yml")


def test_launcher_waits_for_the_ready_file_and_stops_the_emulator(tmp_path):
    with emulator.running(str(tmp_path), seed=SEED) as emu:
        assert emu.url.startswith("http://127.0.0.1:")
        assert emu.start_line() == "capgo-emulator listening on " + emu.url
        proc = emu.proc
    assert proc.returncode == 0  # SIGTERM handled cleanly
    assert not os.path.exists(emu.ready_file)


def test_launcher_reports_an_emulator_that_does_not_start(tmp_path):
    bad = tmp_path / "seed.yml"
    bad.write_text("apps: [{app_id: 1}]\n")
    with pytest.raises(emulator.EmulatorError, match="exited with status 2"):
        emulator.start(str(tmp_path), seed=str(bad))


def test_launcher_stop_kills_what_ignores_sigterm(tmp_path):
    emu = emulator.start(str(tmp_path), seed=SEED)
    os.kill(emu.pid, signal.SIGSTOP)  # a stopped process cannot act on SIGTERM
    assert emu.stop(timeout=1) == -signal.SIGKILL


def test_venvs_of_a_moved_clone_are_removed_and_others_kept(tmp_path):
    def venv(name, interpreter):
        path = tmp_path / name / "bin"
        path.mkdir(parents=True)
        (path / "pip").write_text(u"#!%s\n# -*- coding: utf-8 -*-\n" % interpreter)
    venv("moved", os.path.realpath(sys.executable))
    (tmp_path / "moved" / "bin" / "ansible-galaxy").write_text(u"#!/elsewhere/.venvs/nox-sessions/moved/bin/python\n")
    venv("here", os.path.realpath(sys.executable))
    venv("long-path", "/bin/sh")  # pip's form for a path too long for a shebang
    (tmp_path / "no-venv").mkdir()
    common.drop_moved_venvs(str(tmp_path))
    assert sorted(os.listdir(str(tmp_path))) == ["here", "long-path", "no-venv"]
