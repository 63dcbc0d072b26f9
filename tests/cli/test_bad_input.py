"""Bad input: one clear line naming the file, exit code 2, no traceback, nothing half-written."""

from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from skyinspect.cli.main import app


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture()
def frames(tmp_path: Path) -> Path:
    import cv2

    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / "000001.jpg"), np.zeros((48, 64, 3), np.uint8))
    (tmp_path / "camera.json").write_text(
        '{"image_width": 64, "image_height": 48, "camera_matrix": [[50,0,32],[0,50,24],[0,0,1]],'
        ' "distortion_coefficients": [0,0,0,0,0]}')
    return folder


def test_missing_tlog(tmp_path: Path, frames: Path) -> None:
    code, out = _run("onboard", "--frames", str(frames), "--mavlink", str(tmp_path / "none.tlog"),
                     "--out", str(tmp_path / "flight"), "--camera", str(tmp_path / "camera.json"))
    assert code == 2 and "none.tlog" in out and "Traceback" not in out
    assert not (tmp_path / "flight").exists()


def test_corrupt_tlog(tmp_path: Path, frames: Path) -> None:
    bad = tmp_path / "bad.tlog"
    bad.write_bytes(np.random.default_rng(0).bytes(5000))
    code, out = _run("onboard", "--frames", str(frames), "--mavlink", str(bad),
                     "--out", str(tmp_path / "flight"), "--camera", str(tmp_path / "camera.json"))
    assert code == 2 and "bad.tlog" in out
    assert not (tmp_path / "flight").exists()


def test_calibration_missing_keys(tmp_path: Path, frames: Path) -> None:
    calib = tmp_path / "calib.json"
    calib.write_text('{"image_width": 64}')
    code, out = _run("onboard", "--frames", str(frames), "--mavlink", str(tmp_path / "x.tlog"),
                     "--out", str(tmp_path / "flight"), "--camera", str(calib))
    assert code == 2 and "calib.json" in out and "image_height" in out


def test_wrong_model_path(tmp_path: Path, frames: Path) -> None:
    code, out = _run("onboard", "--frames", str(frames), "--mavlink", str(tmp_path / "x.tlog"),
                     "--out", str(tmp_path / "flight"), "--camera", str(tmp_path / "camera.json"),
                     "--model", str(tmp_path / "nope.onnx"))
    assert code == 2 and "nope.onnx" in out


def test_not_a_flight_record(tmp_path: Path) -> None:
    code, out = _run("process", str(tmp_path), "--out", str(tmp_path / "results"))
    assert code == 2 and "record.sqlite" in out
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("command", [[], ["simulate"], ["onboard"], ["process"], ["demo"], ["model"],
                                     ["model", "eval"], ["change"], ["workorders"]])
def test_every_help_renders(command: list[str]) -> None:
    code, out = _run(*command, "--help")
    assert code == 0 and "Usage" in out


def test_negative_gnss_error_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    code, out = _run("simulate", "--out", str(tmp_path / "sim"), "--gnss-error-m", "-0.5")
    assert code == 2 and "--gnss-error-m" in out and "Traceback" not in out
    assert not (tmp_path / "sim").exists()


def test_an_infinite_gnss_error_or_a_negative_seed_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    """Found with `skyinspect simulate --small`: --gnss-error-m inf (OverflowError) and 1e9 (struct error packing
    the .tlog) and --seed -1 (ValueError from the texture generator) were tracebacks, with frames/,
    truth_masks/ and camera.yaml already written."""
    for args in (("--gnss-error-m", "inf"), ("--gnss-error-m", "1e9"), ("--seed", "-1")):
        code, out = _run("simulate", "--out", str(tmp_path / "sim"), "--small", *args)
        assert code == 2 and args[0] in out and "Traceback" not in out, (args, out)
        assert not (tmp_path / "sim").exists()


def test_serve_on_a_port_in_use_says_so_before_claiming_the_address() -> None:
    """uvicorn logged the bind error after `serve` had printed 'review app on http://...'."""
    import socket

    from skyinspect.cli.serve import _check_port_free
    from skyinspect.errors import InputError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InputError, match=rf"--port {port}: cannot listen on 127\.0\.0\.1:{port}.*another --port"):
            _check_port_free("127.0.0.1", port)
    _check_port_free("127.0.0.1", port)  # free again


def test_a_mistyped_frames_folder_is_named_not_the_calibration(tmp_path: Path, frames: Path) -> None:
    """--frames with a typo and no --camera said 'no camera calibration given and no camera.yaml beside
    the frames. Pass --camera ...': the user went looking for a calibration file that was not the problem."""
    tlog = tmp_path / "flight.tlog"
    tlog.write_bytes(b"\x00" * 64)
    code, text = _run("onboard", "--frames", str(tmp_path / "framez"), "--mavlink", str(tlog),
                      "--out", str(tmp_path / "rec"))
    assert code == 2, text
    assert "framez" in text and "not found" in text and "calibration" not in text, text
    assert not (tmp_path / "rec").exists()


def test_an_out_under_a_file_is_refused_by_name(tmp_path: Path) -> None:
    """registry --out notes.txt/reg.gpkg ended in a FileExistsError traceback (exit 1)."""
    in_the_way = tmp_path / "notes.txt"
    in_the_way.write_text("keep")
    asset = Path(__file__).resolve().parents[2] / "missions" / "examples" / "bridge.yaml"
    code, text = _run("registry", str(asset), "--out", str(in_the_way / "reg.gpkg"))
    assert code == 2, text
    assert "notes.txt" in text and "Traceback" not in text and "FileExistsError" not in text, text
    assert in_the_way.read_text() == "keep"


def test_a_file_system_error_is_one_line_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A read-only mount or a full disk met mid-command (publish's staging folder, registry's GeoPackage)
    ended in a traceback, exit 1: now the file and the system's reason, exit 2."""
    import errno

    from skyinspect.cli.main_errors import handle_errors

    def publish() -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "res" / ".staging-1"))

    with pytest.raises(typer.Exit) as ended:
        handle_errors(publish)()
    assert ended.value.exit_code == 2
    said = " ".join(capsys.readouterr().err.split())
    assert ".staging-1: Read-only file system" in said and "writable" in said, said
    bug = handle_errors(lambda: (_ for _ in ()).throw(OSError("no errno: a bug, not the disk")))
    with pytest.raises(OSError):  # an OSError that names no file is not ours to explain away
        bug()
