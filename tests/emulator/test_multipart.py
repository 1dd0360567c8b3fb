"""The small multipart/form-data parser."""

from __future__ import annotations

import pytest

from provider_emulator.multipart import (
    MultipartError,
    boundary_from_content_type,
    parse_header_value,
    parse_multipart,
)


def test_multipart_parser_details() -> None:
    assert parse_header_value('form-data; name="a\\"b"; filename*=UTF-8\'\'na%C3%AFve.png') == (
        "form-data", {"name": 'a"b', "filename*": "UTF-8''na%C3%AFve.png", "filename": "naïve.png"})
    body = (b"--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\none\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ntwo\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"up\"; filename=\"\"\r\n\r\n"
            b"\r\n--B--")
    form = parse_multipart(body, "B")
    assert form.fields == {"f": "one"}
    assert form.files["up"].data == b"" and form.files["up"].content_type == (
        "application/octet-stream")
    with pytest.raises(MultipartError):
        parse_multipart(b"--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx", "B")
    with pytest.raises(MultipartError):
        parse_multipart(b"no boundary here", "B")


@pytest.mark.parametrize(
    ("content_type", "boundary"),
    [("multipart/form-data; boundary=xyz", "xyz"), ('Multipart/Form-Data; boundary="a;b"', "a;b"),
     ("multipart/mixed; boundary=xyz", None), ("multipart/form-data", None),
     ("application/json", None), (None, None), ("multipart/form-data; boundary=" + "x" * 201,
                                                None)],
)
def test_boundary_from_content_type(content_type: str | None, boundary: str | None) -> None:
    assert boundary_from_content_type(content_type) == boundary
