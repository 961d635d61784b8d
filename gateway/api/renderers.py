"""The gateway API's JSON renderer: DRF's JSONRenderer output, encoded by orjson.

A seat chart is ~170 seat objects (19 KB); the stdlib encoder spent ~9 % of the gateway's CPU per
chart on it, orjson about a tenth of that. The bytes are the same as DRF's compact output:
datetimes and anything else orjson does not know natively go through DRF's own encoder, U+2028/2029
are escaped, and pretty-printed output (`; indent=N`, the browsable API) or anything orjson refuses
is left to DRF's renderer. See docs/adr/0038.
"""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_default = JSONEncoder().default
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class FastJSONRenderer(JSONRenderer):
    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if data is None:
            return b""
        if not self.compact or self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:  # DRF raises its own, clearer error for what orjson refuses
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:  # keep the output a JavaScript subset
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return body
