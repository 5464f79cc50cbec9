"""Where per-user state (settings and the place in a routine) is kept.

Only small JSON dicts are stored, keyed by the Alexa user id; never a health diary. Nothing in
this package imports boto3 at import time.
"""

from skill.persistence.errors import StoreUnavailable
from skill.persistence.factory import adapter_from_environment, default_sqlite_path
from skill.persistence.interceptors import (
    LoadUserStateInterceptor,
    SaveUserStateInterceptor,
    add_user_state_interceptors,
    forget_user,
    save_user_state,
    store_available,
    user_state,
)
from skill.persistence.memory_store import InMemoryPersistenceAdapter
from skill.persistence.sqlite_store import SqlitePersistenceAdapter

__all__ = [
    "InMemoryPersistenceAdapter",
    "LoadUserStateInterceptor",
    "SaveUserStateInterceptor",
    "SqlitePersistenceAdapter",
    "StoreUnavailable",
    "adapter_from_environment",
    "add_user_state_interceptors",
    "default_sqlite_path",
    "forget_user",
    "save_user_state",
    "store_available",
    "user_state",
]
