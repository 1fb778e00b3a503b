"""The demo's institution beside its community station: a care home (颐和养老院) with a
floor of 10 rooms and 20 beds, 16 residents (some at risk of falling, two who wander), two
caregivers on shift for half the floor each, a nurse station and a head nurse.

The residents' configs name their beds (``HomeConfig.place``); the live floor (their bed
sensors, night bed exits, calls) is the simulated floor's (simulators/institution.py),
replayed by the demo beside its homes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from contracts.home import HomeConfig

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from simulators.payloads import DeviceMessage

INSTITUTION = "inst-demo-01"
INSTITUTION_NAME = "颐和养老院 (demo)"
UNIT = "3F"
ROOMS = tuple(str(301 + n) for n in range(10))
BEDS = ("1", "2")
EMPTY = frozenset({("304", "2"), ("307", "1"), ("309", "2"), ("310", "2")})
NAMES = (
    "赵桂兰", "钱秀珍", "孙玉梅", "李淑华", "周凤英", "吴桂芝", "郑秀云", "王兰英",
    "冯玉兰", "陈素珍", "褚桂香", "卫秀英", "蒋玉珍", "沈凤兰", "韩淑珍", "杨秀兰",
)  # fmt: skip
# Staff accounts: (user name, name shown in histories, role); the password is the demo's.
STAFF = (
    ("nurse", "护士站 3F", "nurse"),
    ("headnurse", "护士长 刘敏", "head_nurse"),
    ("carer1", "护理员 陈静", "caregiver"),
    ("carer2", "护理员 马丽", "caregiver"),
)
# A night shift each, for the first and the second half of the floor (wall clock).
SHIFT_ROOMS = {"carer1": ROOMS[:5], "carer2": ROOMS[5:]}


def resident_configs(seed: int = 1) -> list[HomeConfig]:
    """One config per occupied bed, the simulated floor's (simulators/floor.py) under this
    institution's ids: her bed sensor, the call button at her bed, her room's bathroom radar
    and the unit door; mixed fall risk, some who wander."""
    from simulators.floor import make_floor_configs

    occupied = [(room, bed) for room in ROOMS for bed in BEDS if (room, bed) not in EMPTY]
    floor = {(c.place.room, c.place.bed): c for c in make_floor_configs(len(ROOMS) * 2, seed)}
    configs = []
    for index, (room, bed) in enumerate(occupied):
        simulated = floor[(room, bed)]
        configs.append(
            simulated.model_copy(
                update={
                    "home": f"{INSTITUTION}-{room}-{bed}",
                    "station": INSTITUTION,
                    "resident": simulated.resident.model_copy(
                        update={"name": NAMES[index % len(NAMES)]}
                    ),
                    "place": simulated.place.model_copy(  # type: ignore[union-attr]
                        update={"institution": INSTITUTION, "unit": UNIT}
                    ),
                }
            )
        )
    return [HomeConfig.model_validate(c.model_dump()) for c in configs]  # validated anew


def register_institution(
    session: Session, *, prefix: str, password: str, configs: list[HomeConfig] | None = None
) -> list[HomeConfig]:
    """The institution, its floor, residents in their beds, its staff and tonight's shifts;
    the residents' configs."""
    # The hub's modules load when the demo registers, not when the command line starts.
    from hub.accounts import save_user
    from hub.places import EscalationDelays, add_bed, add_room, add_unit, save_institution
    from hub.registry import save_home, save_station
    from hub.shifts import save_shift

    save_station(session, INSTITUTION, name=INSTITUTION_NAME, phone="0558-1111111")
    save_institution(
        session, INSTITUTION, timezone="Asia/Shanghai",
        delays=EscalationDelays(station_after_s=120, head_nurse_after_s=300, repeat_s=300),
        severities={},
    )  # fmt: skip
    unit = add_unit(session, INSTITUTION, UNIT)
    room_ids = {}
    for room in ROOMS:
        room_ids[room] = add_room(session, unit.id, room).id
        for bed in BEDS:
            add_bed(session, room_ids[room], bed)
    configs = resident_configs() if configs is None else configs
    for config in configs:
        save_home(session, config, prefix=prefix, actor="demo")
    for username, name, role in STAFF:
        save_user(session, username, name=name, role=role, password=password,
                  stations=[INSTITUTION])  # fmt: skip
    now = time.time()
    for username, rooms in SHIFT_ROOMS.items():
        save_shift(session, INSTITUTION, username=username, starts_at=now - 3600,
                   ends_at=now + 23 * 3600, rooms=[room_ids[r] for r in rooms])  # fmt: skip
    return configs


def floor_streams(
    configs: list[HomeConfig], morning: datetime, days: float, seed: int, *, prefix: str,
    zigbee_base: str,
) -> list[Iterator[DeviceMessage]]:  # fmt: skip
    """Each bed's device messages from ``morning`` (06:00) on, as the demo's homes'; the
    floor's nights, calls and falls are the simulator's (with its scripted incidents)."""
    from simulators.institution import simulate_floor
    from simulators.payloads import encode_stream

    midnight = morning.replace(hour=0, minute=0, second=0, microsecond=0)
    runs = simulate_floor(configs, start=midnight, days=days, seed=seed, scripted=True)
    return [
        encode_stream(
            (r for r in simulation.readings() if r.ts >= morning),
            config,
            prefix=prefix,
            zigbee_base=zigbee_base.format(home=config.home),
        )
        for config, simulation in runs
    ]


def introduction(web: str) -> str:
    return (
        f"Institution {INSTITUTION} ({len(resident_configs())} residents on floor {UNIT}):\n"
        f"  nurse       the nurse station's floor view ({web}/ward)\n"
        f"  headnurse   the same, and plans the shifts\n"
        f"  carer1      a caregiver's phone, rooms {SHIFT_ROOMS['carer1'][0]}-"
        f"{SHIFT_ROOMS['carer1'][-1]} ({web}/ward/phone)\n"
    )
