"""gather and ConcurrentObservations: timer cases observed at once, graded one by one."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
import trio

from harness.conversation import Client, ConcurrentObservations, Target, gather
from harness.driver import run_with
from harness.verdicts import CaseFailed, CaseRecord, Verdict

DRIVERS = ["asyncio", "trio"]


def event(driver: str) -> Any:
    return trio.Event() if driver == "trio" else asyncio.Event()


@pytest.mark.parametrize("driver", DRIVERS)
def test_gather_runs_calls_at_once_and_keeps_their_order(driver: str) -> None:
    async def main() -> list[Any]:
        ping, pong = event(driver), event(driver)

        async def first() -> str:
            ping.set()
            await pong.wait()  # only set by the second call: they must overlap
            return "first"

        async def second() -> str:
            await ping.wait()
            pong.set()
            return "second"

        return await gather(first, second)

    assert run_with(driver, main) == ["first", "second"]


@pytest.mark.parametrize("driver", DRIVERS)
def test_gather_raises_the_first_error_once_all_have_finished(driver: str) -> None:
    finished: list[str] = []

    async def main() -> None:
        async def fails() -> None:
            raise ValueError("boom")

        async def finishes() -> None:
            finished.append("done")

        await gather(fails, finishes)

    with pytest.raises(ValueError, match="boom"):
        run_with(driver, main)
    assert finished == ["done"]


def client() -> Client:
    return Client(Target("ws://127.0.0.1:9/"), CaseRecord("case", "heartbeat", "t", "", "", None))


@pytest.mark.parametrize("driver", DRIVERS)
def test_observations_run_together_and_each_case_gets_its_own(driver: str) -> None:
    runs: list[str] = []

    async def main() -> tuple[Client, Client]:
        ping, pong = event(driver), event(driver)

        async def passes(c: Client) -> None:
            runs.append("passes")
            ping.set()
            await pong.wait()
            c.record.observe("a ping", "a ping")
            c.record.downgrade(Verdict.NON_STRICT, "late")

        async def fails(c: Client) -> None:
            runs.append("fails")
            await ping.wait()
            pong.set()
            raise CaseFailed("a drop", "still open")

        batch = ConcurrentObservations({"passes": passes, "fails": fails})
        one, two = client(), client()
        await batch.take("passes", one)
        with pytest.raises(CaseFailed, match="still open"):
            await batch.take("fails", two)
        return one, two

    one, two = run_with(driver, main)
    assert sorted(runs) == ["fails", "passes"]  # each ran once
    assert one.record.verdict is Verdict.NON_STRICT and one.record.notes == ["late"]
    assert (one.record.expected, one.record.observed) == ("a ping", "a ping")
    assert two.record.verdict is Verdict.PASS


@dataclass
class FakeCallspec:
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeItem:
    originalname: str
    callspec: FakeCallspec


def test_only_the_selected_observations_are_planned() -> None:
    async def observe(c: Client) -> None:
        del c

    items = [FakeItem("test_heartbeat", FakeCallspec({"timer": "a"})),
             FakeItem("test_other", FakeCallspec({"timer": "b"}))]
    batch = ConcurrentObservations.of_selected(items, "test_heartbeat", "timer",
                                               {"a": observe, "b": observe, "c": observe})

    async def main() -> None:
        await batch.take("a", client())
        with pytest.raises(Exception, match="no observation 'b'"):
            await batch.take("b", client())

    run_with("asyncio", main)
