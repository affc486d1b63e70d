"""Kimberley Process certificates: recorded by the exporting country's authority in the registry's
book, keyed by (exporting country, number), drawn only by their exporter, never over-drawn."""

from brownie import ZERO_ADDRESS, chain
from helpers import DOC, certificate_input, plain, record_certificate, register, reverts

from diamondtrace.model import ROLES, ZERO32, Action, text32, token_id


def test_a_kp_authority_records_a_certificate(registry, cast, kp):
    tx = record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    assert tx.return_value == 1
    event = tx.events["CertificateRecorded"]
    assert event["id"] == 1 and event["number"] == "0x" + text32("BW-KP-0001").hex()
    assert kp.certificateId(b"BW", text32("BW-KP-0001")) == 1
    c = kp.certificate(1)
    declared = plain(c["declared"])
    assert declared[1:5] == (b"BW", b"BE", cast.producer.address, cast.trader.address)
    assert declared[7:10] == (10_000, 250_000, 2)
    assert c["authority"] == cast.kp_bw and c["drawnCenticarats"] == 0 and c["recordedAt"] == tx.timestamp
    assert kp.certificateCount() == 1 and kp.registry() == registry.address
    with reverts("UnknownCertificate"):
        kp.certificate(2)


def test_only_the_exporting_countrys_authority_records_certificates(registry, cast):
    with reverts("MissingRole", cast.trader.address, ROLES["kp-authority"]):
        record_certificate(registry, cast.trader, "BW-KP-0001", cast.producer, cast.trader)
    with reverts("NotExportingAuthority", cast.kp_bw.address, b"IN"):
        record_certificate(registry, cast.kp_bw, "IN-KP-0001", cast.manufacturer, cast.trader, exporting="IN")


def test_certificate_numbers_are_unique_per_country_and_fields_checked(registry, cast, kp):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    with reverts("CertificateExists", b"BW", text32("BW-KP-0001")):
        record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    with reverts("InvalidCertificate"):
        record_certificate(registry, cast.kp_bw, "BW-KP-0002", cast.producer, cast.trader, centicarats=0)
    with reverts("InvalidCertificate"):
        record_certificate(registry, cast.kp_bw, "BW-KP-0002", cast.producer, cast.trader_bw, importing="BW")
    bad_dates = list(certificate_input("BW-KP-0003", cast.producer, cast.trader))
    bad_dates[6] = bad_dates[5]  # expires when issued
    with reverts("InvalidCertificate"):
        kp.recordCertificate(bad_dates, {"from": cast.kp_bw})
    no_parcels = list(certificate_input("BW-KP-0003", cast.producer, cast.trader))
    no_parcels[9] = 0
    with reverts("InvalidCertificate"):
        kp.recordCertificate(no_parcels, {"from": cast.kp_bw})
    for importing in ("be", "ZZ"):
        with reverts("InvalidCountry"):
            record_certificate(registry, cast.kp_bw, "BW-KP-0004", cast.producer, cast.trader, importing=importing)
    with reverts("ZeroAddress"):
        record_certificate(registry, cast.kp_bw, "BW-KP-0005", cast.producer, ZERO_ADDRESS)
    assert kp.certificateCount() == 1


def test_stones_registered_under_a_certificate_draw_their_weight(registry, cast, kp):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader, centicarats=500)
    tx = register(registry, cast.producer, [("BW-0001", 200), ("BW-0002", 300)], certificate=text32("BW-KP-0001"))
    assert tx.events["CertificateDrawnByBatch"]["drawnTotal"] == 500
    assert kp.certificate(1)["drawnCenticarats"] == 500
    assert registry.stone(token_id("BW-0001"))["certificate"] == 1 and registry.batch(tx.return_value)["certificate"] == 1
    with reverts("CertificateOverdrawn", text32("BW-KP-0001"), 500, 500, 1):
        register(registry, cast.producer, [("BW-0003", 1)], certificate=text32("BW-KP-0001"))
    assert registry.totals()["stones"] == 2


