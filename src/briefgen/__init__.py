"""briefgen: briefing papers from one source-referenced summary."""

__version__ = "0.1.0"
