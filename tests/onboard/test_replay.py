"""End-to-end replay: synthetic tlog + frames → flight record, and input validation."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np
import pytest
from onboard_helpers import PLANE_DIR
from onboard_synth import BOOT_UTC_S, feedback_frames, flight_records, frame_image, utc_frame_name, write_tlog

from onboard.frames import Frame, ImageFolderSource, natural_key, time_from_name
from onboard.replay import ReplayError, run_replay
from skyinspect.camera import CameraModel
from skyinspect.errors import ImageError, InputError, TelemetryError
from skyinspect.record import FlightRecordReader

W, H = 64, 48
CAMERA = CameraModel.from_fov(W, H, 60.0, name="synthetic")


@pytest.fixture
def feedback_flight(tmp_path: Path) -> tuple[Path, Path]:
    return feedback_frames(tmp_path)


@pytest.fixture
def timestamped_flight(tmp_path: Path) -> tuple[Path, Path]:
    tlog = write_tlog(tmp_path / "flight.tlog", flight_records(gap=(105.0, 108.0)))
    frames = tmp_path / "frames"
    frames.mkdir()
    for i, tb in enumerate([101.0, 102.5, 106.5]):  # the last one falls in the telemetry gap
        cv2.imwrite(str(frames / utc_frame_name(BOOT_UTC_S + tb)), frame_image(i))
    return frames, tlog


def test_replay_with_camera_feedback(feedback_flight: tuple[Path, Path], tmp_path: Path, segmenter) -> None:
    frames, tlog = feedback_flight
    out = tmp_path / "record"
    summary = run_replay(frames, tlog, out, segmenter, CAMERA, progress=False)
    assert (summary.frames, summary.tagged, summary.untagged, summary.instances) == (3, 3, 0, 3)
    assert summary.capture_time_source == "camera_feedback" and summary.fps > 0
    with FlightRecordReader(out) as reader:
        records = list(reader.frames())
        assert reader.model_id == segmenter.model_id and reader.camera == CAMERA
        meta = {k: reader.meta_json(k) for k in ("latency_s", "gap_threshold_s", "local_origin")}
        assert reader.meta["telemetry_source"] == str(tlog.resolve())
    assert meta["latency_s"] == 0.0 and meta["gap_threshold_s"] == 1.0
    assert meta["local_origin"]["lat_deg"] == pytest.approx(47.0)
    assert [r.frame_index for r in records] == [1, 2, 3]
    assert [r.capture_time_utc_s for r in records] == pytest.approx([BOOT_UTC_S + t for t in (101.0, 102.0, 103.5)])
    for r in records:
        assert r.pose.source == "camera_feedback" and r.pose.is_tagged
        assert r.pose.gimbal_pitch_deg == pytest.approx(-90.0)
        assert len(r.instances) == 1 and r.instances[0].area_px == pytest.approx(19 * 9)
        assert r.image_path is not None and r.image_path.is_file()


def test_replay_with_frame_timestamps(timestamped_flight: tuple[Path, Path], tmp_path: Path, segmenter) -> None:
    frames, tlog = timestamped_flight
    out = tmp_path / "record"
    summary = run_replay(frames, tlog, out, segmenter, CAMERA, latency_s=0.1, progress=True)
    assert (summary.frames, summary.tagged, summary.untagged) == (3, 2, 1)
    assert summary.capture_time_source == "frame_timestamp"
    with FlightRecordReader(out) as reader:
        records = list(reader.frames())
    first, _, in_gap = records
    assert first.capture_time_utc_s == pytest.approx(BOOT_UTC_S + 101.1)
    # 5 m/s north for 1.1 s after the first sample
    north = 5.0 * 1.1
    assert first.pose.lat_deg == pytest.approx(47.0 + north / 111_195.0, abs=2e-7)
    assert first.pose.source == "interpolated"
    assert not in_gap.pose.is_tagged and "gap" in in_gap.pose.status and len(in_gap.instances) == 1


def test_real_plane_frames_pick_the_tlog_clock(tmp_path: Path, segmenter) -> None:
    """cuav frames are stamped by the companion's clock, which wrote the .tlog; the vehicle's UTC is
    67 days off, so replay must time the telemetry by the .tlog and reproduce pose_at_frames.csv."""
    out = tmp_path / "record"
    camera = CameraModel.from_fov(160, 120, 60.0)
    summary = run_replay(PLANE_DIR / "frames", PLANE_DIR / "flight_window.tlog", out, segmenter, camera,
                         progress=False)
    assert summary.tagged == 3
    with FlightRecordReader(out) as reader:
        records = list(reader.frames())
        assert reader.meta_json("telemetry_time")["time_base"] == "tlog"
    with open(PLANE_DIR / "pose_at_frames.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    for record, row in zip(records, rows):
        assert record.capture_time_utc_s == pytest.approx(float(row["img_utc"]))
        assert record.pose.lat_deg == pytest.approx(float(row["lat"]), abs=1e-5)  # ≈ 1 m, see test_buffer
        assert record.pose.lon_deg == pytest.approx(float(row["lon"]), abs=1.2e-5)


# --- validation: nothing is created for bad inputs ----------------------------------------------
def test_missing_tlog(feedback_flight: tuple[Path, Path], tmp_path: Path, segmenter) -> None:
    frames, _ = feedback_flight
    out = tmp_path / "record"
    with pytest.raises(TelemetryError, match="not found"):
        run_replay(frames, tmp_path / "missing.tlog", out, segmenter, CAMERA, progress=False)
    assert not out.exists()


def test_empty_frames_folder(feedback_flight: tuple[Path, Path], tmp_path: Path, segmenter) -> None:
    _, tlog = feedback_flight
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "record"
    with pytest.raises(InputError, match="no images") as info:
        run_replay(empty, tlog, out, segmenter, CAMERA, progress=False)
    assert str(empty) in str(info.value) and not out.exists()


def test_no_way_to_time_frames(tmp_path: Path, segmenter) -> None:
    tlog = write_tlog(tmp_path / "flight.tlog", flight_records())
    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "a.png"), frame_image(0))
    out = tmp_path / "record"
    with pytest.raises(InputError, match="CAMERA_FEEDBACK") as info:
        run_replay(frames, tlog, out, segmenter, CAMERA, progress=False)
    assert "UTC" in str(info.value) and not out.exists()


def test_camera_and_segmenter_required(feedback_flight: tuple[Path, Path], tmp_path: Path, segmenter) -> None:
    frames, tlog = feedback_flight
    with pytest.raises(InputError, match="CameraModel"):
        run_replay(frames, tlog, tmp_path / "r", segmenter, None, progress=False)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="segment"):
        run_replay(frames, tlog, tmp_path / "r", object(), CAMERA, progress=False)  # type: ignore[arg-type]
    assert not (tmp_path / "r").exists()


def test_no_silent_overwrite(feedback_flight: tuple[Path, Path], tmp_path: Path, segmenter) -> None:
    frames, tlog = feedback_flight
    out = tmp_path / "record"
    run_replay(frames, tlog, out, segmenter, CAMERA, progress=False)
    with pytest.raises(InputError, match="not empty"):
        run_replay(frames, tlog, out, segmenter, CAMERA, progress=False)
    assert run_replay(frames, tlog, out, segmenter, CAMERA, progress=False, overwrite=True).frames == 3
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not a flight record"):
        run_replay(frames, tlog, other, segmenter, CAMERA, progress=False, overwrite=True)
    assert (other / "notes.txt").read_text() == "keep me"


def test_a_failed_overwrite_keeps_the_old_record(feedback_flight: tuple[Path, Path], tmp_path: Path,
                                                 segmenter) -> None:
    """Found with `skyinspect onboard --overwrite` over a good record from frames of which one was empty:
    the old record was removed before the replay started, and the failed replay left no record at all."""
    frames, tlog = feedback_flight
    out = tmp_path / "record"
    run_replay(frames, tlog, out, segmenter, CAMERA, progress=False)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    (frames / "IMG_3.png").write_bytes(b"")
    with pytest.raises(ImageError, match=r"IMG_3\.png: is empty"):
        run_replay(frames, tlog, out, segmenter, CAMERA, progress=False, overwrite=True)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    with FlightRecordReader(out) as record:
        assert len(record) == 3
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no stray sibling left
    cv2.imwrite(str(frames / "IMG_3.png"), frame_image(2)[:, ::-1])
    assert run_replay(frames, tlog, out, segmenter, CAMERA, progress=False, overwrite=True).frames == 3
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_unreadable_image_mid_run_removes_output(feedback_flight: tuple[Path, Path], tmp_path: Path,
                                                 segmenter) -> None:
    frames, tlog = feedback_flight
    (frames / "IMG_3.png").write_bytes(b"not a png")
    out = tmp_path / "record"
    with pytest.raises(ImageError) as info:
        run_replay(frames, tlog, out, segmenter, CAMERA, progress=False)
    assert "IMG_3.png" in str(info.value) and not out.exists()
    kept = tmp_path / "kept"
    kept.mkdir()  # an empty folder the user made: left in place, empty again
    with pytest.raises(ImageError):
        run_replay(frames, tlog, kept, segmenter, CAMERA, progress=False)
    assert kept.is_dir() and not any(kept.iterdir())


def test_segmenter_failure_names_the_frame(feedback_flight: tuple[Path, Path], tmp_path: Path) -> None:
    class Broken:
        model_id, sha256 = "broken", "0" * 64

        def segment(self, image_bgr: np.ndarray):
            raise RuntimeError("CUDA out of memory")

    frames, tlog = feedback_flight
    out = tmp_path / "record"
    with pytest.raises(ReplayError, match="IMG_1.png.*CUDA out of memory"):
        run_replay(frames, tlog, out, Broken(), CAMERA, progress=False)
    assert not out.exists()


def test_wrong_resolution(feedback_flight: tuple[Path, Path], tmp_path: Path, segmenter) -> None:
    frames, tlog = feedback_flight
    with pytest.raises(InputError, match="64x48.*calibration is for 640x480"):
        run_replay(frames, tlog, tmp_path / "r", segmenter, CameraModel.from_fov(640, 480, 60.0), progress=False)
    assert not (tmp_path / "r").exists()



def test_a_photo_turned_by_its_exif_orientation_is_named_as_such(feedback_flight: tuple[Path, Path],
                                                                  tmp_path: Path, segmenter) -> None:
    """Found replaying two Brighton DJI photos tagged EXIF orientation 6 (as a viewer's "rotate" leaves
    them) with intrinsics estimated from the photo itself: 'frame is 2250x4000 but the camera calibration
    is for 4000x2250. Pass the calibration for this resolution', with no calibration to pass."""
    from PIL import Image

    frames, tlog = feedback_flight
    (frames / "IMG_2.png").unlink()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(frame_image(1)[:, :, ::-1]).save(frames / "IMG_2.jpg", exif=exif.tobytes())
    with pytest.raises(InputError, match=r"IMG_2\.jpg: frame is 48x64 as its EXIF orientation \(6\).*64x48.*"
                                         r"Orientation=1"):
        run_replay(frames, tlog, tmp_path / "r", segmenter, CAMERA, progress=False)
    assert not (tmp_path / "r").exists()


