"""The role matrix: every endpoint against every kind of caller, asserting exactly
Central's rights (401 for no credentials, 403 for the wrong ones) and that no answer
leaks another project's forms."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import httpx

from tests.builders import create_app_user, publish_xform, submission, xform

PASSWORD = "sandi-yang-panjang"
XML = {"Content-Type": "application/xml"}
OPENROSA = {"X-OpenRosa-Version": "1.0"}
SECRET_FORM = "rahasia_papua"
SECRET_PROJECT = "Proyek Papua"

WEB = ("formfill", "viewer", "manager", "manager_b", "admin")
CALLERS = ("anonymous", "app_user", "app_user_b", "revoked", *WEB)
# Who holds rights in project B (and may therefore see its names).
SEES_B = {"app_user_b", "manager_b", "admin"}


@dataclass
class Caller:
    prefix: str
    headers: dict[str, str]


_ids = itertools.count(1)


def _instance() -> bytes:
    return submission(instance_id=f"uuid:matrix-{next(_ids)}")


def test_role_matrix(client: httpx.Client, admin_headers: dict[str, str], project_id: int) -> None:
    a = project_id
    b = client.post("/v1/projects", json={"name": SECRET_PROJECT}, headers=admin_headers).json()[
        "id"
    ]
    publish_xform(client, admin_headers, a, xform())
    publish_xform(client, admin_headers, b, xform(SECRET_FORM, title="Rahasia"))
    client.post(
        f"/v1/projects/{a}/forms/profil/submissions",
        content=submission(instance_id="uuid:known"),
        headers={**admin_headers, **XML},
    )
    callers = {
        "anonymous": Caller("/v1", {}),
        "admin": Caller("/v1", admin_headers),
    }
    for name, project, role in (
        ("formfill", a, "formfill"),
        ("viewer", a, "viewer"),
        ("manager", a, "manager"),
        ("manager_b", b, "manager"),
    ):
        email = f"{name}@example.org"
        user = client.post(
            "/v1/users", json={"email": email, "password": PASSWORD}, headers=admin_headers
        ).json()
        assigned = client.post(
            f"/v1/projects/{project}/assignments/{role}/{user['id']}", headers=admin_headers
        )
        assert assigned.status_code == 200, assigned.text
        token = client.post("/v1/sessions", json={"email": email, "password": PASSWORD}).json()
        callers[name] = Caller("/v1", {"Authorization": f"Bearer {token['token']}"})
    # Someone to give roles to (not one of the callers, whose rights must not change).
    other_user = client.post(
        "/v1/users", json={"email": "cadangan@example.org"}, headers=admin_headers
    ).json()["id"]
    phone = create_app_user(client, admin_headers, a, forms=("profil",), name="HP A")
    phone_b = create_app_user(client, admin_headers, b, forms=(SECRET_FORM,), name="HP B")
    revoked = create_app_user(client, admin_headers, a, forms=("profil",), name="HP hilang")
    client.delete(f"/v1/projects/{a}/app-users/{revoked['id']}", headers=admin_headers)
    callers["app_user"] = Caller(f"/v1/key/{phone['token']}", {})
    callers["app_user_b"] = Caller(f"/v1/key/{phone_b['token']}", {})
    callers["revoked"] = Caller(f"/v1/key/{revoked['token']}", {})

    form = f"/projects/{a}/forms/profil"
    sub = f"{form}/submissions/uuid:known"
    readers = {"viewer", "manager", "admin"}
    form_readers = {"formfill", "viewer", "manager", "admin", "app_user"}
    managers = {"manager", "admin"}
    everyone = set(CALLERS) - {"anonymous", "revoked"}
    # (method, path, body, content type, who may call it)
    matrix: list[tuple[str, str, object, str | None, set[str]]] = [
        ("GET", "/projects", None, None, everyone),
        ("GET", f"/projects/{a}", None, None, {"formfill", "viewer", "manager", "admin"}),
        # As in Central, a caller who may fill nothing here gets an empty form list.
        ("GET", f"/projects/{a}/formList", None, None, everyone),
        ("GET", f"/projects/{a}/forms", None, None, {"formfill", "viewer", "manager", "admin"}),
        ("GET", form, None, None, form_readers),
        ("GET", f"{form}.xml", None, None, form_readers),
        ("GET", f"{form}/attachments", None, None, form_readers),
        ("GET", f"{form}/versions", None, None, form_readers),
        ("GET", f"{form}/fields", None, None, form_readers),
        ("PATCH", form, {"state": "open"}, None, managers),
        ("POST", f"{form}/draft", None, None, managers),
        ("GET", f"{form}/draft", None, None, managers),
        ("GET", f"{form}/draft/attachments", None, None, managers),
        ("POST", f"{form}/draft/publish", None, None, managers),
        ("POST", f"/projects/{a}/forms", "form", "xml", managers),
        ("GET", f"{form}/submissions", None, None, readers),
        (
            "POST",
            f"{form}/submissions",
            "submission",
            "xml",
            {"formfill", "manager", "admin", "app_user"},
        ),
        ("GET", sub, None, None, readers),
        ("GET", f"{sub}.xml", None, None, readers),
        ("GET", f"{sub}/attachments", None, None, readers),
        ("GET", f"{sub}/versions", None, None, readers),
        ("GET", f"{sub}/audits", None, None, readers),
        ("GET", f"{sub}/comments", None, None, readers),
        ("POST", f"{sub}/comments", {"body": "cek"}, None, managers),
        ("PATCH", sub, {"reviewState": "approved"}, None, managers),
        ("GET", f"{sub}/versions/uuid:known", None, None, readers),
        ("GET", f"{sub}/versions/uuid:known.xml", None, None, readers),
        ("GET", f"{form}/versions/1.xml", None, None, form_readers),
        ("GET", f"/users/{other_user}", None, None, {"admin"}),
        ("GET", f"/projects/{a}/app-users", None, None, managers),
        ("POST", f"/projects/{a}/app-users", {"displayName": "baru"}, None, managers),
        ("GET", f"{form}/assignments/app-user", None, None, managers),
        ("GET", f"/projects/{a}/assignments", None, None, managers),
        ("POST", f"/projects/{a}/assignments/viewer/{other_user}", None, None, managers),
        ("POST", "/projects", {"name": "Baru"}, None, {"admin"}),
        ("GET", "/users", None, None, everyone),
        ("POST", "/users", "user", None, {"admin"}),
        ("GET", "/audits", None, None, {"admin"}),
        ("GET", "/assignments", None, None, {"admin"}),
        ("POST", f"/assignments/admin/{other_user}", None, None, {"admin"}),
        # Last, as it makes a new version (the second allowed caller meets 409.9).
        ("PUT", sub, "edit", "xml", managers),
    ]
    new_forms = itertools.count(1)
    new_users = itertools.count(1)
    for method, path, body, kind, allowed in matrix:
        # Refused callers first, so that nothing they try can change what others see.
        for name in sorted(CALLERS, key=lambda n: n in allowed):
            caller = callers[name]
            kwargs: dict[str, object] = {"headers": dict(caller.headers)}
            if body == "form":
                kwargs["content"] = xform(f"baru{next(new_forms)}")
            elif body == "submission":
                kwargs["content"] = _instance()
            elif body == "edit":
                kwargs["content"] = submission(
                    instance_id=f"uuid:edit-{next(_ids)}", deprecated_id="uuid:known"
                )
            elif body == "user":
                kwargs["json"] = {"email": f"baru{next(new_users)}@example.org"}
            elif body is not None:
                kwargs["json"] = body
            if kind == "xml":
                kwargs["headers"] = {**caller.headers, **XML}
            if path.endswith("/formList"):
                kwargs["headers"] = {**caller.headers, **OPENROSA}
            response = client.request(method, caller.prefix + path, **kwargs)  # type: ignore[arg-type]
            where = f"{name} {method} {path}: {response.status_code} {response.text[:200]}"
            if name in allowed:
                assert response.status_code < 400 or response.status_code == 409, where
            elif name == "anonymous":
                assert response.status_code == 401, where
            else:
                assert response.status_code == 403, where
            if name not in SEES_B:
                assert SECRET_FORM not in response.text, where
                assert SECRET_PROJECT not in response.text, where
