"""The author's content: page types, snippets and site settings, one module each."""

from .pages import *  # noqa: F403
