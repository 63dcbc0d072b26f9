"""`skyinspect process --registry --asset-id --profile`: components and the chosen rules reach every
product; a bad profile, registry or asset id is refused before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gs_fixtures import FLY_HEIGHT_M, bridge_on_face, crack_on_face, face_flight
from typer.testing import CliRunner

from groundstation.registry import build_registry
from skyinspect.cli.main import app

EXAMPLES = Path(__file__).resolve().parents[2] / "missions" / "examples"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A flight over the test face, a surface file, and registries: one bridge whose pier P1 is the
    face (as tests/groundstation/test_registry.py), and one holding two assets."""
    from gs_fixtures import face_surface

    tmp = tmp_path_factory.mktemp("site")
    asset = bridge_on_face(tmp, [(0.1, 6.0)])
    one, two = tmp / "one.gpkg", tmp / "two.gpkg"
    build_registry([(asset, "creek")], one)
    build_registry([(asset, "creek"), (EXAMPLES / "pipeline.geojson", "gasline")], two)
    surface = tmp / "surface.json"
    face_surface().save(surface)
    flight = face_flight(tmp / "flight", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1)])  # 4 mm wide
    return {"flight": flight, "surface": surface, "one": one, "two": two, "tmp": tmp}


def test_registry_and_profile_reach_the_products(site: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "results"
    code, text = _run("process", str(site["flight"]), "--out", str(out), "--surface", str(site["surface"]),
                      "--registry", str(site["two"]), "--asset-id", "creek", "--profile", "psc_bridge")
    assert code == 0, text
    assert "graded by profile psc_bridge" in text and "1 of 1 findings assigned to components of creek" in text
    props = json.loads((out / "findings.geojson").read_text())["features"][0]["properties"]
    assert (props["component"], props["component_id"]) == ("pier P1", "creek/P1")
    assert props["grade_rule"] == "aashto-mbei-1110@2" and props["grade"] == "CS3"  # PSC: > 0.009 in. (0.2286 mm) is CS3
    meta = json.loads((out / "inspection.json").read_text())
    assert meta["grading_profile"] == "psc_bridge" and meta["asset_id"] == "creek"
    assert "creek/P1" in (out / "workorders.csv").read_text()
    assert (out / "findings.kml").stat().st_size > 0


def test_default_profile_without_registry(site: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "results"
    code, text = _run("process", str(site["flight"]), "--out", str(out), "--surface", str(site["surface"]))
    assert code == 0, text
    props = json.loads((out / "findings.geojson").read_text())["features"][0]["properties"]
    assert props["grade_rule"] == "aashto-mbei-1130@2" and props["component"] is None
    assert "graded by profile rc_bridge" in text and "assigned to components" not in text


@pytest.mark.parametrize("extra, expect", [
    (["--profile", "cathedral"], ["profiles.yaml", "no grading profile 'cathedral'", "rc_bridge", "psc_bridge"]),
    # the fix a user can run: the CLI command, not the Python module
    (["--registry", "{tmp}/missing.gpkg"], ["missing.gpkg", "registry GeoPackage not found", "skyinspect registry"]),
    (["--registry", "{surface}"], ["surface.json", "not a skyinspect registry"]),
    (["--registry", "{two}"], ["two.gpkg", "holds 2 assets", "--asset-id", "creek", "gasline"]),
    (["--registry", "{one}", "--asset-id", "tower-9"], ["one.gpkg", "no asset 'tower-9'", "creek"]),
    (["--asset-id", "creek"], ["--asset-id", "without --registry"]),
])
def test_bad_grading_inputs_write_nothing(site: dict[str, Path], tmp_path: Path, extra: list[str],
                                          expect: list[str]) -> None:
    out = tmp_path / "results"
    args = [a.format(tmp=site["tmp"], surface=site["surface"], two=site["two"], one=site["one"]) for a in extra]
    code, text = _run("process", str(site["flight"]), "--out", str(out), "--surface", str(site["surface"]), *args)
    assert code == 2, text
    assert "Traceback" not in text
    for phrase in expect:
        assert phrase in text, phrase
    assert not out.exists()


def test_own_rules_folder_grades_and_bad_folder_is_refused(site: dict[str, Path], tmp_path: Path) -> None:
    """An owner's stricter rule (CS3 from 3 mm instead of 1.27 mm) in its own folder is what grades."""
    import shutil

    rules = tmp_path / "owner_rules"
    shutil.copytree(Path(__file__).resolve().parents[2] / "groundstation" / "grading" / "rules", rules)
    text = (rules / "aashto_mbei_1130.yaml").read_text()
    text = (text.replace("rule_id: aashto-mbei-1130", "rule_id: owner-cracks").replace("to: 1.27", "to: 5.0")
            .replace("above: 1.27", "above: 5.0"))
    (rules / "owner_cracks.yaml").write_text(text)
    (rules / "profiles.yaml").write_text("version: 1\ndefault: owner\nprofiles:\n  owner: {crack: [owner-cracks]}\n")
    out = tmp_path / "results"
    code, text = _run("process", str(site["flight"]), "--out", str(out), "--surface", str(site["surface"]),
                      "--rules", str(rules))
    assert code == 0, text
    props = json.loads((out / "findings.geojson").read_text())["features"][0]["properties"]
    assert props["grade_rule"] == "owner-cracks@2" and props["grade"] == "CS2"  # 4 mm: CS3 by AASHTO, CS2 here
    for bad, needle in ((tmp_path / "nowhere", "nowhere"), (tmp_path / "empty", "profiles.yaml")):
        bad.mkdir(exist_ok=True) if bad.name == "empty" else None
        out2 = tmp_path / f"out-{bad.name}"
        code, text = _run("process", str(site["flight"]), "--out", str(out2), "--surface", str(site["surface"]),
                          "--rules", str(bad))
        assert code == 2 and needle in text, text
        assert not out2.exists()


def test_a_registry_asset_far_from_the_flight_is_refused(site: dict[str, Path], tmp_path: Path) -> None:
    """Another site's registry: no finding was assigned ("farther than their CE90 or 1 m"), yet every
    work order and inspection.json carried that asset's id."""
    far = tmp_path / "far_bridge.yaml"
    far.write_text((EXAMPLES / "bridge.yaml").read_text().replace("47.39", "46.39"))  # the same bridge 111 km south
    registry = tmp_path / "far.gpkg"
    build_registry([(far, "far-bridge")], registry)
    out = tmp_path / "results"
    code, text = _run("process", str(site["flight"]), "--out", str(out), "--surface", str(site["surface"]),
                      "--registry", str(registry))
    flat = " ".join(text.split())
    assert code == 2 and "far.gpkg: asset 'far-bridge' lies 111" in flat and "within 20 km" in flat, text
    assert not out.exists()
