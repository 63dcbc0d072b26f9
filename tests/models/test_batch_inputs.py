"""`skyinspect segment`: which files it takes for photos (folders, the shell's card/*, formats not read
here, an earlier run's outputs, subfolders). Split from test_batch.py."""

from pathlib import Path

import cv2
import numpy as np
from typer.testing import CliRunner

from skyinspect.cli.main import app


def _photo(path: Path, h: int = 500, w: int = 700) -> None:
    rng = np.random.default_rng(0)
    cv2.imwrite(str(path), (rng.random((h, w, 3)) * 60 + 120).astype(np.uint8))


def _said(result: object) -> str:
    """The CLI's output with rich's line wrapping undone."""
    return " ".join(result.output.split())  # type: ignore[attr-defined]


def test_hidden_files_and_folders_in_a_photo_folder_are_not_photos(tmp_path: Path) -> None:
    """Found running `skyinspect segment` on a folder holding macOS's ._DJI_0001.JPG metadata file
    (refused as 'cannot be decoded') and a folder named like a photo ('cannot be read (Is a directory)')."""
    from models.photo_inputs import list_images
    from models.labelled import pair_masks

    photos = tmp_path / "photos"
    (photos / "old.jpg").mkdir(parents=True)
    cv2.imwrite(str(photos / "DJI_0001.JPG"), np.zeros((8, 8, 3), np.uint8))
    cv2.imwrite(str(photos / "DJI_0001_mask.png"), np.zeros((8, 8), np.uint8))
    (photos / "._DJI_0001.JPG").write_bytes(b"\x00\x05\x16\x07Mac OS X")
    assert [p.name for p in list_images([photos])] == ["DJI_0001.JPG", "DJI_0001_mask.png"]
    assert [(e.image.name, e.mask.name) for e in pair_masks(photos, photos)] == [("DJI_0001.JPG", "DJI_0001_mask.png")]


def test_photos_of_a_format_not_read_here_are_said_to_be_left_out(tmp_path: Path) -> None:
    """Found running `skyinspect segment` on a folder of a JPEG and iPhone HEIC photos: 'segmented 1 images'
    and not a word about the HEIC ones."""
    photos = tmp_path / "photos"
    photos.mkdir()
    _photo(photos / "a.jpg", 60, 80)
    for name in ("IMG_1.HEIC", "IMG_2.heic", "DJI_0001.DNG"):
        (photos / name).write_bytes(b"\x00\x00\x00\x18ftypheic")
    result = CliRunner().invoke(app, ["segment", str(photos), "--out", str(tmp_path / "out"), "--flips", "1",
                                      "--upscale", "0"])
    assert result.exit_code == 0, result.output
    assert "left out 1 .dng, 2 .heic file(s): not read here" in _said(result)
    assert "segmented 1 images" in _said(result)


