"""A short-lived cache of public pages for readers who are not signed in.

The catalogue is the page everyone opens when a popular camp is announced; rendering it costs a few
milliseconds of CPU per request, which at that moment is the whole machine. Its answer for a reader
who is not signed in depends only on the URL, the language and the data, so each worker keeps the
rendered page for ``PUBLIC_PAGE_CACHE_SECONDS`` (default 5; 0 turns it off). Seat counts on a cached
page may be that many seconds old: the cohort's own page, where she applies, is never cached, and the
rules decide on the data as it is when she applies.

Signed-in readers (their menu, their places) and requests with a flash message waiting are never
served from or written to the cache."""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps

from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

MAX_ENTRIES = 512


class PageCache:
    """Rendered pages by key, each kept for ``seconds``; the oldest go first beyond ``max_entries``."""

    def __init__(self, max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[tuple, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self.clock():
                return None
            return entry[1]

    def put(self, key: tuple, page: str, seconds: float) -> None:
        with self._lock:
            self._entries[key] = (self.clock() + seconds, page)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


pages = PageCache()


def cached_for_anonymous_readers(view: Callable[..., str]) -> Callable[..., str]:
    """Serve ``view``'s page from ``pages`` to readers who are not signed in (see the module)."""

    @wraps(view)
    def serve(*args, **kwargs):
        seconds = current_app.config.get("PUBLIC_PAGE_CACHE_SECONDS", 0)
        if not seconds or current_user.is_authenticated or session.get("_flashes"):
            return view(*args, **kwargs)
        key = (request.endpoint, request.full_path, str(get_locale()))
        page = pages.get(key)
        if page is None:
            page = view(*args, **kwargs)
            if isinstance(page, str):
                pages.put(key, page, seconds)
        return page

    return serve
