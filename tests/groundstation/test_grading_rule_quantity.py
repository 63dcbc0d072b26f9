"""An owner's rule naming a quantity the ground station does not measure is refused when read.

``quantity: max_width`` (for ``max_width_mm``, the widest stretch of a crack) loaded, and every crack
then graded ``indeterminate`` ("max_width: not measured"), each given a check work order, with nothing
saying the rule file was wrong. Now an InputError names the file, the quantity and the ones known."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from groundstation.grading.rules import QUANTITIES, RULES_DIR, load_rules, parse_rule
from skyinspect.errors import InputError

SHIPPED = yaml.safe_load((RULES_DIR / "aashto_mbei_1130.yaml").read_text())
WHERE = Path("/owner/rules/cracks.yaml")


def test_a_misspelt_quantity_is_refused_with_the_known_ones() -> None:
    d = copy.deepcopy(SHIPPED)
    d["criteria"][0]["quantities"][0]["quantity"] = "max_width"
    with pytest.raises(InputError) as exc:
        parse_rule(d, WHERE)
    msg = str(exc.value)
    for needle in (str(WHERE), "criteria[0].quantities[0]", "'max_width'", "max_width_mm", "width_mm",
                   "crack_spacing_m"):
        assert needle in msg, msg


def test_every_shipped_rule_and_the_widest_stretch_are_known() -> None:
    used = {q.quantity for r in load_rules().values() for c in r.criteria for q in c.quantities}
    assert used <= set(QUANTITIES), used - set(QUANTITIES)
    d = copy.deepcopy(SHIPPED)
    d["criteria"][0]["quantities"][0]["quantity"] = "max_width_mm"
    assert parse_rule(d, WHERE).criteria[0].quantities[0].quantity == "max_width_mm"
