"""The `harness` command: argument handling and the pytest arguments it builds."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from harness import cli
from harness.project import Project
from tests.helpers.records import write_answers


def test_down_with_nothing_running_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("KERNIA_HARNESS_RUNTIME", str(tmp_path / "runtime"))
    project = write_answers(tmp_path / "p")
    assert cli.main(["--project", str(project), "down"]) == 0
    assert "nothing is running" in capsys.readouterr().err


def test_smoke_without_a_stack_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("KERNIA_HARNESS_RUNTIME", str(tmp_path / "runtime"))
    project = write_answers(tmp_path / "p")
    assert cli.main(["--project", str(project), "smoke"]) == 2
    assert "no stack is running" in capsys.readouterr().err


def test_unknown_provider_on_the_command_line_is_refused(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["up", "--provider", "kubernetes"])
    assert "invalid choice: 'kubernetes'" in capsys.readouterr().err


def test_rehearse_pytest_arguments(tmp_path: Path) -> None:
    project = Project.load(write_answers(tmp_path / "p"))
    args = cli.build_parser().parse_args(
        ["rehearse", "--provider", "native", "--report", "r.json", "-n", "2", "--option", "aws=moto", "--", "-x"]
    )
    argv = cli.pytest_args(project, args, provider="native")
    assert argv[0] == str(cli.SUITE_DIR)
    joined = " ".join(argv)
    assert f"--harness-project {project.root}" in joined
    assert "--harness-provider native" in joined and "--harness-running" not in joined
    assert f"--harness-report {Path('r.json').resolve()}" in joined
    assert "-n 2 --dist loadgroup" in joined
    assert "--harness-option aws=moto" in joined
    assert argv[-1] == "-x"


def test_smoke_pytest_arguments_use_the_running_stack(tmp_path: Path) -> None:
    project = Project.load(write_answers(tmp_path / "p"))
    args = cli.build_parser().parse_args(["smoke"])
    argv = cli.pytest_args(project, args, provider=None)
    assert "--harness-running" in argv and "--harness-provider" not in argv and "-n" not in argv


def test_namespace_defaults() -> None:
    args = cli.build_parser().parse_args(["up"])
    assert isinstance(args, argparse.Namespace) and args.provider == "native" and not args.show_secrets


@pytest.mark.parametrize(
    ("argv", "provider", "marker"),
    [
        (["smoke"], None, "not recovery and not rotation"),
        (["rehearse"], "native", None),
        (["rehearse", "--recovery"], "native", "recovery or rotation"),
        (["rehearse", "--skip-recovery"], "native", "not recovery and not rotation"),
    ],
)
def test_phase_selection(tmp_path: Path, argv: list[str], provider: str | None, marker: str | None) -> None:
    project = Project.load(write_answers(tmp_path / "p"))
    built = cli.pytest_args(project, cli.build_parser().parse_args(argv), provider=provider)
    selected = built[built.index("-m") + 1] if "-m" in built else None
    assert selected == marker


def test_recovery_and_skip_recovery_exclude_each_other(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["rehearse", "--recovery", "--skip-recovery"])
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(("value", "says"), [("-1", "-1 is negative"), ("two", "'two' is not a whole number")])
def test_a_negative_or_non_numeric_worker_count_is_refused(value: str, says: str, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.build_parser().parse_args(["rehearse", "-n", value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument -n/--workers" in err and says in err and "Traceback" not in err


@pytest.mark.parametrize("option", ["--report", "--junitxml"])
def test_an_output_path_that_cannot_be_written_is_refused_before_the_run(
    tmp_path: Path, option: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(cli, "_run_pytest", lambda argv: pytest.fail("the run started"))
    a_file = tmp_path / "README.md"
    a_file.write_text("")
    for path, says in ((tmp_path, "is a directory"), (a_file / "sub" / "r.json", f"{a_file} is a file")):
        with pytest.raises(SystemExit) as exited:
            cli.main(["--project", str(tmp_path), "rehearse", option, str(path)])
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert f"argument {option}" in err and says in err and "Traceback" not in err


def test_an_output_path_in_new_directories_is_accepted(tmp_path: Path) -> None:
    args = cli.build_parser().parse_args(["smoke", "--report", str(tmp_path / "new" / "r.json")])
    assert args.report == tmp_path / "new" / "r.json"


def test_restore_of_a_damaged_manifest_is_refused_without_a_traceback(tmp_path: Path, capsys) -> None:
    project = write_answers(tmp_path / "p")
    manifest = tmp_path / "demo-20261127T101530.123Z.manifest.json"
    data = {"format_version": 1, "database": "demo", "created_at": "", "server_version": "18", "kernia_version": None}
    digest = {"schema_version": "a", "migration_head": "0001", "hash_probe": "1", "tables": []}
    dump = {"file": "../../../etc/passwd", "sha256": "e" * 64, "size": 1}
    manifest.write_text(json.dumps({**data, **digest, "dump": dump}))
    assert cli.main(["--project", str(project), "restore", str(manifest), "--db", "r"]) == 2
    err = capsys.readouterr().err
    assert "names its dump '../../../etc/passwd'" in err and "Traceback" not in err


def test_backup_refuses_an_invalid_bucket_name_before_dumping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(cli.stack, "load", lambda project: pytest.fail("the backup started"))
    project = write_answers(tmp_path / "p")
    assert cli.main(["--project", str(project), "backup", "--bucket", "Bad_Bucket!"]) == 2
    err = capsys.readouterr().err
    assert "bucket name 'Bad_Bucket!' is not valid in S3" in err and "Traceback" not in err
