"""What a live link says in the log, once: the buffer's warnings per link, a vehicle that does not stream
what tagging needs, streams too slow for the gap threshold."""

from __future__ import annotations

import logging
import math
import threading

log = logging.getLogger("onboard.telemetry.live")


class OncePerLink(logging.Filter):
    """While a link builds its buffer (several times a second), each of the buffer's warnings is let
    through once per link: 'no SYSTEM_TIME with a UTC clock' came once per frame for a whole
    GNSS-denied flight (600 lines a minute at 10 frames/s). Other threads (a replay) are not affected."""

    building = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        said: set[str] | None = getattr(self.building, "said", None)
        if said is None:
            return True
        if record.msg in said:
            return False
        said.add(str(record.msg))
        return True


logging.getLogger("onboard.telemetry.buffer").addFilter(OncePerLink())


def say_not_streaming(why: str, said: set[str]) -> None:
    """Once per reason: the vehicle is heard but the buffer cannot be built (a port whose SRn rates are 0
    streams HEARTBEAT alone), which was said nowhere before."""
    reason = why.split(" (found:")[0]  # the counts found change with every build
    if reason not in said:
        said.add(reason)
        log.warning("%s; frames are recorded untagged until it arrives", _live_words(why))


def _live_words(why: str) -> str:
    """A reason the buffer words for a log, as a live link's operator needs it: 'no GNSS fix during the log.
    Replay a log recorded with a position fix' was said of a vehicle still acquiring its fix."""
    where, _, what = why.partition(": ")
    if what.startswith("GLOBAL_POSITION_INT messages all have lat = lon = 0"):
        return (f"{where}: GLOBAL_POSITION_INT messages all have lat = lon = 0: the vehicle has no GNSS fix yet "
                "(see its GPS_RAW_INT fix_type)")
    return why


def say_slow_streams(url: str, buffer: object, said: set[str]) -> None:
    """Once per stream: position or attitude about as slow as the gap threshold (``slow_streams``)."""
    for name, period_s in buffer.slow_streams():  # type: ignore[attr-defined]
        if name in said:
            continue
        said.add(name)
        param = "SRn_POSITION" if name == "GLOBAL_POSITION_INT" else "SRn_EXTRA1"
        gap_s = buffer.gap_threshold_s  # type: ignore[attr-defined]
        log.warning("%s: %s comes every %.2f s (median), close to the gap threshold (%.3g s): a late or lost "
                    "sample untags the frames around it. Stream it at %.0f Hz or more (%s, SET_MESSAGE_INTERVAL) "
                    "or raise --gap-threshold-s", url, name, period_s, gap_s, math.ceil(2.5 / gap_s), param)
