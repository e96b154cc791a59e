"""Signing in and out of the console, its cookie and CSRF rules, languages, one's account."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from server.app import create_app
from server.domain import Services, ratelimit
from server.domain.accounts import create_user
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.console.support import Console, csrf_of, page, sign_in, text


def test_the_root_sends_a_visitor_to_sign_in(client: httpx.Client) -> None:
    response = client.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    asked = client.get("/projects/3/forms/x?page=2")
    assert asked.status_code == 303
    assert asked.headers["location"] == "/login?next=%2Fprojects%2F3%2Fforms%2Fx%3Fpage%3D2"
    login = client.get("/login")
    assert login.status_code == 200
    assert page(login).get("lang") == "id"
    assert text(login, "h1") == ["Masuk ke Jaring"]
    # Every control has its label.
    for control in page(login).cssselect("input:not([type=hidden])"):
        assert page(login).cssselect(f"label[for={control.get('id')}]")


def test_sign_in_sets_a_safe_cookie_and_goes_where_asked(
    services: Services, client: httpx.Client
) -> None:
    create_user(services, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True)
    form = client.get("/login")
    response = client.post(
        "/login",
        data={
            "__csrf": csrf_of(form),
            "email": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
            "next": "/account",
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/account"
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "jaring_session" in v
    ).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # plain HTTP on a field hub's LAN must work
    assert "max-age=86400" in cookie  # as long as an API session
    account = client.get("/account")
    assert account.status_code == 200 and ADMIN_EMAIL in account.text


def test_sign_in_over_https_marks_the_cookie_secure(services: Services) -> None:
    create_user(services, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True)
    app = create_app(services.settings, services=services)

    async def sign_in_over_tls() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://hub.example") as tls:
            form = await tls.get("/login")
            assert "secure" in form.headers["set-cookie"].lower()
            return await tls.post(
                "/login",
                data={"__csrf": csrf_of(form), "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            )

    response = asyncio.run(sign_in_over_tls())
    assert response.status_code == 303
    session = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    assert any("jaring_session" in v and "secure" in v.lower() for v in session)


def test_a_next_address_elsewhere_is_ignored(services: Services, base_url: str) -> None:
    create_user(services, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "/v1/users"):
        with httpx.Client(base_url=base_url) as client:
            form = client.get("/login")
            response = client.post(
                "/login",
                data={
                    "__csrf": csrf_of(form),
                    "email": ADMIN_EMAIL,
                    "password": ADMIN_PASSWORD,
                    "next": target,
                },
            )
            assert response.headers["location"] == "/projects", target


def test_a_wrong_password_is_a_sentence_and_the_limits_are_the_apis(
    services: Services, client: httpx.Client
) -> None:
    create_user(services, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True)
    ratelimit.use_limiter(services, ratelimit.LoginLimiter(account_failures=3))
    for _ in range(3):
        form = client.get("/login")
        wrong = client.post(
            "/login",
            data={"__csrf": csrf_of(form), "email": ADMIN_EMAIL, "password": "salah-salah-salah"},
        )
        assert wrong.status_code == 401
        assert text(wrong, "#login-error") == ["Email atau kata sandi tidak benar."]
        assert page(wrong).cssselect("#email")[0].get("value") == ADMIN_EMAIL
    form = client.get("/login")
    blocked = client.post(
        "/login",
        data={"__csrf": csrf_of(form), "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
    )
    assert blocked.status_code == 429
    assert "Terlalu banyak kata sandi salah" in text(blocked, "#login-error")[0]
    # The API counts the same failures.
    api = client.post("/v1/sessions", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert api.status_code == 429


def test_the_sign_in_form_needs_its_own_token(services: Services, client: httpx.Client) -> None:
    create_user(services, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True)
    client.get("/login")
    forged = client.post(
        "/login", data={"__csrf": "forged", "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert forged.status_code == 401
    assert "jaring_session" not in forged.headers.get("set-cookie", "")
    assert "datang dari situs lain" in forged.text


def test_posts_without_the_session_token_are_refused(admin_console: Console) -> None:
    client = admin_console.client
    for path in ("/projects", "/logout", "/account/password", "/projects/1/settings"):
        response = client.post(path, data={"name": "x"})
        assert response.status_code == 401, path
        assert "text/html" in response.headers["content-type"]
        response = client.post(path, data={"name": "x", "__csrf": "not-the-token"})
        assert response.status_code == 401, path
    # Nothing was made.
    assert admin_console.get("/v1/projects").json() == []


def test_the_api_takes_the_cookie_for_reading_only(admin_console: Console) -> None:
    client = admin_console.client
    assert client.get("/v1/users/current").status_code == 200
    assert client.post("/v1/projects", json={"name": "x"}).status_code == 401
    assert client.delete("/v1/sessions/current").status_code == 401
    assert client.get("/v1/projects").json() == []


def test_sign_out_ends_the_session(admin_console: Console) -> None:
    client = admin_console.client
    cookie = client.cookies.get("jaring_session")
    response = admin_console.post("/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert "jaring_session" not in client.cookies
    # The old cookie no longer opens anything, in the console or the API.
    with httpx.Client(
        base_url=str(client.base_url), cookies={"jaring_session": cookie or ""}
    ) as old:
        assert old.get("/projects").status_code == 303
        assert old.get("/v1/users/current").status_code == 401


def test_the_language_is_remembered_for_the_user(
    admin_console: Console, base_url: str, services: Services
) -> None:
    assert page(admin_console.get("/projects")).get("lang") == "id"
    response = admin_console.post("/language", {"language": "en", "next": "/account"})
    assert response.status_code == 303 and response.headers["location"] == "/account"
    account = admin_console.get("/account")
    assert page(account).get("lang") == "en" and text(account, "h1") == ["My account"]
    # Another browser, same user: English too.
    with httpx.Client(base_url=base_url) as other:
        sign_in(other, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert page(other.get("/projects")).get("lang") == "en"
    # An unknown language is the default one.
    admin_console.post("/language", {"language": "xx", "next": "/account"})
    assert page(admin_console.get("/account")).get("lang") == "id"


def test_a_visitor_may_switch_the_sign_in_page_to_english(client: httpx.Client) -> None:
    response = client.post("/language", data={"language": "en", "next": "/login"})
    assert response.status_code == 303
    assert text(client.get("/login"), "h1") == ["Sign in to Jaring"]


def test_dates_and_numbers_follow_the_language(admin_console: Console) -> None:
    admin_console.post("/projects", {"name": "Jawa Timur"})
    indonesian = text(admin_console.get("/projects"), ".stats")[0]
    assert "0 formulir" in indonesian and "belum ada kiriman" in indonesian
    admin_console.post("/language", {"language": "en", "next": "/projects"})
    english = text(admin_console.get("/projects"), ".stats")[0]
    assert "0 forms" in english and "nothing received yet" in english


def test_changing_ones_password(
    admin_console: Console, base_url: str, console_as: Callable[[str, str], Console]
) -> None:
    wrong = admin_console.post("/account/password", {"old": "bukan-ini-sandinya", "new": "x" * 12})
    assert wrong.status_code == 401 and "tidak benar" in wrong.text
    short = admin_console.post("/account/password", {"old": ADMIN_PASSWORD, "new": "pendek"})
    assert short.status_code == 400 and "10 karakter" in short.text
    done = admin_console.post(
        "/account/password", {"old": ADMIN_PASSWORD, "new": "sandi-baru-ku-2026"}
    )
    assert done.status_code == 303
    assert "Kata sandi Anda sudah diganti." in admin_console.get(done.headers["location"]).text
    console_as(ADMIN_EMAIL, "sandi-baru-ku-2026")


def test_unknown_pages_are_html_and_unknown_api_paths_json(admin_console: Console) -> None:
    missing = admin_console.get("/tidak-ada")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert "Halaman ini tidak ada" in missing.text
    api = admin_console.get("/v1/tidak-ada")
    assert api.status_code == 404 and api.json()["code"] == 404.1


def test_pages_carry_a_strict_content_security_policy(admin_console: Console) -> None:
    response = admin_console.get("/projects")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    # No inline script anywhere in the page.
    assert all(s.get("src") for s in page(response).cssselect("script"))
    # The REST API's answers are left as they were.
    assert "content-security-policy" not in admin_console.get("/v1/projects").headers


def test_api_documentation_needs_no_outside_host(client: httpx.Client) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    sources = [el.get("src") or el.get("href") for el in page(docs).cssselect("script, link")]
    assert sources and all(s.startswith("/static/") for s in sources if s)
    for source in sources:
        if source:
            assert client.get(source).status_code == 200, source
    assert client.get("/redoc").status_code == 404
