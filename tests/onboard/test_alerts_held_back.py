"""STATUSTEXT's rate limit holds a severe finding back; it no longer drops it."""

from __future__ import annotations

from onboard.alerts import AlertPolicy, Alerts, MavlinkAlerter
from skyinspect.pose import Pose
from skyinspect.segmentation import CORROSION, CRACK, Instance

SQUARE = [[0, 0], [30, 0], [30, 30], [0, 30]]
CRACK_BIG = Instance(CRACK, 0.9, SQUARE, 900.0)
RUST_BIG = Instance(CORROSION, 0.8, SQUARE, 5000.0)


def _pose(lat_deg: float = 47.1) -> Pose:
    return Pose(1.7e9, lat_deg, 8.2, 500.0, 20.0, 0.0, 0.0, 90.0, fix_type=3)


def _texts(sent: list) -> list[str]:
    return [m.text for m in sent if m.get_type() == "STATUSTEXT"]


def test_a_finding_inside_the_interval_is_sent_once_it_has_passed() -> None:
    # Before: a crack at f1 was sent; the corrosion at f4, 0.3 s later, fell inside the 1-s limit and its
    # text was never sent: the operator saw 'SI crack' and a count of 2, nothing said where the corrosion was.
    sent: list = []
    now = [0.0]
    alerts = Alerts(AlertPolicy(), mavlink_alerter=MavlinkAlerter(lambda m: sent.append(m) or True,
                                                                  clock=lambda: now[0]))
    alerts.on_frame(1, 1.7e9, _pose(), (CRACK_BIG,), "m")
    now[0] = 0.3
    alerts.on_frame(4, 1.7e9, _pose(47.2), (RUST_BIG,), "m")
    assert len(_texts(sent)) == 1  # still rate-limited
    for frame, t in ((8, 0.7), (12, 1.1), (16, 1.5)):  # frames without findings
        now[0] = t
        alerts.on_frame(frame, 1.7e9, _pose(), (), "m")
    texts = _texts(sent)
    assert len(texts) == 2 and texts[1].startswith("SI corrosion f4 0.80 47.20000,8.20000")


def test_each_class_held_back_gets_its_text_and_the_last_one_goes_out_at_the_end() -> None:
    sent: list = []
    now = [0.0]
    alerts = Alerts(AlertPolicy(), mavlink_alerter=MavlinkAlerter(lambda m: sent.append(m) or True,
                                                                  clock=lambda: now[0]))
    alerts.on_frame(1, 1.7e9, _pose(), (CRACK_BIG,), "m")
    now[0] = 0.2
    weaker = Instance(CRACK, 0.6, SQUARE, 900.0)
    alerts.on_frame(3, 1.7e9, _pose(), (weaker, RUST_BIG, Instance(CRACK, 0.95, SQUARE, 900.0), weaker), "m")
    now[0] = 1.2
    alerts.on_frame(13, 1.7e9, _pose(), (), "m")
    now[0] = 1.4
    alerts.close()  # the flight ends before the next interval: what is still held goes out now
    texts = _texts(sent)
    assert [t.split()[1:4] for t in texts] == [["crack", "f1", "0.90"], ["crack", "f3", "0.95"],
                                               ["corrosion", "f3", "0.80"]]
    assert alerts.mavlink.count == 5 and [m.value for m in sent if m.get_type() == "NAMED_VALUE_INT"][-1] == 5


def test_a_text_the_link_refused_is_sent_when_it_takes_messages_again() -> None:
    # Before: a finding whose STATUSTEXT could not be queued (link down) was never sent.
    sent: list = []
    up = [False]
    now = [0.0]
    alerts = Alerts(AlertPolicy(), mavlink_alerter=MavlinkAlerter(lambda m: up[0] and (sent.append(m) or True),
                                                                  clock=lambda: now[0]))
    alerts.on_frame(1, 1.7e9, _pose(), (CRACK_BIG,), "m")
    up[0], now[0] = True, 0.1
    alerts.on_frame(2, 1.7e9, _pose(), (), "m")
    assert [t.split()[1:3] for t in _texts(sent)] == [["crack", "f1"]]
