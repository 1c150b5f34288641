"""The short-lived cache of the catalogue for readers who are not signed in (``pagecache``)."""

import pytest

import pagecache
from extensions import db
from vocabulary import Role


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app, monkeypatch):
    """The catalogue cached for 5 s, on a clock the test moves; an empty cache before and after."""
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 5
    fake = Clock()
    monkeypatch.setattr(pagecache.pages, "clock", fake)
    pagecache.pages.clear()
    yield fake
    pagecache.pages.clear()


@pytest.fixture
def course(make_cohort, make_course):
    course = make_course(title="Web Development Foundations")
    make_cohort(course=course)
    return course


def rename(course, title: str) -> None:
    course.title = title
    db.session.commit()


def test_a_reader_who_is_not_signed_in_gets_the_page_at_most_five_seconds_old(client, clock, course):
    assert "Web Development Foundations" in client.get("/courses/").get_data(as_text=True)
    rename(course, "Web Development Basics")
    clock.now += 4.9
    assert "Web Development Foundations" in client.get("/courses/").get_data(as_text=True)
    clock.now += 0.2
    assert "Web Development Basics" in client.get("/courses/").get_data(as_text=True)


def test_each_url_is_its_own_page(client, clock, course):
    client.get("/courses/")
    rename(course, "Web Development Basics")
    assert "Web Development Basics" in client.get("/courses/?page=1").get_data(as_text=True)
    assert "Web Development Foundations" in client.get("/courses/").get_data(as_text=True)


def test_signed_in_readers_always_get_a_fresh_page_and_never_fill_the_cache(client, sign_in, make_user, clock, course):
    sign_in(make_user(Role.TRAINEE))
    assert "Web Development Foundations" in client.get("/courses/").get_data(as_text=True)
    rename(course, "Web Development Basics")
    page = client.get("/courses/").get_data(as_text=True)
    assert "Web Development Basics" in page and "Sign out" in page
    with client.session_transaction() as session:  # signed out: had her pages been kept, this would be one
        session.clear()
    rename(course, "Web Design")
    assert "Web Design" in client.get("/courses/").get_data(as_text=True)


def test_a_page_with_a_message_waiting_is_neither_served_from_nor_kept_in_the_cache(client, clock, course):
    client.get("/courses/")
    rename(course, "Web Development Basics")
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "You have been signed out.")]
    page = client.get("/courses/").get_data(as_text=True)
    assert "Web Development Basics" in page and "You have been signed out." in page


def test_switched_off_with_zero_seconds(app, client, clock, course):
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 0
    client.get("/courses/")
    rename(course, "Web Development Basics")
    assert "Web Development Basics" in client.get("/courses/").get_data(as_text=True)


def test_the_oldest_pages_go_first_beyond_the_limit():
    cache = pagecache.PageCache(max_entries=2, clock=lambda: 0.0)
    for key in ("a", "b", "c"):
        cache.put((key,), key, seconds=10)
    assert [cache.get((key,)) for key in ("a", "b", "c")] == [None, "b", "c"]
