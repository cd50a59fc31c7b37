"""A signed-in agent talking to the console over HTTP, as a browser would (cookies, forms)."""
from __future__ import annotations

import re

import requests

from tests.support.e2e_stack import AGENT_PASSWORD

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')


class Agent:
    def __init__(self, base_url: str, username: str, password: str = AGENT_PASSWORD):
        self.base, self.http = base_url, requests.Session()
        page = self.http.get(f"{base_url}/login", timeout=10)
        self.login_response = self.http.post(f"{base_url}/login", data={
            "username": username, "password": password,
            "login_csrf": LOGIN_CSRF.search(page.text).group(1)}, timeout=10)

    def page(self, path: str) -> requests.Response:
        return self.http.get(f"{self.base}{path}", timeout=10)

    def csrf(self) -> str:
        return CSRF.search(self.page("/").text).group(1)

    def post(self, path: str, **form) -> requests.Response:
        if "csrf" not in form:
            form["csrf"] = self.csrf()
        return self.http.post(f"{self.base}{path}", data=form, timeout=60)
