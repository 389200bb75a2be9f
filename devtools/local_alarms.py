"""What CloudWatch and SNS do for the alert functions in the stack, for `make run` and the tests.

`alarm_message` is a CloudWatch alarm's state change as SNS carries it (the notification's `Message`)
and `sns_event` the Lambda event around it, both shaped as AWS shapes them. `LocalAlarms` plays the
stack's sync-failed alarms: it looks at the runs every few seconds (a run from the schedule, the console
or the API alike) and hands each state change to the alarm handler, as SNS would.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.db import Database
from chalicelib.stores import runs

TOPIC = "arn:aws:sns:eu-central-1:123456789012:strattera-sync-local-alarms"


def _aws_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def alarm_message(
    name: str,
    state: str,
    old: str,
    changed_at: datetime,
    *,
    resource: str = "orders",
    metric: str = "RunFailed",
    description: str = "An orders sync run failed (the shop, or the database).",
) -> str:
    """The JSON CloudWatch publishes to SNS when alarm `name` goes from `old` to `state`."""
    return json.dumps({
        "AlarmName": name,
        "AlarmDescription": description,
        "AWSAccountId": "123456789012",
        "AlarmConfigurationUpdatedTimestamp": "2026-12-01T08:00:00.000+0000",
        "NewStateValue": state,
        "NewStateReason": "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (07/12/26 09:00:00)] was "
        "greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).",
        "StateChangeTime": _aws_time(changed_at),
        "Region": "EU (Frankfurt)",
        "AlarmArn": f"arn:aws:cloudwatch:eu-central-1:123456789012:alarm:{name}",
        "OldStateValue": old,
        "OKActions": [TOPIC],
        "AlarmActions": [TOPIC],
        "InsufficientDataActions": [],
        "Trigger": {
            "MetricName": metric, "Namespace": "StratteraSync", "StatisticType": "Statistic",
            "Statistic": "SUM", "Unit": None, "Dimensions": [{"value": resource, "name": "Resource"}],
            "Period": 300, "EvaluationPeriods": 1, "DatapointsToAlarm": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold", "Threshold": 1.0,
            "TreatMissingData": "notBreaching", "EvaluateLowSampleCountPercentile": "",
        },
    })  # fmt: skip


def sns_event(message: str, *, subject: str = "ALARM", at: datetime | None = None) -> dict[str, Any]:
    """The event SNS invokes a subscribed Lambda with, for one notification."""
    sent = at or datetime.now()
    return {
        "Records": [{
            "EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": f"{TOPIC}:{uuid.uuid4()}",
            "Sns": {
                "Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": TOPIC,
                "Subject": subject, "Message": message,
                "Timestamp": sent.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "SignatureVersion": "1", "Signature": "EXAMPLE==",
                "SigningCertUrl": "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-0000.pem",
                "UnsubscribeUrl": "https://sns.eu-central-1.amazonaws.com/?Action=Unsubscribe",
                "MessageAttributes": {},
            },
        }]
    }  # fmt: skip


class LocalAlarms:
    """The `<resource>-sync-failed` alarms: ALARM when a resource's last run failed, OK when it then
    succeeds; each change handed to `deliver` (the alarm handler's `on_sns`)."""

    def __init__(self, db: Database, deliver: Callable[[str], Any], *, stage: str = "local") -> None:
        self._db = db
        self._deliver = deliver
        self._stage = stage
        self._state: dict[str, str] = {}

    def check(self) -> None:
        with self._db.transaction() as conn:
            latest = runs.latest_runs(conn)
        for resource, found in latest.items():
            run = found.get("last_run")
            if run is None or run["finished_at"] is None:
                continue
            name = f"strattera-sync-{self._stage}-{resource}-sync-failed"
            state = "ALARM" if run["status"] == "failed" else "OK"
            old = self._state.get(name, "INSUFFICIENT_DATA")
            if state != old:
                self._state[name] = state
                description = f"A {resource} sync run failed."
                self._deliver(alarm_message(name, state, old, run["finished_at"], resource=resource,
                                            description=description))  # fmt: skip
