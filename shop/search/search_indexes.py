# Haystack looks for indexes in each installed app's own module, so the fork re-exports
# Oscar's product index to keep text search finding products.
from oscar.apps.search.search_indexes import ProductIndex

__all__ = ["ProductIndex"]
