"""The Kubernetes component that mounts the Secret as files (deploy/k8s/components/secret-files).

Quick tier. An overlay of the production overlay lists the component; its rendering passes
`kubernetes-validate --strict` (as tests/test_kubernetes.py validates the others), and every
pod of the service reads each key of the Secret from a file: no `secretRef` is left, each
`NAME_FILE` names the file the mounted Secret holds for that key, and the volume is read-only
and readable by the pods' group alone. A bake without Celery gets no broker file.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.bakes import render_template
from test_kubernetes import (
    APP_UID,
    SECRET_KEYS,
    VALIDATED_VERSIONS,
    kustomize,
    resource_ids,
    validate,
)

MOUNT = "/run/secrets/app"
OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../production
components:
  - ../../components/secret-files
"""


def render(tmp_path: Path, **answers: Any) -> tuple[Path, list[dict[str, Any]], dict[str, Any]]:
    with contextlib.redirect_stdout(io.StringIO()):
        project = render_template(tmp_path / "bake", {"use_kubernetes": True, **answers})
    overlay = project / "deploy" / "k8s" / "overlays" / "secret-files"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(OVERLAY, encoding="utf-8")
    rendered = kustomize(overlay, tmp_path / "secret-files.yaml")
    example = yaml.safe_load((project / "deploy" / "k8s" / "secret.example.yaml").read_text())
    return rendered.path, rendered.docs, example


@pytest.mark.parametrize("use_celery", [True, False])
def test_every_pod_reads_each_key_of_the_secret_from_its_file_and_validates(
    tmp_path: Path, use_celery: bool
) -> None:
    path, docs, example = render(tmp_path, use_celery=use_celery)
    for version in VALIDATED_VERSIONS:
        passed, problems = validate([path], version)
        assert problems == [], "\n".join(problems)
        assert passed == {str(path): resource_ids(docs)}
    secret = example["metadata"]["name"]
    keys = set(example["stringData"])
    assert keys == (SECRET_KEYS if use_celery else SECRET_KEYS - {"CELERY_BROKER_URL"})
    workloads = [doc for doc in docs if doc["kind"] in {"Deployment", "Job"}]
    components = {doc["metadata"]["labels"]["app.kubernetes.io/component"] for doc in workloads}
    assert components == (
        {"web", "worker", "beat", "migrate"} if use_celery else {"web", "migrate"}
    )

    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        container = pod["containers"][0]
        name = workload["metadata"]["name"]
        assert [list(source) for source in container["envFrom"]] == [["configMapRef"]], name
        files = {item["name"]: item["value"] for item in container["env"]}
        assert files == {f"{key}_FILE": f"{MOUNT}/{key}" for key in keys}, name
        mounts = [mount for mount in container["volumeMounts"] if mount["mountPath"] == MOUNT]
        assert mounts == [{"name": "secrets", "mountPath": MOUNT, "readOnly": True}], name
        volume = next(volume for volume in pod["volumes"] if volume["name"] == "secrets")
        assert volume["secret"] == {"secretName": secret, "defaultMode": 0o440}, name
        assert pod["securityContext"]["fsGroup"] == APP_UID, name