def test_a_broken_link_in_a_photo_folder_is_refused_by_name(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    _photo(photos / "a.jpg", 60, 80)
    (photos / "b.jpg").symlink_to(tmp_path / "unmounted" / "b.jpg")
    result = CliRunner().invoke(app, ["segment", str(photos), "--out", str(tmp_path / "out"), "--flips", "1",
                                      "--upscale", "0"])
    assert result.exit_code == 2 and "b.jpg: is a link to" in _said(result) and "which is not there" in _said(result)
    assert not (tmp_path / "out").exists()


def test_photos_in_subfolders_are_named_not_left_out_without_a_word(tmp_path: Path) -> None:
    """Found running `skyinspect segment` on a folder of two flights' subfolders (2 and 22 UAV75 photos):
    'no images found. expected files ending in .jpg, ...'; with one photo beside the subfolders it said
    'segmented 1 images' and nothing of the 24 below. An --out inside the folder is not counted."""
    card = tmp_path / "card"
    for name in ("flight1/a.jpg", "flight2/b.jpg", "flight2/deeper/c.JPG"):
        (card / name).parent.mkdir(parents=True, exist_ok=True)
        _photo(card / name, 40, 60)
    result = CliRunner().invoke(app, ["segment", str(card), "--out", str(tmp_path / "out"), "--flips", "1",
                                      "--upscale", "0"])
    assert result.exit_code == 2 and not (tmp_path / "out").exists()
    assert "no images found" in _said(result) and "3 photo(s) in subfolders: flight1 (1), flight2 (2)" in _said(result)
    _photo(card / "top.jpg", 40, 60)
    for _ in range(2):  # the second run reads its own outputs' folder, inside the card
        result = CliRunner().invoke(app, ["segment", str(card), "--out", str(card / "out"), "--flips", "1",
                                          "--upscale", "0"])
        assert result.exit_code == 0, result.output
        assert "left out 3 photo(s) in subfolders of" in _said(result)
        assert ": flight1 (1), flight2 (2); pass those folders" in _said(result)  # not out's masks and overlays
        assert "segmented 1 images" in _said(result) or "1 done before" in _said(result)


def test_a_heic_photo_is_refused_as_heic_not_as_a_bad_copy(tmp_path: Path) -> None:
    """Found running `skyinspect segment IMG_1.HEIC` (an iPhone photo): 'cannot be decoded as an image. Copy
    it again from the card', which no copy mends; and on a folder of HEIC photos only: 'no images found'
    without the note the same folder gets with one JPEG in it."""
    photos = tmp_path / "phone"
    photos.mkdir()
    for name in ("IMG_1.HEIC", "IMG_2.heic"):
        (photos / name).write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
    result = CliRunner().invoke(app, ["segment", str(photos / "IMG_1.HEIC"), "--out", str(tmp_path / "out"),
                                      "--flips", "1", "--upscale", "0"])
    assert result.exit_code == 2 and not (tmp_path / "out").exists()
    # named alone it is left out as a folder leaves it (test below), and there is nothing else
    assert "IMG_1.HEIC: no images found, only 1 .heic file(s), which are not read here" in _said(result)
    assert "convert them to JPEG or PNG" in _said(result) and "Copy it again" not in _said(result)
    result = CliRunner().invoke(app, ["segment", str(photos), "--out", str(tmp_path / "out"), "--flips", "1",
                                      "--upscale", "0"])
    assert result.exit_code == 2 and "no images found, only 2 .heic file(s), which are not read" in _said(result)
    assert "convert them to JPEG or PNG" in _said(result)
    import pytest

    from skyinspect.errors import ImageError
    from skyinspect.photo import read_bgr

    with pytest.raises(ImageError, match=r"IMG_1\.HEIC: is a HEIC photo, which is not read here\. convert it to JPEG"):
        read_bgr(photos / "IMG_1.HEIC")  # the reader itself, as the replay and a library caller use it


def test_a_heic_or_avif_photo_named_jpg_is_refused_for_what_it_is(tmp_path: Path) -> None:
    """A HEIC photo saved or exported under a .jpg name (phone apps, cloud downloads), an AVIF one under .png:
    'cannot be decoded as an image. Copy it again from the card', which no copy mends. Told by its bytes
    (the ISO base media 'ftyp' box and its brand), as a .HEIC name is."""
    photos = tmp_path / "phone"
    photos.mkdir()
    (photos / "IMG_1.jpg").write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200))
    (photos / "IMG_2.png").write_bytes(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(200))
    (photos / "IMG_3.jpg").write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(200))  # an MP4
    _photo(photos / "ok.jpg", 60, 80)
    result = CliRunner().invoke(app, ["segment", str(photos), "--out", str(tmp_path / "out"), "--flips", "1",
                                      "--upscale", "0"])
    said = _said(result)
    assert result.exit_code == 2 and not (tmp_path / "out").exists(), said
    assert "IMG_1.jpg: is a HEIC photo under a .jpg name, which is not read here. convert it to JPEG" in said
    assert "IMG_2.png: is an AVIF photo under a .png name, which is not read here" in said
    assert "IMG_3.jpg: cannot be decoded as an image" in said  # no photo format: as before


