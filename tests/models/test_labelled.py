"""A user's own labelled photos (models/labelled.py) and `skyinspect model eval --images/--masks`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from models.labelled import LabelledExample, pair_masks, read_labelled
from skyinspect.cli.main import app
from skyinspect.errors import InputError

TEXTURES = Path(__file__).parents[2] / "missions/simulator/textures"  # UAV75 (GPL-3.0), corrosion (CC BY 4.0)


def _write(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), array)
    return path


def test_masks_pair_by_stem_or_mask_suffix_png_first(tmp_path: Path) -> None:
    img, msk = tmp_path / "img", tmp_path / "msk"
    for name in ("a.jpg", "b.jpg", "c.png"):
        _write(img / name, np.zeros((8, 8, 3), np.uint8))
    _write(msk / "a.jpg", np.zeros((8, 8), np.uint8))
    _write(msk / "a.png", np.zeros((8, 8), np.uint8))
    _write(msk / "b_mask.png", np.zeros((8, 8), np.uint8))
    _write(msk / "c_gt.bmp", np.zeros((8, 8), np.uint8))
    pairs = pair_masks(img, msk)
    assert [(e.stem, e.mask.name) for e in pairs] == [("a", "a.png"), ("b", "b_mask.png"), ("c", "c_gt.bmp")]
    # masks beside their images: the masks are not taken for images
    _write(img / "a_mask.png", np.zeros((8, 8), np.uint8))
    _write(img / "b_label.png", np.zeros((8, 8), np.uint8))
    _write(img / "c_mask.png", np.zeros((8, 8), np.uint8))
    assert [(e.image.name, e.mask.name) for e in pair_masks(img, img)] == \
        [("a.jpg", "a_mask.png"), ("b.jpg", "b_label.png"), ("c.png", "c_mask.png")]


def test_two_photos_of_one_name_are_refused_not_scored_against_one_mask(tmp_path: Path) -> None:
    """UAV75 DSC00551 as a.jpg and DSC00566 as a.png, DSC00551's mask as masks/a.png: both photos were
    paired with it and scored, DSC00566 at crack IoU 0.002 against another photo's cracks, pooled into
    the result without a word. A mask named by stem cannot tell the two photos apart: refused, naming both."""
    img, msk = tmp_path / "img", tmp_path / "msk"
    _write(img / "a.jpg", np.zeros((8, 8, 3), np.uint8))
    _write(img / "a.png", np.zeros((8, 8, 3), np.uint8))
    _write(img / "b.jpg", np.zeros((8, 8, 3), np.uint8))
    for name in ("a.png", "b.png"):
        _write(msk / name, np.zeros((8, 8), np.uint8))
    with pytest.raises(InputError, match=r"a\.png: .*a\.jpg and a\.png would both be scored against .*a\.png"):
        pair_masks(img, msk)
    _write(msk / "a_mask.png", np.zeros((8, 8), np.uint8))  # a second mask does not say which is whose either
    with pytest.raises(InputError, match="would both be scored against"):
        pair_masks(img, msk)
    (img / "a.png").unlink()
    assert [(e.image.name, e.mask.name) for e in pair_masks(img, msk)] == [("a.jpg", "a.png"), ("b.jpg", "b.png")]


def test_a_missing_mask_or_folder_is_named(tmp_path: Path) -> None:
    img = tmp_path / "img"
    _write(img / "a.jpg", np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "msk").mkdir()
    with pytest.raises(InputError, match=r"a\.jpg.*no mask.*a_mask\.png"):
        pair_masks(img, tmp_path / "msk")
    with pytest.raises(InputError, match="masks folder does not exist"):
        pair_masks(img, tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no images"):
        pair_masks(tmp_path / "empty", tmp_path / "msk")


def test_binary_masks_0_1_0_255_jpeg_and_colour_read_alike(tmp_path: Path) -> None:
    truth = np.zeros((40, 60), bool)
    truth[10:20, 5:50] = True
    image = _write(tmp_path / "p.png", np.full((40, 60, 3), 128, np.uint8))
    masks = {"01.png": truth.astype(np.uint8), "0255.png": truth.astype(np.uint8) * 255,
             "colour.png": np.dstack([truth.astype(np.uint8) * 128, np.zeros((40, 60, 2), np.uint8)])}
    for name, mask in masks.items():
        _, got = read_labelled(LabelledExample("p", image, _write(tmp_path / name, mask)), "corrosion")
        assert got.dtype == np.uint8 and np.array_equal(got, truth.astype(np.uint8) * 2), name
    jpeg = tmp_path / "noisy.jpg"
    cv2.imwrite(str(jpeg), truth.astype(np.uint8) * 255, [cv2.IMWRITE_JPEG_QUALITY, 60])
    _, got = read_labelled(LabelledExample("p", image, jpeg), "crack")
    assert (got == 1).sum() == pytest.approx(truth.sum(), rel=0.02) and set(np.unique(got)) <= {0, 1}


def test_class_id_masks_are_checked(tmp_path: Path) -> None:
    image = _write(tmp_path / "p.png", np.full((20, 20, 3), 128, np.uint8))
    ids = np.zeros((20, 20), np.uint8)
    ids[2:5], ids[10:15] = 1, 2
    _, got = read_labelled(LabelledExample("p", image, _write(tmp_path / "ids.png", ids)), "ids")
    assert np.array_equal(got, ids)
    with pytest.raises(InputError, match=r"bin\.png.*class ids 0-2.*255.*--mask-class crack"):
        read_labelled(LabelledExample("p", image, _write(tmp_path / "bin.png", ids * 127)), "ids")
    colour = np.dstack([ids, ids * 0, ids])
    with pytest.raises(InputError, match="colour mask"):
        read_labelled(LabelledExample("p", image, _write(tmp_path / "colour.png", colour)), "ids")
    with pytest.raises(InputError, match="--mask-class"):
        read_labelled(LabelledExample("p", image, tmp_path / "ids.png"), "rust")


def test_mask_sizes_other_resolution_stored_pixels_and_refusal(tmp_path: Path) -> None:
    from PIL import Image

    photo = np.zeros((40, 60, 3), np.uint8)
    photo[:10] = 255  # the top rows white, as stored
    stored = tmp_path / "rot.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90 degrees
    Image.fromarray(photo).save(stored, exif=exif.tobytes())
    on_stored = np.zeros((40, 60), np.uint8)
    on_stored[:10] = 255
    image, got = read_labelled(LabelledExample("rot", stored, _write(tmp_path / "m1.png", on_stored)), "crack")
    # turned as shown with the photo, as segment sees it (test_labelled_orientation.py)
    assert image.shape == (60, 40, 3) and image[:, -10:].mean() > 200
    assert np.array_equal(got, np.rot90((on_stored > 0) * 1, -1))
    on_shown = np.ascontiguousarray(np.rot90(on_stored, -1))
    image, got = read_labelled(LabelledExample("rot", stored, _write(tmp_path / "m2.png", on_shown)), "crack")
    assert image.shape == (60, 40, 3) and image[:, -10:].mean() > 200 and got[:, -10:].all()
    half = cv2.resize(on_shown, (20, 30), interpolation=cv2.INTER_NEAREST)
    _, got = read_labelled(LabelledExample("rot", stored, _write(tmp_path / "m3.png", half)), "crack")
    assert got.shape == (60, 40) and got[:, -10:].all() and not got[:, :-10].any()
    with pytest.raises(InputError, match=r"m4\.png.*50x50 px.*rot\.jpg 40x60"):
        read_labelled(LabelledExample("rot", stored, _write(tmp_path / "m4.png", np.zeros((50, 50), np.uint8))), "crack")


def test_eval_cli_scores_own_photos_as_the_segmenter_sees_them(tmp_path: Path) -> None:
    """A real drone-shot crack and a real rust photo: the crack mask scored through the CLI equals the
    IoU computed from the segmenter directly; the masks `skyinspect segment` wrote score 1.0 as ids."""
    from models import load_segmenter

    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("uav75_DSC00566", "corrosion_0300_jpg"):
        shutil.copy(TEXTURES / f"{name}.jpg", photos / f"{name}.jpg")
        shutil.copy(TEXTURES / f"{name}_mask.png", photos / f"{name}_mask.png")
    one_pass = ["--flips", "1", "--upscale", "0"]
    result = CliRunner().invoke(app, ["model", "eval", "--images", str(photos), "--mask-class", "crack",
                                      "--out", str(tmp_path / "crack.json"), *one_pass])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "crack.json").read_text())["summary"]
    seg = load_segmenter(None, flips=1, upscale=None)
    tp = fp = fn = 0
    for name in ("corrosion_0300_jpg", "uav75_DSC00566"):
        pred = seg.segment(cv2.imread(str(photos / f"{name}.jpg"))).class_map == 1
        truth = cv2.imread(str(photos / f"{name}_mask.png"), cv2.IMREAD_GRAYSCALE) > 127
        tp, fp, fn = tp + (pred & truth).sum(), fp + (pred & ~truth).sum(), fn + (~pred & truth).sum()
    assert summary["photos"]["n_images"] == 2 and summary["photos"]["iou"] == pytest.approx(tp / (tp + fp + fn))
    assert summary["labelled"]["mask_class"] == "crack"

    out = tmp_path / "segmented"
    assert CliRunner().invoke(app, ["segment", str(photos / "uav75_DSC00566.jpg"), str(photos / "corrosion_0300_jpg.jpg"),
                                    "--out", str(out), *one_pass]).exit_code == 0
    result = CliRunner().invoke(app, ["model", "eval", "--images", str(photos), "--masks", str(out),
                                      "--mask-class", "ids", "--out", str(tmp_path / "ids.json"), *one_pass])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "ids.json").read_text())["summary"]
    assert summary["photos:crack"]["iou"] == 1.0 and summary["photos:corrosion"]["iou"] == 1.0

    result = CliRunner().invoke(app, ["model", "eval", "--images", str(tmp_path / "nowhere"), "--out",
                                      str(tmp_path / "x.json")])
    assert result.exit_code == 2 and "nowhere" in result.output and not (tmp_path / "x.json").exists()


def test_a_two_valued_mask_marks_its_higher_value_and_class_ids_are_refused(tmp_path: Path) -> None:
    """Found with `skyinspect model eval` on UAV75 masks saved as 0/100 and as segment's 0/1/2 ids under
    --mask-class crack: both scored against an empty truth (IoU 0.0) without a word."""
    truth = np.zeros((40, 60), bool)
    truth[10:20, 5:50] = True
    image = _write(tmp_path / "p.png", np.full((40, 60, 3), 128, np.uint8))
    for value in (100, 127, 2):
        mask = _write(tmp_path / f"m{value}.png", truth.astype(np.uint8) * value)
        _, got = read_labelled(LabelledExample("p", image, mask), "crack")
        assert np.array_equal(got, truth.astype(np.uint8)), value
    ids = truth.astype(np.uint8)
    ids[30:, :] = 2
    with pytest.raises(InputError, match=r"ids\.png.*binary crack mask.*0, 1, 2.*--mask-class ids"):
        read_labelled(LabelledExample("p", image, _write(tmp_path / "ids.png", ids)), "crack")


def test_a_mask_named_as_its_photo_beside_it_is_not_scored_as_a_photo(tmp_path: Path) -> None:
    """Found with `skyinspect model eval --images DIR` on UAV75 photos (.jpg) with their masks (.png)
    of the same name in one folder: four examples for two photos, each mask scored as a photo with
    its photo as the mask."""
    for name in ("a.jpg", "b.jpg"):
        _write(tmp_path / name, np.zeros((8, 8, 3), np.uint8))
        _write(tmp_path / (name[0] + ".png"), np.zeros((8, 8), np.uint8))
    assert [(e.image.name, e.mask.name) for e in pair_masks(tmp_path, tmp_path)] == [("a.jpg", "a.png"),
                                                                                      ("b.jpg", "b.png")]
    _write(tmp_path / "c.jpg", np.zeros((8, 8, 3), np.uint8))
    _write(tmp_path / "c.tif", np.zeros((8, 8), np.uint8))
    with pytest.raises(InputError, match=r"c\.jpg and c\.tif share a name.*c_mask\.png"):
        pair_masks(tmp_path, tmp_path)


def test_every_mask_is_checked_before_any_photo_is_segmented(tmp_path: Path) -> None:
    """Found with `skyinspect model eval` on two UAV75 photos whose second mask was cut to 512x300: the
    first photo was segmented before the mask was refused (with segment's passes ~20 s a drone photo)."""
    from models.evaluate import evaluate
    from skyinspect.errors import ModelError

    for name, mask_rows in (("a", 40), ("b", 25)):
        _write(tmp_path / f"{name}.jpg", np.full((40, 60, 3), 128, np.uint8))
        _write(tmp_path / f"{name}_mask.png", np.zeros((mask_rows, 60), np.uint8))
    missing_model = tmp_path / "not-loaded.onnx"  # the masks are checked before the model loads
    with pytest.raises(InputError, match=r"b_mask\.png: mask is 60x25 px, its image b\.jpg 60x40"):
        evaluate(model=missing_model, out=tmp_path / "e.json", labelled=(tmp_path, tmp_path, "crack"))
    _write(tmp_path / "b_mask.png", np.zeros((20, 30), np.uint8))  # half resolution: fine
    with pytest.raises(ModelError, match="model file not found"):
        evaluate(model=missing_model, out=tmp_path / "e.json", labelled=(tmp_path, tmp_path, "crack"))
    assert not (tmp_path / "e.json").exists()


def test_a_limit_below_one_is_refused(tmp_path: Path) -> None:
    """Found with `skyinspect model eval --images ... --limit 0` (KeyError 'tp' traceback after loading the
    model); --limit -1 left out the last photo without a word."""
    from models.evaluate import evaluate

    _write(tmp_path / "a.jpg", np.full((40, 60, 3), 128, np.uint8))
    _write(tmp_path / "a_mask.png", np.zeros((40, 60), np.uint8))
    for limit in (0, -1):
        with pytest.raises(InputError, match=rf"--limit: expected a number of images >= 1, got {limit}"):
            evaluate(out=tmp_path / "e.json", limit=limit, labelled=(tmp_path, tmp_path, "crack"))
    assert not (tmp_path / "e.json").exists()


def test_a_broken_link_among_the_labelled_photos_is_named(tmp_path: Path) -> None:
    """A photo linked from a card that is not mounted was not listed, so its mask was taken for a photo and
    refused as having no mask."""
    from models.labelled import check_labelled

    _write(tmp_path / "a.jpg", np.full((40, 60, 3), 128, np.uint8))
    _write(tmp_path / "a_mask.png", np.zeros((40, 60), np.uint8))
    (tmp_path / "b.jpg").symlink_to(tmp_path / "unmounted" / "b.jpg")
    _write(tmp_path / "b_mask.png", np.zeros((40, 60), np.uint8))
    examples = pair_masks(tmp_path, tmp_path)
    assert [e.image.name for e in examples] == ["a.jpg", "b.jpg"]
    with pytest.raises(InputError, match=r"b\.jpg: is a link to .*which is not there"):
        check_labelled(examples, "crack")


def test_a_file_given_for_a_folder_is_called_a_file(tmp_path: Path) -> None:
    """Found with `skyinspect model eval --images PHOTO.jpg`: 'the images folder does not exist'."""
    photo = _write(tmp_path / "a.jpg", np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(InputError, match=r"a\.jpg: expected the images folder, got a file.*--images"):
        pair_masks(photo, tmp_path)
    with pytest.raises(InputError, match=r"a\.jpg: expected the masks folder, got a file.*--masks"):
        pair_masks(tmp_path, photo)


def test_every_photo_is_checked_before_any_is_segmented(tmp_path: Path) -> None:
    """Found with `skyinspect model eval` on three UAV75 photos and masks, the last photo cut short: the
    first two were segmented (with segment's passes ~20 s a drone photo) before it was refused; the masks
    were checked up front (test above), the photos only from their headers."""
    from models.evaluate import evaluate

    rng = np.random.default_rng(0)
    for name in ("a", "b", "c"):
        _write(tmp_path / f"{name}.jpg", (rng.random((120, 160, 3)) * 255).astype(np.uint8))
        _write(tmp_path / f"{name}_mask.png", np.zeros((120, 160), np.uint8))
    data = (tmp_path / "c.jpg").read_bytes()  # cut in its image data: the header reads
    (tmp_path / "c.jpg").write_bytes(data[:len(data) // 2])
    missing_model = tmp_path / "not-loaded.onnx"  # the photos are checked before the model loads
    with pytest.raises(InputError, match=r"c\.jpg: is cut short"):
        evaluate(model=missing_model, out=tmp_path / "e.json", labelled=(tmp_path, tmp_path, "crack"))
    assert not (tmp_path / "e.json").exists()


def test_labelled_photos_in_subfolders_are_named(tmp_path: Path) -> None:
    """Found with `skyinspect model eval --images data/images --masks data/masks` on a data set laid out as
    images/train, images/val (the UAV75 and YOLO layout): 'no images found. expected files ending in .jpg,
    ...', though both subfolders held photos."""
    for split in ("train", "val"):
        _write(tmp_path / "images" / split / f"{split}1.jpg", np.zeros((8, 8, 3), np.uint8))
        _write(tmp_path / "masks" / split / f"{split}1.png", np.zeros((8, 8), np.uint8))
    with pytest.raises(InputError, match=r"no images found; it holds 2 photo\(s\) in subfolders: train \(1\), "
                                         r"val \(1\)\. pass one of those folders"):
        pair_masks(tmp_path / "images", tmp_path / "masks")


def test_a_mask_whose_name_differs_only_in_case_is_named(tmp_path: Path) -> None:
    """Found with `skyinspect model eval` on UAV75 photo DSC00552.jpg and its mask copied as dsc00552.PNG (as a
    Windows labelling tool saved it; the same pair is matched on a case-blind disk): 'no mask for this image
    ... name it DSC00552.png', not saying the one there differs only in case."""
    _write(tmp_path / "img" / "DSC00552.jpg", np.zeros((8, 8, 3), np.uint8))
    _write(tmp_path / "msk" / "dsc00552.PNG", np.zeros((8, 8), np.uint8))
    with pytest.raises(InputError, match=r"DSC00552\.jpg: no mask for this image in .*msk \(dsc00552\.PNG "
                                         r"differs from it in case only\)\. name it DSC00552\.png"):
        pair_masks(tmp_path / "img", tmp_path / "msk")


def test_check_labelled_decodes_each_tiff_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A TIFF's size cannot be read from its header (Pillow turns it by its tag), so check_labelled decoded
    it twice more after check_images had (three decodes of every TIFF, ~0.3 s each for a 12-MPx one). The
    size check_images decodes serves; the stored size is decoded only for a mask that does not fit the shown one."""
    import skyinspect.photo as photo
    from models.labelled import check_labelled

    decodes: list[str] = []
    real = photo._cv_read  # cv_imread's decode, its header's size checked (skyinspect.pixel_cap)

    def counting(path: Path, flags: int) -> np.ndarray | None:
        if Path(path).suffix == ".tif":  # the photos' decodes, not their masks'
            decodes.append(Path(path).name)
        return real(path, flags)

    monkeypatch.setattr(photo, "_cv_read", counting)
    _write(tmp_path / "a.tif", np.full((40, 60, 3), 128, np.uint8))
    _write(tmp_path / "a_mask.png", np.zeros((40, 60), np.uint8))
    _write(tmp_path / "b.tif", np.full((40, 60, 3), 128, np.uint8))
    _write(tmp_path / "b_mask.png", np.zeros((20, 30), np.uint8))  # another resolution: still one decode
    check_labelled(pair_masks(tmp_path, tmp_path), "crack")
    assert sorted(decodes) == ["a.tif", "b.tif"]
    _write(tmp_path / "b_mask.png", np.zeros((50, 50), np.uint8))
    with pytest.raises(InputError, match=r"b_mask\.png: mask is 50x50 px, its image b\.tif 60x40"):
        check_labelled(pair_masks(tmp_path, tmp_path), "crack")
    from PIL import Image

    turned = tmp_path / "turned"  # stored 60x40, EXIF orientation 6: shown 40x60
    exif = Image.Exif()
    exif[0x0112] = 6
    for suffix in (".tif", ".jpg"):
        turned.mkdir(exist_ok=True)
        Image.fromarray(np.full((40, 60, 3), 128, np.uint8)).save(turned / f"r{suffix}", exif=exif.tobytes())
        for mask_hw in ((40, 60), (60, 40), (30, 20)):  # drawn on the stored pixels, on the shown, at half
            _write(turned / "r_mask.png", np.zeros(mask_hw, np.uint8))
            check_labelled(pair_masks(turned, turned), "crack")
        _write(turned / "r_mask.png", np.zeros((60, 60), np.uint8))
        with pytest.raises(InputError, match=r"mask is 60x60 px, its image r\S* 40x60"):
            check_labelled(pair_masks(turned, turned), "crack")
        (turned / f"r{suffix}").unlink()
