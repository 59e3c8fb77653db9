"""The site's own date formats (settings.FORMAT_MODULE_PATH), read by Django's ``date``
filter, by its default rendering of dates and by web.dates: "December 13, 2026" on every
page and in every email, never "Dec. 13, 2026" or "December 13" alone."""
