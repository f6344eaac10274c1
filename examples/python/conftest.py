"""pytest fixtures for testing a CommCare HQ integration against commcare-hq-mock.

Copy this file next to your tests. It needs only pytest and requests.

Fixtures:
  hq_mock    (session)  the running mock and its test-control API (/__mock/)
  hq_domain  (function) a fresh copy of the seed's `demo` domain for one test,
                        deleted after it, so tests run in any order

Where the mock comes from, in this order:
  COMMCARE_HQ_MOCK_URL set          use that server (a CI service container)
  Docker reachable                  docker run COMMCARE_HQ_MOCK_IMAGE
  otherwise                         run COMMCARE_HQ_MOCK_COMMAND (the CLI)
COMMCARE_HQ_MOCK_MODE=docker|cli forces one of the last two. MOCK_ADMIN_TOKEN,
when set, is given to a server started here and sent on every /__mock/ call.
"""

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
# In a checkout of commcare-hq-mock, its built CLI; elsewhere the npm package.
CHECKOUT_CLI = HERE.parent.parent / "dist" / "cli.js"
DEFAULT_COMMAND = f"node {shlex.quote(str(CHECKOUT_CLI))}" if CHECKOUT_CLI.exists() else "npx --yes commcare-hq-mock"
DEFAULT_IMAGE = "commcare-hq-mock"

# The seed's fixture credentials (public by design) and ids; a domain copied
# from `demo` keeps the ids and its members.
ADMIN_USER = "admin@example.org"
ADMIN_API_KEY = "demo-api-key"
JDOE = "3c5a623af057e23a32ae4000cf291339"


def env(name, default=None):
    value = os.environ.get(name, "")
    return value if value != "" else default


def docker_available():
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def choose_source():
    """How this session gets its mock: ("url", url), ("docker", image) or ("cli", command)."""
    url = env("COMMCARE_HQ_MOCK_URL")
    if url is not None:
        return "url", url.rstrip("/")
    mode = env("COMMCARE_HQ_MOCK_MODE", "auto")
    if mode not in ("auto", "docker", "cli"):
        raise pytest.UsageError(f"COMMCARE_HQ_MOCK_MODE must be auto, docker or cli, not {mode!r}")
    if mode == "docker" or (mode == "auto" and docker_available()):
        return "docker", env("COMMCARE_HQ_MOCK_IMAGE", DEFAULT_IMAGE)
    return "cli", env("COMMCARE_HQ_MOCK_COMMAND", DEFAULT_COMMAND)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MockApiError(Exception):
    """The test-control API refused a call: {"error": …} and X-Mock-Reason."""


