"""The edge's home config: a pushed one parsed with limits, the last good one kept on disk.

A config pushed by the hub (``<prefix>/<home>/config``, retained) arrives again at every
connect, so a config that breaks the parser would break every start: :func:`parse_pushed`
refuses anything it cannot take with a :class:`HomeConfigError` saying why, and raises
nothing else, whatever the bytes. JSON (what the hub sends) is parsed with
:func:`contracts.safe_json.loads` (size, depth, number length); YAML is read as events first,
without building anything, so that nesting beyond :data:`MAX_DEPTH`, anchors and aliases (a
"billion laughs" bomb is a few lines of aliases) and too many nodes are refused before a
recursive composer or an expanding alias could cost the process its stack or its memory.

``<data_dir>/config.json`` is the last good config, written atomically and preferred over
the given one at the next start.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from contracts import safe_json
from contracts.errors import HomeConfigError, describe_validation_error
from contracts.home import HomeConfig
from devices import unknown_models

log = logging.getLogger("edge.config")
FILE_NAME = "config.json"
MAX_CONFIG_BYTES = 64 * 1024  # a home with 50 devices and contacts is ~10 KB of JSON
MAX_DEPTH = safe_json.MAX_DEPTH
MAX_YAML_EVENTS = 20_000
MAX_INTEGER_BITS = 133  # ~40 decimal digits, as safe_json's number length
MAX_REASON = 300  # characters of a refusal's reason in the status


def last_good_path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def parse_pushed(payload: bytes | str, *, source: str) -> HomeConfig:
    """A home config from untrusted bytes; raises HomeConfigError and nothing else."""
    try:
        document = _document(payload.encode() if isinstance(payload, str) else payload)
        if not isinstance(document, dict):
            raise HomeConfigError("a home config must be a mapping")
        try:
            config = HomeConfig.model_validate(document)
        except ValidationError as exc:
            home = document.get("home") if isinstance(document.get("home"), str) else None
            raise HomeConfigError(describe_validation_error(exc), home=home) from None
        return with_known_models(config)
    except HomeConfigError as exc:
        raise HomeConfigError(shortened(exc.reason), home=exc.home, source=source) from None
    except Exception as exc:  # e.g. a time zone lookup failing in a way nobody foresaw
        raise HomeConfigError(
            shortened(f"cannot be read: {type(exc).__name__}: {exc}"), source=source
        ) from exc


def with_known_models(config: HomeConfig, source: str | Path | None = None) -> HomeConfig:
    """``config`` if every device model it names is in the catalog; else HomeConfigError."""
    if problems := unknown_models(config):
        raise HomeConfigError("; ".join(problems), home=config.home, source=source)
    return config


def shortened(reason: str) -> str:
    if len(reason) <= MAX_REASON:
        return reason
    return f"{reason[:MAX_REASON]}... ({len(reason)} characters)"


def _document(payload: bytes) -> Any:
    if len(payload) > MAX_CONFIG_BYTES:
        raise HomeConfigError(f"{len(payload)} bytes (at most {MAX_CONFIG_BYTES})")
    try:
        return safe_json.loads(payload, max_bytes=MAX_CONFIG_BYTES)
    except safe_json.JsonLimitError as json_error:
        if payload.lstrip()[:1] in (b"{", b"["):  # meant as JSON: say what is wrong with it
            try:
                return _limited_yaml(payload)
            except HomeConfigError:
                raise HomeConfigError(f"not usable JSON: {json_error}") from None
        return _limited_yaml(payload)


def _limited_yaml(payload: bytes) -> Any:
    try:
        depth = 0
        for count, event in enumerate(yaml.parse(payload, Loader=yaml.SafeLoader), 1):
            if count > MAX_YAML_EVENTS:
                raise HomeConfigError(f"more than {MAX_YAML_EVENTS} YAML nodes")
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise HomeConfigError("YAML anchors and aliases are not accepted")
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise HomeConfigError(f"nested deeper than {MAX_DEPTH} levels")
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
        document = yaml.safe_load(payload)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or type(exc).__name__
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise HomeConfigError(f"not valid YAML or JSON: {problem}{where}") from None
    _check_numbers(document)
    return document


def _check_numbers(document: Any) -> None:
    """Numbers as safe_json takes them: no NaN or infinity, no integer beyond ~40 digits."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise HomeConfigError(f"{node} is not a number a home config can hold")
        elif isinstance(node, int) and node.bit_length() > MAX_INTEGER_BITS:
            raise HomeConfigError("an integer of more than 40 digits")


def load_preferred(given: HomeConfig, data_dir: Path) -> HomeConfig:
    """The last good config pushed by the hub if there is a usable one, else ``given``.

    A saved config that cannot be read, does not parse or is for another home is ignored
    with a warning: the edge must start with *some* config rather than not at all.
    """
    path = last_good_path(data_dir)
    try:
        saved = parse_pushed(path.read_bytes(), source=str(path))
    except FileNotFoundError:
        return given
    except (OSError, HomeConfigError) as exc:
        log.warning("ignoring the saved config: %s", exc)
        return given
    if saved.home != given.home:
        log.warning(
            "ignoring the saved config %s: it is for home %s, not %s", path, saved.home, given.home
        )
        return given
    return saved


def save_last_good(config: HomeConfig, data_dir: Path) -> None:
    """Write atomically: a power cut leaves the old or the new."""
    path = last_good_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, config.to_json().encode())


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:  # the rename itself is durable only once the folder is synced
        os.fsync(directory)
    finally:
        os.close(directory)
