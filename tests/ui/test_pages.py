"""The three pages in a real headless Chromium against a real ``metalnet serve`` (SQLite, no credentials)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.cli.server import REPO
from tests.ui.conftest import BULK, BULK_IPS, PROJECT, SUPER, Lab

WAIT_SECONDS = 15
#: the colour each cell state is drawn in (ui.css: --free, --taken, --reserved)
STATE_COLOURS = {"free": "rgb(230, 235, 241)", "taken": "rgb(36, 88, 198)", "partial": "rgb(36, 88, 198)",
                 "reserved": "rgb(154, 163, 176)"}


def wait_for(browser: webdriver.Chrome, script: str) -> object:
    """Poll a JavaScript expression until it is truthy (bounded), and return its value."""
    return WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.execute_script(f"return {script}"))


def attrs(browser: webdriver.Chrome, selector: str, name: str) -> list[str]:
    """Attribute ``name`` of every element matching ``selector``, in document order."""
    return [e.get_attribute(name) or "" for e in browser.find_elements(By.CSS_SELECTOR, selector)]


def rows(browser: webdriver.Chrome) -> list[str]:
    return attrs(browser, "#tree tr.network", "data-network-id")


def usage(browser: webdriver.Chrome, network: str, family: str, kind: str = "ips") -> tuple[int, int, str, str]:
    bar = browser.find_element(
        By.CSS_SELECTOR, f'tr[data-network-id="{network}"] .family[data-family="{family}"] .usage[data-kind="{kind}"]'
    )
    return (int(bar.get_attribute("data-used") or -1), int(bar.get_attribute("data-total") or -1),
            bar.find_element(By.CSS_SELECTOR, ".nums").text, bar.find_element(By.CSS_SELECTOR, ".pct").text)


def test_tree_shows_the_walkthrough_with_its_usage(lab: Lab, browser: webdriver.Chrome) -> None:
    browser.get(f"{lab.server.url}/ui/")
    assert rows(browser) == [SUPER, lab.child, BULK]
    assert attrs(browser, "#tree tr.network", "data-depth") == ["0", "1", "0"]
    assert attrs(browser, "section.partition", "data-partition") == ["mini-lab", ""]
    # the numbers `metalnet network list` prints in the README: 2/65536, 1/2.1G, 3/1024, 2/2.1G
    assert usage(browser, SUPER, "IPv4") == (2, 65536, "2/65,536", "<1 %")
    assert usage(browser, SUPER, "IPv6")[:3] == (1, 2147483647, "1/2.1G")
    assert usage(browser, lab.child, "IPv4") == (3, 1024, "3/1,024", "<1 %")
    assert usage(browser, lab.child, "IPv6")[:3] == (2, 2147483647, "2/2.1G")
    # the super network's IPv4 prefix gave one /22 of its /16 to the child
    assert usage(browser, SUPER, "IPv4", "children") == (1024, 65536, "1,024/65,536", "2 %")
    # 10,002 of 16,384 addresses: above neither threshold; the colour follows the level
    used, total, _, pct = usage(browser, BULK, "IPv4")
    assert (used, total, pct) == (BULK_IPS + 2, 16384, "61 %")
    project_cell = browser.find_element(By.CSS_SELECTOR, f'tr[data-network-id="{lab.child}"] td:nth-child(2)')
    assert project_cell.text == PROJECT


@pytest.mark.parametrize(
    ("term", "expected"),
    [("my-node", "child"), ("10.0.0.1", "super+child"), ("10.0.77.9", "super"), ("100.64.3.3", "bulk"),
     ("2001:db8:0:10::/96", "super+child"), (PROJECT[:8], "child"), ("no-such-network", "none")],
)
def test_search_filters_as_you_type(lab: Lab, browser: webdriver.Chrome, term: str, expected: str) -> None:
    browser.get(f"{lab.server.url}/ui/")
    box = browser.find_element(By.ID, "search")
    box.clear()
    box.send_keys(term)
    wait_for(browser, f"document.body.dataset.searched === {term!r}")
    wanted = {"child": [lab.child], "super+child": [SUPER, lab.child], "super": [SUPER], "bulk": [BULK],
              "none": []}[expected]
    assert rows(browser) == wanted
    if not wanted:
        assert term in browser.find_element(By.ID, "no-networks").text
    # the URL carries the term: the filtered page can be reloaded and shared
    browser.refresh()
    assert rows(browser) == wanted


def map_cells(browser: webdriver.Chrome, cidr: str) -> list[dict[str, str]]:
    cells: list[dict[str, str]] = browser.execute_script(
        """return Array.from(document.querySelectorAll(`section.prefix[data-cidr="${arguments[0]}"] rect.cell`))
              .map(r => ({cidr: r.dataset.cidr, state: r.dataset.state, taken: r.dataset.taken,
                          reserved: r.dataset.reserved, fill: getComputedStyle(r).fill}))""", cidr)
    return cells


def expected_cells(block: str, taken: list[tuple[int, int]], reserved: set[int]) -> list[tuple[str, int, int]]:
    """(cidr, taken, reserved) per cell of ``block`` in 2**8 cells (fewer for a small block)."""
    net = ipaddress.ip_network(block)
    bits = min(8, net.max_prefixlen - net.prefixlen)
    result = []
    for cell in net.subnets(prefixlen_diff=bits):
        first, last = int(cell.network_address), int(cell.broadcast_address)
        kept = sum(1 for r in reserved if first <= r <= last)
        used = sum(max(0, min(last, b) - max(first, a) + 1) for a, b in taken)
        result.append((str(cell), used - kept, kept))
    return result


def state(taken: int, reserved: int, size: int) -> str:
    if taken == 0:
        return "free" if reserved == 0 else "reserved"
    return "taken" if taken + reserved == size else "partial"


def check_map(browser: webdriver.Chrome, prefix: str, block: str, taken: list[tuple[int, int]],
              reserved: set[int]) -> None:
    cells = map_cells(browser, prefix)
    expected = expected_cells(block, taken, reserved)
    assert len(cells) == len(expected)
    size = ipaddress.ip_network(expected[0][0]).num_addresses
    for cell, (cidr, used, kept) in zip(cells, expected, strict=True):
        assert (cell["cidr"], int(cell["taken"]), int(cell["reserved"])) == (cidr, used, kept)
        assert cell["state"] == state(used, kept, size), cidr
        assert cell["fill"] == STATE_COLOURS[cell["state"]], cidr


def ranges(cidrs: list[str]) -> list[tuple[int, int]]:
    nets = [ipaddress.ip_network(c) for c in cidrs]
    return [(int(n.network_address), int(n.broadcast_address)) for n in nets]


def test_occupancy_maps_match_the_store(lab: Lab, browser: webdriver.Chrome) -> None:
    children = [n for n in lab.api("GET", "/v1/network") if n.get("parentnetworkid") == SUPER]
    child_prefixes = [p for n in children for p in n["prefixes"]]
    browser.get(f"{lab.server.url}/ui/network/{SUPER}")
    v4 = [p for p in child_prefixes if "." in p]
    v6 = [p for p in child_prefixes if ":" in p]
    check_map(browser, "10.0.0.0/16", "10.0.0.0/16", ranges(v4), set())
    check_map(browser, "2001:db8:0:10::/64", "2001:db8:0:10::/64", ranges(v6), set())
    # zoom into the first /24 by clicking its cell: /32 cells, the child covers all of it
    browser.find_element(By.CSS_SELECTOR, 'rect.cell[data-cidr="10.0.0.0/24"]').click()
    wait_for(browser, """document.querySelector('.map[data-prefix="10.0.0.0/16"]').dataset.block === '10.0.0.0/24'""")
    check_map(browser, "10.0.0.0/16", "10.0.0.0/24", ranges(v4), set())
    assert len(map_cells(browser, "10.0.0.0/16")) == 256

    # the child holds addresses: the IPs of the store plus the reserved network (and IPv4 broadcast) address
    ips = [ip["ipaddress"] for ip in lab.api("GET", "/v1/ip") if ip["networkid"] == lab.child]
    browser.get(f"{lab.server.url}/ui/network/{lab.child}")
    for prefix in (p for n in children if n["id"] == lab.child for p in n["prefixes"]):
        net = ipaddress.ip_network(prefix)
        reserved = {int(net.network_address)} | ({int(net.broadcast_address)} if net.version == 4 else set())
        inside = [int(ipaddress.ip_address(a)) for a in ips if ipaddress.ip_address(a) in net]
        check_map(browser, prefix, prefix, [(a, a) for a in sorted(reserved | set(inside))], reserved)


def test_ips_page_through_ten_thousand(lab: Lab, browser: webdriver.Chrome) -> None:
    browser.get(f"{lab.server.url}/ui/network/{BULK}")
    assert browser.find_element(By.ID, "ip-total").get_attribute("data-total") == str(BULK_IPS)

    def shown() -> list[str]:
        return [r.get_attribute("data-ip") or "" for r in browser.find_elements(By.CSS_SELECTOR, "#ip-table tbody tr")]

    first = shown()
    base = int(ipaddress.ip_address("100.64.0.0"))
    assert first == [str(ipaddress.ip_address(base + i)) for i in range(1, 51)]
    assert browser.find_elements(By.ID, "prev") == []
    browser.find_element(By.ID, "next").click()
    wait_for(browser, "location.search.startsWith('?after=')")
    assert shown() == [str(ipaddress.ip_address(base + i)) for i in range(51, 101)]
    browser.find_element(By.ID, "prev").click()
    wait_for(browser, "location.search.startsWith('?before=')")
    assert shown() == first
    # the last page: after the 9,990th address there are the last ten, and no next page
    browser.get(f"{lab.server.url}/ui/network/{BULK}?after={ipaddress.ip_address(base + BULK_IPS - 10)}")
    assert len(shown()) == 10
    assert browser.find_elements(By.ID, "next") == []


def test_ipam_page_lists_namespaces_with_usage(lab: Lab, browser: webdriver.Chrome) -> None:
    lab.api("POST", "/api.v1.IpamService/CreatePrefix", json={"cidr": "192.168.0.0/16"})
    lab.api("POST", "/api.v1.IpamService/AcquireChildPrefix", json={"cidr": "192.168.0.0/16", "length": 24})
    browser.get(f"{lab.server.url}/ui/ipam")
    assert attrs(browser, "section.namespace", "data-namespace") == ["root", "metalnet.networks"]
    root = browser.find_element(By.CSS_SELECTOR, 'section[data-namespace="root"]')
    cidrs = [r.get_attribute("data-cidr") for r in root.find_elements(By.CSS_SELECTOR, "tr.prefix")]
    assert cidrs == ["192.168.0.0/16", "192.168.0.0/24"]
    parent = root.find_element(By.CSS_SELECTOR, 'tr[data-cidr="192.168.0.0/16"] .usage[data-kind="children"]')
    assert (parent.get_attribute("data-used"), parent.get_attribute("data-total")) == ("256", "65536")
    networks = browser.find_element(By.CSS_SELECTOR, 'section[data-namespace="metalnet.networks"]')
    bulk = networks.find_element(By.CSS_SELECTOR, 'tr[data-cidr="100.64.0.0/18"] .usage[data-kind="ips"]')
    assert (bulk.get_attribute("data-used"), bulk.get_attribute("data-total")) == (str(BULK_IPS + 2), "16384")
    root.find_element(By.LINK_TEXT, "192.168.0.0/16").click()
    wait_for(browser, "document.querySelectorAll('rect.cell').length === 256")
    assert [c["state"] for c in map_cells(browser, "192.168.0.0/16")][:2] == ["taken", "free"]


def test_everything_is_escaped(lab: Lab, browser: webdriver.Chrome) -> None:
    hostile = '<img src=x onerror="document.body.dataset.owned=1">'
    lab.api("PUT", "/v1/network", json={"id": "escape-test", "name": hostile, "prefixes": ["198.51.100.0/24"]})
    browser.get(f"{lab.server.url}/ui/?q=escape-test")
    assert browser.find_element(By.CSS_SELECTOR, 'tr[data-network-id="escape-test"] .sub').text == hostile
    assert browser.execute_script("return document.body.dataset.owned") is None
    browser.get(f"{lab.server.url}/ui/network/escape-test")
    assert browser.execute_script("return document.body.dataset.owned") is None
    lab.api("DELETE", "/v1/network/escape-test")


def test_unknown_network_and_bad_cursor_are_error_pages(lab: Lab, browser: webdriver.Chrome) -> None:
    browser.get(f"{lab.server.url}/ui/network/no-such-network")
    assert 'no network with id "no-such-network" found' in browser.find_element(By.ID, "error-message").text
    browser.get(f"{lab.server.url}/ui/network/{BULK}?after=not-an-ip")
    assert "not-an-ip" in browser.find_element(By.ID, "error-message").text


SCREENSHOTS = {"ui-networks.png": "/ui/", "ui-network.png": f"/ui/network/{SUPER}", "ui-ipam.png": "/ui/ipam",
               "ui-ips.png": "/ui/network/internet"}


def test_screenshots(showcase: Lab, browser: webdriver.Chrome, tmp_path: Path) -> None:
    """The README's screenshots; written to docs/ with METALNET_UI_SCREENSHOTS=1, else to a temporary dir."""
    target = REPO / "docs" if os.environ.get("METALNET_UI_SCREENSHOTS") == "1" else tmp_path
    try:
        for name, path in SCREENSHOTS.items():
            browser.set_window_size(1360, 900)
            browser.get(f"{showcase.server.url}{path}")
            height = browser.execute_script("return document.documentElement.scrollHeight")
            browser.set_window_size(1360, min(int(height) + 140, 1700))  # + the window's own frame
            assert browser.save_screenshot(str(target / name))
            assert (target / name).stat().st_size > 10_000
    finally:
        browser.set_window_size(1360, 900)


