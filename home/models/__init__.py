"""The author's content: page types, snippets and site settings, one module each."""

from .glossary import *  # noqa: F403
from .pages import *  # noqa: F403
