-- Chains written before audit_heads existed start from their newest row.
INSERT INTO audit_heads (chain, seq, hash)
SELECT DISTINCT ON (chain) chain, seq, hash FROM audit_log ORDER BY chain, seq DESC
ON CONFLICT (chain) DO NOTHING;
