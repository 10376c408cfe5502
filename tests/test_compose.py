"""The production docker-compose.yml and Dockerfile agree with the settings they configure.

There is no Docker engine on the test machine, so nothing is built or started. The files are read
as YAML and text and compared with what support_portal/settings.py reads from the environment.
The ``ast`` module finds those names in settings.py, so a variable that the settings don't read
(a typo, or one renamed in settings.py) fails here instead of being ignored in production.
"""

import ast
import json
import re
import shlex
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import environ
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SETTINGS_FILE = ROOT / "support_portal" / "settings.py"

APP_SERVICES = ("web", "worker", "beat")
LONG_RUNNING_SERVICES = ("postgres", "redis", *APP_SERVICES)
ONE_SHOT_SERVICES = ("migrate",)


# --- Helpers ---------------------------------------------------------------------------------
def _is_env_object(node: ast.expr) -> bool:
    """``env`` or a fresh ``environ.Env()`` / ``Env()``."""
    if isinstance(node, ast.Name):
        return node.id == "env"
    if isinstance(node, ast.Call):
        func = node.func
        return (isinstance(func, ast.Attribute) and func.attr == "Env") or (
            isinstance(func, ast.Name) and func.id == "Env"
        )
    return False


def _is_os_environ_lookup(func: ast.expr) -> bool:
    """``os.getenv(...)`` or ``os.environ.get(...)``."""
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "getenv":
        return isinstance(func.value, ast.Name) and func.value.id == "os"
    return (
        func.attr == "get"
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "environ"
        and isinstance(func.value.value, ast.Name)
        and func.value.value.id == "os"
    )


def env_names_read_by(source: str) -> set[str]:
    """The variable names a settings module reads: the first string argument of ``env("X")``,
    ``env.<cast>("X")``, ``environ.Env().<cast>("X")`` (and ``os.getenv`` / ``os.environ.get``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if not (
            _is_env_object(func)
            or (isinstance(func, ast.Attribute) and _is_env_object(func.value))
            or _is_os_environ_lookup(func)
        ):
            continue
        first = node.args[0] if node.args else None
        if first is None:
            first = next((kw.value for kw in node.keywords if kw.arg == "var"), None)
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def settings_env_names() -> set[str]:
    return env_names_read_by(SETTINGS_FILE.read_text(encoding="utf-8"))


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def service(name: str) -> dict[str, Any]:
    services = compose()["services"]
    assert name in services, f"docker-compose.yml has no {name!r} service"
    return services[name]


def environment(svc: dict[str, Any]) -> dict[str, str]:
    """A service's ``environment`` in either Compose form (mapping or list of NAME=value)."""
    raw = svc.get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.split("=", 1) if "=" in item else (item, "") for item in raw)
        return {str(name): str(value) for name, value in pairs}
    return {name: "" if value is None else str(value) for name, value in raw.items()}


_VARIABLE = re.compile(r"(?<!\$)\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's ``${NAME:-default}`` and ``${NAME:?error}``, with a placeholder for host values."""

    def substitute(match: re.Match[str]) -> str:
        if match["op"] in (":-", "-"):
            return match["arg"]
        return f"{match['name'].lower().replace('_', '-')}-from-host"

    return _VARIABLE.sub(substitute, value).replace("$$", "$")


def command_words(command: str | list[str] | None) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(word) for word in command]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def dockerfile_words(arguments: str) -> list[str]:
    """Exec form (a JSON array) or shell form."""
    if arguments.startswith("["):
        return [str(word) for word in json.loads(arguments)]
    return shlex.split(arguments)


def effective_command(name: str) -> list[str]:
    """The compose ``command``, or else the image's CMD."""
    words = command_words(service(name).get("command"))
    if words:
        return words
    cmds = [args for keyword, args in dockerfile_instructions() if keyword == "CMD"]
    return dockerfile_words(cmds[-1]) if cmds else []


def named_volume_mounts(svc: dict[str, Any]) -> dict[str, str]:
    """{target path: volume name} for the service's named-volume mounts (no bind mounts)."""
    mounts: dict[str, str] = {}
    for entry in svc.get("volumes") or []:
        if isinstance(entry, str):
            source, _, rest = entry.partition(":")
            target = rest.split(":", 1)[0]
            kind = "bind" if source.startswith(("/", ".", "~", "$")) else "volume"
        else:
            source, target = entry.get("source", ""), entry.get("target", "")
            kind = entry.get("type", "volume")
        if kind == "volume" and source and target:
            mounts[target] = source
    return mounts


def depends_on(svc: dict[str, Any]) -> dict[str, str | None]:
    """{service: condition}. The list form has no conditions."""
    raw = svc.get("depends_on") or {}
    if isinstance(raw, list):
        return dict.fromkeys(raw)
    return {name: (spec or {}).get("condition") for name, spec in raw.items()}


