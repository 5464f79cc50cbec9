"""The skill's log level, set on its own loggers only.

Every module of the skill logs through ``logging.getLogger(__name__)``, so all of its records
come from the ``skill`` hierarchy. The configured level is set there and nowhere else: the
root logger (and with it boto3, botocore, urllib3 and the ASK SDK) keeps the host's level. At
DEBUG those libraries would log request headers and bodies, which carry the AWS session token,
Alexa user ids and what the user said; the skill's own records carry none of these (user ids
only as :func:`skill.persistence.codec.user_fingerprint`).
"""

from __future__ import annotations

import logging

SKILL_LOGGER = "skill"
DEFAULT_LEVEL = logging.INFO


def configure_logging(level: str | None) -> int:
    """Set the ``skill`` loggers to ``level`` (a name such as ``"DEBUG"``; blank means INFO).

    An unknown name does not stop the skill: INFO is used and a warning says why.

    :returns: the numeric level now in force on the ``skill`` logger.
    """
    logger = logging.getLogger(SKILL_LOGGER)
    name = (level or "").strip().upper()
    numeric = logging.getLevelName(name) if name else DEFAULT_LEVEL
    if not isinstance(numeric, int):
        logger.setLevel(DEFAULT_LEVEL)
        logger.warning("Unknown log level %r; logging at INFO", level)
        return DEFAULT_LEVEL
    logger.setLevel(numeric)
    return numeric
