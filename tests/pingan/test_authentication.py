"""The API's token and a page's signed-in user are read by one statement in SQL
(pingan/authentication.py): the same users as DRF's and Django's, with the same values, refused alike."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.auth import backends
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone, translation
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication as DRFTokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from pingan.authentication import ModelBackend, TokenAuthentication


def fields_of(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.fixture
def clerk(db):
    user = User.objects.create_user("clerk", "clerk@example.org", "secret-pw", first_name="小王")
    user.last_login = timezone.now() - datetime.timedelta(days=1)
    user.save()
    return user


def test_a_token_gives_its_user_with_the_values_drf_reads(clerk, django_assert_num_queries):
    token = Token.objects.create(user=clerk)
    with django_assert_num_queries(1):  # the token and its user, read together
        ours_user, ours_token = TokenAuthentication().authenticate_credentials(token.key)
        assert ours_token.user.username == "clerk"
    drfs_user, drfs_token = DRFTokenAuthentication().authenticate_credentials(token.key)
    assert fields_of(ours_user) == fields_of(drfs_user)
    assert fields_of(ours_token) == fields_of(drfs_token)
    assert timezone.is_aware(ours_user.date_joined) and timezone.is_aware(ours_token.created)
    assert ours_user.is_active is True and ours_user.is_superuser is False


@pytest.mark.parametrize("case", ["unknown", "inactive"])
def test_a_token_is_refused_as_drf_refuses_it(clerk, case):
    token = Token.objects.create(user=clerk)
    key = "0" * 40 if case == "unknown" else token.key
    if case == "inactive":
        User.objects.filter(pk=clerk.pk).update(is_active=False)
    errors = []
    for language in ("zh-hans", "en"):
        for authentication in (TokenAuthentication(), DRFTokenAuthentication()):
            with translation.override(language), pytest.raises(exceptions.AuthenticationFailed) as refused:
                authentication.authenticate_credentials(key)
            errors.append(str(refused.value.detail))
    english = "Invalid token." if case == "unknown" else "User inactive or deleted."
    assert errors[0] == errors[1] != english  # in Chinese by default, as DRF says it
    assert errors[2] == errors[3] == english


def test_the_api_answers_a_token_and_refuses_a_wrong_one(clerk):
    token = Token.objects.create(user=clerk)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/tasks/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token " + "f" * 40)
    refused = client.get("/api/v1/tasks/")
    assert refused.status_code == 401 and refused.json()["detail"] == "认证令牌无效。"


def test_the_session_user_is_djangos(clerk, django_assert_num_queries):
    with django_assert_num_queries(1):
        ours = ModelBackend().get_user(clerk.pk)
    djangos = backends.ModelBackend().get_user(clerk.pk)
    assert fields_of(ours) == fields_of(djangos)
    assert timezone.is_aware(ours.last_login)


@pytest.mark.parametrize("case", ["missing", "inactive"])
def test_no_session_user_where_django_finds_none(clerk, case):
    user_id = clerk.pk + 1000 if case == "missing" else clerk.pk
    if case == "inactive":
        User.objects.filter(pk=clerk.pk).update(is_active=False)
    assert ModelBackend().get_user(user_id) is None
    assert backends.ModelBackend().get_user(user_id) is None


def test_the_project_uses_them(db):
    assert settings.AUTHENTICATION_BACKENDS == ["pingan.authentication.ModelBackend"]
    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"][0] == "pingan.authentication.TokenAuthentication"


def test_a_signed_in_clerk_is_signed_out_when_the_password_changes(clerk):
    client = Client()
    assert client.post("/login/", {"username": "clerk", "password": "secret-pw"}).status_code == 302
    assert client.get("/my/").status_code == 200
    clerk.set_password("another-pw")
    clerk.save()
    assert client.get("/my/").status_code == 302  # the session's hash no longer matches: sign in again
