"""The OBD car inventory (characteristics OBD cannot report) and the simulated device's data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from ev_wrapper.obd_device_sim import inventory_document, vehicle_reading
from ev_wrapper.sources.fleet_model import Fleet, Phase
from ev_wrapper.sources.obd_inventory import InventoryError, load_inventory, parse_inventory
from ev_wrapper.sources.obd_protocol import derive_status
from wiseevp_common.messages.iop import Connector, ConnectorType, EvCharacteristics

CAR: dict[str, Any] = {
    "id": "EMOTION-00001",
    "device": "861230045123456",
    "name": "Renault ZOE 41 kWh",
    "connector": {"type": "mennekes", "power": 22},
    "capacity": 41,
}


def document(*cars: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "cars": list(cars)}


def test_inventory_maps_devices_to_cars_and_their_characteristics() -> None:
    second = CAR | {"id": "EMOTION-00002", "name": "Kangoo"}
    del second["device"]
    inventory = parse_inventory(document(CAR, second), "EMOTION")
    assert inventory.ev_for_device("861230045123456") == "EMOTION-00001"
    assert inventory.ev_for_device("EMOTION-00002") == "EMOTION-00002"  # device defaults to id
    assert inventory.ev_for_device("EMOTION-00001") is None  # it has a device id of its own
    assert inventory.cars["EMOTION-00001"] == EvCharacteristics(
        id="EMOTION-00001",
        name="Renault ZOE 41 kWh",
        connector=Connector(type=ConnectorType.MENNEKES, power=Decimal(22)),
        capacity=41,
    )


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        (document(CAR | {"id": "OTHER-00001"}), "not of organisation EMOTION"),
        (document(CAR, CAR | {"device": "2"}), "listed twice"),
        (document(CAR, CAR | {"id": "EMOTION-00002"}), "already used by EMOTION-00001"),
        (document(CAR | {"connector": {"type": "schuko", "power": 3}}), "cars.0.connector.type"),
        (document(CAR | {"capacity": 0}), "cars.0.capacity"),
        (document(CAR | {"colour": "red"}), "cars.0.colour"),
        (document(CAR | {"id": "no-organisation-dash"}), "not of organisation"),
        (document(CAR | {"id": "EMOTION"}), "cars.0.id"),
        ({"version": 2, "cars": [CAR]}, "version"),
        ({"version": 1, "cars": []}, "cars"),
        (None, "document"),
        ("just text", "document"),
    ],
)
def test_invalid_inventories_are_refused_naming_the_problem(doc: Any, fragment: str) -> None:
    with pytest.raises(InventoryError) as info:
        parse_inventory(doc, "EMOTION")
    assert fragment in str(info.value)


def test_load_inventory_reads_yaml_and_names_the_file(tmp_path: Path) -> None:
    good = tmp_path / "cars.yaml"
    good.write_text(yaml.safe_dump(document(CAR)))
    assert list(load_inventory(good, "EMOTION").cars) == ["EMOTION-00001"]

    broken = tmp_path / "broken.yaml"
    broken.write_text("cars: [\n")
    with pytest.raises(InventoryError, match=r"broken\.yaml"):
        load_inventory(broken, "EMOTION")
    with pytest.raises(InventoryError, match="cannot read"):
        load_inventory(tmp_path / "missing.yaml", "EMOTION")


def test_simulator_inventory_is_accepted_by_the_wrapper() -> None:
    fleet = Fleet("EMOTION", 5, seed=1, centre=(12.65, 42.56))
    dumped = yaml.safe_dump(inventory_document(fleet))
    inventory = parse_inventory(yaml.safe_load(dumped), "EMOTION")
    assert inventory.cars == {v.id: v.characteristics for v in fleet.vehicles}


def test_simulated_device_readings_tell_the_fleet_models_status() -> None:
    """Through the protocol's derivation rules, a simulated car reads as what it is doing."""
    fleet = Fleet("EMOTION", 5, seed=3, centre=(12.65, 42.56))
    t = datetime(2026, 5, 1, tzinfo=UTC)
    phases = set()
    for step in range(1, 24 * 60):
        fleet.step(t + timedelta(minutes=step), 60)
        for vehicle in fleet.vehicles:
            phases.add(vehicle.phase)
            r = vehicle_reading(vehicle, seq=step)
            assert derive_status(r) is vehicle.status_value()
            assert (r.engine == "on") == (vehicle.phase is Phase.DRIVING)
            assert r.position is not None
            assert (r.position.lon, r.position.lat) == (
                round(vehicle.lon, 6),
                round(vehicle.lat, 6),
            )
    assert phases == set(Phase)
