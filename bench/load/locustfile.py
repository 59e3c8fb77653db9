"""The visitors of the load test (run by bench/load/run.py from .venv-bench, not by hand).

Readers read articles, the glossary, testimonials, the Q&A page and the read API. Buyers put
the program in the basket, register, save a test card at the Stripe stand-in as Stripe.js
would and start the free tryout. Customers do the same once, then sign out and in again and
download their program file, whole and in ranges. One replayer posts signed Stripe events
built from what the stand-in holds: new ones, the same event again, old ones out of order.

Each visitor comes from its own address (X-Forwarded-For; the site trusts one proxy).
"""

import hashlib
import hmac
import itertools
import json
import os
import random
import re
import time
import uuid
from collections import Counter

import requests
from locust import HttpUser, between, events, task

STRIPE_BASE = os.environ["LOAD_STRIPE_BASE"]
STRIPE_SECRET = os.environ["LOAD_STRIPE_SECRET"]
WEBHOOK_SECRET = os.environ["LOAD_WEBHOOK_SECRET"]
STATUSES_FILE = os.environ.get("LOAD_STATUSES_FILE", "")

PASSWORD = "a-long-pass-phrase-for-load"
CARD_OK = "4242424242424242"
# The stand-in's cards that pay but ask for the bank's check, and that are declined when
# charged (some both). Each card has one free tryout: used again, it pays at once instead.
CARDS_AUTHENTICATION = ["4000002500003155", "4000002760003184", "4000000000003220"]
CARDS_DECLINED_WHEN_CHARGED = ["4000000000000341", "4000008260003178", "4000008400001629"]


def card_new() -> str:
    """A Visa number the stand-in has not seen (Luhn-valid): a new card that pays."""
    digits = [4] + [random.randint(0, 9) for _ in range(14)]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        total += digit
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def card_for_buyer() -> str:
    roll = random.random()
    if roll < 0.1:
        return random.choice(CARDS_AUTHENTICATION)
    if roll < 0.2:
        return random.choice(CARDS_DECLINED_WHEN_CHARGED)
    if roll < 0.3:
        return CARD_OK  # had its tryout long ago: pays the first installment now
    return card_new()


ARTICLES = [
    "/",
    "/learn-about-your-condition/",
    "/about-somatics/",
    "/one-on-one-sessions/",
    "/webinar-recordings/",
    "/site-contents/",
    "/terms-of-use/",
]
QA_AND_TESTIMONIALS = ["/back-pain-questions-and-answers/", "/testimonials/"]
API_READS = [
    "/api/v2/pages/?limit=20",
    "/api/glossary-terms/",
    "/api/testimonials/",
    "/api/authors/",
    "/api/navigation/",
    "/api/site-settings/",
    "/api/shop/products/",
]

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_CLIENT_SECRET = re.compile(r'data-client-secret="(seti_[A-Za-z0-9]+)_secret_[^"]*"')
_TERMS = re.compile(r'name="terms" value="([^"]*)"')
_PAYMENT_WAITING = re.compile(r'name="payment_intent_id" value="(pi_[A-Za-z0-9]+)"')
_CHECKOUT_ERROR = re.compile(r'id="checkout-error">([^<]*)<')
_QUIT_FORM = re.compile(r'action="(/shop/accounts/program/\d+/quit/)"')
_FILE_LINK = re.compile(r'href="(/shop/accounts/downloads/file/\d+/)"')

_addresses = itertools.count(1)
statuses: Counter = Counter()
actions: Counter = Counter()
_known = {"terms": [], "product": None}


def next_address() -> str:
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


@events.request.add_listener
def count_status(response=None, exception=None, **kwargs):
    code = getattr(response, "status_code", None)
    statuses[str(code) if code else f"no answer ({type(exception).__name__})"] += 1


@events.test_stop.add_listener
def write_statuses(**kwargs):
    if STATUSES_FILE:
        with open(STATUSES_FILE, "w") as file:
            json.dump({"codes": dict(statuses), "actions": dict(actions)}, file)


