"""Choosing the user-state store from the environment.

- ``CRAMP_HELPER_DYNAMODB_TABLE`` set: DynamoDB (Lambda), region and credentials from the usual
  AWS environment.
- otherwise SQLite at ``CRAMP_HELPER_DB`` if set, else
  ``$XDG_DATA_HOME/cramp-helper/state.sqlite3`` (``~/.local/share/cramp-helper/state.sqlite3``).

Importing this module never imports boto3 or ``ask_sdk_dynamodb.adapter`` (see
:mod:`skill.persistence.dynamodb_store`), so it is safe where no AWS region is configured.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.persistence.errors import StoreUnavailable

logger = logging.getLogger(__name__)

ENV_DYNAMODB_TABLE = "CRAMP_HELPER_DYNAMODB_TABLE"
ENV_SQLITE_PATH = "CRAMP_HELPER_DB"
APP_DIR_NAME = "cramp-helper"
DB_FILE_NAME = "state.sqlite3"


def _get(environ: Mapping[str, str], name: str) -> str | None:
    """An environment value with surrounding blanks removed; empty counts as unset."""
    value = environ.get(name, "").strip()
    return value or None


def default_sqlite_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the SQLite store lives for this environment.

    ``CRAMP_HELPER_DB`` wins; otherwise the XDG data directory. As the XDG spec requires, a
    relative ``XDG_DATA_HOME`` is ignored. ``~`` is expanded using ``HOME`` from ``environ``
    when it has one.
    """
    env = os.environ if environ is None else environ
    explicit = _get(env, ENV_SQLITE_PATH)
    home = Path(_get(env, "HOME") or Path.home())
    if explicit:
        if explicit == "~" or explicit.startswith("~/"):
            return home / explicit[2:]
        return Path(explicit).expanduser()
    xdg = _get(env, "XDG_DATA_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base / APP_DIR_NAME / DB_FILE_NAME


def adapter_from_environment(
    environ: Mapping[str, str] | None = None,
) -> AbstractPersistenceAdapter:
    """Build the user-state store this environment asks for.

    Never raises because the store is unreachable: the SQLite store touches the disk on first
    use, and the DynamoDB store, if its boto3 resource cannot be built now, logs why and tries
    again on each request (which meanwhile runs without stored state).
    """
    env = os.environ if environ is None else environ
    table = _get(env, ENV_DYNAMODB_TABLE)
    if table:
        from skill.persistence.dynamodb_store import DynamoDbPersistenceAdapter

        adapter = DynamoDbPersistenceAdapter(table)
        try:
            adapter.connect()
        except StoreUnavailable:
            logger.error("DynamoDB store %s is not usable yet; requests run without it", table)
        logger.info("User state kept in DynamoDB table %s", table)
        return adapter

    from skill.persistence.sqlite_store import SqlitePersistenceAdapter

    path = default_sqlite_path(env)
    logger.info("User state kept in SQLite at %s", path)
    return SqlitePersistenceAdapter(path)
