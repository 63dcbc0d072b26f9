"""Frames of a DJI folder replayed as its own telemetry (``skyinspect onboard --frames DJI_FOLDER``).

The frames are the very photos whose EXIF/XMP became the telemetry, so photo n is frame n: each frame takes
its photo's CAMERA_FEEDBACK by number, and a photo the DJI reader skipped (no GPS, no XMP attitude, metadata
it could not read, each warned by name) is an untagged frame. Timing such a folder by the frames' EXIF
instead, as logs with missing CAMERA_FEEDBACK are, gave a burst photo (the same EXIF second as the one
before) the pose of the photo before it, and advised a --latency-s that shifted the photos off themselves.

Refused, naming the file: a frame that is no DJI photo (a PNG screenshot, a phone JPEG without drone-dji
XMP) and a photo that cannot be read as an image (its frame check says why: empty, cut short, undecodable).
"""

from __future__ import annotations

from pathlib import Path

from onboard.frames import ImageFolderSource
from onboard.telemetry.buffer import CameraEvent
from skyinspect.errors import InputError, describe


def is_self_folder(frames: Path, telemetry: Path, kind: str, source: object) -> bool:
    """The frames folder is the DJI folder read as telemetry."""
    return kind == "dji" and isinstance(source, ImageFolderSource) and Path(frames).resolve() == Path(telemetry).resolve()


def self_folder_events(source: ImageFolderSource, folder: Path, events: dict[int, CameraEvent]) -> dict[int, CameraEvent]:
    """Frame n → photo n's CAMERA_FEEDBACK (module doc); InputError or ImageError naming a frame refused."""
    from onboard.telemetry.dji import has_dji_xmp, photo_paths
    from skyinspect.photo import checked_header_shapes

    photos = {p.resolve() for p in photo_paths(folder)}  # the JPEG files among the frames, in the same order
    strays = [p for p in source.paths if p.resolve() not in photos]  # PNG, TIFF, a link to nothing
    if not strays:  # the frames are the photos: frame n is photo n
        for n, path in enumerate(source.paths, start=1):
            if n not in events:
                checked_header_shapes(path)  # empty, cut short or undecodable: refused with the reason
                if not has_dji_xmp(path):
                    strays.append(path)
    for stray in strays:
        if stray.is_symlink() and not stray.exists():
            checked_header_shapes(stray)  # a link to a photo that is not there is named as such
    if strays:
        raise InputError(describe(strays[0], f"{len(strays)} file(s) in the DJI photo folder are no DJI photos "
                                  f"({', '.join(p.name for p in strays[:3])}{' ...' if len(strays) > 3 else ''}): "
                                  "the photos' own poses pair with the frames by number, so these have none",
                                  "Move them out of the folder"))
    return events


def untagged_why(source: ImageFolderSource, skipped: dict[Path, str]) -> dict[int, str]:
    """Frame index → why its photo gave no pose, as the DJI reader said it (the frame's pose status, which
    the report lists: it read 'no CAMERA_FEEDBACK for img_idx 3', a message of MAVLink logs)."""
    why = {Path(p).resolve(): text for p, text in skipped.items()}
    return {n: why[p.resolve()] for n, p in enumerate(source.paths, start=1) if p.resolve() in why}


__all__ = ["is_self_folder", "self_folder_events", "untagged_why"]
