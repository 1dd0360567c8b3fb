"""Result downloads from the CDN origin: no key, a size cap, clear refusals, and links
checked after resolving (every address notation, DNS answers, rebinding, TLS names)."""

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

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


@pytest.fixture(autouse=True)
def only_this_machine(monkeypatch):
    """Whatever the code under test decides, no download here connects anywhere but
    127.0.0.1: a link it wrongly lets through fails the test instead of leaving."""
    from object_removal.clients import downloads

    real_send = downloads.send

    def send(method, url, **kwargs):
        host = urlsplit(url).hostname
        if kwargs.get("connect_to", host) != "127.0.0.1":
            raise AssertionError(f"would have connected to {host} ({kwargs.get('connect_to')})")
        return real_send(method, url, **kwargs)

    monkeypatch.setattr(downloads, "send", send)


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


# --- links checked after resolving ----------------------------------------------------------

# Every spelling the system resolver accepts, and IPv6 forms that carry an IPv4 address.
# Numeric notations are parsed by the resolver itself: nothing goes on the network.
REFUSED_LINKS = [
    ("http://127.1/r.png", "127.0.0.1 is loopback"),
    ("http://2130706433/r.png", "127.0.0.1 is loopback"),
    ("http://0x7f000001/r.png", "127.0.0.1 is loopback"),
    ("http://0177.0.0.1/r.png", "127.0.0.1 is loopback"),
    ("http://017700000001/r.png", "127.0.0.1 is loopback"),
    ("http://127.0.0.1:8188/api/prompt", "127.0.0.1 is loopback"),
    ("http://localhost/r.png", "127.0.0.1 is loopback"),
    ("http://10.1/r.png", "10.0.0.1 is private"),
    ("http://0xa.1/r.png", "10.0.0.1 is private"),
    ("http://192.168.1.1/r.png", "192.168.1.1 is private"),
    ("http://172.16.0.1/r.png", "172.16.0.1 is private"),
    ("http://100.64.0.1/r.png", "100.64.0.1 is not public"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is link-local"),
    ("http://0.0.0.0/r.png", "0.0.0.0 is unspecified"),
    ("http://224.0.0.1/r.png", "224.0.0.1 is multicast"),
    ("http://240.0.0.1/r.png", "240.0.0.1 is private"),  # reserved, listed as private too
    ("https://[::1]/r.png", "::1 is loopback"),
    ("http://[::]/r.png", ":: is unspecified"),
    ("http://[fe80::1]/r.png", "fe80::1 is link-local"),
    ("http://[fc00::1]/r.png", "fc00::1 is private"),
    ("http://[ff02::1]/r.png", "ff02::1 is multicast"),
    ("http://[::ffff:127.0.0.1]/r.png", "::ffff:127.0.0.1 is loopback"),
    ("http://[::ffff:7f00:1]/r.png", "::ffff:127.0.0.1 is loopback"),
    ("http://[::ffff:10.0.0.1]/r.png", "::ffff:10.0.0.1 is private"),
    ("http://[2002:7f00:1::]/r.png", "2002:7f00:1:: is loopback"),  # 6to4
    ("http://[64:ff9b::7f00:1]/r.png", "64:ff9b::7f00:1 is loopback"),  # NAT64
]


@pytest.fixture
def remote_origin(monkeypatch):
    """ModelsLab at its real origin (never contacted) and no connection allowed at all:
    a refused link must be refused before anything connects."""
    from object_removal.clients import downloads
    from object_removal.config import load_settings

    monkeypatch.setenv("MODELSLAB_API_KEY", MODELSLAB_KEY)

    def no_connection(*args, **kwargs):
        raise AssertionError("a refused link was requested")

    monkeypatch.setattr(downloads, "send", no_connection)
    return KeyedHttp(load_settings().modelslab)


@pytest.mark.parametrize("url,says", REFUSED_LINKS, ids=[u for u, _ in REFUSED_LINKS])
def test_links_to_local_or_private_addresses_are_refused_in_every_notation(remote_origin,
                                                                          url, says):
    with pytest.raises(ProviderError, match="refusing to request it") as refused:
        download_result(url, http=remote_origin, policy=FAST)
    assert says in str(refused.value)


@pytest.mark.parametrize("answer", [["10.0.0.5"], ["93.184.216.34", "127.0.0.1"],
                                    ["2606:2800:220:1::1", "fd00::7"]],
                         ids=["private", "one_of_two_loopback", "one_of_two_ula"])
def test_a_name_that_resolves_to_any_private_address_is_refused(remote_origin, answer):
    asked = []

    def resolver(host, port):
        asked.append((host, port))
        return answer

    with pytest.raises(ProviderError, match="refusing to request it"):
        download_result("https://cdn.example.test/r.png", http=remote_origin, policy=FAST,
                        resolver=resolver)
    assert asked == [("cdn.example.test", 443)]


def test_the_address_checked_is_the_one_connected_to(emulator, cdn_file, http):
    """DNS rebinding: a second answer would point elsewhere; the name is resolved once and
    the connection goes to the checked address (here the emulator's, the one local
    address its own links may reach)."""
    url, data = cdn_file
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    asked = []

    def rebinding(host, port):
        asked.append(host)
        return next(answers) if host == "cdn.rebind.test" else ["127.0.0.1"]

    port = url.split(":")[2].split("/")[0]
    path = url.split(port, 1)[1]
    got = download_result(f"http://cdn.rebind.test:{port}{path}", http=http, policy=FAST,
                          resolver=rebinding)
    assert got == data
    assert asked.count("cdn.rebind.test") == 1
    assert emulator.requests("cdn")[-1].headers["Host"] == f"cdn.rebind.test:{port}"


@pytest.mark.parametrize("host", ["127.0.0.2", "[::1]", "10.0.0.1", "192.168.0.10"])
def test_the_emulators_exception_is_its_own_address_only(emulator, cdn_file, http, host):
    url, _ = cdn_file
    other = url.replace("127.0.0.1", host)
    with pytest.raises(ProviderError, match="refusing to request it"):
        download_result(other, http=http, policy=FAST)
    assert len(emulator.requests("cdn")) == 0


def test_a_redirect_to_a_private_address_is_refused(emulator, cdn_file, get):
    url, _ = cdn_file
    emulator.script("cdn", http_status=302, raw="", headers={"Location": "http://10.1/x"})
    with pytest.raises(ProviderError, match="10.0.0.1 is private"):
        get(url)
    assert len(emulator.requests("cdn")) == 1


TLS = Path(__file__).parent / "fixtures" / "tls"


@pytest.fixture
def tls_cdn():
    """An https server on 127.0.0.1 with a certificate for cdn.example.test only; it
    records the name each client asked for (SNI)."""
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "cdn.pem", TLS / "cdn.key")
    context.sni_callback = lambda sock, name, ctx: names.append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"image")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], names
    server.shutdown()
    server.server_close()


def test_tls_verifies_and_names_the_links_host_while_connecting_to_the_checked_address(
        settings, tls_cdn, monkeypatch):
    port, names = tls_cdn
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(TLS / "ca.pem"))
    keyed = KeyedHttp(settings.modelslab)  # on 127.0.0.1: the one local address allowed

    def resolver(host, port):
        return ["127.0.0.1"]

    got = download_result(f"https://cdn.example.test:{port}/r.png", http=keyed, policy=FAST,
                          resolver=resolver)
    assert got == b"image" and names == ["cdn.example.test"]
    with pytest.raises(ProviderError, match="SSLError"):  # a name the certificate lacks
        download_result(f"https://other.example.test:{port}/r.png", http=keyed, policy=FAST,
                        resolver=resolver)
    assert names[-1] == "other.example.test"