def test_an_expired_certificate_cannot_be_drawn(registry, cast, kp):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader, days=1)
    register(registry, cast.producer, [("BW-0001", 200)])
    chain.sleep(2 * 86400)
    chain.mine()
    with reverts("CertificateNotValid"):
        register(registry, cast.producer, [("BW-0002", 300)], certificate=text32("BW-KP-0001"))
    with reverts("CertificateNotValid"):
        registry.transferCustody(
            cast.trader, token_id("BW-0001"), Action.EXPORT, DOC, text32("BW-KP-0001"), True, {"from": cast.producer}
        )
    assert kp.certificate(1)["drawnCenticarats"] == 0


def test_the_export_under_the_batchs_own_certificate_does_not_draw_the_stone_again(registry, cast, kp):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader, centicarats=500)
    register(registry, cast.producer, [("BW-0001", 250), ("BW-0002", 180)], certificate=text32("BW-KP-0001"))
    assert kp.certificate(1)["drawnCenticarats"] == 430
    tx = registry.transferCustody(
        cast.trader, token_id("BW-0001"), Action.EXPORT, DOC, text32("BW-KP-0001"), True, {"from": cast.producer}
    )
    assert "CertificateDrawn" not in tx.events
    assert (
        kp.certificate(1)["drawnCenticarats"] == 430 and registry.stone(token_id("BW-0001"))["jurisdiction"] == "0x" + b"BE".hex()
    )
    # Stones outside the batch still draw, up to the declared weight.
    register(registry, cast.producer, [("BW-0003", 70), ("BW-0004", 1)])
    registry.transferCustody(
        cast.trader, token_id("BW-0003"), Action.EXPORT, DOC, text32("BW-KP-0001"), True, {"from": cast.producer}
    )
    with reverts("CertificateOverdrawn", text32("BW-KP-0001"), 500, 500, 1):
        registry.transferCustody(
            cast.trader, token_id("BW-0004"), Action.EXPORT, DOC, text32("BW-KP-0001"), True, {"from": cast.producer}
        )


def test_crossings_never_draw_past_the_declared_weight(registry, cast, kp):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader, centicarats=1_000)
    register(registry, cast.producer, [(f"BW-{i:04d}", 99) for i in range(12)])
    for i in range(12):
        stone = token_id(f"BW-{i:04d}")
        if i < 10:
            registry.transferCustody(cast.trader, stone, Action.EXPORT, DOC, text32("BW-KP-0001"), True, {"from": cast.producer})
        else:
            with reverts("CertificateOverdrawn", text32("BW-KP-0001"), 1_000, 990, 99):
                registry.transferCustody(
                    cast.trader, stone, Action.EXPORT, DOC, text32("BW-KP-0001"), True, {"from": cast.producer}
                )
        assert kp.certificate(1)["drawnCenticarats"] == min(i + 1, 10) * 99 <= 1_000
    assert registry.balanceOf(cast.trader) == 10


def test_only_the_registry_draws_from_or_writes_to_its_books(registry, cast, kp, grading):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    with reverts("NotRegistry", cast.producer.address):
        kp.drawForCrossing(
            b"BW", text32("BW-KP-0001"), cast.producer, cast.trader, b"BE", token_id("BW-0001"), 100, 0, {"from": cast.producer}
        )
    with reverts("NotRegistry", cast.producer.address):
        kp.drawForBatch(b"BW", text32("BW-KP-0001"), cast.producer, 1, 100, {"from": cast.producer})
    with reverts("NotRegistry", cast.lab.address):
        grading.record(
            token_id("BW-0001"),
            cast.lab,
            (text32("R-1"), 1, b"D".ljust(8, b"\0"), b"IF".ljust(8, b"\0"), b"Ideal".ljust(16, b"\0"), False, ZERO32),
            {"from": cast.lab},
        )
    assert kp.certificate(1)["drawnCenticarats"] == 0 and grading.registry() == registry.address
