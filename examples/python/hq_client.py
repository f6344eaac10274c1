"""A small CommCare HQ client: the code under test in this example suite.

In your project this is your own integration code; the tests in this folder
show how to point it at commcare-hq-mock and check what it does.
"""

import time

import requests


class CommCareError(Exception):
    """HQ refused a request (a 4xx, or a 5xx that outlasted the retries)."""

    def __init__(self, status, body):
        super().__init__(f"CommCare HQ answered {status}: {body!r}")
        self.status = status
        self.body = body


class CommCareClient:
    """Mobile workers of one project space, with the API key of a web user.

    Retries 429 and 5xx answers and dropped connections, waiting `backoff`
    seconds, doubled after each try (or HQ's Retry-After when it sends one).
    """

    RETRY_STATUSES = {429, 500, 502, 503, 504}

    def __init__(self, base_url, domain, username, api_key, retries=3, backoff=0.05, timeout=10):
        self.api = f"{base_url.rstrip('/')}/a/{domain}/api/v0.5"
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"ApiKey {username}:{api_key}"

    def _call(self, method, path, json=None, params=None):
        wait = self.backoff
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.http.request(method, f"{self.api}/{path}", json=json, params=params, timeout=self.timeout)
            except requests.ConnectionError:
                if last:
                    raise
            else:
                if response.status_code not in self.RETRY_STATUSES or last:
                    break
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    wait = int(retry_after)
            time.sleep(wait)
            wait *= 2
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = response.text
            raise CommCareError(response.status_code, body)
        return response.json() if response.content else None

    def list_workers(self, limit=20, offset=0):
        """One page of active mobile workers: HQ's {"meta": …, "objects": […]}."""
        return self._call("GET", "user/", params={"limit": limit, "offset": offset})

    def get_worker(self, user_id):
        return self._call("GET", f"user/{user_id}/")

    def update_worker(self, user_id, **fields):
        """PUT the given fields; HQ answers the whole worker."""
        return self._call("PUT", f"user/{user_id}/", json=fields)

    def send_password_reset(self, user_id):
        """Ask HQ to e-mail the worker a password-reset link."""
        return self._call("POST", f"user/{user_id}/email_password_reset/")
