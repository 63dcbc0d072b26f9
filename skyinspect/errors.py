"""One exception hierarchy for the whole project.

Every error is a ``SkyinspectError`` mixed with the closest built-in, so callers may catch either
(``except ValueError`` still works). Messages name the file or value, what was expected, what was
found, and how to fix it. The CLI turns any ``SkyinspectError`` into one line on stderr and exit 2.
"""

from __future__ import annotations

from pathlib import Path


class SkyinspectError(Exception):
    """Base of every error skyinspect raises on purpose."""


class InputError(SkyinspectError, ValueError):
    """A user-supplied file or value is missing, unreadable or malformed."""


class CalibrationError(InputError):
    """A camera calibration file is missing keys or holds impossible values."""


class TelemetryError(InputError):
    """A telemetry log or link is unreadable, empty or lacks the messages we need."""


class ImageError(InputError):
    """An image or video cannot be decoded or has the wrong shape or depth."""


class ModelError(InputError):
    """A model file is missing, not ONNX, or lacks skyinspect's metadata."""


class RecordError(SkyinspectError, OSError):
    """A flight record cannot be written or read."""


class GeorefError(SkyinspectError, ValueError):
    """A detection cannot be placed on the ground or structure."""


def describe(path: object, problem: str, fix: str | None = None) -> str:
    """Build the house-style message: ``<path>: <problem>. <fix>``."""
    msg = f"{path}: {problem}"
    if fix:
        msg += f". {fix}"
    return msg


def file_in_the_way(path: Path) -> Path | None:
    """The file at ``path`` or at one of its parents that keeps a folder from being made there (mkdir
    would say only "[Errno 17] File exists" / "[Errno 20] Not a directory"); None when there is none."""
    return next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)


def refuse_file_in_the_way(out: Path, expected: str, fix: str = "Give --out a folder path") -> None:
    """InputError naming ``out`` when a file is where its folder would go: ``expected`` says what folder."""
    blocker = file_in_the_way(out)
    if blocker is not None:
        raise InputError(describe(out, f"{'is' if blocker == out else f'lies under {blocker}, which is'} a file; "
                                       f"expected {expected}", fix))
