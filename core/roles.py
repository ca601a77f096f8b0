"""Roles and which organisation kinds may hold them."""
SUPPLIER = "supplier"
PURCHASER = "purchaser"
PROCUREMENT_OFFICER = "procurement_officer"
FINANCE_REVIEWER = "finance_reviewer"
INSPECTOR = "inspector"
# An evaluation expert of a city's expert pool: sits on evaluation panels drawn at random.
EXPERT = "expert"
PLATFORM_ADMIN = "platform_admin"
PLATFORM_REVIEWER = "platform_reviewer"
# Any organisation's administrator: invites colleagues, assigns their roles, deactivates them.
ORG_ADMIN = "org_admin"

# In order of precedence for a person's home page (ORG_ADMIN last: it comes with a job role).
ALL_ROLES = (SUPPLIER, PURCHASER, PROCUREMENT_OFFICER, FINANCE_REVIEWER, INSPECTOR, EXPERT, PLATFORM_ADMIN,
             PLATFORM_REVIEWER, ORG_ADMIN)

ORG_SUPPLIER = "supplier"
ORG_PURCHASER = "purchaser"
ORG_CENTRE = "procurement_centre"
ORG_FINANCE = "finance_office"
ORG_INSPECTION = "inspection_authority"
ORG_PLATFORM = "platform"
# A city's evaluation expert pool: the experts' accounts live here; the city's finance office
# administers it (procurement.evaluation), so it has no administrator of its own.
ORG_EXPERT_POOL = "expert_pool"

ORG_KINDS = (ORG_SUPPLIER, ORG_PURCHASER, ORG_CENTRE, ORG_FINANCE, ORG_INSPECTION, ORG_PLATFORM, ORG_EXPERT_POOL)

# An organisation kind limits the roles its people can hold.
ROLES_BY_ORG_KIND = {
    ORG_SUPPLIER: {SUPPLIER, ORG_ADMIN},
    ORG_PURCHASER: {PURCHASER, ORG_ADMIN},
    ORG_CENTRE: {PROCUREMENT_OFFICER, ORG_ADMIN},
    ORG_FINANCE: {FINANCE_REVIEWER, ORG_ADMIN},
    ORG_INSPECTION: {INSPECTOR, ORG_ADMIN},
    ORG_PLATFORM: {PLATFORM_ADMIN, PLATFORM_REVIEWER, ORG_ADMIN},
    ORG_EXPERT_POOL: {EXPERT},
}

CITY_BOUND_KINDS = {ORG_PURCHASER, ORG_CENTRE, ORG_FINANCE, ORG_INSPECTION, ORG_EXPERT_POOL}
