"""What `process` says when frames could not be georeferenced (ProcessSummary.why_not_georeferenced)."""

from __future__ import annotations

from pathlib import Path

from groundstation.pipeline import ProcessSummary


def _summary(reasons: tuple[str, ...], tagged: int, behind: bool = False) -> ProcessSummary:
    return ProcessSummary(Path("."), tagged, tagged, 0, tagged - len(reasons), len(reasons), 0, 0,
                          not_georeferenced_reasons=reasons, every_camera_behind=behind)


def test_every_camera_behind_the_surface_names_the_flipped_normal() -> None:
    reasons = tuple(f"camera is {d:.2f} m behind plane 'pier'" for d in (2.9, 3.0, 3.1))
    text = _summary(reasons, tagged=3, behind=True).why_not_georeferenced()
    assert text.startswith("all: camera is 2.90 m behind plane 'pier'") and "flip the sign of normal_enu" in text


def test_a_surface_normal_pointing_into_the_structure_is_found_from_the_geometry(tmp_path: Path) -> None:
    from gs_fixtures import corrosion_on_face, face_flight, face_surface

    from groundstation.pipeline import process
    from skyinspect.surface import PlaneSurface

    folder = face_flight(tmp_path / "f", [corrosion_on_face(0.3, 10.0)])
    good = face_surface()
    flipped = PlaneSurface(good.lat_deg, good.lon_deg, good.alt_msl_m, (1.0, 0.0, 0.0), "flipped face")
    summary = process(folder, tmp_path / "out", flipped, progress=False)
    assert summary.frames_georeferenced == 0 and summary.every_camera_behind
    assert "flip the sign of normal_enu" in summary.why_not_georeferenced()
    assert not process(folder, tmp_path / "ok", good, progress=False).every_camera_behind


def test_a_log_without_gimbal_attitude_points_to_the_fixed_mount_option() -> None:
    import json

    from groundstation.pipeline import _level_without_gimbal

    reasons = ("image centre ray does not meet plane 'ground' (camera looks away from it)",) * 3
    summary = ProcessSummary(Path("."), 3, 3, 0, 0, 3, 0, 0, not_georeferenced_reasons=reasons,
                             level_without_gimbal=True)
    assert "--mount-pitch-deg -90" in summary.why_not_georeferenced()
    assert "--mount-pitch-deg" not in _summary(reasons, tagged=3).why_not_georeferenced()
    no_gimbal = {"telemetry_time": json.dumps({"gimbal_source": None})}
    assert _level_without_gimbal(no_gimbal)
    assert not _level_without_gimbal({**no_gimbal, "camera_mount": json.dumps({"pitch_deg": -90})})
    assert not _level_without_gimbal({"telemetry_time": json.dumps({"gimbal_source": "MOUNT_STATUS"})})
    assert not _level_without_gimbal({})  # a record that does not say (DJI photos, older records)


def test_the_commonest_reason_is_counted_and_no_fix_is_guessed_for_a_mixed_flight() -> None:
    reasons = ("camera is 1.00 m behind plane 'pier'", "no 3D GNSS fix", "no 3D GNSS fix")
    text = _summary(reasons, tagged=10).why_not_georeferenced()
    assert text == "2 of them: no 3D GNSS fix"
    assert _summary((), tagged=10).why_not_georeferenced() == ""