def test_webp_photos_in_a_folder_are_segmented_as_one_named_alone_is(tmp_path: Path) -> None:
    """Found running `skyinspect segment` on a folder of a UAV75 photo saved as WebP: 'left out 1 .webp file(s):
    not read here; convert them to JPEG or PNG', though `segment photo.webp` segments it (OpenCV decodes WebP,
    EXIF orientation applied)."""
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    cv2.imwrite(str(photos / "a.webp"), (rng.random((60, 80, 3)) * 60 + 120).astype(np.uint8))
    result = CliRunner().invoke(app, ["segment", str(photos), "--out", str(tmp_path / "out"), "--flips", "1",
                                      "--upscale", "0"])
    assert result.exit_code == 0, result.output
    assert "left out" not in _said(result) and "segmented 1 images" in _said(result)
    assert cv2.imread(str(tmp_path / "out" / "a_mask.png"), cv2.IMREAD_UNCHANGED).shape == (60, 80)


def test_an_earlier_runs_outputs_are_not_segmented_as_photos(tmp_path: Path) -> None:
    """Found running `skyinspect segment photos/* --out photos/new` (the shell's * naming photos/results, an
    earlier run's --out): its masks and overlays were segmented as photos ('segmented 6 images' for 2, and
    DSC00551_mask_mask.png written); and `segment photos/* --out photos/results` a second time was refused
    as 'photos/results: holds the photos being segmented'. A user's own mask beside a photo (no JSON record
    of it) is still listed, as before."""
    from models.photo_inputs import list_images

    photos = tmp_path / "photos"
    photos.mkdir()
    _photo(photos / "a.jpg", 60, 80)
    _photo(photos / "b.jpg", 60, 80)
    quick = ["--flips", "1", "--upscale", "0"]
    assert CliRunner().invoke(app, ["segment", str(photos), "--out", str(photos / "results"), *quick]).exit_code == 0
    listed = sorted(photos.iterdir())  # as the shell's photos/* names them
    result = CliRunner().invoke(app, ["segment", *map(str, listed), "--out", str(photos / "new"), *quick])
    assert result.exit_code == 0, result.output
    assert "segmented 2 images" in _said(result) and not list((photos / "new").glob("*_mask_mask.png"))
    result = CliRunner().invoke(app, ["segment", *map(str, listed), "--out", str(photos / "results"), *quick])
    assert result.exit_code == 0, result.output
    assert "2 done before" in _said(result)
    cv2.imwrite(str(photos / "a_mask.png"), np.zeros((60, 80), np.uint8))  # a labelled mask: no a.json beside it
    assert [p.name for p in list_images([photos])] == ["a.jpg", "a_mask.png", "b.jpg"]


