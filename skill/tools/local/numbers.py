"""Spoken numbers to integers: the skill's own reading (:mod:`skill.numbers`)."""

from __future__ import annotations

from ...numbers import parse_number

__all__ = ["parse_number"]
