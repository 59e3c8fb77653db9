"""Start free tryout: the one button on the product page and the article's offer.

It puts exactly the program in the basket and sends the reader to the checkout's first step
that asks something of them: signing in or creating the account, or, when signed in already,
the payment page. The basket page is not on the way, but stays where it was.

The basket ends up holding the program alone, once: pressing again, or coming back with the
browser's back button, changes nothing. Anything else in the basket is taken out (and the
reader told), because the tryout is checked out on its own (``basket_trial_offer`` refuses a
tryout beside other lines)."""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oscar.core.loading import get_model

from shop.billing.selectors import trial_terms_for_product

Basket = get_model("basket", "Basket")
Product = get_model("catalogue", "Product")

NOT_AVAILABLE = "This program is not available just now. Nothing was added to your basket."
PRESS_AGAIN = (
    "Your browser did not say which page the button was on, so nothing was added yet. "
    "Please press \u201cStart free {trial} tryout\u201d below."
)
OTHERS_TAKEN_OUT = (
    "The free tryout is checked out on its own, so the other items were taken out of your "
    "basket. Your basket now holds {title}."
)


def _origin_is_this_site(request) -> bool:
    """The browser says the form was sent from one of this site's own pages.

    Browsers send Origin with every form POST and a page on another site cannot set it, so
    it is as good as a CSRF token for this one action (OWASP's "verifying origin"). The
    article's offer needs it: the article comes from the shared page cache, where a token
    would be some other visitor's."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return False
    return origin == f"{request.scheme}://{request.get_host()}" or (
        origin in settings.CSRF_TRUSTED_ORIGINS
    )


def _csrf_token_valid(request) -> bool:
    """Django's own check of the form's token (the product page sends one)."""
    check = CsrfViewMiddleware(lambda request: None)
    return check.process_view(request, None, (), {}) is None


def _program_for(value: str):
    """The public program with a tryout that ``value`` names, or None."""
    if not value.isdigit():
        return None
    product = (
        Product.objects.filter(pk=int(value), is_public=True)
        .select_related("trial_offer", "product_class")
        .first()
    )
    if product is None or trial_terms_for_product(product) is None:
        return None
    return product


def basket_hold_only(*, basket, product) -> bool:
    """Leave exactly one of ``product`` in ``basket`` and nothing else. Returns whether
    other products were taken out.

    The basket's row is locked first, so two presses at once still leave one line."""
    if basket.id is None:
        basket.save()
    with transaction.atomic():
        Basket.objects.select_for_update().filter(pk=basket.pk).first()
        lines = basket.lines.all()
        others = lines.exclude(product=product)
        took_out = others.exists()
        others.delete()
        kept = lines.filter(product=product).order_by("pk")
        first = kept.first()
        if first is None:
            basket._lines = None
            basket.add_product(product, 1)
        else:
            kept.exclude(pk=first.pk).delete()
            if first.quantity != 1:
                first.quantity = 1
                first.save(update_fields=["quantity"])
    basket._lines = None
    basket.reset_offer_applications()
    return took_out


@csrf_exempt  # checked below: a token, or an Origin naming this site
@require_POST
def tryout_start(request):
    """Put the program in the basket and go on to the checkout."""
    product = _program_for(request.POST.get("product", ""))
    if product is None:
        messages.error(request, NOT_AVAILABLE)
        return redirect("catalogue:index")
    if not (_origin_is_this_site(request) or _csrf_token_valid(request)):
        # Nothing is changed for a request that may come from another site; the product
        # page's button carries a token and does the same.
        trial = trial_terms_for_product(product).trial_display
        messages.info(request, PRESS_AGAIN.format(trial=trial))
        return HttpResponseRedirect(product.get_absolute_url())
    info = request.strategy.fetch_for_product(product)
    if not info.availability.is_available_to_buy:
        messages.error(request, NOT_AVAILABLE)
        return HttpResponseRedirect(product.get_absolute_url())
    if basket_hold_only(basket=request.basket, product=product):
        messages.info(request, OTHERS_TAKEN_OUT.format(title=product.get_title()))
    if request.user.is_authenticated:
        return redirect("checkout:payment-details")
    # Signing in or creating the account is the first step for everyone else.
    return HttpResponseRedirect(reverse("checkout:index"))
