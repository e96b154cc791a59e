"""The field hub's promise under a bad uplink: every submission the hub accepted reaches
upstream exactly once, byte for byte, whatever the network does and whenever the relay
process dies.

A central server and a hub run as real processes; a fault-injecting proxy sits on the
uplink. A phone sends a few hundred submissions to the hub (some with photos, some split
across POSTs, some edits) while the link flaps and the relay is killed (SIGKILL) and
restarted at random moments. Then the link heals, the relay drains its outbox, and
upstream must hold exactly what the hub holds; the one deliberate conflict is reported.
Everything random comes from one seed, so a failure reproduces.
"""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync import CollectClient
from sync.relay_state import RelayState
from tests.builders import collect_url
from tests.entities.builders import create_form, create_submission, update_form
from tests.relay.faultproxy import FaultProxy
from tests.relay.forms import (
    MEDIA,
    MEDIA_NAME,
    app_user,
    publish_with_media,
    relay_submission,
    relay_xform,
)
from tests.relay.servers import ServerProcess, run_relay, start_relay

SEED = 20261127
SUBMISSIONS = 200
FORM = "laporan"


@pytest.fixture
def upstream_project(central_admin: httpx.Client) -> int:
    created = central_admin.post("/v1/projects", json={"name": "Pusat"})
    assert created.status_code == 200, created.text
    project_id: int = created.json()["id"]
    publish_with_media(central_admin, project_id, relay_xform(FORM, "1"))
    return project_id


@pytest.fixture
def proxy(central: ServerProcess) -> Iterator[FaultProxy]:
    port = int(central.url.rsplit(":", 1)[1])
    fault_proxy = FaultProxy(port, seed=SEED)
    yield fault_proxy
    fault_proxy.close()


def configure(
    hub_dir: Path, hub: ServerProcess, upstream_url: str, project: int, token: str
) -> None:
    done = run_relay(
        hub_dir,
        "--once",
        "--hub", hub.url,
        "--upstream", upstream_url,
        "--upstream-project", str(project),
        "--app-user-token", token,
        "--poll", "0.2",
        "--interval", "1",
        "--backoff-cap", "1",
        "--batch-size", "20",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_submission_arrives_exactly_once(
    central: ServerProcess,
    central_admin: httpx.Client,
    hub: ServerProcess,
    hub_admin: httpx.Client,
    hub_dir: Path,
    proxy: FaultProxy,
    upstream_project: int,
) -> None:
    rng = random.Random(SEED)
    upstream_user = app_user(central_admin, upstream_project, [FORM])
    configure(hub_dir, hub, proxy.url, upstream_project, upstream_user["token"])

    state = RelayState.in_data_dir(hub_dir)
    hub_project = int(state.get("hub_project"))
    device_id = state.get("device_id")
    state.close()
    forms = hub_admin.get(f"/v1/projects/{hub_project}/forms").json()
    assert [(f["xmlFormId"], f["version"]) for f in forms] == [(FORM, "1")]
    media = hub_admin.get(f"/v1/projects/{hub_project}/forms/{FORM}/attachments/{MEDIA_NAME}")
    assert media.content == MEDIA

    phone_user = app_user(hub_admin, hub_project, [FORM])
    phone = CollectClient(collect_url(hub.url, phone_user["token"], hub_project))

    # A conflict: upstream already holds this instanceID with other XML.
    conflict_id = f"uuid:{uuid.UUID(int=rng.getrandbits(128))}"
    with CollectClient(
        collect_url(central.url, upstream_user["token"], upstream_project)
    ) as direct:
        direct.submit(relay_submission(conflict_id, name="di pusat", photos=[]))
    phone.submit(relay_submission(conflict_id, name="di hub", photos=[]))

    proxy.fault_rate, proxy.delay_rate = 0.1, 0.1
    phone_done = threading.Event()
    errors: list[BaseException] = []

    def phone_work() -> None:
        try:
            send_from_phone(phone, random.Random(SEED + 1))
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            phone_done.set()

    def flap() -> None:
        flap_rng = random.Random(SEED + 2)
        while not phone_done.is_set():
            time.sleep(flap_rng.uniform(0.8, 2.5))
            proxy.down = True
            time.sleep(flap_rng.uniform(0.3, 1.2))
            proxy.down = False

    threads = [threading.Thread(target=phone_work), threading.Thread(target=flap)]
    for thread in threads:
        thread.start()
    kills = 0
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            not phone_done.is_set() or kills < 6 or proxy.total() < 150
        ):
            relay = start_relay(hub_dir, "--watch")
            try:
                relay.wait(timeout=rng.uniform(1.5, 5.0))
                pytest.fail(f"the relay stopped by itself: {relay.returncode}")
            except subprocess.TimeoutExpired:
                relay.send_signal(signal.SIGKILL)
                relay.wait()
                kills += 1
    finally:
        phone_done.set()
        for thread in threads:
            thread.join(timeout=60)
        phone.close()
    assert not errors, errors

    # The link heals; the relay, configured once, drains everything.
    proxy.fault_rate, proxy.delay_rate, proxy.down = 0.0, 0.0, False
    done = run_relay(hub_dir, "--once", timeout=90)
    assert done.returncode == 0, done.stdout + done.stderr + (hub_dir / "relay.log").read_text()

    status = run_relay(hub_dir, "status")
    assert status.returncode == 0, status.stderr
    row = next(line.split() for line in status.stdout.splitlines() if line.startswith(FORM))
    pending, sent, confirmed, failed = (int(n) for n in row[1:5])
    assert (pending, sent, failed) == (0, 0, 1), status.stdout
    assert f"failed  {conflict_id}: 409" in status.stdout
    assert "uplink:   last seen" in status.stdout and "never" not in status.stdout

    hub_versions = compare(hub_admin, hub_project, central_admin, upstream_project, conflict_id)
    assert confirmed == hub_versions - 1  # the conflict is the one failure
    up = central_admin.get(f"/v1/projects/{upstream_project}/forms/{FORM}/submissions").json()
    relayed = [s for s in up if s["instanceId"] != conflict_id]
    assert relayed and {s["currentVersion"]["deviceId"] for s in relayed} == {device_id}
    conflict_xml = central_admin.get(
        f"/v1/projects/{upstream_project}/forms/{FORM}/submissions/{conflict_id}.xml"
    )
    assert b"di pusat" in conflict_xml.content
    assert sum(proxy.counts[f] for f in proxy.counts if f != "forwarded") > 10, proxy.counts
    assert kills >= 6


