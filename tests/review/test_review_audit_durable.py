"""The first decision creates review/ and review/audit.jsonl. The entry itself was fsynced, but not the
folders that name the new file and folder: after a power cut the acknowledged first decision (201) could
be gone with its file. The calls are tested (which files and folders are synced, in what order), not a cut."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from groundstation.review.audit import AuditLog

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names an fd through /proc/self/fd")


def _synced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths os.fsync is called on from now, in order."""
    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


def test_the_first_entry_syncs_the_new_file_and_folder_entries(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    results = (tmp_path / "results").resolve()
    results.mkdir()
    audit = AuditLog(results / "review" / "audit.jsonl")
    synced = _synced(monkeypatch)
    audit.append("ada", "confirm", "F-0001")
    # the entry, then review/ (which names audit.jsonl), then results/ (which names review/)
    assert synced == [str(audit.path), str(results / "review"), str(results)]
    synced.clear()
    audit.append("ada", "comment", "F-0001", comment="seen")  # the names are on disk already: the entry only
    assert synced == [str(audit.path)]


def test_a_first_entry_in_an_existing_review_folder_syncs_that_folder(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    review = (tmp_path / "results" / "review").resolve()
    review.mkdir(parents=True)  # as the training-set export leaves it, without a trail
    synced = _synced(monkeypatch)
    AuditLog(review / "audit.jsonl").append("ada", "reject", "F-0002")
    assert synced == [str(review / "audit.jsonl"), str(review)]
