from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "trakteer"


@pytest.fixture
def trakteer_data() -> Path:
    return DATA
