"""Procedure profiles: the rules of each procurement method as dated data rows.

One row per method, legal track, city (NULL = the national default) and effective date holds
every number the tender, bid, award and contract rules use (minimum tender period, document
availability, clarification cut-off, bond cap, minimum bidders, price-weight floors, challenge
and standstill windows...). A rule change is a new row with a later effective date; rows are
never edited (`models.ProcedureProfile` refuses updates). `services.profile_for` picks the row
in force for a city on a date: the city's own row when it has one, else the national one.
"""
