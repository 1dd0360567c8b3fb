"""Result downloads from the CDN origin: no key, a size cap, clear refusals."""

import pytest

from object_removal.clients.downloads import download_result
from object_removal.clients.keyed_http import KeyedHttp
from object_removal.clients.modelslab import ModelsLabClient
from object_removal.clients.retry import RetryPolicy
from object_removal.errors import ObjectRemovalError, ProviderError
from object_removal.imaging.codec import encode_png
from object_removal.imaging.provider_limits import EncodedImage
from support import MODELSLAB_KEY, photo_like

FAST = RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.1)


@pytest.fixture
def http(settings):
    return KeyedHttp(settings.modelslab)


@pytest.fixture
def cdn_file(http):
    data = encode_png(photo_like(64, 64))
    url = ModelsLabClient(http).upload(EncodedImage(data, "image/png", 64, 64))
    return url, data


@pytest.fixture
def get(http):
    def get(url, **kwargs):
        return download_result(url, http=http, policy=FAST, **kwargs)

    return get


def test_download_sends_no_key(emulator, cdn_file, get):
    url, data = cdn_file
    assert get(url) == data
    assert emulator.keys_seen_on_cdn() == set()


def test_the_size_cap_holds(emulator, cdn_file, get):
    url, data = cdn_file
    with pytest.raises(ObjectRemovalError, match="byte cap"):
        get(url, max_bytes=len(data) - 1)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x.png", "not a url"])
def test_only_http_links_are_followed(emulator, url, get):
    with pytest.raises(ProviderError, match="not an http"):
        get(url)


def test_a_link_carrying_the_key_is_refused(emulator, get):
    with pytest.raises(ProviderError, match="contains the API key"):
        get(f"{emulator.cdn_url}/outputs/x.png?key={MODELSLAB_KEY}")
    assert emulator.requests("cdn") == []


def test_missing_files_and_server_trouble(emulator, cdn_file, get):
    url, data = cdn_file
    with pytest.raises(ProviderError, match="HTTP 404.*expire"):
        get(url.rsplit("/", 1)[0] + "/missing.png")
    emulator.script("cdn", http_status=503, raw="busy")
    assert get(url) == data  # retried
