-- p2p_send, as in 0018, with two changes to the flags it records:
-- * A flag is stamped with its transfer's time, not the transaction's start. The screening asks whether an open
--   flag of a rule falls within the rule's window, measured from a transfer's time, and an auditor reads a flag
--   beside its transfer: both want the one clock. (The transaction's start could fall before an admin resolved
--   the previous flag whose resolution let this one be raised.)
-- * A flag keeps the review threshold it was judged with (each flag of p_flags may carry reviewThresholdUsdCents).
CREATE OR REPLACE FUNCTION p2p_send(
  p_sender uuid,
  p_key text,
  p_request_hash text,
  p_answer_status int,
  p_answer_body text,
  p_seen_version bigint,
  p_transfer jsonb,
  p_flags jsonb,
  p_history jsonb,
  p_events jsonb,
  p_audit jsonb,
  p_precision int,
  p_posting uuid,
  p_posting_kind text,
  p_debits bigint[],
  p_credits bigint[],
  p_amounts numeric[],
  p_ledger_key text
) RETURNS TABLE (outcome text, stored_hash text, stored_status int, stored_body text) LANGUAGE plpgsql AS $$
DECLARE
  v_previous record;
  v_day date := ((p_transfer->>'createdAt')::timestamptz AT TIME ZONE 'UTC')::date;
  v_usd_cents bigint := (p_transfer->>'amountUsdCents')::bigint;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended('idem:' || p_sender || ':' || p_key, 0)) THEN
    RETURN QUERY SELECT 'busy', NULL::text, NULL::int, NULL::text;
    RETURN;
  END IF;
  SELECT i.request_hash, i.response_status, i.response_body INTO v_previous
    FROM idempotency_keys i WHERE i.user_id = p_sender AND i.key = p_key;
  IF FOUND THEN
    RETURN QUERY SELECT 'replay', v_previous.request_hash, v_previous.response_status, v_previous.response_body;
    RETURN;
  END IF;

  UPDATE p2p_senders s SET
      version = s.version + 1,
      day_total_usd_cents = CASE WHEN s.day = v_day THEN s.day_total_usd_cents + v_usd_cents
                                 WHEN s.day > v_day THEN s.day_total_usd_cents
                                 ELSE v_usd_cents END,
      day = greatest(s.day, v_day)
    WHERE s.sender_id = p_sender AND s.version = p_seen_version;
  IF NOT FOUND THEN
    IF p_seen_version <> 0 THEN
      RETURN QUERY SELECT 'stale', NULL::text, NULL::int, NULL::text;
      RETURN;
    END IF;
    INSERT INTO p2p_senders (sender_id, version, day, day_total_usd_cents) VALUES (p_sender, 1, v_day, v_usd_cents)
      ON CONFLICT (sender_id) DO NOTHING;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'stale', NULL::text, NULL::int, NULL::text;
      RETURN;
    END IF;
  END IF;

  INSERT INTO p2p_transfers (id, sender_id, recipient_id, asset, amount, amount_usd_cents, note, status, created_at)
    SELECT t.id, p_sender, t."recipientId", t.asset, t.amount::numeric, t."amountUsdCents"::bigint, t.note, t.status, t."createdAt"
    FROM jsonb_to_record(p_transfer) AS t(id uuid, "recipientId" uuid, asset text, amount text, "amountUsdCents" text,
      note text, status text, "createdAt" timestamptz);
  IF jsonb_array_length(p_flags) > 0 THEN
    INSERT INTO aml_flags (transfer_id, user_id, rule, detail, created_at, review_threshold_usd_cents)
      SELECT (p_transfer->>'id')::uuid, p_sender, f.rule, f.detail, (p_transfer->>'createdAt')::timestamptz,
             f."reviewThresholdUsdCents"::numeric
      FROM jsonb_to_recordset(p_flags) AS f(rule text, detail text, "reviewThresholdUsdCents" text);
  END IF;
  INSERT INTO transactions (id, user_id, type, asset, amount, fee, status, direction, counterparty, reference, note, created_at)
    SELECT h.id, h."userId", h.type, h.asset, h.amount::numeric, h.fee::numeric, h.status, h.direction, h.counterparty,
           h.reference, h.note, h."createdAt"
    FROM jsonb_to_recordset(p_history) AS h(id uuid, "userId" uuid, type text, asset text, amount text, fee text, status text,
      direction text, counterparty text, reference text, note text, "createdAt" timestamptz);
  INSERT INTO outbox_events (user_id, type, data)
    SELECT e."userId", e.type, e.data FROM jsonb_to_recordset(p_events) AS e("userId" uuid, type text, data jsonb);
  INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body)
    VALUES (p_sender, p_key, p_request_hash, p_answer_status, p_answer_body);
  -- The accounts and the audit heads are what concurrent transfers queue on: taken last, held only to the commit.
  INSERT INTO outbox_events (user_id, type, data)
    SELECT b.owner_id, 'balance', jsonb_build_object(
             'asset', b.asset,
             'available', format_units(b.available, p_precision),
             'held', format_units(b.held, p_precision),
             'total', format_units(b.available + b.held, p_precision))
    FROM (
      SELECT l.owner_id, l.asset,
             coalesce(sum(l.balance) FILTER (WHERE l.kind = 'available'), 0) AS available,
             coalesce(sum(l.balance) FILTER (WHERE l.kind = 'held'), 0) AS held
      FROM ledger_post(p_posting, p_posting_kind, p_debits, p_credits, p_amounts, p_ledger_key) l
      GROUP BY l.owner_id, l.asset
    ) b;

  PERFORM audit_append(p_audit);
  RETURN QUERY SELECT 'done', NULL::text, NULL::int, NULL::text;
END;
$$;