def stripe(method: str, path: str, **data) -> dict:
    """A call to the stand-in's API with the account's key, as the tests make it."""
    response = requests.request(
        method,
        f"{STRIPE_BASE}{path}",
        data=data or None,
        headers={"Authorization": f"Bearer {STRIPE_SECRET}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


class Visitor(HttpUser):
    abstract = True

    def on_start(self):
        self.client.headers["X-Forwarded-For"] = next_address()
        self.client.headers["User-Agent"] = "backcare-load/1.0"

    def get(self, path: str, name: str, **kwargs):
        return self.client.get(path, name=name, **kwargs)

    def post_form(self, path: str, data: dict, *, page_html: str, name: str, **kwargs):
        found = _CSRF.search(page_html)
        token = found.group(1) if found else ""
        return self.client.post(
            path, data={"csrfmiddlewaretoken": token, **data}, name=name, **kwargs
        )

    def product(self) -> dict:
        if _known["product"] is None:
            items = self.get("/api/shop/products/", name="read: api").json()["items"]
            _known["product"] = items[0]
        return _known["product"]

    def start_tryout(self, email: str, card: str) -> bool:
        """Basket, account, card saved at the stand-in, terms agreed: the tryout starts, or,
        for a card that already had it, the first installment is paid at once."""
        product = self.product()
        page = self.get(product["url"], name="buy: product page").text
        self.post_form(
            f"/shop/basket/add/{product['id']}/",
            {"quantity": 1},
            page_html=page,
            name="buy: add to basket",
        )
        page = self.get("/shop/checkout/", name="buy: checkout").text
        with self.post_form(
            "/shop/accounts/login/?next=/shop/checkout/",
            {
                "registration-email": email,
                "registration-password1": PASSWORD,
                "registration-password2": PASSWORD,
                "registration-redirect_url": "/shop/checkout/",
                "registration_submit": "Register",
            },
            page_html=page,
            name="buy: register",
            catch_response=True,
        ) as response:
            if "/shop/checkout/payment-details/" not in response.url:
                response.failure(f"registration ended at {response.url}")
                return False
            page = response.text
        # A refused card shows the page again with a message and a fresh SetupIntent.
        for _ in range(2):
            outcome, page = self.card_submit(page, card)
            actions[f"checkout: {outcome}"] += 1
            if outcome in ("tryout started", "paid", "paid after the bank's check"):
                return True
            if not outcome.startswith("refused"):
                return False
        return False

    def card_submit(self, page: str, card: str) -> tuple[str, str]:
        """Save the card as Stripe.js would and send the form: (what happened, the page)."""
        secret, terms = _CLIENT_SECRET.search(page), _TERMS.search(page)
        if not secret or not terms:
            return "no card form on the page", page
        setup_intent_id = secret.group(1)
        method = stripe(
            "POST",
            "/v1/payment_methods",
            type="card",
            **{
                "card[number]": card,
                "card[exp_month]": "12",
                "card[exp_year]": "2030",
                "card[cvc]": "123",
            },
        )
        intent = stripe(
            "POST", f"/v1/setup_intents/{setup_intent_id}/confirm", payment_method=method["id"]
        )
        if intent["status"] == "requires_action":
            # The cardholder completes the bank's check in Stripe.js's box.
            stripe("POST", f"/v1/setup_intents/{setup_intent_id}/confirm")
        with self.post_form(
            "/shop/checkout/payment-details/",
            {
                "setup_intent_id": setup_intent_id,
                "country": "US",
                "consent": "on",
                "terms": terms.group(1),
            },
            page_html=page,
            name="buy: start tryout or pay",
            catch_response=True,
        ) as response:
            return self.checkout_answer(response)

    def checkout_answer(self, response) -> tuple[str, str]:
        if response.url.endswith("/shop/checkout/thank-you/"):
            charged = "nothing has been charged today" not in response.text
            return ("paid" if charged else "tryout started"), response.text
        waiting = _PAYMENT_WAITING.search(response.text)
        if response.status_code == 200 and waiting:
            response.success()
            return self.bank_check(waiting.group(1), response.text)
        refused = _CHECKOUT_ERROR.search(response.text)
        if response.status_code in (400, 429) and refused:
            # A refusal the customer is told about in words is the site working.
            response.success()
            return f"refused ({response.status_code}): {refused.group(1)[:70]}", response.text
        response.failure(f"checkout ended at {response.url} ({response.status_code})")
        return f"unexpected answer {response.status_code}", response.text

    def bank_check(self, payment_intent_id: str, page: str) -> tuple[str, str]:
        """The cardholder passes the bank's check for the first payment, then the page
        sends the PaymentIntent's id back, as its Stripe.js does."""
        secret = stripe("GET", f"/v1/payment_intents/{payment_intent_id}")["client_secret"]
        requests.post(
            f"{STRIPE_BASE}/v1/payment_intents/{payment_intent_id}/_authenticate?success=true",
            data=json.dumps({"key": "pk_test_load", "client_secret": secret}),
            timeout=30,
        )
        with self.post_form(
            "/shop/checkout/payment-details/",
            {"action": "confirm", "payment_intent_id": payment_intent_id},
            page_html=page,
            name="buy: confirm after the bank's check",
            catch_response=True,
        ) as response:
            outcome, page = self.checkout_answer(response)
        return ("paid after the bank's check" if outcome == "paid" else outcome), page


class Reader(Visitor):
    weight = 6
    wait_time = between(1, 3)

    @task(4)
    def article(self):
        self.get(random.choice(ARTICLES), name="read: article")

    @task(3)
    def glossary(self):
        self.get("/glossary/", name="read: glossary index")
        if not _known["terms"]:
            items = self.get("/api/glossary-terms/", name="read: api").json()["items"]
            _known["terms"] = [item["slug"] for item in items]
        slug = random.choice(_known["terms"])
        self.get(f"/api/glossary-terms/{slug}/", name="read: glossary term")

    @task(2)
    def testimonials_and_questions(self):
        self.get(random.choice(QA_AND_TESTIMONIALS), name="read: testimonials, Q&A")

    @task(2)
    def api(self):
        self.get(random.choice(API_READS), name="read: api")

    @task(1)
    def search(self):
        self.get(
            "/search/?query=" + random.choice(["sciatica", "disc", "spasm", "walk"]),
            name="read: search",
        )


class Buyer(Visitor):
    weight = 3
    wait_time = between(2, 5)

    @task
    def buy(self):
        self.client.cookies.clear()
        self.client.headers["X-Forwarded-For"] = next_address()
        email = f"buyer-{uuid.uuid4().hex[:12]}@example.com"
        if self.start_tryout(email, card_for_buyer()) and random.random() < 0.2:
            self.quit_tryout()

    def quit_tryout(self):
        """Changes their mind: "Quit 2-Week Tryout" on My program, sometimes twice."""
        page = self.get("/shop/accounts/program/", name="buy: my program").text
        found = _QUIT_FORM.search(page)
        if not found:
            return
        for _ in range(random.choice([1, 1, 2])):
            self.post_form(found.group(1), {}, page_html=page, name="buy: quit tryout")
            actions["tryouts quit"] += 1


class Customer(Visitor):
    weight = 2
    wait_time = between(1, 3)

    def on_start(self):
        super().on_start()
        self.email = f"customer-{uuid.uuid4().hex[:12]}@example.com"
        self.ready = self.start_tryout(self.email, card_new())
        self.files: list[str] = []

    def file_links(self) -> list[str]:
        page = self.get("/shop/accounts/downloads/", name="customer: my downloads").text
        return sorted(set(_FILE_LINK.findall(page)))

    @task(4)
    def download(self):
        if not self.ready:
            return
        links = self.files or self.file_links()
        self.files = links
        if not links:
            actions["no file listed"] += 1
            return
        link = random.choice(links)
        if random.random() < 0.5:
            with self.client.get(
                link,
                name="customer: download range",
                headers={"Range": "bytes=0-1023"},
                catch_response=True,
            ) as response:
                if response.status_code != 206:
                    response.failure(f"Range answered {response.status_code}")
        else:
            self.get(link, name="customer: download whole")

    @task(2)
    def my_downloads(self):
        if self.ready:
            self.files = self.file_links()

    @task(1)
    def sign_out_and_in(self):
        if not self.ready:
            return
        self.get("/shop/accounts/", name="customer: account")
        self.get("/shop/accounts/logout/", name="customer: sign out")
        self.client.cookies.clear()
        page = self.get("/shop/accounts/login/", name="customer: sign-in page").text
        with self.post_form(
            "/shop/accounts/login/",
            {
                "login-username": self.email,
                "login-password": PASSWORD,
                "login-redirect_url": "/shop/accounts/downloads/",
                "login_submit": "Log In",
            },
            page_html=page,
            name="customer: sign in",
            catch_response=True,
        ) as response:
            if "/shop/accounts/downloads/" not in response.url:
                response.failure(f"sign-in ended at {response.url}")
                self.ready = False
                return
        actions["sign-ins"] += 1


def signature(payload: bytes) -> str:
    signed_at = int(time.time())
    digest = hmac.new(
        WEBHOOK_SECRET.encode(), f"{signed_at}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={signed_at},v1={digest}"


def charge_object(intent: dict) -> dict:
    """The charge of a PaymentIntent as Stripe's charge.refunded event carries it."""
    charge = intent["latest_charge"]
    if isinstance(charge, str):
        charge = {"id": charge}
    return {
        "id": charge["id"],
        "object": "charge",
        "payment_intent": intent["id"],
        "amount": intent["amount"],
        "amount_refunded": int(charge.get("amount_refunded") or 0),
        "refunded": bool(charge.get("refunded")),
    }


class WebhookReplayer(Visitor):
    """Stripe delivering events: each at least once, some twice, some late."""

    fixed_count = 1
    wait_time = between(0.5, 1.5)

    def on_start(self):
        super().on_start()
        self.sent: list[tuple[str, str, dict]] = []

    def post_event(self, event_id: str, type_: str, obj: dict, *, name: str) -> None:
        payload = json.dumps(
            {
                "id": event_id,
                "object": "event",
                "type": type_,
                "created": int(time.time()),
                "livemode": False,
                "data": {"object": obj},
            }
        ).encode()
        self.client.post(
            "/shop/stripe/webhook/",
            data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature(payload)},
            name=name,
        )

    @task(5)
    def current(self):
        intents = stripe("GET", "/v1/payment_intents?limit=100")["data"]
        if not intents:
            return
        intent = random.choice(intents)
        paid = intent["status"] == "succeeded"
        if paid and intent.get("latest_charge") and random.random() < 0.3:
            type_, obj = "charge.refunded", charge_object(intent)
        elif paid:
            type_, obj = "payment_intent.succeeded", intent
        else:
            type_, obj = "payment_intent.payment_failed", intent
        event_id = f"evt_{uuid.uuid4().hex[:16]}"
        self.sent.append((event_id, type_, obj))
        self.post_event(event_id, type_, obj, name="webhook: new event")
        actions[f"webhooks sent: {type_}"] += 1

    @task(3)
    def replay(self):
        if not self.sent:
            return
        event_id, type_, obj = random.choice(self.sent)
        if random.random() < 0.5:
            # The same content delivered again under a new id, as after a resend.
            event_id = f"evt_{uuid.uuid4().hex[:16]}"
            self.post_event(event_id, type_, obj, name="webhook: resent, new id")
        else:
            self.post_event(event_id, type_, obj, name="webhook: replayed, same id")
        actions["webhooks replayed"] += 1

    @task(1)
    def forged(self):
        payload = json.dumps({"id": "evt_forged", "type": "payment_intent.succeeded"}).encode()
        with self.client.post(
            "/shop/stripe/webhook/",
            data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=00"},
            name="webhook: bad signature",
            catch_response=True,
        ) as response:
            if response.status_code == 400:
                response.success()
            else:
                response.failure(f"a forged event answered {response.status_code}")
