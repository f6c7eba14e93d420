-- An account's owner, asset and kind never change; ledger_post moves only its balance and version. Without this
-- guard, whoever can write the table could hand one user's account, with its whole history, to another, and every
-- invariant of the ledger would still hold. The trigger fires only for an UPDATE that names one of those columns,
-- so the postings, which never do, pay nothing for it.
CREATE FUNCTION ledger_account_identity_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.owner_id IS DISTINCT FROM OLD.owner_id OR NEW.asset <> OLD.asset OR NEW.kind <> OLD.kind THEN
    RAISE EXCEPTION 'ledger_accounts: account % keeps its owner, asset and kind', OLD.id USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER ledger_accounts_identity_fixed BEFORE UPDATE OF owner_id, asset, kind ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_account_identity_fixed();