# --- The settings parser itself ----------------------------------------------------------------
def test_it_finds_every_form_of_env_lookup_and_nothing_else():
    source = (
        "import os\nimport environ\n"
        "VAR = environ.Env().str('A', default='x')\n"
        "env = environ.Env()\n"
        "B = env.bool('B', default=False)\n"
        "C = env('C')\n"
        "D = env.db('D')\n"
        "E = env.str(var='E')\n"
        "F = os.getenv('F')\n"
        "G = os.environ.get('G')\n"
        "H = other.str('H')\n"
        "I = env.str(SOME_CONSTANT)\n"
        "J = dict(K='v')\n"
    )
    assert env_names_read_by(source) == {"A", "B", "C", "D", "E", "F", "G"}


def test_it_reads_the_core_connection_variables_in_settings():
    names = settings_env_names()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= names


# --- Services and commands ---------------------------------------------------------------------
def test_it_defines_every_service_of_the_production_shape():
    services = compose()["services"]
    for name in (*LONG_RUNNING_SERVICES, *ONE_SHOT_SERVICES):
        assert name in services, f"docker-compose.yml has no {name!r} service"


def test_it_runs_gunicorn_with_the_project_wsgi_app_for_web():
    words = effective_command("web")
    assert words, "web has no command and the Dockerfile has no CMD"
    assert PurePosixPath(words[0]).name == "gunicorn", words
    assert any(word.startswith("support_portal.wsgi") for word in words), words
    assert any(word.endswith(":8000") for word in words), "gunicorn should bind port 8000"


def test_it_runs_a_celery_worker_and_beat_on_the_project_app():
    worker = shlex.join(command_words(service("worker").get("command")))
    beat = shlex.join(command_words(service("beat").get("command")))
    assert re.match(r"celery (-A |--app[ =])support_portal worker\b", worker), worker
    assert re.match(r"celery (-A |--app[ =])support_portal beat\b", beat), beat


def test_it_runs_migrations_once_before_the_app_starts():
    migrate = service("migrate")
    words = command_words(migrate.get("command"))
    assert "manage.py" in words, words
    assert words[words.index("manage.py") + 1] == "migrate", words
    assert "--noinput" in words
    assert str(migrate.get("restart", "no")) == "no", "a one-shot service must not be restarted"
    for name in APP_SERVICES:
        assert depends_on(service(name)).get("migrate") == "service_completed_successfully", name


