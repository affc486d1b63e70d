"""Kimberley Process certificates: recorded by the exporting country's authority, never over-drawn."""

from brownie import chain
from helpers import certificate_input, plain, record_certificate, register, reverts

from diamondtrace.model import ROLES, text32, token_id


def test_a_kp_authority_records_a_certificate(registry, cast):
    tx = record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    assert tx.events["CertificateRecorded"]["number"] == "0x" + text32("BW-KP-0001").hex()
    c = registry.certificate(text32("BW-KP-0001"))
    declared = plain(c["declared"])
    assert declared[1:5] == (b"BW", b"BE", cast.producer.address, cast.trader.address)
    assert declared[7:10] == (10_000, 250_000, 2)
    assert c["authority"] == cast.kp_bw and c["drawnCenticarats"] == 0
    assert registry.totals()["certificates"] == 1


def test_only_the_exporting_countrys_authority_records_certificates(registry, cast):
    with reverts("MissingRole", cast.trader.address, ROLES["kp-authority"]):
        record_certificate(registry, cast.trader, "BW-KP-0001", cast.producer, cast.trader)
    with reverts("NotExportingAuthority", cast.kp_bw.address, b"IN"):
        record_certificate(registry, cast.kp_bw, "IN-KP-0001", cast.manufacturer, cast.trader, exporting="IN")


def test_certificate_numbers_are_unique_and_fields_checked(registry, cast):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    with reverts("CertificateExists"):
        record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    with reverts("InvalidCertificate"):
        record_certificate(registry, cast.kp_bw, "BW-KP-0002", cast.producer, cast.trader, centicarats=0)
    bad_dates = list(certificate_input("BW-KP-0003", cast.producer, cast.trader))
    bad_dates[6] = bad_dates[5]  # expires when issued
    with reverts("InvalidCertificate"):
        registry.recordCertificate(bad_dates, {"from": cast.kp_bw})
    with reverts("InvalidCountry"):
        record_certificate(registry, cast.kp_bw, "BW-KP-0004", cast.producer, cast.trader, importing="be")


def test_stones_attached_at_registration_draw_their_weight(registry, cast):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader, centicarats=500)
    register(registry, cast.producer, [("BW-0001", 200), ("BW-0002", 300)], certificate=text32("BW-KP-0001"))
    assert registry.certificate(text32("BW-KP-0001"))["drawnCenticarats"] == 500
    assert registry.stone(token_id("BW-0001"))["certificate"] == "0x" + text32("BW-KP-0001").hex()
    with reverts("CertificateOverdrawn"):
        register(registry, cast.producer, [("BW-0003", 1)], certificate=text32("BW-KP-0001"))
    assert registry.totals()["stones"] == 2


def test_an_expired_certificate_cannot_be_attached(registry, cast):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader, days=1)
    register(registry, cast.producer, [("BW-0001", 200)])
    chain.sleep(2 * 86400)
    chain.mine()
    with reverts("CertificateNotValid"):
        register(registry, cast.producer, [("BW-0002", 300)], certificate=text32("BW-KP-0001"))
    with reverts("CertificateNotValid"):
        registry.attachCertificate(text32("BW-KP-0001"), [token_id("BW-0001")], {"from": cast.producer})


def test_the_holder_and_exporter_attaches_stones_later_once_each(registry, cast, stones):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader, centicarats=500)
    with reverts("CertificateMismatch"):
        registry.attachCertificate(text32("BW-KP-0001"), [stones[0]], {"from": cast.trader_bw})
    tx = registry.attachCertificate(text32("BW-KP-0001"), stones[:2], {"from": cast.producer})
    assert [e["tokenId"] for e in tx.events["CertificateDrawn"]] == stones[:2]
    registry.attachCertificate(text32("BW-KP-0001"), stones[:1], {"from": cast.producer})
    assert registry.certificate(text32("BW-KP-0001"))["drawnCenticarats"] == 430
    # The export that names the attached certificate does not draw the stone again.
    registry.transferCustody(cast.trader, stones[0], 3, b"\0" * 32, text32("BW-KP-0001"), {"from": cast.producer})
    assert registry.certificate(text32("BW-KP-0001"))["drawnCenticarats"] == 430
    with reverts("CertificateOverdrawn"):
        registry.attachCertificate(text32("BW-KP-0001"), [stones[2]], {"from": cast.producer})


def test_attached_carats_never_exceed_the_declared_weight(registry, cast):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader, centicarats=1_000)
    register(registry, cast.producer, [(f"BW-{i:04d}", 99) for i in range(12)])
    drawn = 0
    for i in range(12):
        try:
            registry.attachCertificate(text32("BW-KP-0001"), [token_id(f"BW-{i:04d}")], {"from": cast.producer})
            drawn += 99
        except Exception:
            pass
        assert registry.certificate(text32("BW-KP-0001"))["drawnCenticarats"] == drawn <= 1_000
    assert drawn == 990
