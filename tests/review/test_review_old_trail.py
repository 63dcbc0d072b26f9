"""A trail written before the app refused them (83aaa09, 1665e04) may hold a comment with a control
character or half a surrogate pair. The trail stays as it is (its hash chain covers those bytes); what
is written from it must still be readable: findings.kml well-formed XML, the app's pages answered."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from groundstation.review.audit import AuditLog


def _old_trail(results: Path, comment: str) -> bytes:
    # AuditLog.append takes any text, as the app did before it refused these comments
    audit = AuditLog(results / "review" / "audit.jsonl")
    audit.append("ada", "comment", "F-0001", comment=comment)
    audit.append("bob", "reject", "F-0002", comment=comment)
    return audit.path.read_bytes()


def test_control_characters_of_an_old_trail_leave_the_kml_well_formed(results: Path) -> None:
    from groundstation.republish import publish_reviewed

    trail = _old_trail(results, "crack \x0b width \x01 ok\ufffe")
    publish_reviewed(results)
    text = "".join(ET.parse(results / "findings.kml").getroot().itertext())  # well-formed
    assert "crack \ufffd width \ufffd ok\ufffd" in text  # each one shown replaced, the rest as written
    assert (results / "review" / "audit.jsonl").read_bytes() == trail
    assert AuditLog(results / "review" / "audit.jsonl").verify()
