"""Review app (``skyinspect serve RESULTS``): filter findings, see every view, confirm / reject /
relabel / comment with an append-only audit trail, export the reviewed set for retraining."""

from groundstation.review.audit import AuditLog

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def is_loopback(host: str) -> bool:
    import ipaddress

    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


__all__ = ["AuditLog", "LOOPBACK", "is_loopback"]
