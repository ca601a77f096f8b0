"""Contracts and framework agreements signed on awarded lots, with per-project quotas."""
