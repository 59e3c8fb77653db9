# Read by Django for every English locale (en, en-us), after settings.FORMAT_MODULE_PATH.
# Only what is shown is set here; what forms accept stays Django's.
DATE_FORMAT = "F j, Y"
# The time only ever beside the full date: "November 29, 2026, 6:51 p.m.".
DATETIME_FORMAT = "F j, Y, P"