PROGRESS_COLOUR = "return getComputedStyle(arguments[0].querySelector('svg.bar rect')).fill"


def test_bars_turn_amber_at_80_and_red_at_95_percent(showcase: Lab, browser: webdriver.Chrome) -> None:
    browser.get(f"{showcase.server.url}/ui/")
    colours = {"ok": "rgb(47, 158, 102)", "warn": "rgb(224, 161, 0)", "critical": "rgb(212, 56, 44)"}
    for network, (used, total, level) in {"internet": (54, 64, "warn"), "mgmt": (16, 16, "critical"),
                                          SUPER: (2, 65536, "ok")}.items():
        bar = browser.find_element(By.CSS_SELECTOR, f'tr[data-network-id="{network}"] .usage[data-kind="ips"]')
        assert (bar.get_attribute("data-used"), bar.get_attribute("data-total")) == (str(used), str(total))
        assert bar.get_attribute("data-level") == level
        fill = browser.execute_script(PROGRESS_COLOUR, bar)
        assert fill == colours[level]


def test_network_page_lists_reserved_ranges_and_maps_them(lab: Lab, browser: webdriver.Chrome) -> None:
    ident = "ui-reserved-ranges"
    lab.api("PUT", "/v1/network", json={
        "id": ident, "name": "with reserved ranges", "prefixes": ["192.0.2.0/24"], "projectid": PROJECT,
        "reservedranges": [{"from": "192.0.2.1", "to": "192.0.2.9", "description": "gateways & <routers>"},
                           {"from": "192.0.2.200", "to": "192.0.2.254", "description": "dhcp"}],
    })
    taken = lab.api("POST", "/v1/ip/allocate", json={"networkid": ident, "projectid": PROJECT})["ipaddress"]
    assert taken == "192.0.2.10"  # next-free skips the reserved range
    browser.get(f"{lab.server.url}/ui/network/{ident}")
    listed = [(r.get_attribute("data-from"), r.get_attribute("data-to"),
               [td.text for td in r.find_elements(By.CSS_SELECTOR, "td")])
              for r in browser.find_elements(By.CSS_SELECTOR, "#reserved-ranges tr.reserved-range")]
    assert listed == [
        ("192.0.2.1", "192.0.2.9", ["192.0.2.1", "192.0.2.9", "9", "gateways & <routers>"]),
        ("192.0.2.200", "192.0.2.254", ["192.0.2.200", "192.0.2.254", "55", "dhcp"]),
    ]
    base = int(ipaddress.ip_address("192.0.2.0"))
    kept = {base, base + 255} | set(range(base + 1, base + 10)) | set(range(base + 200, base + 255))
    check_map(browser, "192.0.2.0/24", "192.0.2.0/24", [(a, a) for a in sorted(kept | {base + 10})], kept)
    lab.api("DELETE", f"/v1/ip/free/{taken}")
    lab.api("DELETE", f"/v1/network/{ident}")
