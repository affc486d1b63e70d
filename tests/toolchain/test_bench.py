"""`make bench`'s scenarios still run against the library as it is (a change of the library once
broke the bench with nothing in `make test` noticing): its setup and two cheap scenarios, on a
chain of their own, with figures a benchmark could report."""

from bench import scale, scenarios
from diamondtrace import localnode
from diamondtrace.chain import connect
from diamondtrace.localnode import free_port


def test_the_bench_sets_up_and_measures_registration_and_transfer(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # Anvil's spilled states go with the test's directory
    port = free_port()
    localnode.up(port, persist=False)
    try:
        env = scenarios.setup(connect(f"http://127.0.0.1:{port}"))
        registration = scenarios.registration(env, 10)
        assert registration["batch"] == 10 and 0.8 < registration["ratio"] < 1.5
        transfer = scenarios.transfer(env)
        assert 1.0 < transfer["existing_holder"]["ratio"] < 1.5
        assert transfer["existing_holder"]["baseline"] > 20_000
    finally:
        localnode.down(port)


def test_the_scale_scenario_builds_a_registry_indexes_it_and_times_the_pages(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    port = free_port()
    localnode.up(port, persist=False)
    try:
        env = scenarios.setup(connect(f"http://127.0.0.1:{port}"))
        found = scale.scale(env, tmp_path, 1_300, 40, samples=3, slow_samples=1, slow_timeout=120)
        # 1,300 mints in 3 registrations, 40 moves (a Transfer and a custody record each), the KP
        # certificate recorded and drawn by the first batch.
        assert found["index"]["events"] == 1_300 + 3 + 40 * 2 + 2 and found["index"]["events_per_second"] > 0
        assert set(found["pages"]) == {"home", "stone", "stone (moved)", "address", "certificate"}
        for page in found["pages"].values():
            assert page["with_index"]["samples"] == 3 and page["without_index"]["samples"] == 1
            assert 0 < page["with_index"]["p50_ms"] <= page["with_index"]["p99_ms"]
    finally:
        localnode.down(port)
