"""The FIX JSON encoding: tag=value <-> JSON, and the `fix-json` websocket sub-protocol."""

import asyncio
import datetime as dt
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from gateway.fix.codec import encode
from gateway.fix.json_encoding import JsonEncoding
from gateway.fix.message import Message
from tests.gateway.fix_harness import DICTIONARY, GATEWAY, MEMBER, make_acceptor, served

ENCODING = JsonEncoding(DICTIONARY)
HEADER = ((34, "2"), (49, MEMBER), (52, "20260921-09:30:00.000"), (56, GATEWAY))
NEW_ORDER_FIELDS = [11, 1, 38, 40, 44, 54, 55, 58, 59, 60]  # no groups, no repeats


def test_groups_become_arrays_of_objects_and_come_back() -> None:
    order = Message.of(
        "D", *HEADER, (11, "X"), (453, "2"), (448, "P1"), (452, "1"), (802, "1"), (523, "S"),
        (803, "1"), (448, "P2"), (38, "5"), (54, "1"), (60, "20260921-09:30:00"), (40, "1"),
    )  # fmt: skip
    frame = encode(order, "FIX.4.4")
    document = json.loads(ENCODING.from_frame(frame))
    assert document["Header"]["MsgType"] == "D" and document["Trailer"] == {}
    assert "BodyLength" not in document["Header"]
    parties = document["Body"]["NoPartyIDs"]
    assert parties == [
        {"PartyID": "P1", "PartyRole": "1", "NoPartySubIDs": [
            {"PartySubID": "S", "PartySubIDType": "1"}]},
        {"PartyID": "P2"},
    ]  # fmt: skip
    assert ENCODING.to_frame(json.dumps(document)) == frame


@given(
    st.lists(
        st.tuples(
            st.sampled_from(NEW_ORDER_FIELDS),
            st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x01"),
                    min_size=1),
        ),
        unique_by=lambda field: field[0],
    )
)  # fmt: skip
def test_round_trip_keeps_every_field(fields: list[tuple[int, str]]) -> None:
    frame = encode(Message.of("D", *HEADER, *fields), "FIX.4.4")
    assert ENCODING.to_frame(ENCODING.from_frame(frame)) == frame


def test_text_that_is_not_a_json_message_is_passed_on_unchanged() -> None:
    for text in ("{not json", "[]", '{"Header": {"NoSuchField": "1"}}', '{"Body": {"11": 5}}'):
        assert ENCODING.to_frame(text) == text.encode()


def test_member_speaks_json_over_the_sub_protocol(tmp_path: Path) -> None:
    def message(msg_type: str, seq: int, **body: str) -> str:
        now = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]
        header = {"BeginString": "FIX.4.4", "MsgType": msg_type, "MsgSeqNum": str(seq),
                  "SenderCompID": MEMBER, "SendingTime": now, "TargetCompID": GATEWAY}  # fmt: skip
        return json.dumps({"Header": header, "Body": body, "Trailer": {}})

    async def run() -> None:
        async with (
            served(make_acceptor(tmp_path)) as url,
            connect(url, subprotocols=["fix-json"]) as connection,
        ):
            assert connection.subprotocol == "fix-json"
            await connection.send(message("A", 1, EncryptMethod="0", HeartBtInt="30"))
            logon = json.loads(await asyncio.wait_for(connection.recv(), 10))
            assert logon["Header"]["MsgType"] == "A" and logon["Body"]["HeartBtInt"] == "30"
            order = {
                "ClOrdID": "J-1",
                "Side": "1",
                "OrdType": "2",
                "Price": "70.5",
                "OrderQty": "3",
                "Symbol": "CEA",
                "TransactTime": "20260921-09:30:00",
            }
            await connection.send(message("D", 2, **order))  # fmt: skip
            echo = json.loads(await asyncio.wait_for(connection.recv(), 10))
            assert echo["Header"]["MsgSeqNum"] == "2" and echo["Body"] == order

    asyncio.run(run())
