"""Sessions are read by one statement in SQL (pingan/sessions.py): the same sessions as Django's
database store, found and refused alike, and Django's in everything else."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from pingan.sessions import SessionStore


def stored(data: dict, expires_in: datetime.timedelta) -> str:
    """A session saved by Django's own store, expiring after `expires_in` (in the past when negative)."""
    store = db.SessionStore()
    store.update(data)
    store.save()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


@pytest.fixture
def sessions(db):
    return {
        "valid": stored({"who": "办公室", "n": 1}, datetime.timedelta(hours=1)),
        "expired": stored({"who": "过期"}, -datetime.timedelta(seconds=1)),
        "unknown": "x" * 32,
        "malformed": "short",  # fewer than 8 characters: refused by SessionBase
        "none": None,
    }


@pytest.mark.parametrize("kind", ["valid", "expired", "unknown", "malformed", "none"])
def test_a_session_is_found_or_refused_as_djangos_store_does(sessions, kind):
    key = sessions[kind]
    ours, djangos = SessionStore(key), db.SessionStore(key)
    assert ours.load() == djangos.load()
    assert ours.session_key == djangos.session_key  # a refused key is forgotten by both
    assert (ours.session_key is not None) == (kind == "valid")


def test_the_valid_session_holds_its_data(sessions):
    assert SessionStore(sessions["valid"]).load() == {"who": "办公室", "n": 1}


def test_the_project_uses_it(db):
    assert settings.SESSION_ENGINE == "pingan.sessions"


def test_signing_in_reading_pages_and_signing_out(db):
    User.objects.create_user("clerk", "", "secret-pw")
    client = Client()
    assert client.post("/login/", {"username": "clerk", "password": "secret-pw"}).status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get("/my/").status_code == 200  # the session found: signed in
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get("/my/").status_code == 302  # expired: sent to sign in again
    assert client.post("/login/", {"username": "clerk", "password": "secret-pw"}).status_code == 302
    assert client.get("/my/").status_code == 200
    client.post("/logout/")
    assert client.get("/my/").status_code == 302
    assert not Session.objects.filter(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).exists()
