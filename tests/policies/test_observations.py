"""gather and ConcurrentObservations: timer cases observed at once, graded one by one."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import trio
from wsspec.driver import current_runtime, get_runtime
from wsspec.dsl import Client, ConcurrentObservations, Target, gather
from wsspec.verdicts import CaseFailed, CaseRecord, Verdict

DRIVERS = ["asyncio", "trio"]  # the events below are of these two libraries


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

    assert get_runtime(driver).run(main) == ["first", "second"]


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
        get_runtime(driver).run(main)
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

    one, two = get_runtime(driver).run(main)
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

    get_runtime("asyncio").run(main)


async def sleep(driver: str, seconds: float) -> None:
    assert current_runtime().name == driver
    await current_runtime().sleep(seconds)


@pytest.mark.parametrize("driver", DRIVERS)
def test_started_observations_run_while_the_caller_goes_on(driver: str) -> None:
    # The observation begins before anyone takes it, and ends once the main thread
    # says so: it runs on a loop of its own.
    begun, go_on = threading.Event(), threading.Event()

    async def waits_for_the_caller(c: Client) -> None:
        begun.set()
        assert go_on.wait(10)
        c.record.observe("a drop", "dropped")

    async def fails(c: Client) -> None:
        del c
        raise CaseFailed("a ping", "no ping")

    target = Target("ws://127.0.0.1:9/", driver=driver)
    batch = ConcurrentObservations({"waits": waits_for_the_caller, "fails": fails})
    batch.start(target)
    assert begun.wait(10), "start() did not begin the observation"
    go_on.set()
    one, two = client(), client()

    async def main() -> None:
        await batch.take("waits", one)
        with pytest.raises(CaseFailed, match="no ping"):
            await batch.take("fails", two)

    get_runtime(driver).run(main)
    assert (one.record.expected, one.record.observed) == ("a drop", "dropped")
    assert one.record.verdict is Verdict.PASS


@pytest.mark.parametrize("driver", DRIVERS)
def test_stop_ends_started_observations_nobody_takes(driver: str) -> None:
    begun, ended = threading.Event(), threading.Event()

    async def forever(c: Client) -> None:
        del c
        begun.set()
        try:
            await sleep(driver, 3600)
        finally:
            ended.set()

    batch = ConcurrentObservations({"forever": forever})
    batch.start(Target("ws://127.0.0.1:9/", driver=driver))
    assert begun.wait(10)
    started = time.monotonic()
    batch.stop()
    assert ended.is_set(), "stop() left the observation running"
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_case_waits_for_its_started_observation_without_blocking_its_loop(
        driver: str) -> None:
    # While the case awaits the background observation, its own loop still runs other work.
    async def slow(c: Client) -> None:
        await sleep(driver, 0.3)
        c.record.observe("x", "y")

    batch = ConcurrentObservations({"slow": slow})
    batch.start(Target("ws://127.0.0.1:9/", driver=driver))
    ticks: list[int] = []

    async def ticker() -> None:
        for n in range(3):
            ticks.append(n)
            await sleep(driver, 0.01)

    async def main() -> None:
        one = client()
        await gather(functools.partial(batch.take, "slow", one), ticker)
        assert one.record.observed == "y"

    get_runtime(driver).run(main)
    assert ticks == [0, 1, 2]
