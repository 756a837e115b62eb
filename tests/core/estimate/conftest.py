"""Fixtures for the estimation tests: the MSE reference data and a population simulator.

(The suite runs with ``--import-mode=importlib``, so helpers are shared as fixtures.)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from everyname.core.estimate import CaptureHistories

MSE = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "mse"


def _mse_histories(name: str) -> CaptureHistories:
    return CaptureHistories.from_csv(MSE / f"{name}.csv")


def _published(name: str) -> list[dict]:
    return json.loads((MSE / "published.json").read_text(encoding="utf-8"))[name]


def _simulate(
    size: int,
    class_weights: list[float],
    capture: list[list[float]],
    rng: np.random.Generator,
    names: list[str] | None = None,
) -> CaptureHistories:
    """A closed population of ``size`` persons in latent classes; lists capture independently
    within a class with probabilities ``capture[class][list]``. One class = independent lists;
    several classes = heterogeneity (and, through it, dependence between lists)."""
    cap = np.asarray(capture, dtype=float)
    classes = rng.choice(len(class_weights), size=size, p=class_weights)
    seen = rng.random((size, cap.shape[1])) < cap[classes]
    seen = seen[seen.any(axis=1)]  # persons on no list are never documented
    names = names or [chr(ord("A") + j) for j in range(cap.shape[1])]
    return CaptureHistories(names, seen.astype(int), np.ones(len(seen), dtype=int))


@pytest.fixture(scope="session")
def mse_dir() -> Path:
    if not MSE.is_dir():
        pytest.fail(f"shared MSE data not found at {MSE}")
    return MSE


@pytest.fixture(scope="session")
def mse(mse_dir):
    """``mse("uk_2013_6lists")`` → CaptureHistories of that reference file."""
    return _mse_histories


@pytest.fixture(scope="session")
def published(mse_dir):
    """``published("kosovo_1999_4lists")`` → that file's entries in published.json."""
    return _published


@pytest.fixture(scope="session")
def simulate():
    """The latent-class population simulator (see ``_simulate``)."""
    return _simulate