def test_files_named_by_the_shells_star_that_are_not_photos_are_left_out_as_a_folder_leaves_them(
        tmp_path: Path) -> None:
    """Found running `skyinspect segment card/* --out x` on a camera card (two UAV75 photos, a video's .SRT
    beside DSC00551.jpg, an .MP4, Thumbs.db, a raw .DNG): refused as 'DSC00551.jpg: has the same name as
    DSC00551.SRT: both would write DSC00551_mask.png'; without the .SRT, 'DJI_0003.MP4: cannot be decoded as
    an image. Copy it again from the card'. `segment card` segments the two and notes the .DNG."""
    card = tmp_path / "card"
    card.mkdir()
    _photo(card / "DSC00551.jpg", 40, 60)
    _photo(card / "DSC00552.jpg", 40, 60)
    (card / "DSC00551.SRT").write_text("1\n00:00:00,000 --> 00:00:01,000\nF/2.8, SS 100\n")
    (card / "DJI_0003.MP4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    (card / "Thumbs.db").write_bytes(bytes(64))
    (card / "DJI_0004.DNG").write_bytes(b"II*\x00" + bytes(60))
    (card / "photo").write_bytes((card / "DSC00552.jpg").read_bytes())  # an image without a suffix: taken
    result = CliRunner().invoke(app, ["segment", *map(str, sorted(card.iterdir())), "--out", str(tmp_path / "out"),
                                      "--flips", "1", "--upscale", "0"])
    assert result.exit_code == 0, result.output
    said = _said(result)
    assert "segmented 3 images" in said and "left out 1 .dng file(s): not read here" in said
    assert "left out 3 file(s) that are not images: DJI_0003.MP4, DSC00551.SRT, Thumbs.db" in said
    result = CliRunner().invoke(app, ["segment", str(card / "Thumbs.db"), "--out", str(tmp_path / "out2")])
    assert result.exit_code == 2 and "no images found" in _said(result) and not (tmp_path / "out2").exists()


def test_the_memory_check_counts_each_photo_in_flight_not_only_its_pixels() -> None:
    """Two 9-MPx DJI Brighton photos in one pass (two workers) peaked at 0.95-1.06 GB (ru_maxrss, measured
    twice), one photo at 0.60 GB; with the post-flight passes one 9-MPx photo at 1.03 GB. The check, per
    pixel only, predicted 0.72, 0.36 and 0.77 GB: a machine with 0.8 GB free was let run out of memory."""
    import pytest

    from models.photo_checks import check_memory, memory_needed_bytes
    from skyinspect.errors import ImageError

    class OnePass:  # --flips 1 --upscale 0, two workers
        flips, upscale = 1, None

        def parallel_workers(self) -> list[object]:
            return [self, self]

    dji = (2250, 4000)
    with pytest.raises(ImageError, match=r"DJI_0018\.JPG.*needs about 1\.\d GB, more than the 1\.0 GB"):
        check_memory([Path("DJI_0018.JPG"), Path("DJI_0019.JPG")], [dji, dji], OnePass(), available_bytes=1_000_000_000)
    assert memory_needed_bytes([dji, dji], workers=2, one_pass=True) >= 1.06e9
    assert memory_needed_bytes([dji], workers=2, one_pass=True) >= 0.60e9
    assert memory_needed_bytes([dji], workers=2, one_pass=False) >= 1.03e9
    assert memory_needed_bytes([(4000, 6000)], workers=2, one_pass=False) >= 2.06e9  # the 24-MPx photo
    # and not far over: within a third of what was measured
    assert memory_needed_bytes([dji, dji], workers=2, one_pass=True) <= 1.06e9 * 4 / 3
    assert memory_needed_bytes([(4000, 6000)], workers=2, one_pass=False) <= 2.06e9 * 4 / 3


def test_an_earlier_runs_outputs_named_one_by_one_are_left_out_as_a_folder_leaves_them(tmp_path: Path) -> None:
    """Found running `skyinspect segment out/* --out again` on an earlier run's --out (a GeoTIFF ortho and
    a JPEG): refused as 'out/ortho_mask.tif: has the same name as out/ortho_mask.png: both would write
    ortho_mask_mask.png'; with JPEGs only, its masks and overlays were segmented as photos ('segmented 2
    images' for one photo). The check that leaves them out ran only on a folder's files."""
    rasterio = __import__("pytest").importorskip("rasterio")
    from rasterio.transform import Affine

    photos = tmp_path / "photos"
    photos.mkdir()
    _photo(photos / "a.jpg", 60, 80)
    grey = (np.random.default_rng(1).random((3, 60, 90)) * 60 + 120).astype(np.uint8)
    with rasterio.open(photos / "ortho.tif", "w", driver="GTiff", width=90, height=60, count=3, dtype="uint8",
                       crs="EPSG:32630", transform=Affine(0.02, 0, 699_000, 0, -0.02, 5_633_000)) as dst:
        dst.write(grey)
    quick = ["--flips", "1", "--upscale", "0"]
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["segment", str(photos), "--out", str(out), *quick]).exit_code == 0
    assert (out / "ortho_mask.tif").is_file() and (out / "a_mask.png").is_file()
    named = [*map(str, sorted(photos.iterdir())), *map(str, sorted(out.iterdir()))]  # photos/* out/*
    result = CliRunner().invoke(app, ["segment", *named, "--out", str(tmp_path / "again"), *quick])
    assert result.exit_code == 0, result.output
    said = _said(result)
    assert "segmented 2 images" in said, said
    assert "left out 5 output(s) of an earlier skyinspect segment run" in said
    assert sorted(p.name for p in (tmp_path / "again").glob("*_mask.png")) == ["a_mask.png", "ortho_mask.png"]
    result = CliRunner().invoke(app, ["segment", *map(str, sorted(out.iterdir())), "--out", str(tmp_path / "x"),
                                      *quick])  # out/* alone: nothing to segment, and said why
    assert result.exit_code == 2 and not (tmp_path / "x").exists()
    assert "no images found, only 5 output(s) of an earlier skyinspect segment run" in _said(result), _said(result)
