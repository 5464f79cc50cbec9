"""A user's state during one request: settings, place in a routine, and the turn's context.

Two places hold it. Session attributes carry it through one conversation (and keep working when
the store is down); the user's stored state (see :mod:`skill.persistence`) carries settings and
the routine place to the next session. This module is the only one that knows both layouts.

Session attributes (plain JSON, never SDK objects):
``settings``, ``routine`` (a place or ``None`` once cleared), ``offer``, ``context``,
``last`` (``{"ssml", "reprompt", "keys"}``: the last response as rendered, for "repeat", and the
content keys it said), ``heard`` (the answer keys said this session, so offers never lead back
to one), ``disclaimed``, ``stop_warned``
(the prescription warning said), ``time_zone`` (the
device's IANA zone name, ``""`` once a lookup found none: it is asked for once a session).

Stored per user: ``settings``, ``routine``, ``welcomed``. Never anything about health.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ask_sdk_core.handler_input import HandlerInput

from . import alexa_time
from .content import Content
from .conversation import Context, read_context
from .persistence.interceptors import forget_user, save_user_state, store_available, user_state
from .routine import Place, Settings
from .speech import Voice

SETTINGS = "settings"
ROUTINE = "routine"
OFFER = "offer"
CONTEXT = "context"
LAST = "last"
DISCLAIMED = "disclaimed"
STOP_WARNED = "stop_warned"
WELCOMED = "welcomed"
TIME_ZONE = "time_zone"
HEARD = "heard"


def session_attributes(handler_input: HandlerInput) -> dict[str, Any]:
    """The session attributes as a dict; a throwaway one for a request without a session.

    The SDK refuses session attributes outside a session; such a request still gets an answer,
    it just has nothing to carry forward.
    """
    manager = handler_input.attributes_manager
    if handler_input.request_envelope.session is None:
        return {}
    raw = manager.session_attributes
    if not isinstance(raw, dict):
        raw = {}
        manager.session_attributes = raw
    return raw


class TurnState:
    """Reads and writes one user's state for the request being handled."""

    def __init__(
        self,
        handler_input: HandlerInput,
        content: Content,
        now: float,
        time_zones: alexa_time.TimeZoneLookup | None = None,
    ) -> None:
        self.handler_input = handler_input
        self.content = content
        self.now = now
        self.time_zones = time_zones
        self.session: dict[str, Any] = session_attributes(handler_input)

    @property
    def stored(self) -> dict[str, Any]:
        return user_state(self.handler_input)

    # --- settings ---------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        if SETTINGS in self.session:
            return Settings.from_dict(self.session[SETTINGS])
        settings = Settings.from_dict(self.stored.get(SETTINGS))
        if store_available(self.handler_input) and self.handler_input.request_envelope.session:
            # Carried in the session from now on, so a store failure later in this
            # conversation does not silently fall back to the defaults.
            self.session[SETTINGS] = settings.to_dict()
        return settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self.session[SETTINGS] = settings.to_dict()
        self.stored[SETTINGS] = settings.to_dict()

    @property
    def voice(self) -> Voice:
        """The user's chosen voice; without a choice, the night voice at the device's night."""
        settings = self.settings
        if settings.night is not None:
            return settings.voice
        return settings.voice_at(self.local_time())

    def local_time(self) -> datetime | None:
        """The device's wall-clock time now, or ``None`` when its time zone is unknown.

        The zone is looked up once a session (only when a voice is needed and none was chosen)
        and kept in the session, a failed lookup included.
        """
        cached = self.session.get(TIME_ZONE)
        if isinstance(cached, str):
            return alexa_time.local_time(cached, self.now)
        if self.time_zones is None:
            return None
        name = self.time_zones.fetch(self.handler_input.request_envelope)
        self.session[TIME_ZONE] = name or ""
        return alexa_time.local_time(name, self.now)

    def keep_settings(self, settings: Settings) -> bool:
        """Use ``settings`` from now on and save them at once; True if they are stored.

        False means they last only for this conversation (the store is down or busy, or
        there is none), and the answer must say so rather than confirm them.
        """
        self.settings = settings
        return save_user_state(self.handler_input)

    # --- routine place ----------------------------------------------------------------------

    @property
    def place(self) -> Place | None:
        """The place in the current conversation's routine, if any."""
        return Place.from_dict(self.session.get(ROUTINE), self.content)

    @place.setter
    def place(self, place: Place | None) -> None:
        if place is None:
            self.session[ROUTINE] = None
            self.stored.pop(ROUTINE, None)
        else:
            self.session[ROUTINE] = place.to_dict()
            self.stored[ROUTINE] = place.to_dict()

    @property
    def stored_place(self) -> Place | None:
        """A place left unfinished in an earlier session, if it is recent enough to offer.

        One too old to offer (or no longer readable) is deleted from the stored state, not
        just ignored: nothing is kept that will never be used.
        """
        stored = self.stored
        place = Place.from_dict(stored.get(ROUTINE), self.content)
        if place is not None and place.is_fresh(self.now):
            return place
        if ROUTINE in stored:
            del stored[ROUTINE]
        return None

    def keep_place(self, place: Place) -> bool:
        """Set the place and save it at once; True if it is stored for a later session."""
        self.place = place
        return save_user_state(self.handler_input)

    # --- conversation -----------------------------------------------------------------------

    @property
    def context(self) -> Context | None:
        """What the last question was about (``None`` for none, or a value this version lacks)."""
        return read_context(self.session.get(CONTEXT))

    @property
    def offer(self) -> str | None:
        value = self.session.get(OFFER)
        return value if isinstance(value, str) else None

    @property
    def in_routine(self) -> bool:
        """In a routine, and the last question was its own ("Ready for the next one?", paused)."""
        return self.place is not None and self.context in {Context.ROUTINE, Context.PAUSED}

    @property
    def welcomed(self) -> bool:
        return self.stored.get(WELCOMED) is True

    def mark_welcomed(self) -> None:
        self.stored[WELCOMED] = True

    def take_disclaimer(self) -> bool:
        """True the first time in a session that medicines come up (say the disclaimer)."""
        if self.session.get(DISCLAIMED) is True:
            return False
        self.session[DISCLAIMED] = True
        return True

    def take_stop_warning(self) -> bool:
        """True the first time in a session that a prescribed medicine is named."""
        if self.session.get(STOP_WARNED) is True:
            return False
        self.session[STOP_WARNED] = True
        return True

    def mark_stop_warned(self) -> None:
        """The prescription warning was said as part of an answer: not again this session."""
        self.session[STOP_WARNED] = True

    @property
    def last(self) -> dict[str, Any] | None:
        value = self.session.get(LAST)
        if isinstance(value, dict) and isinstance(value.get("ssml"), str):
            return value
        return None

    def remember(
        self, *, offer: str | None, context: Context | None, last: dict[str, Any]
    ) -> None:
        """Record this turn's question for the next one: its offer, context and speech."""
        self.session[OFFER] = offer
        self.session[CONTEXT] = context.value if context is not None else None
        self.session[LAST] = last

    @property
    def heard_keys(self) -> frozenset[str]:
        """The content answers said in this session (none for junk in the session)."""
        return frozenset(self.heard_keys_in_order())

    def heard_keys_in_order(self) -> list[str]:
        value = self.session.get(HEARD)
        if not isinstance(value, list):
            return []
        return [key for key in value if isinstance(key, str)]

    def note_heard(self, keys: Iterable[str]) -> None:
        """Add ``keys`` to the answers said in this session (kept in order, each once)."""
        heard = list(self.heard_keys_in_order())
        heard += [key for key in keys if key not in heard]
        if heard and self.handler_input.request_envelope.session is not None:
            self.session[HEARD] = heard

    def forget_stored(self) -> bool:
        """Delete everything stored for this user; True if the store confirmed it."""
        return forget_user(self.handler_input)

    def forget_everything(self) -> None:
        """After "forget me": nothing of this user's settings or place stays in the session."""
        for key in (SETTINGS, ROUTINE, DISCLAIMED, STOP_WARNED):
            self.session.pop(key, None)

