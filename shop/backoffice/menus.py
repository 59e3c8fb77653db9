"""The names of the back office's CMS menus, for the shop's screens to join one of them
(a viewset's ``menu_hook``)."""

# Under "Shop": what the author does every week.
SHOP_MENU_HOOK = "register_shop_menu_item"
# Under "Rarely needed": the shop dashboard and Django's admin.
RARELY_NEEDED_MENU_HOOK = "register_rarely_needed_menu_item"
