"""Work orders for a CMMS (CSV and JSON) and alerts (webhook POST, MQTT) from graded findings.

One work order per finding whose primary grade is urgent enough (``WorkOrderPolicy``): asset id,
component, priority and due date from the rule (inspection date + the state's interval), a
description naming the grade and the clause, and evidence links into the results folder. A finding
graded "indeterminate" gets a work order to measure it on site: nothing is silently dropped.
What the review app decided (``apply_review``) is applied when the orders are listed or alerted: a
finding rejected there (a formwork joint, a stain) raises no work order and no alert, and says so;
the others' descriptions end with the review (confirmed by, relabelled, the comments).
"""

from __future__ import annotations

from groundstation.workorders.alerts import AlertConfig, AlertReport, send_alerts
from groundstation.workorders.orders import (CSV_COLUMNS, WorkOrder, WorkOrderPolicy, build_work_orders, csv_safe,
                                             load_work_orders, read_work_orders, work_orders_csv, work_orders_json,
                                             write_work_orders)
from groundstation.workorders.review import (ReviewTrail, apply_review, published_review, read_review, review_note,
                                             with_review)

__all__ = ["AlertConfig", "AlertReport", "CSV_COLUMNS", "csv_safe", "ReviewTrail", "WorkOrder", "WorkOrderPolicy",
           "apply_review", "published_review", "read_review", "review_note", "with_review",
           "build_work_orders", "load_work_orders", "read_work_orders", "send_alerts", "work_orders_csv",
           "work_orders_json", "write_work_orders"]
