"""AWS Lambda entry point: ``lambda_handler.handler``.

The store comes from the environment: DynamoDB when ``CRAMP_HELPER_DYNAMODB_TABLE`` is set (as
the SAM template does), SQLite otherwise. ``CRAMP_HELPER_SKILL_ID``, when set, makes the skill
refuse requests meant for another skill. ``CRAMP_HELPER_LOG_LEVEL`` sets the level of the
skill's own loggers only (see :mod:`skill.logs`): libraries keep Lambda's level, so no setting
puts tokens, user ids or what the user said into the log.
"""

import os

from skill.logs import configure_logging

configure_logging(os.environ.get("CRAMP_HELPER_LOG_LEVEL"))

from skill.builder import build_lambda_handler  # noqa: E402 - log level first
from skill.persistence.factory import adapter_from_environment  # noqa: E402

handler = build_lambda_handler(
    adapter_from_environment(), skill_id=os.environ.get("CRAMP_HELPER_SKILL_ID") or None
)
