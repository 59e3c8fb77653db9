"""The URL map: Wagtail admin, Django admin, Oscar and its dashboard, Wagtail serving last."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "login_path"),
    [
        ("/cms/", "/cms/login/"),
        ("/django-admin/", "/django-admin/login/"),
        ("/shop/dashboard/", "/shop/dashboard/login/"),
    ],
)
def test_admin_areas_send_visitors_to_their_login(client, path, login_path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(login_path)
    assert client.get(login_path).status_code == 200


def test_shop_is_served_under_shop(client):
    response = client.get("/shop/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [] or response.redirect_chain[-1][0].startswith("/shop/")
    assert client.get("/shop/basket/").status_code == 200


def test_unknown_paths_fall_through_to_wagtail_and_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_staff_sign_in_reaches_wagtail_admin(client, django_user_model):
    django_user_model.objects.create_superuser("author", "author@example.com", "pw-123-long!")
    # Through the CMS's own form, as staff do (the lockout guard needs the request).
    signed_in = client.post("/cms/login/", {"username": "author", "password": "pw-123-long!"})
    assert signed_in.status_code == 302
    assert client.get("/cms/").status_code == 200
    assert client.get("/shop/dashboard/").status_code == 200