def send_from_phone(phone: CollectClient, rng: random.Random) -> None:
    """SUBMISSIONS submissions to the hub: photos, split uploads, edits."""
    # root → its current version, and whether that version has all its photos yet: only
    # complete versions are edited, as on a phone, where an edit starts from a sent form.
    current: dict[str, tuple[str, bool]] = {}
    unfinished: list[tuple[bytes, dict[str, bytes]]] = []
    for number in range(SUBMISSIONS):
        instance_id = f"uuid:{uuid.UUID(int=rng.getrandbits(128))}"
        photos = {
            f"{instance_id[5:13]}-{k}.jpg": rng.randbytes(rng.randint(200, 45_000))
            for k in range(rng.choice([0, 0, 1, 1, 2, 3]))
        }
        editable = sorted(root for root, (_, complete) in current.items() if complete)
        if editable and rng.random() < 0.25:
            root = rng.choice(editable)
            previous, _ = current[root]
            xml = relay_submission(
                instance_id, name=f"edit {number}", photos=list(photos), deprecated_id=previous
            )
        else:
            xml = relay_submission(instance_id, name=f"inisiatif {number}", photos=list(photos))
            root = instance_id
        if len(photos) >= 2 and rng.random() < 0.4:
            # Collect-style split: the XML with one photo now, the rest later.
            first = dict(list(photos.items())[:1])
            phone.submit(xml, first)
            unfinished.append((xml, dict(list(photos.items())[1:])))
            current[root] = (instance_id, False)
        else:
            phone.submit(xml, photos)
            current[root] = (instance_id, True)
        if unfinished and rng.random() < 0.3:
            rest_xml, rest = unfinished.pop(0)
            phone.submit(rest_xml, rest)
        time.sleep(rng.uniform(0.0, 0.03))
    for rest_xml, rest in unfinished:
        phone.submit(rest_xml, rest)


