"""The one line a command's file-system error ends in says the fix for that error: every one had said
'Check that the path is right, its folder writable and the disk not full', also for an input file this
user may not read (`skyinspect workorders RESULTS` with workorders.json mode 000) or a folder given
where a file goes (`skyinspect process FLIGHT --surface some_folder`)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
import typer

from skyinspect.cli.main_errors import handle_errors


def _said(capsys: pytest.CaptureFixture[str], fail: object) -> str:
    with pytest.raises(typer.Exit) as ended:
        handle_errors(fail)()  # type: ignore[arg-type]
    assert ended.value.exit_code == 2
    return " ".join(capsys.readouterr().err.split())


def test_a_folder_where_a_file_goes_is_said_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "surface"
    folder.mkdir()
    said = _said(capsys, lambda: folder.read_text())  # the IsADirectoryError the OS raises
    assert f"{folder}: is a folder, expected a file" in said and "disk" not in said, said


def test_a_file_this_user_may_not_read_is_said_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "workorders.json"
    path.write_text("{}")
    path.chmod(0)

    def read() -> None:
        try:
            path.read_text()
        except PermissionError:
            raise
        # root reads a mode-000 file: raise what open() raises for any other user
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    said = _said(capsys, read)
    assert f"{path}: Permission denied" in said and "permissions" in said and "disk not full" not in said, said


def test_a_missing_path_and_a_full_disk_keep_their_own_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    said = _said(capsys, lambda: (tmp_path / "gone.json").read_text())
    assert "gone.json: No such file or directory" in said and "Check the path" in said and "disk" not in said, said

    def full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "report.pdf"))

    said = _said(capsys, full)
    assert "report.pdf: No space left on device" in said and "disk" in said, said
