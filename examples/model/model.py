"""Inference for the sign-and-tree model: two multinomial logistic regressions read from
weights.json (plain JSON, so loading runs no code), evaluated with numpy alone.

    m = load("examples/model")
    m.predict_sign("a no entry sign at a junction")          # ("no entry", 0.97...)
    m.predict_health("Prunus avium", 64, 21.5)                # ("good", 0.39...)
    m.reply("Prunus avium, trunk 64 cm, height 21.5 m")       # one sentence

train.py builds its features with the functions below, so training and serving cannot drift.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "seedbed-linear-v1"
WEIGHTS = "weights.json"

_WORD = re.compile(r"[a-z0-9]+")
_NUMBER = r"(\d+(?:\.\d+)?)"
# "trunk 64 cm", "trunk: 64", "64cm"; "height 21.5 m", "21.5 m tall"
_TRUNK = re.compile(rf"trunk\D{{0,12}}?{_NUMBER}|{_NUMBER}\s*cm\b")
_HEIGHT = re.compile(rf"height\D{{0,12}}?{_NUMBER}|{_NUMBER}\s*m\b")


def words(text: str) -> list[str]:
    """Lower-case alphanumeric words: "Speed-limit 30!" -> ["speed", "limit", "30"]."""
    return _WORD.findall(text.lower())


def sign_terms(text: str) -> set[str]:
    """Unigrams and bigrams: bigrams tell "no entry" from "no parking" when words are shared."""
    w = words(text)
    return set(w) | {f"{a} {b}" for a, b in zip(w, w[1:], strict=False)}


def count_tokens(text: str) -> int:
    """A rough token count (whitespace-separated pieces), used for OpenAI `usage` fields."""
    return len(text.split())


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Linear:
    """softmax(x @ coef.T + intercept) over `classes`."""

    classes: list[str]
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray  # (classes,)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Linear:
        coef = np.asarray(d["coef"], dtype=np.float64)
        intercept = np.asarray(d["intercept"], dtype=np.float64)
        classes = [str(c) for c in d["classes"]]
        if coef.ndim != 2 or coef.shape[0] != len(classes) or intercept.shape != (len(classes),):
            raise ValueError("weights: coef/intercept do not match the classes")
        return cls(classes, coef, intercept)

    def proba(self, x: np.ndarray) -> np.ndarray:
        return softmax(x @ self.coef.T + self.intercept)

    def best(self, x: np.ndarray) -> tuple[str, float]:
        p = self.proba(x)
        i = int(np.argmax(p))
        return self.classes[i], float(p[i])


class Model:
    """The loaded model. Every predict_* raises ValueError on an input it cannot read."""

    def __init__(self, weights: dict[str, Any]) -> None:
        if weights.get("format") != FORMAT:
            raise ValueError(f"weights: format is not {FORMAT}")
        sign, health = weights["sign"], weights["health"]
        self.name: str = weights["name"]
        self.vocabulary: dict[str, int] = {t: i for i, t in enumerate(sign["vocabulary"])}
        self.sign = Linear.from_json(sign)
        self.species: list[str] = list(health["species"])
        self._species_index = {s.lower(): i for i, s in enumerate(self.species)}
        # Genus alone ("a Quercus") is enough: every genus in the census has one species.
        self._genus = {s.split()[0].lower(): s for s in self.species}
        self.mean = np.asarray(health["mean"], dtype=np.float64)
        self.scale = np.asarray(health["scale"], dtype=np.float64)
        self.health = Linear.from_json(health)
        if self.sign.coef.shape[1] != len(self.vocabulary):
            raise ValueError("weights: sign coef does not match the vocabulary")
        if self.health.coef.shape[1] != len(self.species) + 2:
            raise ValueError("weights: health coef does not match species + 2 numbers")

    # -- features (train.py uses these too) ----------------------------------------------------

    def sign_vector(self, caption: str) -> np.ndarray:
        x = np.zeros(len(self.vocabulary))
        for t in sign_terms(caption):
            i = self.vocabulary.get(t)
            if i is not None:
                x[i] = 1.0
        return x

    def health_vector(self, species: str, trunk_cm: float, height_m: float) -> np.ndarray:
        i = self._species_index.get(species.strip().lower())
        if i is None:
            raise ValueError(f"unknown species {species!r}; known: {', '.join(self.species)}")
        for name, v in (("trunk_cm", trunk_cm), ("height_m", height_m)):
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number")
            if v <= 0:
                raise ValueError(f"{name} must be positive")
        onehot = np.zeros(len(self.species))
        onehot[i] = 1.0
        numbers = (np.array([trunk_cm, height_m], dtype=np.float64) - self.mean) / self.scale
        return np.concatenate([onehot, numbers])

    # -- predictions ---------------------------------------------------------------------------

    def predict_sign(self, caption: str) -> tuple[str, float]:
        x = self.sign_vector(caption)
        if not x.any():  # no known word: the answer would be the class prior, not a reading
            raise ValueError("caption has no word the sign model knows (e.g. 'a stop sign')")
        return self.sign.best(x)

    def predict_health(self, species: str, trunk_cm: float, height_m: float) -> tuple[str, float]:
        return self.health.best(self.health_vector(species, trunk_cm, height_m))

    def find_species(self, text: str) -> str | None:
        low = text.lower()
        for s in self.species:
            if s.lower() in low:
                return s
        for w in words(text):
            if w in self._genus:
                return self._genus[w]
        return None

    def reply(self, text: str) -> str:
        """One sentence answering a free-text message about a tree or a street sign."""
        species = self.find_species(text)
        if species is not None:
            trunk, height = _TRUNK.search(text), _HEIGHT.search(text)
            if trunk is None or height is None:
                return (
                    f"For {species} I also need the trunk girth and height, "
                    "e.g. 'trunk 64 cm, height 21.5 m'."
                )
            t = float(trunk.group(1) or trunk.group(2))
            h = float(height.group(1) or height.group(2))
            try:
                label, p = self.predict_health(species, t, h)
            except ValueError as e:
                return f"I cannot read that tree: {e}."
            return (
                f"A {species} with a {t:g} cm trunk and {h:g} m height is predicted "
                f"to be in {label} health (probability {p:.2f})."
            )
        try:
            label, p = self.predict_sign(text)
        except ValueError:
            return (
                "Describe a street sign (e.g. 'a no entry sign at a junction') or a tree "
                "(e.g. 'Prunus avium, trunk 64 cm, height 21.5 m')."
            )
        return f"That reads as a {label} sign (probability {p:.2f})."


def load(folder: str | Path) -> Model:
    """The model in `folder` (its weights.json); json.loads only, so no code runs."""
    return Model(json.loads((Path(folder) / WEIGHTS).read_text()))
