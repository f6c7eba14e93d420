-- format_units: minor units as API.md's decimal string, trailing zeros trimmed ("0", "1.5", "-2"): the same
-- text as formatAmount in src/platform/money.ts (a test holds the two together), for frames written here.
CREATE FUNCTION format_units(p_units numeric, p_precision int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT trim_scale((p_units::text || 'e-' || p_precision)::numeric)::text
$$;
--> statement-breakpoint
-- audit_append: appends entries (a JSON array, in order) to their hash chains in one call. Heads are taken
-- in chain order, so two writers never deadlock. A row's hash is SHA-256 of the canonical JSON array
-- [prevHash, chain, seq, userId, action, ip, userAgent, metadata, createdAt]; the writer sends everything
-- after seq as `tail` (auditTail in src/modules/audit/service.ts), since only the head knows seq and prevHash.
CREATE FUNCTION audit_append(p_entries jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_entry jsonb;
  v_seq int;
  v_prev text;
  v_hash text;
BEGIN
  FOR v_entry IN
    SELECT e FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS x(e, n) ORDER BY e->>'chain', n
  LOOP
    INSERT INTO audit_heads AS h (chain, seq, hash) VALUES (v_entry->>'chain', 1, repeat('0', 64))
      ON CONFLICT (chain) DO UPDATE SET seq = h.seq + 1
      RETURNING h.seq, h.hash INTO v_seq, v_prev;
    v_hash := encode(sha256(convert_to(
      '[' || to_json(v_prev)::text || ',' || to_json(v_entry->>'chain')::text || ',' || v_seq || ',' || (v_entry->>'tail'),
      'UTF8')), 'hex');
    INSERT INTO audit_log (chain, seq, user_id, action, ip, user_agent, metadata, created_at, prev_hash, hash)
      VALUES (v_entry->>'chain', v_seq, (v_entry->>'userId')::uuid, v_entry->>'action', v_entry->>'ip',
              v_entry->>'userAgent', v_entry->'metadata', (v_entry->>'createdAt')::timestamptz, v_prev, v_hash);
    UPDATE audit_heads SET hash = v_hash WHERE chain = v_entry->>'chain';
  END LOOP;
END;
$$;
--> statement-breakpoint
-- p2p_sender_lock: locks the sender's p2p_senders row (made on first use) until the transaction ends, and
-- answers its version: the facts a transfer is judged on are current while the version is the one read.
CREATE FUNCTION p2p_sender_lock(p_sender uuid) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_version bigint;
BEGIN
  INSERT INTO p2p_senders (sender_id) VALUES (p_sender) ON CONFLICT (sender_id) DO NOTHING;
  SELECT s.version INTO v_version FROM p2p_senders s WHERE s.sender_id = p_sender FOR UPDATE;
  RETURN v_version;
END;
$$;
--> statement-breakpoint
-- p2p_send: a whole P2P transfer in one round trip. The caller has read the sender's recent transfers,
-- judged limits and AML on them, and sends everything it decided. Here, under the request's Idempotency-Key
-- and the sender's lock: an answer already stored for the key is handed back ('replay'); a key still in
-- use elsewhere is 'busy'; if the sender's transfers changed since they were read ('stale': the version of
-- the sender's p2p_senders row moved), the caller judges again under the lock. Otherwise the legs are
-- the transfer, its AML flags, history rows, the users' events and the stored answer are written, the legs
-- posted through ledger_post (a balance below zero raises 23514, undoing everything) with balance frames from
-- the new balances, and the audit rows appended, all in one transaction: 'done'.
CREATE FUNCTION p2p_send(
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

  IF p2p_sender_lock(p_sender) <> p_seen_version THEN
    RETURN QUERY SELECT 'stale', NULL::text, NULL::int, NULL::text;
    RETURN;
  END IF;
  UPDATE p2p_senders SET version = version + 1 WHERE sender_id = p_sender;

  INSERT INTO p2p_transfers (id, sender_id, recipient_id, asset, amount, amount_usd_cents, note, status, created_at)
    SELECT t.id, p_sender, t."recipientId", t.asset, t.amount::numeric, t."amountUsdCents"::bigint, t.note, t.status, t."createdAt"
    FROM jsonb_to_record(p_transfer) AS t(id uuid, "recipientId" uuid, asset text, amount text, "amountUsdCents" text,
      note text, status text, "createdAt" timestamptz);
  INSERT INTO aml_flags (transfer_id, user_id, rule, detail)
    SELECT (p_transfer->>'id')::uuid, p_sender, f.rule, f.detail FROM jsonb_to_recordset(p_flags) AS f(rule text, detail text);
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
--> statement-breakpoint
-- A sender's limit and AML counts read p2p_transfers by index alone once its pages are all-visible: vacuum
-- this append-mostly table after 2 % new rows rather than the default 20 %, so that stays true under load.
ALTER TABLE p2p_transfers SET (autovacuum_vacuum_insert_scale_factor = 0.02);
