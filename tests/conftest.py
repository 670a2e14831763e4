"""Fixtures shared by every test tier."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"
CORPUS_DIR = SHARED_DIR / "pacemaker-2.1.5-scheduler"
SEED_CONFIG = REPO_ROOT / "configs" / "seed-crm_conf.txt"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """Pacemaker's scheduler regression corpus, read in place from ../shared."""
    if not CORPUS_DIR.is_dir():
        pytest.fail(f"the Pacemaker corpus is missing: {CORPUS_DIR}")
    return CORPUS_DIR
