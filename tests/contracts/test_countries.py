"""Only assigned ISO 3166-1 alpha-2 codes pass on chain: the registry's bitmap against iso-codes' list."""

import itertools
import string

from brownie import accounts
from helpers import reverts

from diamondtrace.countries import COUNTRIES
from diamondtrace.model import ROLES, ZERO32


def test_every_assigned_code_and_no_other_is_a_country(registry, cast):
    accepted = set()
    for a, b in itertools.product(string.ascii_uppercase, repeat=2):
        code = a + b
        try:
            registry.accredit.call(cast.consumer, ROLES["trader"], code.encode(), "probe", ZERO32, {"from": cast.admin})
            accepted.add(code)
        except Exception:
            pass
    assert accepted == set(COUNTRIES)


def test_a_country_reads_back_as_it_was_given_and_never_changes(registry, cast):
    fresh = [accounts.add() for _ in range(5)]
    for account, code in zip(fresh, ["AD", "BW", "ZW", "ZA", "IN"]):
        registry.accredit(account, ROLES["trader"], code.encode(), "probe", ZERO32, {"from": cast.admin})
        assert bytes(registry.participant(account)["country"]) == code.encode()
    registry.revoke(fresh[0], cast.consumer, {"from": cast.admin})
    with reverts("CountryChange"):
        registry.accredit(fresh[0], ROLES["trader"], b"ZW", "probe", ZERO32, {"from": cast.admin})
    with reverts("InvalidCountry"):
        registry.accredit(cast.consumer, ROLES["trader"], b"ZZ", "probe", ZERO32, {"from": cast.admin})
