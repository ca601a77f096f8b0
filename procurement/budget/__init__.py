"""The budget stage: submit, approve or return; its exit gate `budget_approved`."""
