"""The site's look in an email: the templates write one stylesheet in the head (and may keep
media queries there); mail programs read only each element's ``style`` attribute, so the
rules are written into the elements before the message leaves. Nothing is fetched."""

import css_inline

# keep_at_rules: the narrow-screen rules stay in the head, for the mail programs that read them.
_INLINER = css_inline.CSSInliner(
    load_remote_stylesheets=False, keep_at_rules=True, resolve_css_variables=True
)


def html_for_mail(html: str) -> str:
    """``html`` with its stylesheet written into each element; "" stays ""."""
    if not html.strip():
        return html
    return _INLINER.inline(html)
