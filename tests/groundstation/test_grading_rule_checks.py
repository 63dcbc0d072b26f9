"""An owner's rule file (``process --rules``) is refused when it would grade otherwise than it reads.

A band key the grader does not know was ignored: the shipped AASHTO 1130 rule with CS2 written
``{from: 0.3048, upto: 1.27}`` loaded, CS2 then had no upper limit, and a 5 mm crack ("wide", CS3)
graded CS2. Overlapping bands went to the first listed, silently; a band no value can fall in
(``from: 1.27, to: 0.30``) and a ``bound``/``combine`` the grader does not implement ('at-least',
'mean') were accepted and not applied. Each is now an InputError naming the file, the band and the fix."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from groundstation.grading import load_rules
from groundstation.grading.rules import RULES_DIR, parse_rule
from skyinspect.errors import InputError

SHIPPED = yaml.safe_load((RULES_DIR / "aashto_mbei_1130.yaml").read_text())
WHERE = Path("/owner/rules/cracks.yaml")


def _width_bands(d: dict[str, Any]) -> list[dict[str, Any]]:
    return d["criteria"][0]["quantities"][0]["states"]


def _refused(d: dict[str, Any], *needles: str) -> str:
    with pytest.raises(InputError) as exc:
        parse_rule(d, WHERE)
    msg = str(exc.value)
    assert str(WHERE) in msg and all(n in msg for n in needles), msg
    return msg


def test_an_unknown_band_key_is_refused() -> None:
    d = copy.deepcopy(SHIPPED)
    band = _width_bands(d)[1]
    band["upto"] = band.pop("to")
    _refused(d, "criteria[0].quantities[0].states[1]", "'upto'", "below, to, from, above")


def test_overlapping_bands_are_refused() -> None:
    d = copy.deepcopy(SHIPPED)
    _width_bands(d)[0]["below"] = 0.5  # CS1 < 0.5 mm overlaps CS2 from 0.3048 mm
    _refused(d, "width_mm", "CS1", "CS2", "overlap")


def test_a_band_no_value_falls_in_is_refused() -> None:
    d = copy.deepcopy(SHIPPED)
    _width_bands(d)[1].update({"from": 1.27, "to": 0.3048})
    _refused(d, "states[1]", "CS2", "no value")


@pytest.mark.parametrize("where,key,value", [("quantity", "bound", "at-least"), ("criterion", "combine", "mean")])
def test_an_unknown_bound_or_combine_is_refused(where: str, key: str, value: str) -> None:
    d = copy.deepcopy(SHIPPED)
    target = d["criteria"][0]["quantities"][0] if where == "quantity" else d["criteria"][0]
    target[key] = value
    _refused(d, f"{key} {value!r}")


def test_the_shipped_rules_still_load_and_a_refused_file_names_itself(tmp_path: Path) -> None:
    assert len(load_rules()) == 6
    d = copy.deepcopy(SHIPPED)
    band = _width_bands(d)[1]
    band["upto"] = band.pop("to")
    (tmp_path / "cracks.yaml").write_text(yaml.safe_dump(d))
    with pytest.raises(InputError, match="cracks.yaml"):
        load_rules(tmp_path)


def test_an_unknown_quantity_or_criterion_key_is_refused() -> None:
    """``requird: false`` was ignored: the quantity stayed required, and a crack without a width graded
    'indeterminate' where the owner meant spacing alone to grade it."""
    d = copy.deepcopy(SHIPPED)
    d["criteria"][0]["quantities"][0]["requird"] = False
    _refused(d, "criteria[0].quantities[0]", "'requird'", "required")
    d = copy.deepcopy(SHIPPED)
    d["criteria"][0]["combin"] = "worst"
    _refused(d, "criteria[0]", "'combin'", "combine")


def test_required_must_be_true_or_false() -> None:
    """``required: "false"`` (quoted) read as bool("false") = True."""
    d = copy.deepcopy(SHIPPED)
    d["criteria"][0]["quantities"][0]["required"] = "false"
    _refused(d, "criteria[0].quantities[0]", "required", "true or false")
