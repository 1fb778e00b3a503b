"""A simulated care-home floor: one home config per bed, two beds a room.

Each bed's config lists the devices of her bed (a native under-mattress bed sensor, the
call button at the bed) and of her room (the bathroom's fall radar, shared with her
roommate), and the unit door, shared by the floor. Residents have mixed fall risk
(none / at_risk / high) and some wander (dementia).

Shared devices appear in every config that lists them with the same id and Zigbee
name; the simulation publishes them once per bed (see simulators/institution.py).
"""

from __future__ import annotations

from contracts.home import HomeConfig

from .resident import rng_for

INSTITUTION = "sunrise"
UNIT = "3F"
STREAM_FLOOR = 40
# Shares of the floor (a typical nursing floor: most residents assessed at some risk).
FALL_RISK_SHARES = {"none": 0.35, "at_risk": 0.45, "high": 0.2}
WANDERS_SHARE = 0.25
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
_GIVEN = ("秀英", "桂兰", "玉兰", "淑珍", "凤英", "建国", "国华", "德明", "秀兰", "志强")


def bed_home_id(room: str, bed: str) -> str:
    return f"{INSTITUTION}-{room}-{bed}"


def make_floor_configs(beds: int, seed: int) -> list[HomeConfig]:
    """``beds`` beds on one floor, rooms 301, 302, ... with beds 1 and 2."""
    if beds < 1:
        raise ValueError(f"a floor needs at least one bed, got {beds}")
    rng = rng_for(seed, INSTITUTION, STREAM_FLOOR)
    risks = list(FALL_RISK_SHARES)
    shares = list(FALL_RISK_SHARES.values())
    configs = []
    for index in range(beds):
        room, bed = str(301 + index // 2), str(1 + index % 2)
        home = bed_home_id(room, bed)
        name = _SURNAMES[int(rng.integers(len(_SURNAMES)))] + _GIVEN[int(rng.integers(10))]
        configs.append(
            HomeConfig.model_validate(
                {
                    "home": home,
                    "station": INSTITUTION,
                    "timezone": "Asia/Shanghai",
                    "resident": {
                        "name": name,
                        "birth_year": int(rng.integers(1928, 1946)),
                        "lives_alone": False,
                        "fall_risk": str(rng.choice(risks, p=shares)),
                        "wanders": bool(rng.random() < WANDERS_SHARE),
                    },
                    # A care home's lights-out is earlier than a home's night.
                    "night": {"start": "21:00", "end": "06:00"},
                    "place": {"institution": INSTITUTION, "unit": UNIT, "room": room, "bed": bed},
                    "devices": _devices(room, bed),
                }
            )
        )
    return configs


def _devices(room: str, bed: str) -> list[dict[str, str]]:
    return [
        {"id": "bed_sensor", "kind": "presence", "role": "bed", "source": "native",
         "model": "native-bed-sensor"},
        {"id": "call_bed", "kind": "sos_button", "role": "bedside",
         "source": f"zigbee2mqtt:call-{room}-{bed}", "model": "TS0215A_sos"},
        {"id": "radar_bath", "kind": "fall_radar", "role": "bathroom",
         "source": f"zigbee2mqtt:radar-{room}", "model": "HS2FD-EF1-3.0"},
        {"id": "unit_door", "kind": "door", "role": "unit_door",
         "source": "zigbee2mqtt:unit-door", "model": "MCCGQ11LM"},
    ]  # fmt: skip