def test_a_record_without_its_images_is_processed_and_says_so(tmp_path: Path) -> None:
    """The database copied alone (or a flight whose disk filled, so no image was kept): the detections
    still make findings, tie-pointing has nothing to match (it crashed on no footprints at all), and
    the count of missing images comes back for the CLI to say once (OpenCV warned per file)."""
    import shutil

    import numpy as np
    from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, face_flight, face_surface, instance_for, pose_at

    from groundstation.load import load_flight
    from groundstation.pipeline import process

    rust = corrosion_on_face(0.3, 10.0)
    second_pass = [pose_at(np.array([0.6 - k * 0.15, 0.0, -(FLY_HEIGHT_M + 0.2)]), 90.0, 0.0, t=1.7e9 + 60 + k)
                   for k in range(5)]  # a minute later, back along the face: tie points would link the passes
    folder = face_flight(tmp_path / "f", [rust], extra=[(p, [instance_for(p, rust)]) for p in second_pass])
    shutil.rmtree(folder / "images")
    loaded = load_flight(folder)
    assert loaded.images_missing == 10 and all(f.image_path is None for f in loaded.frames)
    summary = process(folder, tmp_path / "out", face_surface(), progress=False)
    assert summary.images_missing == 10 and summary.findings == 1


def test_results_are_not_written_into_the_flight_record(tmp_path: Path) -> None:
    """`onboard --overwrite` replaces a record folder whole: results inside it would go with it."""
    import pytest
    from gs_fixtures import corrosion_on_face, face_flight, face_surface

    from groundstation.pipeline import process
    from skyinspect.errors import InputError

    folder = face_flight(tmp_path / "f", [corrosion_on_face(0.3, 10.0)])
    for out in (folder, folder / "results"):
        with pytest.raises(InputError, match="is inside the flight record"):
            process(folder, out, face_surface(), progress=False)
    assert not (folder / "results").exists() and not (folder / "stages").exists()


def test_stages_from_a_record_missing_files_are_not_reused_once_the_files_are_back(tmp_path: Path) -> None:
    """A record copied without images/ and masks/ is processed (widths, tie points and mask-drawn crack
    lengths cannot be had); once the files are copied back, processing the same results folder again
    reused every stage, so the findings silently stayed without them (and the warning was gone)."""
    import json
    import shutil

    from gs_fixtures import FLY_HEIGHT_M, crack_on_face, face_flight, face_surface

    from groundstation.pipeline import process

    # 8 mm, 5.5 px: its interior shows, so the image gives a value (a 4 mm crack, drawn 2.7 px wide
    # without blur, gives a bound)
    folder = face_flight(tmp_path / "f", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1, width_m=0.008)])
    shutil.copytree(folder, tmp_path / "whole")
    shutil.rmtree(folder / "images")
    shutil.rmtree(folder / "masks")
    partial = process(folder, tmp_path / "out", face_surface(), progress=False)
    assert partial.images_missing == 5 and partial.masks_missing == 5

    def width_note(out: Path) -> str:
        return str(json.loads((out / "findings.geojson").read_text())["features"][0]["properties"]["width_mm_note"])

    assert "no image file" in width_note(tmp_path / "out")  # the width from mask area / length
    shutil.copytree(tmp_path / "whole" / "images", folder / "images")
    shutil.copytree(tmp_path / "whole" / "masks", folder / "masks")
    again = process(folder, tmp_path / "out", face_surface(), progress=False)
    assert again.images_missing == 0 and again.masks_missing == 0 and "measure" not in again.stages_reused
    assert width_note(tmp_path / "out").startswith("sub-pixel from the image")
    fresh = process(folder, tmp_path / "fresh", face_surface(), progress=False)
    assert (tmp_path / "out" / "findings.geojson").read_text() == (fresh.out / "findings.geojson").read_text()


def test_an_image_cut_short_in_the_record_is_not_used(tmp_path: Path) -> None:
    """A record copied while it was being written: OpenCV reads a cut-short JPEG with its missing part
    grey (only libjpeg's "Premature end of JPEG file" on stderr), and widths, crops and tie points used
    it. It is now left out and counted with the missing images."""
    from gs_fixtures import corrosion_on_face, face_flight

    from groundstation.load import load_flight

    folder = face_flight(tmp_path / "f", [corrosion_on_face(0.3, 10.0)])
    victim = sorted((folder / "images").iterdir())[2]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    loaded = load_flight(folder)
    assert loaded.images_missing == 1
    assert [f.image_path for f in loaded.frames].count(None) == 1 and victim not in [f.image_path for f in loaded.frames]


