"""`field__any_of` finds what `field__in` finds (one array parameter on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db.models import Q


@pytest.mark.django_db
def test_any_of_finds_what_in_finds():
    users = [User.objects.create_user(f"u{n}") for n in range(5)]
    ids = {users[0].pk, users[3].pk, 10**9, None}
    assert set(User.objects.filter(pk__any_of=ids)) == set(User.objects.filter(pk__in=ids)) == {users[0], users[3]}
    assert not User.objects.filter(pk__any_of=[]).exists()
    names = User.objects.filter(username__in=["u1", "u2"]).values("pk")
    assert set(User.objects.filter(pk__any_of=names).values_list("username", flat=True)) == {"u1", "u2"}


@pytest.mark.django_db
def test_any_of_a_subquery_beside_an_or_finds_what_in_finds():
    users = [User.objects.create_user(f"u{n}", is_staff=n % 2 == 0) for n in range(6)]
    staff = User.objects.filter(is_staff=True, username__in=["u0", "u2"]).order_by().values("pk")
    found = set(User.objects.filter(Q(pk__any_of=staff) | Q(pk=users[5].pk)))
    assert found == set(User.objects.filter(Q(pk__in=staff) | Q(pk=users[5].pk))) == {users[0], users[2], users[5]}
    nobody = User.objects.filter(pk__in=[]).values("pk")  # a subquery that can match nothing
    assert set(User.objects.filter(Q(pk__any_of=nobody) | Q(pk=users[1].pk))) == {users[1]}
