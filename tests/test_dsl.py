"""The case DSL against the reference server, on real sockets."""

from __future__ import annotations

from wsspec.driver import get_runtime
from wsspec.driver.base import StreamEnd
from wsspec.dsl import Client, Target, describe_event
from wsspec.profile import HeartbeatPolicy, TargetProfile
from wsspec.protocol.close import encode_close_payload
from wsspec.protocol.frames import Frame, Opcode
from wsspec.protocol.messages import Message
from wsspec.targets.reference import run_in_thread
from wsspec.verdicts import CaseRecord


def test_pongs_to_server_pings_never_land_inside_a_frame_written_in_pieces() -> None:
    """A heartbeat ping that arrives while a case writes a frame in pieces is
    answered after the frame, not in the middle of it."""
    profile = TargetProfile(heartbeat=HeartbeatPolicy(ping_interval=0.05, timeout=2.0))
    server = run_in_thread(profile)
    record = CaseRecord("test.pieces", "misc", "", "", "", None)
    client = Client(Target(url=server.url, profile=profile), record)

    async def conversation() -> None:
        ws = await client.open()
        wire = ws.encode_frames([Frame(Opcode.TEXT, b"piece by piece " * 10)])
        pieces = [wire[i:i + 40] for i in range(0, len(wire), 40)]
        for piece in pieces[:-1]:
            await ws.send_raw(piece)
            assert await ws.next_event(0.15) is None  # pings came, their pongs wait
        await ws.send_raw(pieces[-1])
        await ws.expect_message("piece by piece " * 10)
        await ws.close()
        await client.aclose()

    try:
        get_runtime("asyncio").run(conversation)
    finally:
        server.stop()
    pongs = [e for e in record.wirelog.all_entries()
             if e.kind == "frame" and e.dir == "out" and e.data["opcode"] == "PONG"]
    assert pongs, "the server's pings were never answered"


def test_one_renderer_describes_every_kind_of_event() -> None:
    assert describe_event(None, 2) == "nothing within 2 s"
    assert describe_event(StreamEnd.FIN, 2) == "TCP connection closed (FIN)"
    assert describe_event(StreamEnd.RESET, 2) == "connection reset"
    assert describe_event(Message(Opcode.TEXT, b"hi", 1), 2) == "text message of 2 bytes 'hi'"
    assert describe_event(Message(Opcode.BINARY, b"\x00" * 50, 1), 2) == (
        f"binary message of 50 bytes {'00' * 48}…")
    assert describe_event(Frame(Opcode.CLOSE, encode_close_payload(1002, "bad")), 2) == (
        "close frame code 1002 reason 'bad'")
    assert describe_event(Frame(Opcode.CLOSE, b""), 2) == "close frame without a status code"
    assert describe_event(Frame(Opcode.PING, b"x"), 2) == "PING frame b'x'"