class HqMock:
    """The mock at `url` and its test-control API as methods."""

    def __init__(self, url, admin_token=None):
        self.url = url
        self.http = requests.Session()
        if admin_token is not None:
            self.http.headers["X-Mock-Admin-Token"] = admin_token

    def _call(self, method, path, expect, **kwargs):
        response = self.http.request(method, f"{self.url}/__mock/{path}", timeout=30, **kwargs)
        if response.status_code != expect:
            raise MockApiError(f"{method} /__mock/{path} answered {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def health(self):
        return self._call("GET", "health", 200)

    def wait_ready(self, timeout, alive=None):
        """Polls GET /__mock/health until it answers 200; `alive()`, when given, raises once the server died."""
        deadline = time.monotonic() + timeout
        while True:
            if alive is not None:
                alive()
            try:
                if self.http.get(f"{self.url}/__mock/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"commcare-hq-mock at {self.url} not ready after {timeout} s")
            time.sleep(0.1)

    # state
    def reset(self):
        """Everything back to the seed: every domain, the journal, faults and outbox (all users of the server)."""
        return self._call("POST", "reset", 200)

    def domains(self):
        return self._call("GET", "domains", 200)["domains"]

    def create_domain(self, name, source="demo"):
        """A copy of domain `source` as it is now, with the same ids; answers its summary."""
        return self._call("POST", "domains", 201, json={"name": name, "from": source})

    def delete_domain(self, name):
        self._call("DELETE", f"domains/{name}", 204)

    def reset_domain(self, name):
        return self._call("POST", f"domains/{name}/reset", 200)

    # journal
    def requests(self, **filters):
        """Journal entries, newest first. Filters: method, path, domain, status, since, limit."""
        return self._call("GET", "requests", 200, params=filters)["requests"]

    def clear_requests(self, **filters):
        self._call("DELETE", "requests", 204, params=filters)

    # faults
    def add_fault(self, **rule):
        """A fault rule (method, path, domain, status, body, headers, delay_ms, reset_connection, times, …)."""
        return self._call("POST", "faults", 201, json=rule)

    def faults(self):
        return self._call("GET", "faults", 200)["faults"]

    def remove_fault(self, rule_id):
        self._call("DELETE", f"faults/{rule_id}", 204)

    def clear_faults(self):
        self._call("DELETE", "faults", 204)

    # outbox
    def outbox(self, **filters):
        """E-mails HQ would have sent, newest first. Filters: domain, type, to."""
        return self._call("GET", "outbox", 200, params=filters)["emails"]

    def clear_outbox(self, **filters):
        """Removes the matching e-mails and answers them."""
        return self._call("DELETE", "outbox", 200, params=filters)["emails"]


class HqDomain:
    """One domain of the mock; journal, faults and outbox scoped to it."""

    def __init__(self, mock, name):
        self.mock = mock
        self.name = name
        self.url = mock.url

    def api_url(self, path=""):
        return f"{self.url}/a/{self.name}/api/v0.5/{path}"

    def reset(self):
        return self.mock.reset_domain(self.name)

    def requests(self, **filters):
        return self.mock.requests(domain=self.name, **filters)

    def clear_requests(self, **filters):
        self.mock.clear_requests(domain=self.name, **filters)

    def add_fault(self, **rule):
        return self.mock.add_fault(domain=self.name, **rule)

    def clear_faults(self):
        for rule in self.mock.faults():
            if rule.get("domain") == self.name:
                self.mock.remove_fault(rule["id"])

    def outbox(self, **filters):
        return self.mock.outbox(domain=self.name, **filters)

    def clear_outbox(self, **filters):
        return self.mock.clear_outbox(domain=self.name, **filters)


class Started:
    """A server this session started: a container or a CLI process."""

    def __init__(self, how, url, stop, alive):
        self.how = how
        self.url = url
        self.stop = stop
        self.alive = alive


def start_docker(image, admin_token):
    port = free_port()
    name = f"{env('COMMCARE_HQ_MOCK_CONTAINER', 'commcare-hq-mock-pytest')}-{os.getpid()}-{port}"
    args = ["docker", "run", "-d", "--rm", "--name", name, "--network", "host",
            "-e", f"PORT={port}", "-e", "MOCK_IN_MEMORY=1", "-e", "LOG_LEVEL=warn"]
    if admin_token is not None:
        args += ["-e", "MOCK_ADMIN_TOKEN"]  # passed from this environment, not on the command line
    run = subprocess.run(args + [image], capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        raise RuntimeError(f"docker run {image} failed ({run.returncode}): {run.stderr.strip()}")

    def alive():
        state = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", name], capture_output=True, text=True)
        if state.stdout.strip() != "true":
            logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True)
            raise RuntimeError(f"container {name} stopped before it was ready:\n{logs.stdout}{logs.stderr}")

    def stop():
        subprocess.run(["docker", "stop", "-t", "10", name], capture_output=True, timeout=60)

    return Started(f"docker image {image}", f"http://127.0.0.1:{port}", stop, alive)


def start_cli(command, admin_token):
    port = free_port()
    log = tempfile.TemporaryFile()
    child_env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "MOCK_IN_MEMORY": "1", "LOG_LEVEL": "warn"}
    if admin_token is None:
        child_env.pop("MOCK_ADMIN_TOKEN", None)
    try:
        child = subprocess.Popen(shlex.split(command), env=child_env, stdout=log, stderr=subprocess.STDOUT)
    except OSError as err:
        raise RuntimeError(f"cannot run {command!r}: {err}") from err

    def output():
        log.seek(0)
        return log.read().decode(errors="replace")

    def alive():
        if child.poll() is not None:
            raise RuntimeError(f"{command!r} exited ({child.returncode}) before it was ready:\n{output()}")

    def stop():
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        log.close()

    return Started(f"command {command}", f"http://127.0.0.1:{port}", stop, alive)


def pytest_configure(config):
    config.hq_mock_source = choose_source()
    config.hq_mock_how = None


def pytest_terminal_summary(terminalreporter, config):
    if config.hq_mock_how is not None:
        terminalreporter.write_line(f"commcare-hq-mock: {config.hq_mock_how}")


@pytest.fixture(scope="session")
def hq_mock(pytestconfig):
    kind, what = pytestconfig.hq_mock_source
    admin_token = env("MOCK_ADMIN_TOKEN")
    timeout = float(env("COMMCARE_HQ_MOCK_START_TIMEOUT", "60"))
    if kind == "url":
        mock = HqMock(what, admin_token)
        mock.wait_ready(timeout)
        pytestconfig.hq_mock_how = f"server at {what}"
        yield mock
        return
    began = time.monotonic()
    started = (start_docker if kind == "docker" else start_cli)(what, admin_token)
    try:
        mock = HqMock(started.url, admin_token)
        mock.wait_ready(timeout, started.alive)
        pytestconfig.hq_mock_how = f"{started.how} at {started.url}, started and ready in {time.monotonic() - began:.2f} s"
        yield mock
    finally:
        started.stop()


@pytest.fixture
def hq_domain(hq_mock):
    """A copy of `demo` named py-<random>, for this test only."""
    name = f"py-{uuid.uuid4().hex[:12]}"
    hq_mock.create_domain(name, "demo")
    yield HqDomain(hq_mock, name)
    hq_mock.delete_domain(name)


# ---- the code under test ------------------------------------------------------

@pytest.fixture
def client(hq_domain):
    """Your CommCare client, pointed at the test's domain with the seed's API key."""
    from hq_client import CommCareClient

    return CommCareClient(hq_domain.url, hq_domain.name, ADMIN_USER, ADMIN_API_KEY, backoff=0.01)
