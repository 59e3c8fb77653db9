"""Demo content for local runs: a complete site with the structure and facts of the author's
page, in sentences written for this site. The content is in ``content/*.toml``; ``loader.py``
adds what is missing and never overwrites the author's edits."""
