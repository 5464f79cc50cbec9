"""Where the source tree is: the one place the tools find the project root.

The tools work on a source checkout (the interaction model, the skill package, ``pyproject.toml``,
the content); the Lambda runtime never needs this and finds its content itself
(:func:`skill.content.default_content_root`).
"""

from __future__ import annotations

from pathlib import Path

#: Folder names under the project root that the tools read.
INTERACTION_MODEL_DIR = "interaction_model"


def project_root() -> Path:
    """The source tree these tools were loaded from: the folder holding ``skill/``."""
    return Path(__file__).resolve().parents[2]


def interaction_model_path(locale: str = "en-US", root: Path | None = None) -> Path:
    """``interaction_model/<locale>.json`` under ``root`` (default: :func:`project_root`)."""
    return (root or project_root()) / INTERACTION_MODEL_DIR / f"{locale}.json"


__all__ = ["INTERACTION_MODEL_DIR", "interaction_model_path", "project_root"]
