"""The review audit trail: append-only JSON lines, each entry chained to the previous by sha256.

``review/audit.jsonl`` in the results folder. An entry is never rewritten; the current review state
of a finding is the fold of its entries (the last confirm/reject wins, relabels and comments add up).
``verify()`` recomputes the chain, so an edited or deleted line is detected.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from skyinspect.atomic import fsync_dir
from skyinspect.errors import InputError, describe

try:
    import fcntl
except ImportError:  # Windows: one server per folder (the thread lock only)
    fcntl = None  # type: ignore[assignment]

ACTIONS = ("confirm", "reject", "relabel", "comment")
DECISIONS = ("confirm", "reject", "relabel")  # what a later decision overrides (comments only add up)
GENESIS = "0" * 64


class AuditUnreadable(InputError):
    """A line of the trail is not an entry (cut while written, or edited): named with the fix."""


class AuditConflict(Exception):
    """A decision was made on what the reviewer last saw, but another reviewer decided since."""

    def __init__(self, finding_id: str, latest: dict[str, Any] | None) -> None:
        if latest is None:
            text = f"{finding_id} has no decision on record any more (the audit trail was replaced)"
        else:
            label = f" -> {latest['label']}" if latest.get("label") else ""
            text = (f"{finding_id} was changed by {latest['who']} since you opened it: {latest['action']}{label} "
                    f"(#{latest['seq']}, {latest['time_utc']})")
        super().__init__(text)
        self.latest = latest


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def entries(self) -> list[dict[str, Any]]:
        """The entries in order; AuditUnreadable naming the first line that is not one (a bare
        JSONDecodeError had made every page of a running app answer 500, unexplained)."""
        if not self.path.is_file():
            return []
        try:
            with open(self.path, "rb") as fh:
                if fcntl is not None:
                    try:  # not while an append holds its lock: a line half written had read as a cut one
                        fcntl.flock(fh.fileno(), fcntl.LOCK_SH)
                    except OSError:  # a file system without locks: read as it is
                        pass
                raw = fh.read()
        except FileNotFoundError:
            return []
        return self._parse(raw)

    def _parse(self, raw: bytes) -> list[dict[str, Any]]:
        fix = "Cut that line off (the entries before it stay valid), or move the file aside to start a new trail"
        try:
            # -sig: a byte order mark (a Windows editor's save) had made line 1 'not a review entry'
            lines = raw.decode("utf-8-sig").splitlines()
        except UnicodeDecodeError as exc:
            raise AuditUnreadable(describe(self.path, f"not UTF-8 text (byte {exc.start})", fix)) from None
        out = []
        for i, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            if not isinstance(entry, dict):
                raise AuditUnreadable(describe(self.path, f"line {i} is not a review entry (cut while being "
                                                          "written, or edited)", fix))
            missing = _missing(entry)
            if missing:  # an object written in by hand: a KeyError had answered 500 on every page
                raise AuditUnreadable(describe(self.path, f"line {i} is not a review entry (edited: {missing})", fix))
            out.append(entry)
        return out

    def append(self, who: str, action: str, finding_id: str, expect_seq: int | None = None,
               **data: Any) -> dict[str, Any]:
        """Append an entry. ``expect_seq``: the seq of the finding's last decision the reviewer saw
        (0: none); a decision made since raises AuditConflict instead of silently overriding it
        (two reviewers on one finding: the later click had won unseen)."""
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, not {action!r}")
        # the folders this first append creates (innermost first): their names too must reach the disk
        created = [d for d in (self.path.parent, *self.path.parent.parents) if not d.exists()]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # checked and appended under one lock: no decision slips in between. The file lock covers a second
        # server on the same folder (its own process): two had written the same seq and broken the chain
        # unbuffered: a failed write leaves nothing in a buffer for close() to write after the cut below
        with self._lock, open(self.path, "a+b", buffering=0) as fh:  # appended to; cut back only on failure
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # released when fh closes
            fh.seek(0)
            old = self._parse(fh.read())  # through the locked file: entries() would wait for this very lock
            if expect_seq is not None and action in DECISIONS:
                last = next((e for e in reversed(old) if e["finding_id"] == finding_id
                             and e["action"] in DECISIONS), None)
                if (last["seq"] if last else 0) != expect_seq:
                    raise AuditConflict(finding_id, last)
            entry = {"seq": len(old) + 1, "time_utc": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                     "who": who, "action": action, "finding_id": finding_id, **data,
                     "prev": old[-1]["hash"] if old else GENESIS}
            entry["hash"] = _hash(entry)
            line = (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8")
            size = os.fstat(fh.fileno()).st_size
            if size:  # read at the end: the writes still go to the end (append mode)
                fh.seek(size - 1)
                if fh.read(1) != b"\n":
                    # a last entry left without its line break (an editor saving no final newline, after the torn
                    # line was cut off as AuditUnreadable says): glued onto it, both were unreadable
                    line = b"\n" + line
            try:
                done = 0
                while done < len(line):
                    done += fh.write(line[done:])
                os.fsync(fh.fileno())
                if not size:  # the trail's first entry: a power cut could lose the new file's name, or its folder's
                    for folder in (self.path.parent, *(d.parent for d in created)):
                        fsync_dir(folder)
            except BaseException:
                # a full disk (or Ctrl-C) mid-line had left half an entry: every later read failed on it
                os.ftruncate(fh.fileno(), size)
                raise
            return entry

    def check_readable(self) -> None:
        """Raise AuditUnreadable (an InputError) naming the first line that is not an entry: a line cut
        by a crash or a full disk while it was written had made every page of the app answer 500."""
        self.entries()

    def verify(self, entries: list[dict[str, Any]] | None = None) -> bool:
        """Whether the chain holds; ``entries``: as ``entries()`` read them (default: read the file now)."""
        prev = GENESIS
        for i, e in enumerate(self.entries() if entries is None else entries, 1):
            if e.get("seq") != i or e.get("prev") != prev or e.get("hash") != _hash({k: v for k, v in e.items() if k != "hash"}):
                return False
            prev = e["hash"]
        return True

    def state(self, entries: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
        """finding id -> {"status": unreviewed|confirmed|rejected, "label": str|None, "comments": [...],
        "by": str|None, "seq": the seq of its last decision (0: none), for ``append(expect_seq=...)``};
        ``entries``: as ``entries()`` read them (default: read the file now)."""
        out: dict[str, dict[str, Any]] = {}
        for e in map(readable, self.entries() if entries is None else entries):
            s = out.setdefault(e["finding_id"], {"status": "unreviewed", "label": None, "comments": [], "by": None,
                                                 "seq": 0})
            if e["action"] in DECISIONS:
                s["seq"] = e["seq"]
            if e["action"] == "confirm":
                s["status"], s["by"] = "confirmed", e["who"]
            elif e["action"] == "reject":
                s["status"], s["by"] = "rejected", e["who"]
            elif e["action"] == "relabel":
                s["label"], s["status"], s["by"] = e.get("label"), "confirmed", e["who"]
            if e.get("comment"):
                s["comments"].append({"who": e["who"], "time_utc": e["time_utc"], "text": e["comment"]})
        return out


_HALF_PAIR = re.compile("[\ud800-\udfff]")


def readable(entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` with half a UTF-16 surrogate pair in its texts replaced by U+FFFD, for showing and
    publishing: a trail written before the app refused them (1665e04) may hold one, which no UTF-8
    product can (every page of the app answered 500, publish failed). The trail and its hashes stay."""
    return {k: _HALF_PAIR.sub("\ufffd", v) if isinstance(v, str) else v for k, v in entry.items()}


ENTRY_FIELDS = {"seq": int, "time_utc": str, "who": str, "action": str, "finding_id": str, "prev": str, "hash": str}


def _missing(entry: dict[str, Any]) -> str:
    """What a JSON object lacks to be an entry as ``append`` writes it ("" for nothing)."""
    for key, kind in ENTRY_FIELDS.items():
        if key not in entry:
            return f"no {key!r}"
        if not isinstance(entry[key], kind) or isinstance(entry[key], bool):
            return f"{key!r} is {json.dumps(entry[key])[:40]}, expected {'a whole number' if kind is int else 'text'}"
    return ""


def _hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps({k: v for k, v in entry.items() if k != "hash"}, sort_keys=True).encode()).hexdigest()
