"""Command classifiers (spec §1.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posttool.lib.commands import CommandFacts, is_benign_failure, split_segments
from posttool.lib.diagnostics import error_signature
from posttool.lib.failures import parse_failure


@pytest.mark.parametrize(
    ("command", "segments"),
    [
        ("echo hi && ls", ["echo hi", "ls"]),
        ("a || b; c | d\ne", ["a", "b", "c", "d", "e"]),
        ("echo 'a && b' && ls", ["echo 'a && b'", "ls"]),
        ('grep "x|y" f', ['grep "x|y" f']),
        ("", []),
    ],
)
def test_split_segments(command: str, segments: list[str]) -> None:
    assert split_segments(command) == segments


@pytest.mark.parametrize(
    ("command", "kinds"),
    [
        ("echo hi && ls", {"noop", "inspect"}),
        ("pytest -q", {"test"}),
        ("uv run pytest -q | tail -3", {"test", "inspect"}),
        ("FOO=1 .venv/bin/pytest tests/", {"test"}),
        ("python -m pytest", {"test"}),
        ("npm run test:unit", {"test"}),
        ("npm run build", {"build"}),
        ("tsc", {"build"}),
        ("tsc --noEmit", {"typecheck"}),
        ("make", {"build"}),
        ("make check", {"test"}),
        ("ruff check .", {"lint"}),
        ("ruff format .", {"format"}),
        ("mypy src", {"typecheck"}),
        ("git commit -m x", {"git_commit"}),
        ("git push origin main", {"git_push"}),
        ("git status", {"inspect"}),
        ("sed -n 1,5p f", {"inspect"}),
        ("sed -i s/a/b/ f", {"run"}),
        ("pip install requests", {"install"}),
        ("sudo apt-get install jq", {"install"}),
        ("python fetch.py --id 3", {"run"}),
        # The project's own test entry points (issue 7: "N code edits since the last test run"
        # after the model had just run them).
        ("python manage.py test orders", {"test"}),
        ("python manage.py migrate", {"run"}),
        ("php artisan test", {"test"}),
        ("bundle exec rspec spec/models", {"test"}),
        ("pnpm vitest run src/a.test.ts", {"test"}),
        ("just test", {"test"}),
        ("./scripts/test-quick.sh", {"test"}),
        ("bash scripts/run_tests.sh --fast", {"test"}),
        ("python test_api.py", {"test"}),
        ("node tests/run.js", {"run"}),
        ("test -f app.py", {"run"}),
        ("python latest.py", {"run"}),
        # Other ecosystems' checks.
        ("cargo check --all-targets", {"build"}),
        ("swift build", {"build"}),
        ("npx next build", {"build"}),
        ("python -m py_compile app.py", {"build"}),
        ("npx vue-tsc --noEmit", {"typecheck"}),
        ("pnpm tsc --noEmit", {"typecheck"}),
        ("deno check main.ts", {"typecheck"}),
        ("cargo run", {"run"}),
    ],
)
def test_command_kinds(command: str, kinds: set[str]) -> None:
    assert CommandFacts(command).kinds == kinds


def test_read_only_and_verification() -> None:
    assert CommandFacts("echo hi && ls").read_only
    assert not CommandFacts("rm -rf build").read_only
    assert CommandFacts("cargo test").verification
    assert not CommandFacts("ruff format .").verification


@pytest.mark.parametrize(
    ("command", "shape"),
    [
        ("python fetch.py --id 3", "python fetch.py"),
        ("cd x && pytest -q", "pytest -q"),
        ("echo hi", ""),
    ],
)
def test_shape(command: str, shape: str) -> None:
    assert CommandFacts(command).shape == shape


def test_norm_collapses_whitespace_and_caps_length() -> None:
    assert CommandFacts("  ls   -la \n ").norm == "ls -la"
    assert len(CommandFacts("x " * 400).norm) == 300


def test_parse_failure() -> None:
    assert parse_failure("Exit code 2\nboom") == (2, "boom")
    assert parse_failure("File does not exist.") == (None, "File does not exist.")


@pytest.mark.parametrize(
    ("body", "sig"),
    [
        ("Traceback:\n  x\nValueError: bad value 42", "bash:valueerror: bad value <n>"),
        ("npm ERR! missing script: build", "bash:npm err! missing script: build"),
        (
            "fatal: not a git repository (or any of the parent directories): .git",
            "bash:fatal: not a git repository (or any of the parent directories): .git",
        ),
        ("\n\nsomething odd\nelse", "bash:something odd"),
        (
            "error at /a/b/c.py line 3 commit deadbeef12",
            "bash:error at <path> line <n> commit <hex>",
        ),
    ],
)
def test_error_signature(body: str, sig: str) -> None:
    assert error_signature("bash", body) == sig


@pytest.mark.parametrize(
    ("command", "code", "body", "benign"),
    [
        ("grep -q foo x.txt", 1, "", True),
        ("cat f | grep foo", 1, "", True),
        ("git diff --exit-code", 1, "", True),
        ("grep -q foo x.txt", 2, "", False),
        ("grep foo x.txt", 1, "a\nb", False),
        ("pytest", 1, "", False),
    ],
)
def test_benign_failure(command: str, code: int, body: str, benign: bool) -> None:
    tools = ["grep", "rg", "ag", "diff", "cmp", "test", "[", "which", "pgrep"]
    assert is_benign_failure(command, CommandFacts(command), code, body, tools) is benign


@given(st.text(max_size=400))
def test_classifiers_never_raise(command: str) -> None:
    facts = CommandFacts(command)
    assert facts.kinds
    assert len(error_signature("bash", command)) <= 125


# The failure classifiers are written with string operations (no `re` import on a failure);
# the spec's patterns are the oracle.
pieces = st.sampled_from(
    [
        "Error",
        "Exception",
        "Exit",
        "Interrupt",
        "Value",
        "pkg.",
        "_",
        "x",
        "É",
        "7",
        "deadbeef",
        "cafe1234",
        "12",
        ":",
        ": ",
        " ",
        "\t",
        ".",
        "-",
        "/",
        "error",
        "ERR!",
        "Fatal:",
        "denied",
        "NOT FOUND",
        "Cannot",
        "failed",
        "a1b2c3d4e5",
        "٣",
        "abcdefa",
    ]
)
fragments = st.lists(pieces, max_size=10).map("".join)


@given(fragments)
def test_exception_line_matches_the_spec_pattern(line: str) -> None:
    import re

    from posttool.lib.failures import _TRACEBACK_LAST, is_exception_line

    assert is_exception_line(line) is (re.match(_TRACEBACK_LAST, line) is not None)


@given(fragments)
def test_errorish_matches_the_spec_pattern(line: str) -> None:
    import re

    from posttool.lib.failures import _ERRORISH, is_errorish

    assert is_errorish(line) is (re.search(_ERRORISH, line) is not None)


@given(fragments.map(str.lower))
def test_hex_and_digit_masks_match_the_spec_patterns(text: str) -> None:
    import re

    from posttool.lib.diagnostics import _NUMBERS, mask_numbers
    from posttool.lib.failures import _HEX_RUN, mask_hex_words

    assert mask_hex_words(text) == re.sub(_HEX_RUN, "<hex>", text)
    assert mask_numbers(text) == re.sub(_NUMBERS, "<n>", text)


@given(st.text(alphabet="Exit code 0123456789٣\nabc", max_size=30))
def test_exit_code_matches_the_spec_pattern(error: str) -> None:
    import re

    from posttool.lib.failures import _EXIT_CODE

    match = re.match(_EXIT_CODE, error.partition("\n")[0])
    assert parse_failure(error)[0] == (int(match.group(1)) if match else None)
