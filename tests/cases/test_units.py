"""Case model, rules, webhook signing, e-mail and closed-loop figures, on small hand-made data."""

from __future__ import annotations

import datetime as dt
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from casehelpers import SECRET
from scipy import stats

import b2bcx
from b2bcx.cases import closed_loop, open_case, update_case
from b2bcx.cases.email import SmtpSettings, digest, send_email
from b2bcx.cases.model import add_business_days, check_transition
from b2bcx.cases.results import paired_t_interval
from b2bcx.cases.rules import default_rules, load_rules, parse_rules
from b2bcx.cases.webhooks import WebhookVerificationError, headers, sign, verify
from b2bcx.errors import ConfigurationError, NotFound

T0 = dt.datetime(2026, 3, 2, 9, 0)  # a Monday


def test_transitions() -> None:
    check_transition("open", "in_progress")
    check_transition("in_progress", "closed")
    check_transition("closed", "open")
    with pytest.raises(ConfigurationError, match="it can only go to: open"):
        check_transition("closed", "in_progress")
    with pytest.raises(ConfigurationError, match="unknown case status"):
        check_transition("open", "done")


def test_business_days() -> None:
    friday = dt.datetime(2026, 3, 6, 17, 0)
    assert add_business_days(friday, 1) == dt.datetime(2026, 3, 9, 17, 0)
    assert add_business_days(T0, 0) == T0
    assert add_business_days(T0, 5) == T0 + dt.timedelta(days=7)
    saturday = dt.datetime(2026, 3, 7, 10, 0)
    assert add_business_days(saturday, 1) == dt.datetime(2026, 3, 9, 10, 0)


def test_rules_defaults_and_validation(tmp_path: Path) -> None:
    rules = default_rules()
    assert [r.name for r in rules.enabled] == ["detractor"]
    assert rules.rule("detractor").due_business_days == 2
    custom = parse_rules(
        {
            "rules": {
                "detractor": {"due_business_days": 1, "params": {"max_nps": 4}},
                "big-c4": {"kind": "finding", "enabled": True, "params": {"min_severity": 0.8}},
            }
        }
    )
    assert custom.rule("detractor").params["max_nps"] == 4
    assert custom.rule("detractor").params["grace_days"] == 7
    assert custom.rule("big-c4").params["challenge"] == "C4"
    with pytest.raises(ConfigurationError, match=r"max_nps must lie in \[0, 10\]"):
        parse_rules({"rules": {"detractor": {"params": {"max_nps": 11}}}})
    with pytest.raises(ConfigurationError, match="unknown parameter"):
        parse_rules({"rules": {"detractor": {"params": {"maxnps": 3}}}})
    with pytest.raises(ConfigurationError, match="unknown kind"):
        parse_rules({"rules": {"x": {"kind": "nope"}}})
    with pytest.raises(ConfigurationError, match="challenge must be one of"):
        parse_rules({"rules": {"finding": {"params": {"challenge": "C9"}}}})
    path = tmp_path / "rules.yaml"
    path.write_text("webhook: {url: 'http://x', secret: whsec_abc}\nowners: {Ann: a@x.org}\n")
    loaded = load_rules(path)
    assert loaded.webhook_url == "http://x" and loaded.email_of("Ann") == "a@x.org"
    with pytest.raises(ConfigurationError, match="no rules file"):
        load_rules(tmp_path / "missing.yaml")


def test_secret_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = parse_rules({"webhook": {"secret": "whsec_file"}})
    assert rules.secret() == "whsec_file"
    monkeypatch.setenv("B2BCX_WEBHOOK_SECRET", SECRET)
    assert rules.secret() == SECRET


