"""The demo's institution beside its community station: a care home (颐和养老院) with a
floor of 10 rooms and 20 beds, 16 residents (some at risk of falling, two who wander), two
caregivers on shift for half the floor each, a nurse station and a head nurse.

The residents' configs name their beds (``HomeConfig.place``); the live floor (their bed
sensors, night bed exits) comes from the simulator, which is given :func:`resident_configs`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from contracts.home import HomeConfig

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

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


def resident_configs() -> list[HomeConfig]:
    """One config per occupied bed: her bed sensor under the mattress and the call button."""
    configs = []
    occupied = [(room, bed) for room in ROOMS for bed in BEDS if (room, bed) not in EMPTY]
    for index, (room, bed) in enumerate(occupied):
        home = f"{INSTITUTION}-{room}-{bed}"
        risk = ("high", "at_risk", "at_risk", "none")[index % 4]
        configs.append(HomeConfig.model_validate({
            "home": home,
            "station": INSTITUTION,
            "resident": {"name": NAMES[index % len(NAMES)], "birth_year": 1930 + index,
                         "lives_alone": False, "fall_risk": risk, "wanders": index in (3, 10)},
            "place": {"institution": INSTITUTION, "unit": UNIT, "room": room, "bed": bed},
            "devices": [
                {"id": "bed", "kind": "presence", "role": "bed", "source": "native",
                 "model": "native-bed-sensor"},
                {"id": "call", "kind": "sos_button", "role": "bedside", "source": "native"},
            ],
        }))  # fmt: skip
    return configs


def register_institution(session: Session, *, prefix: str, password: str) -> list[HomeConfig]:
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
    configs = resident_configs()
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


def introduction(web: str) -> str:
    return (
        f"Institution {INSTITUTION} ({len(resident_configs())} residents on floor {UNIT}):\n"
        f"  nurse       the nurse station's floor view ({web}/ward)\n"
        f"  headnurse   the same, and plans the shifts\n"
        f"  carer1      a caregiver's phone, rooms {SHIFT_ROOMS['carer1'][0]}-"
        f"{SHIFT_ROOMS['carer1'][-1]} ({web}/ward/phone)\n"
    )
