"""The stack's own template, `deploy/resources.yaml`, as data: CloudFormation's short tags read as
`{"Ref": "AlarmTopic"}`, `{"Sub": "..."}` (a tag on a list or mapping, e.g. `!Not [...]`, as None:
no test reads those)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

RESOURCES = Path(__file__).resolve().parent.parent / "deploy" / "resources.yaml"


class _Template(yaml.SafeLoader):  # type: ignore[misc]
    pass


_Template.add_multi_constructor(
    "!",
    lambda loader, suffix, node: (
        {suffix: loader.construct_scalar(node)} if isinstance(node, yaml.ScalarNode) else None
    ),
)


def resources_template() -> dict[str, Any]:
    return dict(yaml.load(RESOURCES.read_text(), Loader=_Template))  # noqa: S506 (SafeLoader's own subclass)


def alarms(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The properties of every CloudWatch alarm of the template."""
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
