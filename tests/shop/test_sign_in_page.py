"""The sign-in page in the site's words, with fields password managers fill in (WCAG 2.2,
3.3.8: nothing to remember or retype, pasting allowed), and on the way to the checkout the
new visitor's form first."""

import re

import pytest

from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def field(html: str, name: str) -> str:
    found = re.search(rf'<input[^>]* name="{name}"[^>]*>', html)
    assert found, name
    return found.group(0)


def test_fields_say_what_a_password_manager_fills_in(client):
    html = client.get("/shop/accounts/login/").content.decode()
    assert 'autocomplete="username"' in field(html, "login-username")
    assert 'autocomplete="current-password"' in field(html, "login-password")
    assert 'autocomplete="email"' in field(html, "registration-email")
    assert 'autocomplete="new-password"' in field(html, "registration-password1")
    assert 'autocomplete="new-password"' in field(html, "registration-password2")
    assert "onpaste" not in html and "oncopy" not in html
    assert re.search(r"<h1>\s*Sign in\s*</h1>", html)
    assert "Log In" not in html.replace('value="Log In"', "")
    assert html.index('id="login_form"') < html.index('id="register_form"')


def test_on_the_way_to_the_checkout_a_new_visitor_opens_an_account_first(client):
    program = ProgramFactory()
    client.post(f"/shop/basket/add/{program.pk}/", {"quantity": 1})
    response = client.get("/shop/checkout/", follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0].startswith("/shop/accounts/login/?next=/shop/checkout/")
    assert html.index('id="register_form"') < html.index('id="login_form"')
    assert "Open my account and continue" in html


def test_the_register_page_opens_an_account_in_the_same_words(client):
    html = client.get("/shop/accounts/register/").content.decode()
    assert re.search(r"<h1>\s*Open an account\s*</h1>", html)
    assert 'autocomplete="new-password"' in field(html, "password1")
    assert 'href="/shop/accounts/login/"' in html
