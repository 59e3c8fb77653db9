"""Bring a new visitor to the card form of the free tryout and print their cookies.

    .venv/bin/python bench/lighthouse/checkout_session.py http://127.0.0.1:PORT [EMAIL]

Posts the forms a visitor would: "Start free 2-week tryout" on the program's page (the
store opens it), then a new account at checkout. Prints the URL of the payment step on the
first line and the `Cookie` header that reaches it (session, basket, CSRF) on the second,
for `audit.py --cookie`. The site must be running with its demo content, and let this address
sign up once more (its limit is SIGNUPS_PER_ADDRESS an hour: raise it for repeated audits).
"""

import http.cookiejar
import re
import sys
import uuid
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

START_FORM = re.compile(r'class="start-tryout" method="post" action="([^"]+)"')
PRODUCT_FIELD = re.compile(r'name="product" value="(\d+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PASSWORD = "a-long-pass-phrase-for-the-audit"


class Visitor:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        # Production cookies are Secure; on the loopback address the site is plain http.
        policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))
        self.cookies = http.cookiejar.CookieJar(policy)
        self.opener = build_opener(HTTPCookieProcessor(self.cookies))

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base_url + path, timeout=30) as response:
            return response.geturl(), response.read().decode()

    def post(self, path: str, fields: dict, referer_path: str) -> tuple[str, str]:
        # Django checks the Referer of a form posted to a secure origin; harmless on http.
        request = Request(
            self.base_url + path,
            data=urlencode(fields).encode(),
            headers={"Referer": self.base_url + referer_path},
        )
        with self.opener.open(request, timeout=30) as response:
            return response.geturl(), response.read().decode()

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)


def reach_payment_step(base_url: str, email: str) -> tuple[str, str]:
    visitor = Visitor(base_url)
    product_url, product = visitor.get("/shop/")
    product_path = product_url.removeprefix(visitor.base_url)
    # The button puts the program in the basket and leads a visitor without an account to
    # the sign-in page, which also registers.
    sign_in_url, sign_in = visitor.post(
        START_FORM.search(product).group(1),
        {
            "csrfmiddlewaretoken": CSRF.search(product).group(1),
            "product": PRODUCT_FIELD.search(product).group(1),
        },
        product_path,
    )
    sign_in_path = sign_in_url.removeprefix(visitor.base_url)
    try:
        url, _ = register(visitor, sign_in_path, sign_in, email)
    except HTTPError as error:
        if error.code == 429:
            raise SystemExit(
                "The site refuses more sign-ups from this address: start it with a higher "
                "SIGNUPS_PER_ADDRESS for repeated audits."
            ) from error
        raise
    if not url.endswith("/shop/checkout/payment-details/"):
        raise SystemExit(f"Registration at checkout did not reach the payment step: {url}")
    return url, visitor.cookie_header()


def register(visitor: Visitor, sign_in_path: str, sign_in: str, email: str) -> tuple[str, str]:
    return visitor.post(
        sign_in_path,
        {
            "csrfmiddlewaretoken": CSRF.search(sign_in).group(1),
            "registration-email": email,
            "registration-password1": PASSWORD,
            "registration-password2": PASSWORD,
            "registration-redirect_url": "/shop/checkout/",
            "registration_submit": "",
        },
        sign_in_path,
    )


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    email = argv[2] if len(argv) == 3 else f"audit-{uuid.uuid4().hex[:12]}@example.com"
    url, cookie = reach_payment_step(argv[1], email)
    print(url)
    print(cookie)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
