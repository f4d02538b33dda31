-- The audit tables refuse UPDATE, DELETE and TRUNCATE, whatever code or person issues them.

CREATE FUNCTION surveillance_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;

CREATE TRIGGER surveillance_alert_audit_append_only
BEFORE UPDATE OR DELETE ON surveillance_alert_audit
FOR EACH ROW EXECUTE FUNCTION surveillance_append_only();

CREATE TRIGGER surveillance_alert_audit_no_truncate
BEFORE TRUNCATE ON surveillance_alert_audit
FOR EACH STATEMENT EXECUTE FUNCTION surveillance_append_only();

CREATE TRIGGER surveillance_parameter_versions_append_only
BEFORE UPDATE OR DELETE ON surveillance_parameter_versions
FOR EACH ROW EXECUTE FUNCTION surveillance_append_only();

CREATE TRIGGER surveillance_parameter_versions_no_truncate
BEFORE TRUNCATE ON surveillance_parameter_versions
FOR EACH STATEMENT EXECUTE FUNCTION surveillance_append_only();
