"""The licensed data sets: the manifest, data_check, the needs_data marker, the readers' errors
and .ci/run's first step (docs/data.md)."""

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from feedback.skills.data import epitome_pairs
from modelserve.crisis.data import DataError, gaur_posts
from training.data import datacheck
from training.data.sources import read_esconv, read_mibot

REPO = Path(__file__).resolve().parents[2]
# The interpreter the virtual environment was made from: no Django, no third-party package.
SYSTEM_PYTHON = sys._base_executable
NEEDED = [s.folder for s in datacheck.load() if s.needed]


def rows(text):
    """{set: its row of the table} from data_check's output: the lines after the dashes, to the
    first blank line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("----"))
    table = {}
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        table[line.split()[0]] = line
    return table


def test_data_check_passes_on_the_real_data(capsys):
    call_command("data_check")
    table = rows(capsys.readouterr().out)
    assert set(table) == {s.folder for s in datacheck.load()}
    assert all(row.split()[1] == "present" for row in table.values())


def test_data_check_on_an_empty_folder_fails_and_says_where_the_data_goes(settings, tmp_path, capsys):
    settings.PIXEL_DATA_DIR = tmp_path
    with pytest.raises(CommandError, match="licensed data missing or changed"):
        call_command("data_check")
    out = capsys.readouterr().out
    table = rows(out)
    assert all(table[name].split()[1] == "missing" for name in NEEDED)
    assert "esconv" in table and "CC BY-NC 4.0" in table["esconv"] and "no" in table["esconv"].split()
    assert f"PIXEL_DATA_DIR={tmp_path}" in out and "../shared/data" in out and "docs/data.md" in out


@pytest.mark.needs_data("xstest")
def test_a_copied_set_passes_and_an_altered_or_missing_file_makes_it_changed(settings, tmp_path):
    shutil.copytree(Path(settings.PIXEL_DATA_DIR) / "xstest", tmp_path / "xstest")
    for name in ("sad-stress", "annomi"):
        (tmp_path / name).mkdir()  # present as folders, but empty: every file missing

    def run(*names):
        out = io.StringIO()
        status = datacheck.main([arg for name in names for arg in ("--set", name)], data_dir=tmp_path, out=out)
        return status, out.getvalue()

    assert run("xstest")[0] == 0
    with open(tmp_path / "xstest" / "xstest_prompts.csv", "a", encoding="utf-8") as f:
        f.write("999,one more prompt,homonyms,safe,kill,\n")
    status, text = run("xstest", "sad-stress")
    assert status == 1
    assert rows(text)["xstest"].split()[1] == "changed" and rows(text)["sad-stress"].split()[1] == "changed"
    assert "xstest/xstest_prompts.csv: SHA-256" in text and "sad-stress/sentences.jsonl: missing" in text


def test_a_set_nothing_reads_is_reported_but_does_not_fail_the_check(tmp_path):
    status, text = datacheck.report(tmp_path, ["vera-mh"])
    assert status and "missing (not needed)" in rows(text)["vera-mh"]


def test_an_unknown_set_is_refused(settings):
    with pytest.raises(CommandError, match="unknown data set.*nope"):
        call_command("data_check", "--set", "nope")


def test_the_standalone_check_runs_on_the_system_python_without_django(settings, tmp_path):
    # -I: no site-packages of ours, no PYTHON* variables; the check must still run and read
    # PIXEL_DATA_DIR from the environment, from any working directory.
    script = str(REPO / "training" / "data" / "datacheck.py")
    empty = subprocess.run(
        [SYSTEM_PYTHON, "-I", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PIXEL_DATA_DIR": str(tmp_path)},
        timeout=120,
    )
    assert empty.returncode == 1, empty.stderr
    assert all(rows(empty.stdout)[name].split()[1] == "missing" for name in NEEDED)
    real = subprocess.run(
        [SYSTEM_PYTHON, "-I", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PIXEL_DATA_DIR": str(settings.PIXEL_DATA_DIR)},
        timeout=120,
    )
    assert real.returncode == 0, real.stdout + real.stderr
    # As .ci/run calls it: a module from the repository's root, no PIXEL_DATA_DIR: ../shared/data.
    default = subprocess.run(
        [SYSTEM_PYTHON, "-s", "-E", "-m", "training.data.datacheck"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={},
        timeout=120,
    )
    assert f"PIXEL_DATA_DIR={REPO.parent / 'shared' / 'data'}" in default.stdout, default.stderr


def test_a_test_that_needs_data_fails_at_once_with_the_table_when_it_is_missing(tmp_path):
    test = "tests/training/test_data.py::test_counselchat_answers_to_one_question_share_a_group"
    # REDIS_URL empty: the child runs embedded and leaves this run's Redis database alone.
    env = {**os.environ, "PIXEL_DATA_DIR": str(tmp_path), "REDIS_URL": ""}
    child = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert child.returncode != 0
    assert "ERROR at setup of test_counselchat_answers_to_one_question_share_a_group" in child.stdout
    assert "needs licensed data that is missing or changed" in child.stdout
    assert rows(child.stdout)["counsel-chat"].split()[1] == "missing" and "docs/data.md" in child.stdout
    assert "FileNotFoundError" not in child.stdout and "1 error" in child.stdout


def test_ci_run_stops_at_its_first_step_on_a_clone_without_the_data(tmp_path):
    clone = tmp_path / "clone"
    for path in (
        ".ci/run",
        "training/__init__.py",
        "training/data/__init__.py",
        "training/data/datacheck.py",
        "training/data/datasets.json",
    ):
        (clone / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / path, clone / path)
    # Only python3 and dirname on the PATH: were the first step to let the run go on, the next
    # one (apt, PostgreSQL, pip) would fail at once instead of installing anything.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(SYSTEM_PYTHON)
    (bin_dir / "dirname").symlink_to(shutil.which("dirname"))
    run = subprocess.run(
        [shutil.which("bash"), str(clone / ".ci" / "run")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": str(bin_dir), "PIXEL_DATA_DIR": "/nonexistent"},
        timeout=120,
    )
    assert run.returncode != 0
    assert "==> Licensed data sets" in run.stdout and "==> System packages" not in run.stdout
    assert all(rows(run.stdout)[name].split()[1] == "missing" for name in NEEDED)
    assert "PIXEL_DATA_DIR=/nonexistent" in run.stdout and "docs/data.md" in run.stdout


def test_docs_data_md_holds_what_the_manifest_generates():
    docs = (REPO / "docs" / "data.md").read_text(encoding="utf-8")
    assert datacheck.DOCS_BEGIN in docs and datacheck.DOCS_END in docs
    generated = docs.split(datacheck.DOCS_BEGIN, 1)[1].split(datacheck.DOCS_END, 1)[0]
    assert generated.strip() == datacheck.markdown().strip(), (
        "docs/data.md is out of date: paste `python3 -m training.data.datacheck --markdown` between its markers"
    )


def test_the_manifest_names_every_test_that_declares_a_set_and_only_those():
    declared = {}
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        for args in re.findall(r"needs_data\(([^)]*)\)", path.read_text(encoding="utf-8")):
            for name in re.findall(r'"([^"]+)"', args):
                declared.setdefault(name, set()).add(path.relative_to(REPO).as_posix())
    assert set(declared) <= {s.folder for s in datacheck.load()}
    assert {s.folder: set(s.tests) for s in datacheck.load() if s.tests} == declared


def test_the_manifest_lists_every_file_in_each_sets_folder(settings):
    # "changed" only sees the files listed; a file added beside them must be listed too.
    for s in datacheck.load():
        folder = Path(settings.PIXEL_DATA_DIR) / s.folder
        on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        assert on_disk == set(s.files), (
            f"{s.folder}: on disk and not listed {sorted(on_disk - set(s.files))}, "
            f"listed and not on disk {sorted(set(s.files) - on_disk)}"
        )
        assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in s.files.values())
        assert s.origin and s.licence and s.commercial


@pytest.mark.parametrize(
    "read, name",
    [
        (lambda root: list(read_mibot(root / "mibot-mi-smoking" / "transcripts")), "mibot-mi-smoking"),
        (lambda root: list(read_esconv(root / "esconv")), "esconv"),
        (lambda root: epitome_pairs("explorations", root / "epitome-empathy"), "epitome-empathy"),
    ],
)
def test_a_reader_without_its_set_names_the_set_instead_of_reading_nothing(tmp_path, read, name):
    with pytest.raises(datacheck.MissingData, match=rf"licensed data set {name} .*docs/data.md"):
        read(tmp_path)


def test_the_crisis_readers_name_the_missing_set(tmp_path):
    with pytest.raises(
        DataError,
        match=r"gaur2019-reddit-cssrs/posts.jsonl: no such file: .*"
        r"licensed data set gaur2019-reddit-cssrs.*docs/data.md",
    ):
        gaur_posts(tmp_path)