def compare(
    hub: httpx.Client, hub_project: int, up: httpx.Client, up_project: int, conflict_id: str
) -> int:
    """Upstream holds exactly the hub's submissions, every version and attachment byte for
    byte; returns how many versions the hub holds."""
    hub_base = f"/v1/projects/{hub_project}/forms/{FORM}/submissions"
    up_base = f"/v1/projects/{up_project}/forms/{FORM}/submissions"
    at_hub = {s["instanceId"]: s for s in hub.get(hub_base).json()}
    upstream = {s["instanceId"]: s for s in up.get(up_base).json()}
    assert len(at_hub) >= SUBMISSIONS * 0.7
    assert sorted(upstream) == sorted(at_hub)
    versions = 0
    for root, listed in at_hub.items():
        hub_chain = version_ids(hub, f"{hub_base}/{root}", listed)
        versions += len(hub_chain)
        if root == conflict_id:
            continue
        assert (
            upstream[root]["currentVersion"]["instanceId"] == listed["currentVersion"]["instanceId"]
        )
        assert version_ids(up, f"{up_base}/{root}", upstream[root]) == hub_chain
        for instance_id in hub_chain:
            hub_prefix = version_path(f"{hub_base}/{root}", root, instance_id, listed)
            up_prefix = version_path(f"{up_base}/{root}", root, instance_id, upstream[root])
            assert up.get(f"{up_prefix}.xml").content == hub.get(f"{hub_prefix}.xml").content
            hub_files = hub.get(f"{hub_prefix}/attachments").json()
            assert up.get(f"{up_prefix}/attachments").json() == hub_files
            for attachment in hub_files:
                assert attachment["exists"], (instance_id, attachment)
                name = attachment["name"]
                assert (
                    up.get(f"{up_prefix}/attachments/{name}").content
                    == hub.get(f"{hub_prefix}/attachments/{name}").content
                )
    return versions


def version_ids(http: httpx.Client, path: str, listed: dict[str, Any]) -> list[str]:
    """The instanceIDs of a submission's versions, oldest first."""
    response = http.get(f"{path}/versions")
    if (
        response.status_code == 404
        and listed["currentVersion"]["instanceId"] == listed["instanceId"]
    ):
        return [listed["instanceId"]]  # a server without the versions endpoint
    assert response.status_code == 200, response.text
    return [v["instanceId"] for v in reversed(response.json())]


def version_path(path: str, root: str, instance_id: str, listed: dict[str, Any]) -> str:
    if listed["currentVersion"]["instanceId"] == instance_id:
        return path
    return f"{path}/versions/{instance_id}"


ENTITY_SUBMISSIONS = 40


