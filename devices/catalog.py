"""The device catalog: every supported model, loaded from catalog.yaml and validated."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts.home import DeviceKind, HomeConfig
from contracts.metrics import METRICS


class Expose(BaseModel):
    """One payload key and the canonical metric it becomes.

    ``above``: the payload value is a number (``unit`` of the payload, e.g. W) and the
    metric, a true/false one, is whether it is above this threshold: a plug's ``power``
    above a few watts is an appliance in use, whatever its ``state`` says.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    property: str
    metric: str
    # Keys are payload values (JSON scalars); hashable so a frozen model can hold them.
    map: dict[Any, Any] | None = None
    no_data: tuple[Any, ...] = ()
    above: float | None = None
    payload_unit: str | None = None  # the unit of the payload value, where it differs

    @model_validator(mode="after")
    def _threshold_makes_a_bool(self) -> Expose:
        if self.above is not None:
            if METRICS[self.metric].type != "bool":
                raise ValueError(
                    f"a threshold ('above') needs a true/false metric, not {self.metric}"
                )
            if self.map is not None:
                raise ValueError("an expose has a map or a threshold ('above'), not both")
        return self

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, name: str) -> str:
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}")
        return name

    @property
    def unit(self) -> str | None:
        return METRICS[self.metric].unit


class DeviceDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    vendor: str
    description: str
    kind: DeviceKind
    source: Literal["zigbee2mqtt", "native"]
    heartbeat_s: int = Field(gt=0)
    exposes: tuple[Expose, ...]

    @property
    def properties(self) -> frozenset[str]:
        return frozenset(expose.property for expose in self.exposes)

    @property
    def metrics(self) -> frozenset[str]:
        return frozenset(expose.metric for expose in self.exposes)


@cache
def catalog() -> tuple[DeviceDefinition, ...]:
    text = resources.files(__package__).joinpath("catalog.yaml").read_text(encoding="utf-8")
    return tuple(DeviceDefinition.model_validate(entry) for entry in yaml.safe_load(text))


def definition(model: str) -> DeviceDefinition:
    for entry in catalog():
        if entry.model == model:
            return entry
    raise KeyError(f"no device model {model!r} in the catalog")


def definitions_for(kind: str, source: str) -> tuple[DeviceDefinition, ...]:
    return tuple(d for d in catalog() if d.kind == kind and d.source == source)


def unknown_models(home: HomeConfig) -> list[str]:
    """What is wrong with the models a home config names, one line per device; empty when
    every model given is in the catalog and of the device's kind.

    A model the catalog does not know would leave that device undecoded, its readings and
    its SOS refused one by one at run time: better said once, when the config is given.

    >>> home = HomeConfig.model_validate({
    ...     "home": "h001", "station": "st-01", "timezone": "Asia/Shanghai",
    ...     "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "door", "kind": "door", "role": "front_door",
    ...                  "source": "zigbee2mqtt:door", "model": "MCCGQ11LMX"}]})
    >>> unknown_models(home)  # doctest: +ELLIPSIS
    ["devices.door: model 'MCCGQ11LMX' is not in the catalog; door models: ..."]
    """
    known = {d.model: d for d in catalog()}
    problems = []
    for device in home.devices:
        if device.model is None:
            continue
        found = known.get(device.model)
        if found is None:
            same_kind = sorted(model for model, d in known.items() if d.kind == device.kind)
            problems.append(
                f"devices.{device.id}: model {device.model!r} is not in the catalog; "
                f"{device.kind} models: {', '.join(same_kind) or 'none'}"
            )
        elif found.kind != device.kind:
            problems.append(
                f"devices.{device.id}: model {device.model!r} is a {found.kind}, "
                f"not a {device.kind}"
            )
    return problems
