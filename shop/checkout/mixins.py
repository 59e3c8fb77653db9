import logging

from oscar.apps.checkout import mixins

logger = logging.getLogger(__name__)


class OrderPlacementMixin(mixins.OrderPlacementMixin):
    def send_order_placed_email(self, order):
        """Send the confirmation, but never let a mail failure undo a placed order.

        Oscar calls this after the order is written and the basket submitted; an exception
        here would make its checkout view thaw the basket and show an error for an order that
        exists, inviting a second one. The failure is logged so the mail can be re-sent.
        """
        try:
            super().send_order_placed_email(order)
        except Exception:
            logger.exception(
                "Order #%s placed, but its confirmation email could not be sent", order.number
            )
