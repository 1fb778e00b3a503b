"""The demo's institution, registered on a real SQLite store as the demo does: a floor of 20
beds with 16 residents, its staff able to log in, two caregivers on shift."""

from __future__ import annotations

import time

from sqlalchemy import select

from eldercare.demo_institution import INSTITUTION, register_institution
from hub.accounts import Scope, log_in
from hub.floor import floor_view
from hub.schema import Unit
from hub.shifts import on_duty
from hub.store import Store
from tests.support.stores import fresh_database


def test_the_demo_institution_has_a_floor_of_beds_staff_and_shifts(tmp_path):
    store = Store(fresh_database(tmp_path))
    try:
        with store.transaction() as session:
            configs = register_institution(session, prefix="eldercare/v1", password="demo")
        assert len(configs) == 16 and all(c.place is not None for c in configs)
        with store.transaction() as session:
            _token, nurse = log_in(session, "nurse", "demo")
            _token, carer = log_in(session, "carer1", "demo")
            unit = session.scalars(select(Unit).where(Unit.institution_id == INSTITUTION)).one()
            floor = floor_view(session, unit, rooms=None, now=time.time())
            states = [b["state"] for r in floor["rooms"] for b in r["beds"]]
            assert len(floor["rooms"]) == 10 and len(states) == 20
            assert states.count("empty") == 4
            # No bed sensor has said anything yet: nobody is shown "in bed".
            assert set(states) - {"empty"} == {"device_problem"}
            room_301 = floor["rooms"][0]
            assert on_duty(session, INSTITUTION, room_301["id"], time.time()) == ["carer1"]
            scope = Scope.of(carer, session)
            assert scope.duty_homes == {f"{INSTITUTION}-301-1", f"{INSTITUTION}-301-2",
                                        f"{INSTITUTION}-302-1", f"{INSTITUTION}-302-2",
                                        f"{INSTITUTION}-303-1", f"{INSTITUTION}-303-2",
                                        f"{INSTITUTION}-304-1", f"{INSTITUTION}-305-1",
                                        f"{INSTITUTION}-305-2"}  # fmt: skip
            assert Scope.of(nurse, session).sees_station(INSTITUTION)
    finally:
        store.close()
