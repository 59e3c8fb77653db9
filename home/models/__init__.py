"""The author's content: page types, snippets and site settings, one module each."""

from .forms import *  # noqa: F403
from .glossary import *  # noqa: F403
from .medical_review import *  # noqa: F403
from .pages import *  # noqa: F403
from .site_settings import *  # noqa: F403
from .snippets import *  # noqa: F403
