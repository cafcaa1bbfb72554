"""Run the command line as `python -m briefgen`."""

from briefgen.cli import app

app(prog_name="briefgen")
