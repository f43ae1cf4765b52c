"""Logins: with tokens configured the pages ask for one and show only what it may read."""

from __future__ import annotations

import httpx
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.ui.conftest import ADMIN_TOKEN, BULK, OTHER_TOKEN, PROJECT, PROJECT_TOKEN, SUPER, Lab
from tests.ui.test_pages import WAIT_SECONDS, attrs, rows, wait_for


def log_in(browser: webdriver.Chrome, lab: Lab, token: str, path: str = "/ui/") -> None:
    browser.get(f"{lab.server.url}{path}")
    assert "/ui/login?next=" in browser.current_url
    browser.find_element(By.ID, "token").send_keys(token)
    button = browser.find_element(By.ID, "login-button")
    button.click()
    # the form's answer replaces the page: wait until the old button is gone
    WebDriverWait(browser, WAIT_SECONDS).until(expected_conditions.staleness_of(button))


def test_pages_ask_for_a_token_and_refuse_a_wrong_one(secured: Lab, fresh_browser: webdriver.Chrome) -> None:
    log_in(fresh_browser, secured, "not-a-configured-token")
    assert fresh_browser.find_element(By.ID, "login-error").text == "This token is not valid here."
    assert fresh_browser.get_cookies() == []
    fresh_browser.get(f"{secured.server.url}/ui/network/{SUPER}")
    assert "/ui/login?next=" in fresh_browser.current_url
    assert fresh_browser.find_elements(By.CSS_SELECTOR, "tr.network") == []


def test_project_token_sees_only_its_project(secured: Lab, fresh_browser: webdriver.Chrome) -> None:
    browser = fresh_browser
    log_in(browser, secured, PROJECT_TOKEN)
    wait_for(browser, "location.pathname === '/ui/'")
    assert browser.find_element(By.ID, "principal").text == f"token:view@{PROJECT}"
    # the super network and the bulk network belong to no project or another one: not shown at all
    assert rows(browser) == [secured.child]
    assert SUPER not in browser.page_source
    assert BULK not in browser.page_source
    browser.get(f"{secured.server.url}/ui/?q=10.0.0.0/16")
    assert rows(browser) == [secured.child]
    for hidden in (SUPER, BULK):  # refused as the API refuses them, naming only the viewer's own project
        browser.get(f"{secured.server.url}/ui/network/{hidden}")
        message = browser.find_element(By.ID, "error-message").text
        assert f'may act on resources of project "{PROJECT}" only' in message
        assert hidden not in message
    browser.get(f"{secured.server.url}/ui/network/{secured.child}")
    assert attrs(browser, "#ip-table tbody tr", "data-ip") == ["10.0.0.1", "2001:db8:0:10::1"]
    assert browser.find_elements(By.ID, "ip-total") == []  # a count would include other projects' IPs
    assert SUPER not in browser.page_source  # not even as a link to the parent
    browser.get(f"{secured.server.url}/ui/ipam")
    assert PROJECT in browser.find_element(By.ID, "ipam-forbidden").text
    assert browser.find_elements(By.CSS_SELECTOR, "tr.prefix") == []
    browser.get(f"{secured.server.url}/ui/ipam/map?namespace=metalnet.networks&cidr=10.0.0.0/16")
    assert f'project "{PROJECT}" only' in browser.find_element(By.ID, "error-message").text
    assert browser.find_elements(By.CSS_SELECTOR, "rect.cell") == []


def test_token_of_another_project_sees_nothing(secured: Lab, fresh_browser: webdriver.Chrome) -> None:
    log_in(fresh_browser, secured, OTHER_TOKEN)
    wait_for(fresh_browser, "location.pathname === '/ui/'")
    assert rows(fresh_browser) == []
    assert fresh_browser.find_element(By.ID, "no-networks").text == "No networks to show."
    fresh_browser.get(f"{secured.server.url}/ui/network/{secured.child}")
    assert "only" in fresh_browser.find_element(By.ID, "error-message").text
    assert PROJECT not in fresh_browser.page_source


def test_session_cookie_is_httponly_strict_and_hides_the_token(secured: Lab, fresh_browser: webdriver.Chrome) -> None:
    log_in(fresh_browser, secured, ADMIN_TOKEN, f"/ui/network/{SUPER}")
    # back where the visitor wanted to go, seeing everything
    wait_for(fresh_browser, f"location.pathname === '/ui/network/{SUPER}'")
    (cookie,) = fresh_browser.get_cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (
        "metalnet-ui", True, "Strict", "/ui")
    assert ADMIN_TOKEN not in cookie["value"]
    assert fresh_browser.execute_script("return document.cookie") == ""
    # the cookie opens pages only, never the API
    api = httpx.get(f"{secured.server.url}/v1/network", cookies={cookie["name"]: cookie["value"]}, timeout=10)
    assert api.status_code == 401
    # a tampered cookie is no session
    fresh_browser.delete_all_cookies()
    fresh_browser.get(f"{secured.server.url}/ui/")  # the cookie's path must be the current site's
    fresh_browser.add_cookie({"name": "metalnet-ui", "value": cookie["value"][:-4] + "AAAA", "path": "/ui"})
    fresh_browser.get(f"{secured.server.url}/ui/")
    assert "/ui/login" in fresh_browser.current_url


def test_logout_ends_the_session_and_next_stays_on_the_ui(secured: Lab, fresh_browser: webdriver.Chrome) -> None:
    fresh_browser.get(f"{secured.server.url}/ui/login?next=https://example.com/")
    fresh_browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    button = fresh_browser.find_element(By.ID, "login-button")
    button.click()
    WebDriverWait(fresh_browser, WAIT_SECONDS).until(expected_conditions.staleness_of(button))
    wait_for(fresh_browser, "location.pathname === '/ui/'")
    assert fresh_browser.current_url.startswith(secured.server.url)
    assert rows(fresh_browser) == [SUPER, secured.child, BULK]
    fresh_browser.find_element(By.CSS_SELECTOR, ".who button").click()
    wait_for(fresh_browser, "location.pathname === '/ui/login'")
    fresh_browser.get(f"{secured.server.url}/ui/")
    assert "/ui/login?next=" in fresh_browser.current_url
