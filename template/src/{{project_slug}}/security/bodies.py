"""Request bodies checked before Kernia decodes them: size, JSON, nesting, NUL bytes, field names and types.

Kernia 0.1.0 answers 500 to invalid JSON, non-UTF-8 bytes, deep nesting, NUL bytes and wrongly typed fields,
and its pydantic errors echo the submitted values (passwords included). Here every such body gets a 400 that
names the field and the rule, never a value. camelCase keys (what Better Auth clients send) are mapped onto
the snake_case fields of pydantic bodies, which Kernia only does for dataclass bodies.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import types
import typing
from typing import Any
from urllib.parse import parse_qsl

MAX_DEPTH = 32


class BodyError(ValueError):
    """A body the backend will not process; ``str()`` is the client-facing message."""


def parse_json(raw: bytes) -> Any:
    """The decoded JSON document, or ``BodyError`` naming what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("the body is not UTF-8 text: send JSON encoded as UTF-8") from None
    if "\x00" in text or "\\u0000" in text:
        raise BodyError("the body contains a NUL character, which no field accepts")
    try:
        value = json.loads(text)
    except RecursionError:
        raise BodyError(f"the JSON document nests deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise BodyError(
            f"the body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except ValueError:  # Python's guard against huge integers (int_max_str_digits)
        limit = sys.get_int_max_str_digits()
        raise BodyError(f"the body holds a number longer than {limit} digits") from None
    if _depth(value) > MAX_DEPTH:
        raise BodyError(f"the JSON document nests deeper than {MAX_DEPTH} levels")
    if any(_not_utf8(text) for text in _strings(value)):
        # "\ud800" decodes to a lone surrogate, which no database or mail server can store or send
        raise BodyError("the body holds a \\u escape of a lone surrogate: send text encodable as UTF-8")
    return value


def _strings(value: Any) -> typing.Iterator[str]:
    """Every string of a decoded JSON document, object keys included."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_form(raw: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a JSON object (SAML's HTTP-POST binding)."""
    try:
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, strict_parsing=bool(raw))
    except (UnicodeDecodeError, ValueError):
        raise BodyError("the form body is not valid application/x-www-form-urlencoded data") from None
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        raise BodyError("the form body contains a NUL character, which no field accepts")
    return dict(pairs)


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children)
    return deepest


def snake(name: str) -> str:
    """``newPassword`` -> ``new_password`` (Better Auth's wire names onto Kernia's field names)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def conform(body_type: type | None, value: Any) -> Any:
    """Check a decoded body against the route's body type; returns it with camelCase keys renamed.

    Dataclass and pydantic bodies must be JSON objects whose known fields hold the declared JSON type; unknown
    keys are left for Kernia to ignore. ``BodyError`` names every wrong field without echoing any value.
    """
    if body_type is None:
        return value
    fields = _fields(body_type)
    if fields is None:
        return value
    if not isinstance(value, dict):
        raise BodyError(f"the body must be a JSON object, not {_json_type(value)}")
    renamed = {
        (snake(k) if k not in fields and snake(k) in fields and snake(k) not in value else k): v
        for k, v in value.items()
    }
    problems = [
        f"{name} must be {_describe(expected)}, not {_json_type(renamed[name])}"
        for name, expected in fields.items()
        if name in renamed and not _matches(renamed[name], expected)
    ]
    if problems:
        raise BodyError("invalid fields: " + "; ".join(problems))
    changed = _is_pydantic(body_type) and list(renamed) != list(value)
    return renamed if changed else value


def validation_problems(body_type: type | None, value: Any) -> list[str]:
    """Pydantic's complaints as "field: message" without the input (Kernia's own message echoes it)."""
    if body_type is None or not _is_pydantic(body_type):
        return []
    from pydantic import ValidationError

    try:
        body_type.model_validate(value)  # type: ignore[attr-defined]
    except ValidationError as exc:
        return [f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors()]
    return []


def _is_pydantic(body_type: type) -> bool:
    return hasattr(body_type, "model_fields")


def _fields(body_type: type) -> dict[str, Any] | None:
    try:
        hints = typing.get_type_hints(body_type)
    except Exception:  # unresolvable annotations: leave the checking to Kernia
        return None
    if _is_pydantic(body_type):
        names = set(body_type.model_fields)  # type: ignore[attr-defined]
    elif dataclasses.is_dataclass(body_type):
        names = {f.name for f in dataclasses.fields(body_type)}
    else:
        return None
    return {name: hint for name, hint in hints.items() if name in names}


_SCALARS: dict[type, tuple[type, ...]] = {str: (str,), bool: (bool,), int: (int,), float: (int, float)}


def _matches(value: Any, expected: Any) -> bool:
    origin = typing.get_origin(expected)
    if expected is Any or isinstance(expected, typing.TypeVar):
        return True
    if expected is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, option) for option in typing.get_args(expected))
    if origin is typing.Literal:
        return value in typing.get_args(expected)
    if expected in _SCALARS:
        return isinstance(value, _SCALARS[expected]) and not (
            expected is not bool and isinstance(value, bool)
        )
    if origin in (list, tuple, set, frozenset) or expected in (list, tuple):
        return isinstance(value, list)
    if origin in (dict, typing.Mapping) or expected is dict:
        return isinstance(value, dict)
    return True  # nested models and other types: Kernia validates them


def _describe(expected: Any) -> str:
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(option) for option in typing.get_args(expected))
    names = {str: "a string", bool: "true or false", int: "an integer", float: "a number", type(None): "null"}
    if expected in names:
        return names[expected]
    if origin in (list, tuple, set, frozenset):
        return "an array"
    if origin is dict:
        return "an object"
    return getattr(expected, "__name__", str(expected))


def _json_type(value: Any) -> str:
    for kind, name in (
        (bool, "true/false"),
        (str, "a string"),
        (int, "a number"),
        (float, "a number"),
        (list, "an array"),
        (dict, "an object"),
    ):
        if isinstance(value, kind):
            return name
    return "null"