def test_signature_matches_the_standard_webhooks_test_vector() -> None:
    # the published example of the Standard Webhooks specification
    body = b'{"test": 2432232314}'
    msg, ts = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
    assert sign(SECRET, msg, ts, body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    h = headers(SECRET, msg, body, timestamp=ts)
    verify(SECRET, h, body, now=ts + 10)
    with pytest.raises(WebhookVerificationError, match="no matching"):
        verify(SECRET, h, body + b" ", now=ts)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify(SECRET, h, body, now=ts + 3600)
    rotated = {**h, "webhook-signature": "v1,bm9wZQ== " + h["webhook-signature"]}
    verify(SECRET, rotated, body, now=ts)


def test_paired_t_interval_against_scipy() -> None:
    rng = np.random.default_rng(3)
    before = rng.integers(0, 7, 30).astype(float)
    after = before + rng.normal(1.5, 2.0, 30)
    mean, low, high = paired_t_interval(before, after, 0.9)
    ref = stats.ttest_rel(after, before).confidence_interval(0.9)
    assert mean == pytest.approx(float(np.mean(after - before)))
    assert (low, high) == pytest.approx((ref.low, ref.high))
    assert paired_t_interval([], []) == (None, None, None)
    assert paired_t_interval([3], [5]) == (2.0, None, None)


def _tiny(ws: b2bcx.Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "accounts.csv").write_text("account_id,account_manager\nA1,Ann\nA2,\n")
    (folder / "stakeholders.csv").write_text(
        "stakeholder_id,account_id,decision_maker,name,email\n"
        "S1,A1,true,Per Olsson,per@a1.example\nS2,A1,false,,\nS3,A2,false,,\n"
    )
    (folder / "interactions.csv").write_text(
        "interaction_id,stakeholder_id,occurred_at,nps\n"
        "I1,S1,2026-03-01T10:00:00Z,3\nI2,S2,2026-03-01T11:00:00Z,5\n"
        "I3,S3,2026-03-01T12:00:00Z,6\nI4,S1,2026-03-20T10:00:00Z,8\n"
        "I5,S2,2026-03-21T10:00:00Z,6\nI6,S2,2026-03-25T10:00:00Z,9\n"
    )
    ws.import_bundle(folder)


def test_closed_loop_figures_by_hand(ws: b2bcx.Workspace, tmp_path: Path) -> None:
    from b2bcx.cases import run_alerts

    _tiny(ws, tmp_path)
    run = run_alerts(ws.backend, default_rules(), since=dt.datetime(2026, 2, 1), now=T0)
    by = {c.stakeholder_id: c for c in run.opened}
    assert set(by) == {"S1", "S2", "S3"} and by["S1"].priority == "high"
    assert by["S1"].owner == "Ann" and by["S3"].owner == "unassigned"
    # S1: answered after 4 h, closed after 2 days; S2: answered after 3 business days (late)
    update_case(ws.backend, by["S1"].case_id, status="in_progress", now=T0 + dt.timedelta(hours=4))
    update_case(
        ws.backend,
        by["S1"].case_id,
        status="closed",
        outcome="fixed",
        now=T0 + dt.timedelta(days=2),
    )
    update_case(
        ws.backend, by["S2"].case_id, note="left a message", now=T0 + dt.timedelta(days=3, hours=1)
    )
    update_case(
        ws.backend,
        by["S2"].case_id,
        status="closed",
        outcome="replaced part",
        now=T0 + dt.timedelta(days=4),
    )
    now = T0 + dt.timedelta(days=10)
    r = closed_loop(ws.backend, now=now)
    assert (r.n_cases, r.n_open, r.n_overdue) == (3, 1, 1)  # S3 unanswered past due
    assert (r.sla_met, r.sla_decided) == (1, 3) and r.sla_share == pytest.approx(1 / 3)
    assert r.median_hours_to_first_response == pytest.approx((4 + 73) / 2)
    assert r.median_hours_to_close == pytest.approx((48 + 96) / 2)
    loads = {o.owner: (o.open, o.overdue, o.closed) for o in r.by_owner}
    assert loads == {"Ann": (0, 0, 2), "unassigned": (1, 1, 0)}
    # follow-up: S1 3 → 8 (I4 after close), S2 5 → 6 (I5, the first after close)
    f = r.follow_up
    assert f.n == 2 and f.mean_before == 4.0 and f.mean_after == 7.0 and f.mean_change == 3.0
    d = np.array([5.0, 1.0])
    half = stats.t.ppf(0.975, 1) * d.std(ddof=1) / np.sqrt(2)
    assert (f.low, f.high) == pytest.approx((3 - half, 3 + half))
    assert r.to_dict()["follow_up"]["method"] == "paired t interval"


def test_manual_case_and_errors(ws: b2bcx.Workspace, tmp_path: Path) -> None:
    _tiny(ws, tmp_path)
    case = open_case(ws.backend, account_id="A1", title="Quarterly review", now=T0)
    assert case.owner == "Ann" and case.rule == "manual"
    with pytest.raises(NotFound):
        open_case(ws.backend, account_id="NOPE", title="x")
    with pytest.raises(ConfigurationError, match="needs an outcome"):
        update_case(ws.backend, case.case_id, status="closed")
    with pytest.raises(ConfigurationError, match="nothing to change"):
        update_case(ws.backend, case.case_id)
    closed = update_case(ws.backend, case.case_id, status="closed", outcome="done")
    reopened = update_case(ws.backend, case.case_id, status="open", note="customer called again")
    assert closed.closed_at is not None and reopened.closed_at is None
    assert reopened.first_response_at == closed.first_response_at


def test_pseudonymised_export(
    ws: b2bcx.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    _tiny(ws, tmp_path)
    monkeypatch.setenv("B2BCX_PSEUDONYM_KEY", "k1")
    ws.export_bundle(tmp_path / "a", pseudonymise=True)
    ws.export_bundle(tmp_path / "b", pseudonymise=True)
    ws.export_bundle(tmp_path / "plain")
    a = pd.read_csv(tmp_path / "a" / "stakeholders.csv").set_index("stakeholder_id")
    b = pd.read_csv(tmp_path / "b" / "stakeholders.csv").set_index("stakeholder_id")
    plain = pd.read_csv(tmp_path / "plain" / "stakeholders.csv").set_index("stakeholder_id")
    assert plain.name["S1"] == "Per Olsson" and plain.email["S1"] == "per@a1.example"
    assert a.name["S1"].startswith("person-") and "Per" not in a.name["S1"]
    assert a.email["S1"].endswith("@pseudonym.invalid")
    assert a.name["S1"] == b.name["S1"] and pd.isna(a.name["S2"])


def test_digest_text() -> None:
    from b2bcx.cases.model import Case

    def case(cid: str, owner: str, due: dt.datetime, status: str = "open") -> Case:
        return Case(
            case_id=cid,
            rule="detractor",
            account_id="A1",
            stakeholder_id="S1",
            title=f"case {cid}",
            owner=owner,
            priority="normal",
            status=status,
            opened_at=T0,
            due_at=due,
            dedupe_key=cid,
        )

    cases = [
        case("C1", "Ann", T0 + dt.timedelta(days=5)),
        case("C2", "Ann", T0),
        case("C3", "Bob", T0),
        case("C4", "Ann", T0, "closed"),
    ]
    subject, body = digest("Ann", cases, T0 + dt.timedelta(days=1))  # type: ignore[misc]
    assert "2 open case(s), 1 overdue" in subject
    assert body.index("C2") < body.index("C1") and "C3" not in body and "C4" not in body
    assert digest("Zed", cases, T0) is None


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make the test certificate (apt-get install openssl)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_email_over_starttls_to_a_local_smtp_server(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message
    from aiosmtpd.smtp import AuthResult

    received: list[object] = []

    class Keep(Message):  # type: ignore[misc]
        def handle_message(self, message: object) -> None:
            received.append(message)

    cert, key = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        Keep(),
        hostname="127.0.0.1",
        port=port,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        env = {
            "B2BCX_SMTP_HOST": "127.0.0.1",
            "B2BCX_SMTP_PORT": str(port),
            "B2BCX_SMTP_USER": "cx",
            "B2BCX_SMTP_PASSWORD": "s3cret",
            "B2BCX_SMTP_FROM": "cx@supplier.example",
        }
        settings = SmtpSettings.from_env(env)
        assert settings is not None and "s3cret" not in repr(settings)
        client_tls = ssl.create_default_context(cafile=str(cert))
        send_email(
            settings, "ann@supplier.example", "Your cases", "Two open.", ssl_context=client_tls
        )
        deadline = time.time() + 5
        while not received and time.time() < deadline:
            time.sleep(0.05)
        assert len(received) == 1
        message = received[0]
        assert message["To"] == "ann@supplier.example"  # type: ignore[index]
        assert message["Subject"] == "Your cases"  # type: ignore[index]
        assert logins == [(b"cx", b"s3cret")]
        # without STARTTLS the server refuses the mail
        plain = SmtpSettings.from_env({**env, "B2BCX_SMTP_STARTTLS": "false"})
        assert plain is not None
        import smtplib

        with pytest.raises(smtplib.SMTPException):
            send_email(plain, "ann@supplier.example", "x", "y")
        assert len(received) == 1
    finally:
        controller.stop()


def test_smtp_settings_validation() -> None:
    assert SmtpSettings.from_env({}) is None
    with pytest.raises(ConfigurationError, match="B2BCX_SMTP_PORT"):
        SmtpSettings.from_env({"B2BCX_SMTP_HOST": "h", "B2BCX_SMTP_PORT": "x"})
    s = SmtpSettings.from_env({"B2BCX_SMTP_HOST": "h"})
    assert s is not None and s.port == 587 and s.starttls
