-- ledger_post's lock statement (`id = ANY (p_debits || p_credits) ORDER BY id FOR UPDATE`) looks cheaper to
-- the planner with each call's own array than with a generic plan, so it was planned again on every call:
-- about a tenth of a posting's time in Postgres (pg_stat_statements: one plan per call). Every statement of
-- the function reads rows by key, where the generic plan is the right one: plan each statement once.
ALTER FUNCTION ledger_post(uuid, text, bigint[], bigint[], numeric[], text) SET plan_cache_mode = force_generic_plan;
