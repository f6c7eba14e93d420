-- ledger_post: the only way a balance changes. Several legs post atomically in one round trip:
-- every account involved is locked in id order (so two postings never deadlock), each leg inserts
-- its transfer and two entries carrying the new balance and version, and the CHECK constraint on
-- ledger_accounts refuses any user balance below zero (SQLSTATE 23514, ledger_accounts_non_negative).
-- It answers with the new available and held balances of every user and asset it touched, so the
-- caller can tell the users without another round trip.
CREATE FUNCTION ledger_post(
  p_posting uuid,
  p_kind text,
  p_debits bigint[],
  p_credits bigint[],
  p_amounts numeric[],
  p_idempotency_key text
) RETURNS TABLE (owner_id uuid, asset text, kind text, balance numeric) LANGUAGE plpgsql AS $$
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
--> statement-breakpoint
-- Transfers and entries are history: nothing may change or remove them.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER ledger_transfers_append_only BEFORE UPDATE OR DELETE ON ledger_transfers FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
