"""The glossary: the medical words the article uses, each explained in plain language.

Its models are in ``home/models/glossary.py`` (with their migrations) and its template tags
in ``home/templatetags/glossary_tags.py`` (where Django looks for them); the rest is here:

- ``letters.py``: the A-to-Z index, one page or a page per letter, where a term's entry is.
- ``selectors.py``: the reads pages, blocks, the search and the API need.
- ``linking.py``: the article's first mention of each term linked to its definition.
- ``serializers.py``: the terms as the content API shows them.

Nothing is imported here, so the models can use the index's rules without loading the rest.
"""