# --- frame sources ------------------------------------------------------------------------------
def test_cuav_names_and_natural_order(tmp_path: Path) -> None:
    assert time_from_name("raw2016111223465120Z.png") == pytest.approx(1478994411.2)
    assert time_from_name("2018080501004480Z.jpg") == pytest.approx(1533430844.8)
    assert time_from_name("IMG_0001.jpg") is None
    assert sorted(["img10.png", "img2.png", "img1.png"], key=natural_key) == ["img1.png", "img2.png", "img10.png"]
    source = ImageFolderSource(PLANE_DIR / "frames")
    assert source.capture_times() == pytest.approx([1478994411.2, 1478994411.6, 1478994412.13])
    frames = list(source)
    assert isinstance(frames[0], Frame) and frames[0].index == 1 and frames[0].image_bgr.shape == (120, 160, 3)


def test_exif_capture_time(tmp_path: Path) -> None:
    from PIL import Image

    img = Image.new("RGB", (8, 8))
    exif = Image.Exif()
    # sub-IFDs set as dicts: Pillow before 11.1 writes no IFD that get_ifd made on a new Exif
    exif[0x8769] = {0x9003: "2024:05:06 07:08:09", 0x9291: "25", 0x9011: "+02:00"}
    path = tmp_path / "IMG_0001.jpg"
    img.save(path, exif=exif)
    (t,) = ImageFolderSource(tmp_path).capture_times()
    assert t == pytest.approx(datetime(2024, 5, 6, 5, 8, 9, 250000, tzinfo=timezone.utc).timestamp())


