"""Call-off orders placed by projects against signed agreements, within their quotas."""
