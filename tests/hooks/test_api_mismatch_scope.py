"""tool_awareness's API-mismatch advice is for installed libraries, not the project's own code.

The real shape (issue 7, precision sample #1372): a session wrote the package
`src/mcp_venus_os/` (whose modules import each other as `from mcp_venus_os.config import …`),
then `uv run mcp-venus-os --help` failed with `ImportError: cannot import name 'main' from
'mcp_venus_os.__main__' (…/src/mcp_venus_os/__main__.py)`. posttool said to check the installed
version's documentation; the module is the project's own, and lacks the name.
"""

from __future__ import annotations

from tests.conftest import Session
from tests.hooks.quality_payloads import bash_fail, read, write

HOOK = "[tool_awareness] API mismatch"


def traceback(frame_file: str, source: str, error: str) -> str:
    return (
        "Traceback (most recent call last):\n"
        f'  File "{frame_file}", line 10, in <module>\n'
        f"    {source}\n"
        f"{error}"
    )


def run_fails(s: Session, command: str, body: str) -> str:
    return bash_fail(s, command, body)


def test_the_sessions_own_package_module(session: Session) -> None:
    pkg = session.project / "src" / "mcp_venus_os"
    write(session, "src/mcp_venus_os/config.py", "class Settings:\n    pass\n")
    write(session, "src/mcp_venus_os/server.py", "from mcp_venus_os.config import Settings\n")
    write(session, "src/mcp_venus_os/__main__.py", "import asyncio\n\nasyncio.run(serve())\n")
    error = (
        "ImportError: cannot import name 'main' from 'mcp_venus_os.__main__' "
        f"({pkg / '__main__.py'})"
    )
    body = traceback(str(session.project / ".venv/bin/mcp-venus-os"), "from x import main", error)
    assert HOOK not in run_fails(session, "uv run mcp-venus-os --help", body)


def test_a_src_layout_package_the_session_never_touched(session: Session) -> None:
    (session.project / "src" / "billing").mkdir(parents=True)
    body = traceback(
        "run.py", "billing.charge(1)", "AttributeError: module 'billing' has no attribute 'charge'"
    )
    assert HOOK not in run_fails(session, "python run.py", body)


def test_a_monorepo_package_named_by_its_file(session: Session) -> None:
    path = session.project / "packages" / "core" / "src" / "acme_core" / "models.py"
    error = f"ImportError: cannot import name 'Order' from 'acme_core.models' ({path})"
    assert HOOK not in run_fails(session, "pytest -q", traceback("t.py", "import x", error))


def test_an_installed_copy_is_a_library(session: Session) -> None:
    path = session.project / ".venv/lib/python3.12/site-packages/pydantic/__init__.py"
    error = f"ImportError: cannot import name 'validator_v3' from 'pydantic' ({path})"
    out = run_fails(session, "pytest -q", traceback("t.py", "import x", error))
    assert f"{HOOK} (ImportError: cannot import name 'validator_v3'" in out


def test_reading_a_library_file_does_not_make_it_the_projects(session: Session) -> None:
    read(session, ".venv/lib/python3.12/site-packages/requests/api.py", "def get(url): ...\n")
    body = traceback(
        "app.py", "requests.gett(u)", "AttributeError: module 'requests' has no attribute 'gett'"
    )
    assert HOOK in run_fails(session, "python app.py", body)


def test_a_changed_signature_of_the_projects_own_function(session: Session) -> None:
    body = traceback(
        str(session.project / "tests/test_users.py"),
        "user = create_user(name='a', role='admin')",
        "TypeError: create_user() got an unexpected keyword argument 'role'",
    )
    assert HOOK not in run_fails(session, "pytest -q", body)


def test_a_keyword_the_library_does_not_take(session: Session) -> None:
    write(session, "fetch.py", "import httpx\n\nhttpx.get('u', timeout_s=3)\n")
    body = traceback(
        str(session.project / "fetch.py"),
        "r = httpx.get(url, timeout_s=3)",
        "TypeError: get() got an unexpected keyword argument 'timeout_s'",
    )
    assert HOOK in run_fails(session, "python fetch.py", body)


def test_a_missing_export_of_a_relative_module(session: Session) -> None:
    error = "src/a.ts(1,10): error TS2305: Module '\"./types\"' has no exported member 'Deal'."
    assert HOOK not in run_fails(session, "npx tsc --noEmit", error)
    error = "src/a.ts(1,10): error TS2305: Module '\"@/lib/api\"' has no exported member 'get'."
    assert HOOK not in run_fails(session, "npx tsc --noEmit", error)


def test_not_a_function_in_the_projects_code(session: Session) -> None:
    body = (
        "TypeError: this.client.fetchAll is not a function\n    at Sync.run (/p/src/sync.js:12:9)"
    )
    assert HOOK not in run_fails(session, "node src/sync.js", body)


def test_not_a_function_of_an_imported_library(session: Session) -> None:
    write(session, "src/sync.js", "import axios from 'axios';\naxios.gett('/x');\n")
    body = "TypeError: axios.gett is not a function\n    at main (/p/src/sync.js:2:7)"
    assert HOOK in run_fails(session, "node src/sync.js", body)
