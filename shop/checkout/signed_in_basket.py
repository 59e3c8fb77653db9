"""The basket of a visitor who chose the program, then signed in or opened an account.

Oscar merges the visitor's basket into the account's and says so ("We have merged 1 item
from a previous session to your basket"). When the account's basket was empty, nothing was
merged in any sense a customer would recognise: the payment page shows what they chose, and
the notice only puzzles them. It stays when the account's basket already held something."""

from oscar.apps.basket.middleware import BasketMiddleware as OscarBasketMiddleware
from oscar.core.loading import get_model

Basket = get_model("basket", "Basket")


class BasketMiddleware(OscarBasketMiddleware):
    def get_basket(self, request):
        if request._basket_cache is not None:
            return request._basket_cache
        user = getattr(request, "user", None)
        signing_in = (
            user is not None
            and user.is_authenticated
            and self.get_cookie_key(request) in request.COOKIES
        )
        # Only on the one request that merges (the cookie is then deleted).
        account_basket_was_empty = (
            signing_in and not Basket.open.filter(owner=user, lines__isnull=False).exists()
        )
        basket = super().get_basket(request)
        storage = getattr(request, "_messages", None)
        if account_basket_was_empty and storage is not None:
            # Oscar's notice is the last message queued, by the call above.
            queued = getattr(storage, "_queued_messages", [])
            if queued and "previous session" in str(queued[-1].message):
                queued.pop()
        return basket