def test_a_geotagged_photos_gps_time_stamp_gives_its_utc_time(tmp_path: Path) -> None:
    """A phone's or another camera's photo with local DateTimeOriginal and a GPS time stamp (UTC by the
    EXIF standard): the GPS stamp was read only for DJI folders, so this photo was taken as UTC 2 h off
    and counted as zoneless."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x8769] = {0x9003: "2024:05:06 07:08:09", 0x9291: "25"}  # local, UTC+2, no offset tag
    exif[0x8825] = {29: "2024:05:06", 7: (5.0, 8.0, 7.0)}  # GPS fix 2 s before the shutter
    Image.new("RGB", (8, 8)).save(tmp_path / "IMG_0001.jpg", exif=exif)
    source = ImageFolderSource(tmp_path)
    (t,) = source.capture_times()
    assert t == pytest.approx(datetime(2024, 5, 6, 5, 8, 9, 250000, tzinfo=timezone.utc).timestamp())
    assert source.times_without_zone == []


def test_exif_times_without_a_zone_are_utc_and_said_once(tmp_path: Path, segmenter,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """The plane's frames renamed IMG_n.jpg with their UTC times in EXIF but no OffsetTimeOriginal (what
    most cameras write): tagged as the name-timed frames are, and the zone assumption said once for the
    folder (it was said once per photo and read: a 4000-photo folder logged it 8000 times)."""
    import logging

    from PIL import Image

    frames = tmp_path / "frames"
    frames.mkdir()
    for i, src in enumerate(sorted((PLANE_DIR / "frames").iterdir()), start=1):
        t = time_from_name(src.name)
        stamp = datetime.fromtimestamp(t, tz=timezone.utc)
        exif = Image.Exif()
        exif[0x8769] = {0x9003: stamp.strftime("%Y:%m:%d %H:%M:%S"), 0x9291: f"{stamp.microsecond // 10000:02d}"}
        with Image.open(src) as img:
            img.save(frames / f"IMG_{i}.jpg", exif=exif, quality=95)
    source = ImageFolderSource(frames)
    assert source.capture_times() == pytest.approx([1478994411.2, 1478994411.6, 1478994412.13])
    assert source.times_without_zone == ["IMG_1.jpg", "IMG_2.jpg", "IMG_3.jpg"]
    camera = CameraModel.from_fov(160, 120, 60.0)
    with caplog.at_level(logging.WARNING):
        summary = run_replay(frames, PLANE_DIR / "flight_window.tlog", tmp_path / "rec", segmenter, camera,
                             progress=False)
    assert summary.tagged == 3
    said = [r.getMessage() for r in caplog.records if "time zone" in r.getMessage()]
    assert len(said) == 1 and "3 of 3" in said[0] and "IMG_1.jpg" in said[0] and "--latency-s" in said[0]


def test_video_source_with_camera_feedback(feedback_flight: tuple[Path, Path], tmp_path: Path, segmenter) -> None:
    _, tlog = feedback_flight
    video = tmp_path / "flight.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (W, H))
    if not writer.isOpened():
        pytest.skip("this OpenCV build cannot write MJPG/AVI")
    for i in range(3):
        writer.write(frame_image(i))
    writer.release()
    summary = run_replay(video, tlog, tmp_path / "record", segmenter, CAMERA, progress=False)
    assert (summary.frames, summary.tagged, summary.capture_time_source) == (3, 3, "camera_feedback")


def test_a_video_without_times_is_told_to_carry_its_start_in_its_name(tmp_path: Path, segmenter) -> None:
    """Found replaying a video against a PX4 log without camera triggers: the fix said 'for a video pass its
    start time', which the command line has no option for; a UTC time in the video's name is the way."""
    tlog = write_tlog(tmp_path / "flight.tlog", flight_records())
    video = tmp_path / "flight.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (W, H))
    if not writer.isOpened():
        pytest.skip("this OpenCV build cannot write MJPG/AVI")
    writer.write(frame_image(0))
    writer.release()
    with pytest.raises(InputError, match=r"name the video by its UTC start time \(e\.g\. cam20161112234651200Z"):
        run_replay(video, tlog, tmp_path / "record", segmenter, CAMERA, progress=False)


def test_cli_replay_of_photos_on_the_ground_takes_segments_passes_and_records_them(
        feedback_flight: tuple[Path, Path], tmp_path: Path) -> None:
    """`skyinspect onboard --flips 4 --upscale 1.5` replays photos with `segment`'s passes (on the demo
    frames: 1 false positive instead of 5); the record says which passes made its detections."""
    import json

    from typer.testing import CliRunner

    from skyinspect.cli.main import app

    frames, tlog = feedback_flight
    calib = tmp_path / "camera.json"
    calib.write_text(json.dumps(CAMERA.to_dict()))
    out = tmp_path / "record"
    r = CliRunner().invoke(app, ["onboard", "--frames", str(frames), "--mavlink", str(tlog), "--camera", str(calib),
                                 "--out", str(out), "--flips", "2", "--upscale", "1.5"])
    assert r.exit_code == 0, r.output
    with FlightRecordReader(out) as reader:
        settings = reader.meta_json("segmentation")
    assert settings["flips"] == 2 and settings["upscale"] == 1.5 and settings["model_id"] == reader.model_id
    one = tmp_path / "one"
    assert CliRunner().invoke(app, ["onboard", "--frames", str(frames), "--mavlink", str(tlog), "--camera", str(calib),
                                    "--out", str(one)]).exit_code == 0
    with FlightRecordReader(one) as reader:
        assert reader.meta_json("segmentation")["flips"] == 1 and reader.meta_json("segmentation")["upscale"] is None


def test_a_folder_with_fewer_photos_than_camera_feedback_events_is_warned_about(
        feedback_flight: tuple[Path, Path], tmp_path: Path, segmenter, caplog: pytest.LogCaptureFixture) -> None:
    """Photo n takes the pose of img_idx n: a photo deleted from the folder shifts every later pose."""
    import logging

    frames, tlog = feedback_flight
    with caplog.at_level(logging.WARNING, logger="onboard.replay"):
        run_replay(frames, tlog, tmp_path / "all", segmenter, CAMERA, progress=False)
        assert not [r for r in caplog.records if "CAMERA_FEEDBACK events" in r.getMessage()]  # counts match
        (frames / "IMG_3.png").unlink()
        summary = run_replay(frames, tlog, tmp_path / "record", segmenter, CAMERA, progress=False)
    assert summary.capture_time_source == "camera_feedback" and summary.frames == 2
    said = [r.getMessage() for r in caplog.records if "CAMERA_FEEDBACK events" in r.getMessage()]
    assert len(said) == 1 and "3 CAMERA_FEEDBACK events (img_idx 1..3) for 2 frames" in said[0]


def test_a_folder_of_two_sizes_is_refused_before_any_frame_is_segmented(feedback_flight: tuple[Path, Path],
                                                                         tmp_path: Path) -> None:
    """Found replaying two Brighton DJI photos and a third saved at half size: refused only when the
    replay reached it, after segmenting the others (a 500-photo folder: hours, then all removed), with
    'Pass the calibration for this resolution' though one calibration cannot serve both sizes."""
    frames, tlog = feedback_flight
    cv2.imwrite(str(frames / "IMG_3.png"), cv2.resize(frame_image(2), (32, 24)))

    class Counting:
        model_id, sha256, seen = "count", "0" * 64, 0

        def segment(self, image_bgr: np.ndarray) -> object:
            Counting.seen += 1
            raise AssertionError("segmented before the sizes were checked")

    with pytest.raises(InputError, match=r"IMG_3\.png: frame is 32x24 but the camera calibration is for 64x48.*"
                                         r"each size as a flight of its own"):
        run_replay(frames, tlog, tmp_path / "r", Counting(), CAMERA, progress=False)
    assert Counting.seen == 0 and not (tmp_path / "r").exists()


def test_a_tiff_frame_turned_by_its_tag_to_the_calibrations_size_is_replayed(feedback_flight: tuple[Path, Path],
                                                                             tmp_path: Path, segmenter) -> None:
    """Pillow gives a TIFF's header size already turned by its EXIF orientation: the up-front size check
    turned it again and refused a frame that decodes at the calibration's size."""
    from PIL import Image

    frames, tlog = feedback_flight
    (frames / "IMG_2.png").unlink()
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = np.ascontiguousarray(np.rot90(frame_image(1)[:, :, ::-1], 1))  # 48 wide, 64 high; shown 64x48
    Image.fromarray(stored).save(frames / "IMG_2.tif", exif=exif)
    summary = run_replay(frames, tlog, tmp_path / "r", segmenter, CAMERA, progress=False)
    assert summary.frames == 3


