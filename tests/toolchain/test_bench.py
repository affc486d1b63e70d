"""`make bench`'s scenarios still run against the library as it is (a change of the library once
broke the bench with nothing in `make test` noticing): its setup and two cheap scenarios, on a
chain of their own, with figures a benchmark could report."""

from bench import scenarios
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
