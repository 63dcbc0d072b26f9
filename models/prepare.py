"""Build the ultralytics semantic-segmentation dataset from the shared crack/corrosion data.

Layout written (ultralytics PNG-mask format, ``masks_dir: masks``)::

    out/images/{train,val}/<name>.jpg|png
    out/masks/{train,val}/<name>.png      # uint8 class ids: 0 bg, 1 crack, 2 corrosion
    out/skyseg.yaml

Everything is written OUTSIDE the repository: DeepCrack is non-commercial research only and must
never be committed. All crops are taken at native resolution (no rescale for cracks) because the
runtime tiles frames at native scale; a 2-px crack shrunk by 0.7x stops being learnable.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from models._progress import progress
from models.degrade import degrade
from skyinspect.errors import InputError, describe

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT = Path("/work/data/skyseg")
SPLIT_FILE = Path(__file__).with_name("data") / "corrosion_split.json"
DEEPCRACK_VAL_FILE = Path(__file__).with_name("data") / "deepcrack_val.json"
CLASS_NAMES = ("background", "crack", "corrosion")
TILE = 384
_SUFFIX = re.compile(r"(_(jpe?g|png|bmp|tiff?))+$", re.IGNORECASE)


@dataclass(frozen=True)
class PrepareConfig:
    shared: Path = DEFAULT_SHARED
    out: Path = DEFAULT_OUT
    uav_crops_per_image: int = 6
    corrosion_train_max: int = 400
    seed: int = 0


def source_group(stem: str) -> str:
    """Source-photo key of a Roboflow corrosion stem.

    Roboflow names exports ``<original>_<ext>`` and re-exports stack suffixes (``0820_JPG_jpg``);
    the same photo also appears as ``000026_jpg`` and ``000026_png``. Purely numeric originals are
    compared as integers so ``0026`` and ``000026`` fall in one group (merging is the safe side:
    it can only reduce leakage).
    """
    base = _SUFFIX.sub("", stem)
    return str(int(base)) if base.isdigit() else base.lower()


def corrosion_split(stems: list[str], seed: int = 0, val_frac: float = 0.05,
                    test_frac: float = 0.10) -> dict[str, list[str]]:
    """Split stems by source group into train / val (model selection) / test (reported numbers)."""
    groups: dict[str, list[str]] = {}
    for s in sorted(stems):
        groups.setdefault(source_group(s), []).append(s)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    n_val = round(len(keys) * val_frac)
    n_test = round(len(keys) * test_frac)
    parts = {"val": keys[:n_val], "test": keys[n_val:n_val + n_test], "train": keys[n_val + n_test:]}
    return {name: sorted(s for k in ks for s in groups[k]) for name, ks in parts.items()}


def load_or_make_split(shared: Path, seed: int = 0, split_file: Path = SPLIT_FILE) -> dict[str, list[str]]:
    """Reuse the committed split so every run (and the evaluation) sees the same held-out set."""
    if split_file.exists():
        return json.loads(split_file.read_text())["splits"]
    stems = [p.stem for p in (shared / "corrosion/roboflow_corrosion/images").iterdir()]
    splits = corrosion_split(stems, seed=seed)
    split_file.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "source": "shared/data/corrosion/roboflow_corrosion",
        "rule": "group by source photo: strip trailing _jpg/_png/_JPG/_jpeg suffixes, numeric stems as int; "
                "shuffle groups with random.Random(seed); 5% val, 10% test, rest train",
        "seed": seed,
        "counts": {k: len(v) for k, v in splits.items()},
        "splits": splits,
    }
    split_file.write_text(json.dumps(doc, indent=1) + "\n")
    return splits


def read_pair(img_dir: Path, mask_dir: Path, stem: str) -> tuple[np.ndarray, np.ndarray]:
    """Image (BGR uint8) and binary mask (bool) for one stem; masks are 0/255 single-channel PNG."""
    imgs = sorted(img_dir.glob(f"{glob_escape(stem)}.*"))
    if not imgs:
        raise InputError(describe(img_dir / stem, "image not found", "check the shared data checkout"))
    img = cv2.imread(str(imgs[0]), cv2.IMREAD_COLOR)
    mask = cv2.imread(str(mask_dir / f"{stem}.png"), cv2.IMREAD_GRAYSCALE)
    if img is None or mask is None:
        raise InputError(describe(imgs[0], "image or its mask (.png) is unreadable",
                                  "check the shared data checkout"))
    if mask.shape != img.shape[:2]:
        mask = cv2.resize(mask, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_NEAREST)
    return img, mask > 127


def crack_biased_crops(mask: np.ndarray, n: int, size: int, rng: random.Random) -> list[tuple[int, int]]:
    """Top-left corners of ``n`` crops; the first half centred on random crack pixels.

    Cracks are ~0.3% of UAV75 pixels, so unbiased crops would often hold none at all.
    """
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    out: list[tuple[int, int]] = []
    for i in range(n):
        if i < n // 2 and len(ys):
            j = rng.randrange(len(ys))
            x0, y0 = xs[j] - size // 2 + rng.randint(-64, 64), ys[j] - size // 2 + rng.randint(-64, 64)
        else:
            x0, y0 = rng.randint(0, max(0, w - size)), rng.randint(0, max(0, h - size))
        out.append((int(np.clip(x0, 0, max(0, w - size))), int(np.clip(y0, 0, max(0, h - size)))))
    return out


def enlarge(img: np.ndarray, mask: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``img`` and its boolean ``mask`` resized to ``size`` (width, height): the image bilinear, the
    mask resampled likewise and cut at half (nearest-neighbour would make an enlarged crack's edge a
    staircase). Training crops (``zoomed_crops``) and the enlarged evaluation set share it."""
    big = cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)
    return big, cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_LINEAR) >= 0.5


