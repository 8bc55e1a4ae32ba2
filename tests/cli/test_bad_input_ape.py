"""Every ape-script row of docs/bad-input.md, run as an ape user runs it: one readable line on
stderr, a non-zero exit code, and nothing sent (TEST::1's nonce and the block number unchanged).
Its own module, so that it runs beside the command rows on the other worker."""

from __future__ import annotations

import re

import pytest

from tests.cli.bad_input import assert_refused, code, rows

pytestmark = pytest.mark.scripts

SCRIPTS = rows("Ape scripts")


@pytest.mark.parametrize("row", SCRIPTS, ids=[f"{r[0]} {code(r[1])}" for r in SCRIPTS])
def test_ape_script_row(user_chain, world, row):
    script, args, expected = row
    argv = re.findall(r"\S+", code(args).replace("{EXPIRY}", str(world["expiry"])))
    before = (user_chain.nonce(1), user_chain.w3.eth.block_number)
    run = user_chain.ape(script, *argv, account="TEST::1")
    assert_refused(user_chain, run, expected, before)