def test_cameras_below_the_default_ground_plane_are_not_told_to_flip_a_surface_file(tmp_path: Path) -> None:
    """No --surface: the ground plane at the take-off altitude. A flight that stays below where it took
    off (from a bridge deck down to the piers; the real PX4 log, whose GNSS height sank 2-4 m on the
    ground) had every camera "behind" it and was told to flip normal_enu in a surface file it never gave."""
    import numpy as np
    from gs_fixtures import pose_at, write_record

    from groundstation.pipeline import process

    below = [(pose_at(np.array([k * 1.0, 0.0, 3.0]), 0.0, -90.0, t=1.7e9 + k), []) for k in range(3)]
    summary = process(write_record(tmp_path / "f", below), tmp_path / "out", None, progress=False)
    assert summary.frames_georeferenced == 0 and summary.every_camera_behind
    text = summary.why_not_georeferenced()
    assert "normal_enu" not in text and "surface file" not in text
    assert "below the take-off altitude" in text and "--surface" in text


def test_photo_times_on_the_cameras_local_clock_are_said_by_process_and_the_report(tmp_path: Path) -> None:
    """A DJI replay whose photos carry only the camera's local time (the Brighton Phantom 3's: no zone, no
    GPS time stamp) says so in the record's meta (dji_photo_time.note), but process and the report, whose
    header reads 'Date (UTC)', never did: whoever processes the flight later only saw UTC times."""
    import json
    import sqlite3

    from gs_fixtures import corrosion_on_face, face_flight, face_surface

    from groundstation.pipeline import process

    folder = face_flight(tmp_path / "f", [corrosion_on_face(0.3, 10.0)])
    note = ("4 of 4 photos carry only the camera's local time (EXIF DateTimeOriginal without OffsetTimeOriginal or "
            "GPS time stamp), taken as UTC: the record's times are off by the camera's UTC offset")
    with sqlite3.connect(folder / "record.sqlite") as db:
        db.execute("INSERT INTO meta (key, value) VALUES (?, ?)",
                   ("dji_photo_time", json.dumps({"sources": {"gps": 0, "offset": 0, "local": 4}, "note": note})))
    summary = process(folder, tmp_path / "out", face_surface(), progress=False)
    assert any(note in line for line in summary.record_notes)
    import html

    assert "Frame times: " + note in html.unescape((tmp_path / "out" / "report.html").read_text())
    clean = face_flight(tmp_path / "g", [corrosion_on_face(0.3, 10.0)])
    assert process(clean, tmp_path / "out2", face_surface(), progress=False).record_notes == ()


def test_a_record_whose_onboard_run_did_not_finish_is_said_to_be_incomplete(tmp_path: Path) -> None:
    """Meta 'ended' reads "did not finish" in a record the runtime or a replay was killed writing (the
    SITL facade replay killed after 13 of 57 frames): process reported it as a whole flight."""
    import json
    import sqlite3

    from gs_fixtures import corrosion_on_face, face_flight, face_surface

    from groundstation.pipeline import process
    from onboard.ending import DID_NOT_FINISH

    folder = face_flight(tmp_path / "f", [corrosion_on_face(0.3, 10.0)])
    with sqlite3.connect(folder / "record.sqlite") as db:
        db.execute("INSERT INTO meta (key, value) VALUES (?, ?)",
                   ("ended", json.dumps({"how": DID_NOT_FINISH, "utc_s": 1.7e9, "frames_recorded": None})))
    summary = process(folder, tmp_path / "out", face_surface(), progress=False)
    assert any("did not finish" in n and "5 frames" in n for n in summary.record_notes)
    with sqlite3.connect(folder / "record.sqlite") as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'ended'",
                   (json.dumps({"how": "the frames ended", "utc_s": 1.7e9, "frames_recorded": 5}),))
    assert process(folder, tmp_path / "out2", face_surface(), progress=False).record_notes == ()
