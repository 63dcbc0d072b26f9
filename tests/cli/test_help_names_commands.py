"""--help points a user at the skyinspect command that does a step, not at Python internals."""

from typer.testing import CliRunner

from skyinspect.cli.main import app


def _help(*command: str) -> str:
    got = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "300"})
    assert got.exit_code == 0, got.output
    return " ".join(got.output.split())


def test_process_help_says_which_command_writes_the_registry() -> None:
    text = _help("process")  # it named groundstation.registry.build_registry, a Python function
    assert "`skyinspect registry`" in text and "build_registry" not in text


def test_train_help_names_the_select_command() -> None:
    text = _help("model", "train")  # it named python -m models.select_epoch: `skyinspect model select` runs it
    assert "`skyinspect model select`" in text and "models.select_epoch" not in text
