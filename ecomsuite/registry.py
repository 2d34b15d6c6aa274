"""The jobs the pipeline runs, in order. Add a job here to put it in every runner."""

import importlib

JOB_CLASSES = (
    "jobs.mr_sales_by_region:MRSalesByRegion",
    "jobs.mr_customer_tiers:MRCustomerTiers",
    "jobs.mr_device_conversions:MRDeviceConversions",
    "jobs.mr_funnel:MRFunnel",
    "jobs.mr_daily_revenue:MRDailyRevenue",
    "jobs.mr_fraud_signals:MRFraudSignals",
    "jobs.mr_customer_segments:MRCustomerSegments",
    "jobs.mr_top_products:MRTopProducts",
)


def load_job_class(path):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def job_classes():
    """{job NAME: job class} in pipeline order."""
    classes = [load_job_class(p) for p in JOB_CLASSES]
    return {cls.NAME: cls for cls in classes}
