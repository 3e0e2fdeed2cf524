"""Markers of the runner tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: builds a wheel and a fresh venv (~30 s); still part of `make test`",
    )
