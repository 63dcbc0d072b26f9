"""skyinspect core: shared value types, camera and pose geometry, the flight record, errors."""

__version__ = "0.1.0"
