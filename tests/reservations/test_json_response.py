"""The reservations API's success bodies: orjson's bytes are the compact json.dumps bytes (issue 17)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from reservations.api.views import json_response

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.text()  # any code point: non-ASCII, control characters, quotes, U+2028/2029
)
DOCUMENTS = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5)
)


def compact(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS)
def test_a_body_is_the_compact_json_dumps_of_its_data(data) -> None:
    response = json_response(data)

    assert response.content == compact(data)
    assert response["Content-Type"] == "application/json"


def test_what_orjson_refuses_is_still_answered_as_json_dumps_would() -> None:
    for data in (
        {1: "integer key"},
        [2**70],
        {"seats": [{"seat_no": "1A", "n": -(2**64)}]},
    ):
        assert json_response(data).content == compact(data)
