"""Simulated homes: configs as an installer would write them, and which device is which.

Homes are made from catalog models (devices/catalog.yaml) so the payload encoder, the
decoder and the detectors all meet real device definitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contracts.home import DeviceConfig, HomeConfig

from .life import NO_FRONT_DOOR_SHARE
from .resident import STREAM_HOMES, rng_for

DOOR_MODELS = ("MCCGQ11LM", "SNZB-04")
RADAR_MODELS = ("MIR-HE200-TY", "HS2FD-EF1-3.0", "FDS315")
SOS_MODELS = ("TS0215A_sos", "HS1EB", "SEB01ZB")
PIR_MODEL = "RTCGQ11LM"
BRACELET_MODEL = "native-bracelet"
PENDANT_MODEL = "native-fall-pendant"
PRESENCE_MODELS = ("FP1E", "ZY-M100-S_1")
BED_MODELS = ("TS0601_bed_presence_sensor", "C3007", "native-bed-sensor")
CHAIR_MODEL = "C3007"
PLUG_MODEL = "TS011F_plug_1"
OUTLET_MODEL = "E1603/E1702/E1708"

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
_WOMEN = (
    "秀英",
    "桂英",
    "玉兰",
    "淑珍",
    "秀兰",
    "凤英",
    "桂兰",
    "玉珍",
    "素芬",
    "兰英",
    "美华",
    "惠珍",
)
_MEN = (
    "建国",
    "德明",
    "国华",
    "志强",
    "永福",
    "树林",
    "金生",
    "长贵",
    "振华",
    "文斌",
    "保国",
    "福根",
)
_CHILDREN = ("伟", "静", "敏", "磊", "丽", "军", "芳", "勇", "娟", "强", "红", "涛", "燕", "明")
_STREETS = ("瀛洲路", "长江路", "解放路", "人民路", "和平街", "建设路", "中山路", "幸福里")
_MOBILE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "158", "186", "187", "189")

# The share of homes where the resident also wears a fall pendant on the belt.
PENDANT_SHARE = 0.4
# Occupancy and appliances, as an installer fits them: mats where she sleeps and sits, a
# plug on the kettle and the rice cooker, a switched outlet on the television (many turn
# it off at the wall), now and then an mmWave presence sensor in a room.
BED_SHARE = 0.75
CHAIR_SHARE = 0.6
ROOM_PRESENCE_SHARE = 0.3
KETTLE_SHARE = 0.7
RICE_COOKER_SHARE = 0.4
TV_SHARE = 0.3


def make_home_configs(
    count: int, seed: int, *, station: str = "st-demo-01", messy: bool = True
) -> list[HomeConfig]:
    """``count`` homes h001, h002, ...; home i is the same whatever ``count`` is.

    ``messy``: some homes have no front-door sensor (simulators/life.py); otherwise every
    home has one, as in the demo."""
    return [_make_home(index, seed, station, messy) for index in range(1, count + 1)]


def _make_home(index: int, seed: int, station: str, messy: bool) -> HomeConfig:
    home_id = f"h{index:03d}"
    rng = rng_for(seed, home_id, STREAM_HOMES)
    surname = _pick(rng, _SURNAMES)
    woman = rng.random() < 0.7  # most people living alone at 80+ are widows
    name = surname + _pick(rng, _WOMEN if woman else _MEN)
    devices = [
        _device("front_door", "door", "front_door", "entrance", _pick(rng, DOOR_MODELS)),
        _device("bathroom_door", "door", "bathroom_door", "bathroom", _pick(rng, DOOR_MODELS)),
        _device("fridge", "door", "fridge", "fridge", _pick(rng, DOOR_MODELS)),
        _device("motion_living", "motion", "living_room", "living", PIR_MODEL),
        _device("radar_bath", "fall_radar", "bathroom", "radar1", _pick(rng, RADAR_MODELS)),
        _device("band", "bracelet", "wrist", None, BRACELET_MODEL),
        _device("sos_bed", "sos_button", "bedside", "sos", _pick(rng, SOS_MODELS)),
    ]
    if rng.random() < PENDANT_SHARE:
        devices.append(_device("pendant", "fall_pendant", "waist", None, PENDANT_MODEL))
    # Drawn from a stream of their own, so the homes above stay what they were.
    fitted = rng_for(seed, home_id, STREAM_HOMES, 1)
    devices.extend(_occupancy_and_appliances(fitted))
    if messy and fitted.random() < NO_FRONT_DOOR_SHARE:
        devices = [d for d in devices if d.role != "front_door"]
    return HomeConfig.model_validate(
        {
            "home": home_id,
            "station": station,
            "timezone": "Asia/Shanghai",
            "resident": {
                "name": name,
                "birth_year": int(rng.integers(1935, 1951)),
                "lives_alone": True,
                "address": f"{_pick(rng, _STREETS)}{rng.integers(1, 300)}号"
                f"{rng.integers(1, 7)}单元{rng.integers(1, 7)}0{rng.integers(1, 5)}",
            },
            "devices": devices,
            "contacts": _contacts(rng, surname),
        }
    )


def _occupancy_and_appliances(rng: np.random.Generator) -> list[DeviceConfig]:
    devices = []
    if rng.random() < BED_SHARE:
        model = _pick(rng, BED_MODELS)
        native = model.startswith("native")
        bed_id = "bed_sensor" if native else "bed_mat"
        devices.append(_device(bed_id, "presence", "bed", None if native else "bed", model))
    if rng.random() < CHAIR_SHARE:
        devices.append(_device("chair_mat", "presence", "chair", "chair", CHAIR_MODEL))
    if rng.random() < ROOM_PRESENCE_SHARE:
        room = _pick(rng, ("bedroom", "living_room"))
        model = _pick(rng, PRESENCE_MODELS)
        devices.append(_device(f"presence_{room}", "presence", room, f"presence_{room}", model))
    if rng.random() < KETTLE_SHARE:
        devices.append(_device("kettle", "appliance", "kitchen", "kettle", PLUG_MODEL))
    if rng.random() < RICE_COOKER_SHARE:
        devices.append(_device("rice_cooker", "appliance", "kitchen", "rice_cooker", PLUG_MODEL))
    if rng.random() < TV_SHARE:
        devices.append(_device("tv", "appliance", "living_room", "tv", OUTLET_MODEL))
    return devices


def _device(device_id: str, kind: str, role: str, zigbee: str | None, model: str) -> DeviceConfig:
    source = f"zigbee2mqtt:{zigbee}" if zigbee else "native"
    return DeviceConfig(id=device_id, kind=kind, role=role, source=source, model=model)  # type: ignore[arg-type]


def _contacts(rng: np.random.Generator, surname: str) -> list[dict[str, object]]:
    children = []
    for relation in rng.permutation(["son", "daughter"])[: int(rng.integers(1, 3))]:
        # A son carries the family name; a daughter her own father's, usually another.
        family = surname if relation == "son" else _pick(rng, _SURNAMES)
        children.append(
            {
                "name": family + _pick(rng, _CHILDREN),
                "relation": str(relation),
                "phone": _mobile(rng),
                "notify": ["app", "sms"],
            }
        )
    neighbour = {
        "name": _pick(rng, _SURNAMES) + _pick(rng, _WOMEN),
        "relation": "neighbour",
        "phone": _mobile(rng),
        "notify": ["call"],
    }
    return [*children, neighbour]


def _mobile(rng: np.random.Generator) -> str:
    return _pick(rng, _MOBILE_PREFIXES) + "".join(str(d) for d in rng.integers(0, 10, 8))


def _pick(rng: np.random.Generator, options: tuple[str, ...] | str) -> str:
    return options[int(rng.integers(len(options)))]


@dataclass(frozen=True)
class HomeDevices:
    """Which device of a home plays which part in the simulation (None: the home has none)."""

    front_door: DeviceConfig | None
    bathroom_door: DeviceConfig | None
    fridge: DeviceConfig | None
    motion: DeviceConfig | None
    radar: DeviceConfig | None
    bracelet: DeviceConfig | None
    pendant: DeviceConfig | None
    sos_button: DeviceConfig | None
    bed: DeviceConfig | None = None
    chair: DeviceConfig | None = None
    rooms: tuple[DeviceConfig, ...] = ()  # presence sensors that watch a room
    appliances: tuple[DeviceConfig, ...] = ()

    @classmethod
    def of(cls, home: HomeConfig) -> HomeDevices:
        def first(kinds: set[str], roles: set[str] | None = None) -> DeviceConfig | None:
            return next(
                (d for d in home.devices if d.kind in kinds and (roles is None or d.role in roles)),
                None,
            )

        return cls(
            front_door=first({"door"}, {"front_door"}),
            bathroom_door=first({"door"}, {"bathroom_door", "toilet_door"}),
            fridge=first({"door"}, {"fridge"}),
            motion=first({"motion"}, {"living_room", "kitchen"}) or first({"motion"}),
            radar=first({"fall_radar"}, {"bathroom"}) or first({"fall_radar"}),
            bracelet=first({"bracelet"}),
            pendant=first({"fall_pendant"}),
            sos_button=first({"sos_button"}),
            bed=first({"presence"}, {"bed"}),
            chair=first({"presence"}, {"chair"}),
            rooms=tuple(
                d
                for d in home.devices
                if d.kind == "presence" and d.role in ("bedroom", "living_room", "kitchen")
            ),
            appliances=tuple(d for d in home.devices if d.kind == "appliance"),
        )

    def all(self) -> tuple[DeviceConfig, ...]:
        found = (
            self.front_door,
            self.bathroom_door,
            self.fridge,
            self.motion,
            self.radar,
            self.bracelet,
            self.pendant,
            self.sos_button,
            self.bed,
            self.chair,
            *self.rooms,
            *self.appliances,
        )
        return tuple(d for d in found if d is not None)