def test_entities_made_at_the_hub_arrive_once_and_come_back_without_doubling(
    central: ServerProcess,
    central_admin: httpx.Client,
    hub: ServerProcess,
    hub_admin: httpx.Client,
    hub_dir: Path,
    proxy: FaultProxy,
) -> None:
    """Entity-creating submissions sent to the hub while the uplink drops requests, cuts
    them after upstream committed, and the relay is killed: upstream ends with each entity
    once (same uuid, version 1, no entity.error), and the hub's mirrored list, pulled
    again afterwards, holds each once too."""
    rng = random.Random(SEED + 10)
    project = central_admin.post("/v1/projects", json={"name": "Pusat"}).json()["id"]
    for xml in (create_form(), update_form()):
        published = central_admin.post(
            f"/v1/projects/{project}/forms",
            params={"publish": "true"},
            content=xml,
            headers={"Content-Type": "application/xml"},
        )
        assert published.status_code == 200, published.text
    upstream_user = app_user(central_admin, project, ["tree_registration", "tree_update"])
    with CollectClient(collect_url(central.url, upstream_user["token"], project)) as direct:
        oak_xml, oak = create_submission(label="Oak")
        direct.submit(oak_xml)
    configure(hub_dir, hub, proxy.url, project, upstream_user["token"])
    state = RelayState.in_data_dir(hub_dir)
    hub_project = int(state.get("hub_project"))
    state.close()
    assert set(entity_versions(hub_admin, hub_project)) == {oak}

    def upstream_submissions() -> list[Any]:
        found = central_admin.get(f"/v1/projects/{project}/forms/tree_registration/submissions")
        assert found.status_code == 200, found.text
        return list(found.json())

    phone_user = app_user(hub_admin, hub_project, ["tree_registration", "tree_update"])
    made: dict[str, str] = {}
    with CollectClient(collect_url(hub.url, phone_user["token"], hub_project)) as phone:
        for number in range(ENTITY_SUBMISSIONS):
            xml, entity_id = create_submission(
                label=f"Pohon {number}",
                values={"species": f"jenis {number}", "height": str(number)},
                instance_id=f"uuid:{uuid.UUID(int=rng.getrandbits(128))}",
                entity_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            )
            phone.submit(xml)
            if rng.random() < 0.2:
                phone.submit(xml)  # a resend, as Collect does when an answer is lost
            made[entity_id] = f"Pohon {number}"

    # The first submissions up are cut after upstream committed them, the rest meet
    # random faults while the relay is killed and restarted.
    proxy.script("/submission", "cut_after_commit", times=3)
    proxy.script("/submission", "cut_response", times=2)
    proxy.fault_rate, proxy.delay_rate = 0.2, 0.1
    kills = 0
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline and (kills < 4 or len(upstream_submissions()) < 30):
        relay = start_relay(hub_dir, "--watch")
        try:
            relay.wait(timeout=rng.uniform(2.0, 5.0))
            pytest.fail(f"the relay stopped by itself: {relay.returncode}")
        except subprocess.TimeoutExpired:
            relay.send_signal(signal.SIGKILL)
            relay.wait()
            kills += 1
    assert proxy.counts["cut_after_commit"] >= 3 and proxy.counts["cut_response"] >= 2
    assert len(upstream_submissions()) >= 3  # at least those cut after the commit

    # The link heals; the relay drains, then a second pass pulls the list back down.
    proxy.fault_rate, proxy.delay_rate, proxy.down = 0.0, 0.0, False
    for _ in range(2):
        done = run_relay(hub_dir, "--once", timeout=90)
        assert done.returncode == 0, done.stdout + done.stderr
    assert sum(proxy.counts[f] for f in proxy.counts if f != "forwarded") > 5, proxy.counts

    expected = {oak: "Oak", **made}
    upstream = entity_versions(central_admin, project)
    assert upstream == {uuid_: (label, 1) for uuid_, label in expected.items()}
    at_hub = entity_versions(hub_admin, hub_project)
    assert at_hub == {uuid_: (label, 1) for uuid_, label in expected.items()}
    assert len(upstream_submissions()) == ENTITY_SUBMISSIONS + 1
    errors = central_admin.get("/v1/audits", params={"action": "entity.error"}).json()
    assert errors == []
    for name, http, project_id in (
        ("pusat", central_admin, project),
        ("hub", hub_admin, hub_project),
    ):
        listed = http.get(f"/v1/projects/{project_id}/forms/tree_update/attachments/trees.csv")
        assert listed.status_code == 200, name
        rows = listed.text.strip().splitlines()[1:]
        assert sorted(row.split(",")[0] for row in rows) == sorted(expected), name


def entity_versions(http: httpx.Client, project_id: int) -> dict[str, tuple[str, int]]:
    """Every entity of ``trees``: uuid -> (label, version); a uuid listed twice fails."""
    response = http.get(f"/v1/projects/{project_id}/datasets/trees/entities")
    assert response.status_code == 200, response.text
    listed = response.json()
    found = {
        e["uuid"]: (e["currentVersion"]["label"], e["currentVersion"]["version"]) for e in listed
    }
    assert len(found) == len(listed)
    return found


def test_a_failing_form_list_does_not_hold_submissions_back(
    central_admin: httpx.Client,
    hub: ServerProcess,
    hub_admin: httpx.Client,
    hub_dir: Path,
    proxy: FaultProxy,
    upstream_project: int,
) -> None:
    upstream_user = app_user(central_admin, upstream_project, [FORM])
    configure(hub_dir, hub, proxy.url, upstream_project, upstream_user["token"])
    state = RelayState.in_data_dir(hub_dir)
    hub_project = int(state.get("hub_project"))
    state.close()
    phone_user = app_user(hub_admin, hub_project, [FORM])
    instance_id = f"uuid:{uuid.uuid4()}"
    with CollectClient(collect_url(hub.url, phone_user["token"], hub_project)) as phone:
        phone.submit(relay_submission(instance_id, name="tetap naik", photos=[]))
    proxy.script("/formList", "bad_gateway", times=5)
    stopped = run_relay(hub_dir, "--once")
    assert "uplink" in stopped.stdout + stopped.stderr
    up = central_admin.get(f"/v1/projects/{upstream_project}/forms/{FORM}/submissions").json()
    assert [s["instanceId"] for s in up] == [instance_id]