def zoomed_crops(img: np.ndarray, mask: np.ndarray, n: int, rng: random.Random,
                 zoom_range: tuple[float, float] = (1.5, 2.5)) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` TILE-px (image, uint8 class mask) crops of ``img`` enlarged by a random factor in
    ``zoom_range`` (bilinear; the mask resampled likewise and cut at half), each centred near a
    random crack pixel: the image's cracks 1.5-2.5x as wide as photographed. None without a crack."""
    out: list[tuple[np.ndarray, np.ndarray]] = []
    if not mask.any():
        return out
    for _ in range(n):
        f = rng.uniform(*zoom_range)
        size = (max(TILE, round(img.shape[1] * f)), max(TILE, round(img.shape[0] * f)))
        big, big_m = enlarge(img, mask, size)
        ys, xs = np.nonzero(big_m)
        j = rng.randrange(len(ys)) if len(ys) else 0
        cx, cy = (int(xs[j]), int(ys[j])) if len(ys) else (size[0] // 2, size[1] // 2)
        x0 = int(np.clip(cx - TILE // 2 + rng.randint(-64, 64), 0, size[0] - TILE))
        y0 = int(np.clip(cy - TILE // 2 + rng.randint(-64, 64), 0, size[1] - TILE))
        out.append((big[y0:y0 + TILE, x0:x0 + TILE], big_m[y0:y0 + TILE, x0:x0 + TILE].astype(np.uint8)))
    return out


def _random_corner(shape: tuple[int, ...], rng: random.Random) -> tuple[int, int]:
    """Top-left corner of a uniformly random ``TILE`` crop of an image of ``shape``."""
    return rng.randint(0, max(0, shape[1] - TILE)), rng.randint(0, max(0, shape[0] - TILE))


def glob_escape(stem: str) -> str:
    return re.sub(r"([\[\]*?])", r"[\1]", stem)


def _write(out: Path, split: str, name: str, img: np.ndarray, cls: np.ndarray) -> None:
    cv2.imwrite(str(out / "images" / split / f"{name}.png"), img)
    cv2.imwrite(str(out / "masks" / split / f"{name}.png"), cls)


def deepcrack_val_stems(path: Path = DEEPCRACK_VAL_FILE) -> list[str]:
    """DeepCrack train images held out for model selection (DeepCrack ships no validation split)."""
    if not path.exists():
        raise InputError(describe(path, "DeepCrack holdout list missing", "restore it from git"))
    return list(json.loads(path.read_text())["val"])


def _read_list(path: Path) -> list[str]:
    if not path.exists():
        raise InputError(describe(path, "split list not found", "check the shared data checkout"))
    return [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]


def prepare(shared: Path = DEFAULT_SHARED, out: Path = DEFAULT_OUT, uav_crops_per_image: int = 6,
            corrosion_train_max: int = 400, seed: int = 0, uav_repeat: int = 2, field_degrade: bool = True,
            deepcrack_crops: int = 1, corrosion_native: bool = False, zoom_crops: int = 0) -> Path:
    """Build the dataset; returns the path of the dataset YAML to pass as ``data=``.

    ``uav_repeat``: each UAV75 crop is written this many times (``dup_`` copies): the 50 drone-shot
    training images are the only in-domain cracks, and oversampling them twice is what moved UAV75
    val crack tolerance-F from 0.02 (model v1, once) to 0.63 (v2).
    ``field_degrade``: the ``dup_`` copies, an extra copy of half the DeepCrack crops (``fd_``) and a
    quarter of the corrosion photos (in place) get motion blur, defocus, haze, shadow, noise and JPEG
    (``models.degrade``); masks unchanged. The DeepCrack images listed in ``deepcrack_val.json`` go to
    validation (full frames), never to training.
    ``deepcrack_crops``: 384-px crops per DeepCrack training image (1 up to model v5: one crop of a
    544x384 image leaves 30 % of it unseen each epoch); the first is centred on a crack half the time,
    the others are random.
    ``corrosion_native``: training photos give a random 384-px crop at their own scale instead of being
    resized 448 → 384, so rust is learned at the scale the runtime segments it (it never resizes a
    photo); validation photos are resized either way.
    ``zoom_crops``: extra 384-px crops per DeepCrack training image, centred on its crack, from the
    image enlarged 1.5-2.5 times (``zoom_``): DeepCrack's training cracks are at most ~25 px wide
    while a drone flown close to a wide open crack sees it 30-100 px wide, wider than anything the
    models up to v5 saw (they give such a crack background). Their own random generator, so the
    other crops are those of a build without them."""
    if zoom_crops < 0:
        raise InputError(describe("--zoom-crops", f"expected 0 or more crops per image, got {zoom_crops}"))
    if deepcrack_crops < 1:
        raise InputError(describe("--deepcrack-crops", f"expected at least 1 crop per image, got {deepcrack_crops}"))
    shared, out = Path(shared), Path(out)
    if not (shared / "LICENSES.md").exists():
        raise InputError(describe(shared, "not the shared data folder (no LICENSES.md)",
                                  "pass --shared pointing at shared/data"))
    if out.resolve().is_relative_to(REPO_ROOT):
        raise InputError(describe(out, "dataset would be written inside the repository",
                                  "choose a folder outside it (DeepCrack must never be committed)"))
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    zrng = random.Random(seed + 1_000_003)  # zoomed crops only: the other crops stay as without them
    if (out / "skyseg.yaml").exists():  # our own previous build: start clean so stale crops don't linger
        for sub in ("images", "masks"):
            shutil.rmtree(out / sub, ignore_errors=True)
    for sub in ("images/train", "images/val", "masks/train", "masks/val"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}

    uav = shared / "cracks/uav75"
    for split, lst in (("train", "train.txt"), ("val", "val.txt")):
        for stem in progress(_read_list(uav / lst), f"uav75 {split}"):
            img, m = read_pair(uav / "images", uav / "masks", stem)
            cls = m.astype(np.uint8)  # 1 = crack
            if split == "val":  # full frame: validation should see what the runtime sees
                _write(out, "val", f"uav75_{stem}", img, cls)
                counts["uav75_val"] = counts.get("uav75_val", 0) + 1
                continue
            for k, (x0, y0) in enumerate(crack_biased_crops(m, uav_crops_per_image, TILE, rng)):
                crop = img[y0:y0 + TILE, x0:x0 + TILE]
                for r in range(max(1, uav_repeat)):
                    _write(out, "train", f"{'dup_' * r}uav75_{stem}_{k}",
                           degrade(crop, nrng) if field_degrade and r > 0 else crop, cls[y0:y0 + TILE, x0:x0 + TILE])
                counts["uav75_train_crops"] = counts.get("uav75_train_crops", 0) + 1
                counts["uav75_train_files"] = counts.get("uav75_train_files", 0) + max(1, uav_repeat)

    dc = shared / "cracks/deepcrack"
    dc_val = set(deepcrack_val_stems())
    for stem in progress(_read_list(dc / "train.txt"), "deepcrack train"):
        img, m = read_pair(dc / "images", dc / "masks", stem)
        if stem in dc_val:
            _write(out, "val", f"deepcrack_{stem}", img, m.astype(np.uint8))
            counts["deepcrack_val"] = counts.get("deepcrack_val", 0) + 1
            continue
        corners = crack_biased_crops(m, 1, TILE, rng) if rng.random() < 0.5 else [_random_corner(m.shape, rng)]
        corners += [_random_corner(m.shape, rng) for _ in range(deepcrack_crops - 1)]
        for k, (x0, y0) in enumerate(corners):
            crop, cm = img[y0:y0 + TILE, x0:x0 + TILE], m[y0:y0 + TILE, x0:x0 + TILE].astype(np.uint8)
            name = f"deepcrack_{stem}" + (f"_{k}" if k else "")  # v5's names when one crop
            _write(out, "train", name, crop, cm)
            counts["deepcrack_train"] = counts.get("deepcrack_train", 0) + 1
            if field_degrade and nrng.random() < 0.5:
                _write(out, "train", f"fd_{name}", degrade(crop, nrng), cm)
                counts["deepcrack_train_degraded"] = counts.get("deepcrack_train_degraded", 0) + 1
        for k, (crop, cm) in enumerate(zoomed_crops(img, m, zoom_crops, zrng)):
            _write(out, "train", f"zoom_deepcrack_{stem}_{k}", crop, cm)
            counts["deepcrack_train_zoomed"] = counts.get("deepcrack_train_zoomed", 0) + 1

    co = shared / "corrosion/roboflow_corrosion"
    splits = load_or_make_split(shared, seed)
    train_stems = sorted(splits["train"])
    rng.shuffle(train_stems)
    for split, stems in (("train", train_stems[:corrosion_train_max]), ("val", splits["val"])):
        for stem in progress(stems, f"corrosion {split}"):
            img, m = read_pair(co / "images", co / "masks", stem)
            if split == "train" and corrosion_native and min(m.shape) >= TILE:
                x0, y0 = _random_corner(m.shape, rng)
                img, m = img[y0:y0 + TILE, x0:x0 + TILE], m[y0:y0 + TILE, x0:x0 + TILE]
            else:  # 448 -> 384 (models up to v5): keeps the whole photo in one model input
                img = cv2.resize(img, (TILE, TILE), interpolation=cv2.INTER_AREA)
                m = cv2.resize(m.astype(np.uint8), (TILE, TILE), interpolation=cv2.INTER_NEAREST) > 0
            if split == "train" and field_degrade and nrng.random() < 0.25:
                img = degrade(img, nrng)
                counts["corrosion_train_degraded"] = counts.get("corrosion_train_degraded", 0) + 1
            _write(out, split, f"corrosion_{stem}", img, (m * 2).astype(np.uint8))
            counts[f"corrosion_{split}"] = counts.get(f"corrosion_{split}", 0) + 1

    yaml_path = out / "skyseg.yaml"
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(CLASS_NAMES))
    yaml_path.write_text(
        f"# written by models/prepare.py; counts: {json.dumps(counts)}\n"
        f"path: {out.resolve()}\ntrain: images/train\nval: images/val\nmasks_dir: masks\n"
        f"names:\n{names}\n")
    (out / "counts.json").write_text(json.dumps(counts, indent=1) + "\n")
    return yaml_path


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m models.prepare", description=__doc__.splitlines()[0])
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared/data folder")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="dataset output folder (outside repo)")
    # These defaults stay those of the model card's v3/v4 commands, so they rebuild the same data;
    # `skyinspect model prepare` defaults to v5's recipe (--uav-crops 12 --seed 7 --corrosion-train-max 1162).
    p.add_argument("--uav-crops", type=int, default=6, help="random 384 crops per UAV75 train image")
    p.add_argument("--corrosion-train-max", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--uav-repeat", type=int, default=2, help="copies of each UAV75 crop (oversampling)")
    p.add_argument("--no-field-degrade", action="store_true", help="no degraded copies (models v1-v3 data)")
    p.add_argument("--deepcrack-crops", type=int, default=1, help="384 crops per DeepCrack train image")
    p.add_argument("--corrosion-native", action="store_true",
                   help="corrosion training photos cropped at their own scale instead of resized to 384")
    p.add_argument("--zoom-crops", type=int, default=0,
                   help="extra crops per DeepCrack train image from it enlarged 1.5-2.5x (wide cracks)")
    a = p.parse_args(argv)
    try:
        y = prepare(a.shared, a.out, a.uav_crops, a.corrosion_train_max, a.seed, a.uav_repeat, not a.no_field_degrade,
                    a.deepcrack_crops, a.corrosion_native, a.zoom_crops)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(y)
    return 0


if __name__ == "__main__":
    sys.exit(main())
