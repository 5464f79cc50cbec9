"""AWS Lambda entry point: ``lambda_handler.handler``.

The store comes from the environment: DynamoDB when ``CRAMP_HELPER_DYNAMODB_TABLE`` is set (as
the SAM template does), SQLite otherwise. ``CRAMP_HELPER_SKILL_ID``, when set, makes the skill
refuse requests meant for another skill. Envelopes are read tolerantly (values, fields and request
types Amazon adds later do not break a request; see ``skill/envelope.py``), as the web service
reads them. The device's time zone (for the night voice at night) comes from the Alexa Settings
API, with a short timeout.
``CRAMP_HELPER_LOG_LEVEL`` sets the level of the
skill's own loggers only (see :mod:`skill.logs`): libraries keep Lambda's level, so no setting
puts tokens, user ids or what the user said into the log.
"""

import gc
import os

# A cold start makes tens of thousands of objects (the SDK's models, the skill, its content) and
# frees almost none: collecting while it runs only walks them again and again, several
# milliseconds of every cold start. Once built they live as long as the process, so they are
# frozen out of every later collection too (a collection then walks only what one request made).
# Should building fail, the process is not used: Lambda starts another.
gc.disable()

from skill.logs import configure_logging  # noqa: E402 - collection off first

configure_logging(os.environ.get("CRAMP_HELPER_LOG_LEVEL"))

from skill.alexa_time import TimedApiClient  # noqa: E402 - log level first
from skill.builder import build_lambda_handler  # noqa: E402
from skill.persistence.factory import adapter_from_environment  # noqa: E402

handler = build_lambda_handler(
    adapter_from_environment(),
    skill_id=os.environ.get("CRAMP_HELPER_SKILL_ID") or None,
    api_client=TimedApiClient(),
)
gc.freeze()
gc.enable()
