"""moto's server, with what the tests need that moto does not do as AWS
does: CloudWatch's DescribeAlarmHistory, which moto does not answer, and
PutMetricFilter on an existing name, which moto adds a second time where
CloudWatch Logs replaces the filter
(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html:
"Creates or updates a metric filter").

moto keeps no history in AWS's shape (its Alarm.history holds tuples of
the *previous* state), so this module records, on moto's own backend,
what CloudWatch records: a StateUpdate item per SetAlarmState (and per
PutMetricAlarm, a ConfigurationUpdate), and an Action item per SNS action
run on entering a state, as documented at
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_AlarmHistoryItem.html
and then serves them through moto's serializer, so every protocol the
clients speak (query, JSON, CBOR) gets the same answer.

CTREPLAY_MOTO_HISTORY_PAGE=N caps a page at N items (default 100, the
API's), so that the tests see NextToken pagination.

    python scripts/moto_ext.py -H 127.0.0.1 -p PORT   # as moto_server
"""

import datetime
import json
import os

from moto.cloudwatch import models, responses
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

PAGE = int(os.environ.get("CTREPLAY_MOTO_HISTORY_PAGE", "100"))


def _item(alarm, kind, summary, data):
    return {
        "AlarmName": alarm.name,
        "AlarmType": "MetricAlarm",
        "Timestamp": utcnow(),
        "HistoryItemType": kind,
        "HistorySummary": summary,
        "HistoryData": json.dumps(data),
    }


def _log(alarm):
    if not hasattr(alarm, "ctreplay_history"):
        alarm.ctreplay_history = []
    return alarm.ctreplay_history


_original_update = models.Alarm.update_state


def update_state(self, reason, reason_data, state_value):
    old = self.state_value
    _original_update(self, reason, reason_data, state_value)
    state = lambda v, r: {"stateValue": v, "stateReason": r}  # noqa: E731
    _log(self).append(
        _item(
            self,
            "StateUpdate",
            f"Alarm updated from {old} to {state_value}",
            {
                "version": "1.0",
                "oldState": state(old, ""),
                "newState": state(state_value, reason),
            },
        )
    )
    actions = {
        "ALARM": self.alarm_actions,
        "OK": self.ok_actions,
        "INSUFFICIENT_DATA": self.insufficient_data_actions,
    }[state_value]
    if self.actions_enabled and old != state_value:
        for arn in actions or []:
            _log(self).append(
                _item(
                    self,
                    "Action",
                    f"Successfully executed action {arn}",
                    {"actionState": "Succeeded", "notificationResource": arn},
                )
            )


models.Alarm.update_state = update_state


_original_put = models.CloudWatchBackend.put_metric_alarm


def put_metric_alarm(self, *args, **kwargs):
    alarm = _original_put(self, *args, **kwargs)
    _log(alarm).append(
        _item(alarm, "ConfigurationUpdate", f'Alarm "{alarm.name}" updated', {"version": "1.0"})
    )
    return alarm


models.CloudWatchBackend.put_metric_alarm = put_metric_alarm


def _naive(t):
    """A request's time as moto's own: naive UTC."""
    if t is None or isinstance(t, datetime.datetime) and t.tzinfo is None:
        return t
    if isinstance(t, (int, float)):
        return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).replace(tzinfo=None)
    if isinstance(t, str):
        t = datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
        if t.tzinfo is None:
            return t
    return t.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def describe_alarm_history(self):
    name = self._get_param("AlarmName")
    kind = self._get_param("HistoryItemType")
    start = _naive(self._get_param("StartDate"))
    end = _naive(self._get_param("EndDate"))
    limit = min(int(self._get_param("MaxRecords") or 100), PAGE)
    token = int(self._get_param("NextToken") or 0)
    items = []
    for alarm in self.cloudwatch_backend.alarms.values():
        if name and alarm.name != name:
            continue
        items.extend(getattr(alarm, "ctreplay_history", []))
    items = [
        i
        for i in items
        if (not kind or i["HistoryItemType"] == kind)
        and (start is None or i["Timestamp"] >= start)
        and (end is None or i["Timestamp"] <= end)
    ]
    # Newest first, as ScanBy's default (TimestampDescending).
    items.sort(key=lambda i: i["Timestamp"], reverse=True)
    page = items[token : token + limit]
    result = {"AlarmHistoryItems": page}
    if token + limit < len(items):
        result["NextToken"] = str(token + limit)
    return ActionResult(result)


responses.CloudWatchResponse.describe_alarm_history = describe_alarm_history


from moto.logs import metric_filters  # noqa: E402

_original_add = metric_filters.MetricFilters.add_filter


def add_filter(self, filter_name, filter_pattern, log_group_name, metric_transformations):
    self.metric_filters = [
        f
        for f in self.metric_filters
        if not (f["filterName"] == filter_name and f["logGroupName"] == log_group_name)
    ]
    _original_add(self, filter_name, filter_pattern, log_group_name, metric_transformations)


metric_filters.MetricFilters.add_filter = add_filter


if __name__ == "__main__":
    from moto.server import main

    main()