def test_it_builds_every_app_service_from_one_image_and_environment():
    """web, worker, beat and migrate share the x-app block: same build, same settings."""
    first, *others = (service(name) for name in (*APP_SERVICES, *ONE_SHOT_SERVICES))
    assert first.get("build"), "the app services must build from the Dockerfile"
    for other in others:
        assert other.get("build") == first["build"]
        assert environment(other) == environment(first)
    build = first["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context / dockerfile).resolve() == DOCKERFILE


# --- Health checks -----------------------------------------------------------------------------
def test_it_gives_every_long_running_service_a_healthcheck():
    for name, svc in compose()["services"].items():
        if name in ONE_SHOT_SERVICES:
            continue
        check = svc.get("healthcheck") or {}
        assert not check.get("disable"), name
        test = check.get("test")
        assert test, f"{name} has no healthcheck"
        assert test not in (["NONE"], "NONE"), f"{name} has its healthcheck switched off"


def test_it_probes_a_path_that_is_exempt_from_the_https_redirect():
    """SECURE_SSL_REDIRECT is on in production and the health check speaks plain HTTP."""
    check = " ".join(command_words(service("web")["healthcheck"]["test"]))
    match = re.search(r"http://(?:127\.0\.0\.1|localhost):8000/(\w+)", check)
    assert match, check
    path = match[1]
    assert any(re.search(pattern, path) for pattern in settings.SECURE_REDIRECT_EXEMPT), path


def test_it_checks_the_worker_and_beat_for_liveness():
    worker = " ".join(command_words(service("worker")["healthcheck"]["test"]))
    assert "inspect ping" in worker, worker
    beat_words = command_words(service("beat").get("command"))
    schedule = beat_words[beat_words.index("--schedule") + 1]
    beat_check = " ".join(command_words(service("beat")["healthcheck"]["test"]))
    assert schedule in beat_check, "the beat check should watch the schedule file beat writes"


# --- Volumes -------------------------------------------------------------------------------
def test_it_keeps_postgres_and_redis_data_on_declared_named_volumes():
    declared = compose().get("volumes") or {}
    for name, data_dir in (("postgres", "/var/lib/postgresql/data"), ("redis", "/data")):
        mounts = named_volume_mounts(service(name))
        assert data_dir in mounts, f"{name} keeps {data_dir} on no named volume"
        assert mounts[data_dir] in declared, f"volume {mounts[data_dir]!r} is not declared"


def test_it_shares_one_private_upload_volume_between_web_and_worker():
    declared = compose().get("volumes") or {}
    private_root = interpolate(environment(service("web"))["PRIVATE_MEDIA_ROOT"])
    web, worker = named_volume_mounts(service("web")), named_volume_mounts(service("worker"))
    assert private_root in web, f"web has no named volume at {private_root}"
    assert worker.get(private_root) == web[private_root]
    assert web[private_root] in declared


def test_it_keeps_the_beat_schedule_on_a_named_volume():
    declared = compose().get("volumes") or {}
    words = command_words(service("beat").get("command"))
    schedule = PurePosixPath(words[words.index("--schedule") + 1])
    mounts = named_volume_mounts(service("beat"))
    volume = next(
        (name for target, name in mounts.items() if PurePosixPath(target) in schedule.parents),
        None,
    )
    assert volume in declared, f"{schedule} is not on a declared named volume"


# --- Environment -------------------------------------------------------------------------
def test_it_passes_only_variables_that_settings_reads():
    known = settings_env_names()
    for name in (*APP_SERVICES, *ONE_SHOT_SERVICES):
        unknown = set(environment(service(name))) - known
        assert not unknown, f"{name} sets variables settings.py never reads: {sorted(unknown)}"


def test_it_passes_the_core_variables_and_leaves_debug_off():
    for name in APP_SERVICES:
        env = environment(service(name))
        assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= set(env), name
        assert "DEBUG" not in env, f"{name} must run with DEBUG unset"


def test_it_requires_the_secret_key_from_the_host():
    for name in APP_SERVICES:
        value = environment(service(name))["SECRET_KEY"]
        assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", value), f"{name}: SECRET_KEY={value!r}"


def test_it_trusts_the_tls_proxy_header():
    for name in APP_SERVICES:
        value = interpolate(environment(service(name)).get("USE_X_FORWARDED_PROTO", ""))
        assert value.lower() in ("true", "1", "yes", "on"), name


def test_it_points_the_urls_at_the_postgres_and_redis_services():
    for name in APP_SERVICES:
        env = {key: interpolate(value) for key, value in environment(service(name)).items()}
        assert environ.Env.db_url_config(env["DATABASE_URL"])["HOST"] == "postgres", name
        assert urlsplit(env["REDIS_URL"]).hostname == "redis", name
        if "CELERY_BROKER_URL" in env:
            assert urlsplit(env["CELERY_BROKER_URL"]).hostname == "redis", name


def test_it_uses_the_postgres_service_credentials_in_database_url():
    postgres = environment(service("postgres"))
    database = environ.Env.db_url_config(interpolate(environment(service("web"))["DATABASE_URL"]))
    assert database["USER"] == postgres["POSTGRES_USER"]
    assert database["NAME"] == postgres["POSTGRES_DB"]
    assert database["PASSWORD"] == interpolate(postgres["POSTGRES_PASSWORD"])


def test_it_starts_the_app_only_when_postgres_and_redis_are_healthy():
    for name in APP_SERVICES:
        conditions = depends_on(service(name))
        assert conditions.get("postgres") == "service_healthy", name
        assert conditions.get("redis") == "service_healthy", name
    assert depends_on(service("migrate")).get("postgres") == "service_healthy"


# --- Dockerfile --------------------------------------------------------------------------
def test_it_installs_the_project_with_pip():
    runs = [
        dockerfile_words(args) for keyword, args in dockerfile_instructions() if keyword == "RUN"
    ]
    installs_project = False
    for words in runs:
        for i, word in enumerate(words[:-1]):
            if PurePosixPath(word).name.startswith("pip") and words[i + 1] == "install":
                arguments = words[i + 2 :]
                installs_project |= any(re.fullmatch(r"\.(\[[\w,]+\])?/?", a) for a in arguments)
    assert installs_project, "the Dockerfile should `pip install .` from pyproject.toml"


def test_it_runs_the_image_as_a_non_root_user_on_port_8000():
    instructions = dockerfile_instructions()
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users, "the image runs as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    exposed = " ".join(args for keyword, args in instructions if keyword == "EXPOSE").split()
    assert "8000" in exposed or "8000/tcp" in exposed


def test_it_bakes_no_secret_key_or_debug_into_the_image():
    """The build-only key is passed inline to single RUN commands, never through ENV or ARG."""
    for keyword, args in dockerfile_instructions():
        if keyword in ("ENV", "ARG"):
            assert not re.search(r"\b(SECRET_KEY|DEBUG)\b", args), f"{keyword} {args}"
    runs = " ".join(args for keyword, args in dockerfile_instructions() if keyword == "RUN")
    assert "collectstatic" in runs
    assert "compilemessages" in runs
