-- The audit tables refuse UPDATE and DELETE, whatever code or person issues them.

CREATE TRIGGER surveillance_alert_audit_no_update
BEFORE UPDATE ON surveillance_alert_audit
BEGIN
    SELECT RAISE(ABORT, 'surveillance_alert_audit is append-only');
END;

CREATE TRIGGER surveillance_alert_audit_no_delete
BEFORE DELETE ON surveillance_alert_audit
BEGIN
    SELECT RAISE(ABORT, 'surveillance_alert_audit is append-only');
END;

CREATE TRIGGER surveillance_parameter_versions_no_update
BEFORE UPDATE ON surveillance_parameter_versions
BEGIN
    SELECT RAISE(ABORT, 'surveillance_parameter_versions is append-only');
END;

CREATE TRIGGER surveillance_parameter_versions_no_delete
BEFORE DELETE ON surveillance_parameter_versions
BEGIN
    SELECT RAISE(ABORT, 'surveillance_parameter_versions is append-only');
END;
