"""Suite-wide guards: a WeasyPrint warning fails the test that caused it, as in WeasyPrint's own suite.

A test that provokes warnings on purpose asks for the `weasyprint_logs` fixture, which collects
them for it to check instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from briefgen.render import HARMLESS_WEASYPRINT_MESSAGES


class _Collector(logging.Handler):
    """Keep the WARNING and worse messages WeasyPrint logs, the known harmless ones aside."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not any(harmless in message for harmless in HARMLESS_WEASYPRINT_MESSAGES):
            self.messages.append(message)


@pytest.fixture(autouse=True)
def _weasyprint_collector(request: pytest.FixtureRequest) -> Iterator[_Collector]:
    collector = _Collector()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        yield collector
    finally:
        logger.removeHandler(collector)
    if collector.messages and "weasyprint_logs" not in request.fixturenames:
        pytest.fail("WeasyPrint warned: " + "; ".join(collector.messages), pytrace=False)


@pytest.fixture
def weasyprint_logs(_weasyprint_collector: _Collector) -> list[str]:
    """Return the WeasyPrint warnings a test provokes on purpose, so they do not fail it."""
    return _weasyprint_collector.messages