def test_a_file_among_dji_photos_that_is_no_dji_photo_is_named(tmp_path: Path, segmenter) -> None:
    """Found replaying two Brighton DJI photos with a PNG screenshot beside them: 'cannot assign capture
    times to 3 frames: CAMERA_FEEDBACK in DIR does not cover frames 1..3', which says nothing of the PNG."""
    import shutil

    from onboard_helpers import DJI_DIR

    folder = tmp_path / "card"
    folder.mkdir()
    for name in ("DJI_0018.JPG", "DJI_0019.JPG"):
        shutil.copy(DJI_DIR / name, folder)
    cv2.imwrite(str(folder / "a_screenshot.png"), np.zeros((2250, 4000, 3), np.uint8))
    camera = CameraModel.from_fov(4000, 2250, 80.0)
    with pytest.raises(InputError, match=r"a_screenshot\.png: 1 file\(s\) in the DJI photo folder are no DJI "
                                         r"photos.*Move them out"):
        run_replay(folder, folder, tmp_path / "r", segmenter, camera, progress=False)
    assert not (tmp_path / "r").exists()


def test_a_phone_photo_among_dji_photos_is_named_not_the_whole_folder_refused(tmp_path: Path, segmenter) -> None:
    """Found replaying two Brighton DJI photos with a phone JPEG sorting first (A_phone.jpg, no EXIF or
    XMP): 'folder holds no DJI photos with drone-dji XMP' (only the first photo was looked at)."""
    import shutil

    from onboard_helpers import DJI_DIR

    from onboard.telemetry.dji import is_dji_folder

    folder = tmp_path / "card"
    folder.mkdir()
    for name in ("DJI_0018.JPG", "DJI_0019.JPG"):
        shutil.copy(DJI_DIR / name, folder)
    cv2.imwrite(str(folder / "A_phone.jpg"), np.zeros((2250, 4000, 3), np.uint8))
    assert is_dji_folder(folder)
    with pytest.raises(InputError, match=r"A_phone\.jpg: 1 file\(s\) in the DJI photo folder are no DJI photos"):
        run_replay(folder, folder, tmp_path / "r", segmenter, CameraModel.from_fov(4000, 2250, 80.0), progress=False)
    assert not (tmp_path / "r").exists()
