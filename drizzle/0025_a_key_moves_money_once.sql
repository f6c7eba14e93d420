-- Invariant 5 of ARCHITECTURE.md, "one idempotency key moves money at most once, ever", held only while the key's
-- row lived: the cleanup removes idempotency_keys rows after 25 h, and the same key then moved money again.
-- The ledger keeps every posting's key for ever, so ledger_post now refuses a key it has posted under before
-- (SQLSTATE 23505, constraint ledger_transfers_idempotency_key_once; the API answers 422 IDEMPOTENCY_KEY_REUSED).
-- A posting is the only writer of its key: a key marks one posting, whose legs share it.
CREATE OR REPLACE FUNCTION ledger_post(
  p_posting uuid,
  p_kind text,
  p_debits bigint[],
  p_credits bigint[],
  p_amounts numeric[],
  p_idempotency_key text
) RETURNS TABLE (owner_id uuid, asset text, kind text, balance numeric) LANGUAGE plpgsql
-- As 0019 set it: every statement reads rows by key, where the generic plan is the right one.
SET plan_cache_mode = force_generic_plan AS $$
-- The output columns share names with ledger_accounts' columns; inside queries, the columns win.
#variable_conflict use_column
DECLARE
  v_count int := coalesce(array_length(p_debits, 1), 0);
  v_transfer bigint;
  v_debit record;
  v_credit record;
BEGIN
  IF v_count = 0 OR v_count <> coalesce(array_length(p_credits, 1), 0) OR v_count <> coalesce(array_length(p_amounts, 1), 0) THEN
    RAISE EXCEPTION 'ledger_post: legs must have matching debits, credits and amounts' USING ERRCODE = '22023';
  END IF;
  -- Callers hold the key's advisory lock (idem:<user>:<key>) to their commit, so a posting under the same key
  -- has either committed (and is seen here) or cannot run yet.
  IF p_idempotency_key IS NOT NULL AND EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.idempotency_key = p_idempotency_key) THEN
    RAISE EXCEPTION 'ledger_post: idempotency key % has moved money before', p_idempotency_key
      USING ERRCODE = '23505', CONSTRAINT = 'ledger_transfers_idempotency_key_once';
  END IF;
  PERFORM 1 FROM ledger_accounts WHERE id = ANY (p_debits || p_credits) ORDER BY id FOR UPDATE;
  FOR i IN 1 .. v_count LOOP
    UPDATE ledger_accounts SET balance = balance - p_amounts[i], version = version + 1
      WHERE id = p_debits[i] RETURNING id, asset, balance, version INTO v_debit;
    UPDATE ledger_accounts SET balance = balance + p_amounts[i], version = version + 1
      WHERE id = p_credits[i] RETURNING id, asset, balance, version INTO v_credit;
    IF v_debit.id IS NULL OR v_credit.id IS NULL THEN
      RAISE EXCEPTION 'ledger_post: unknown account in leg %', i USING ERRCODE = '22023';
    END IF;
    IF v_debit.asset <> v_credit.asset THEN
      RAISE EXCEPTION 'ledger_post: leg % moves % into a % account', i, v_debit.asset, v_credit.asset USING ERRCODE = '22023';
    END IF;
    INSERT INTO ledger_transfers (posting_id, kind, debit_account_id, credit_account_id, asset, amount, idempotency_key)
      VALUES (p_posting, p_kind, p_debits[i], p_credits[i], v_debit.asset, p_amounts[i], p_idempotency_key)
      RETURNING id INTO v_transfer;
    INSERT INTO ledger_entries (account_id, transfer_id, amount, balance_after, version) VALUES
      (v_debit.id, v_transfer, -p_amounts[i], v_debit.balance, v_debit.version),
      (v_credit.id, v_transfer, p_amounts[i], v_credit.balance, v_credit.version);
  END LOOP;
  RETURN QUERY
    SELECT a.owner_id, a.asset, a.kind, a.balance FROM ledger_accounts a
    WHERE a.kind IN ('available', 'held')
      AND (a.owner_id, a.asset) IN (
        SELECT t.owner_id, t.asset FROM ledger_accounts t WHERE t.id = ANY (p_debits || p_credits) AND t.owner_id IS NOT NULL
      );
END;
$$;
