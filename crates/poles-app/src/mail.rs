//! Mail: what the platform writes (both languages in one mail: the address does not say
//! which one its reader prefers) and the sender task that delivers the outbox through SMTP.
//!
//! Use cases write a mail into the outbox in the transaction of their action (see
//! `poles_store::mail`); [`run_sender`], started by `poles serve` on every app server,
//! claims due rows with a lease, sends them with `lettre` and marks them sent, or counts the
//! failure, keeps its error and retries later with a doubling delay. Without SMTP settings
//! nothing is sent and nothing is lost: admins see the waiting mail (`outbox`).

use crate::access;
use crate::{App, Caller, Result};
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use poles_store::mail::{self as store, Claimed};
use std::time::Duration;

pub use poles_store::mail::{Mail, OutboxMail};

/// The sender's settings.
#[derive(Debug, Clone)]
pub struct SenderSettings {
    /// `smtp://host:port` (plain; a local relay), `smtp://host?tls=required` (STARTTLS),
    /// `smtps://host` (TLS from the start); user and password in the URL when the server
    /// asks for them.
    pub smtp_url: String,
    /// The sender address (`Pôles <noreply@example.org>`).
    pub from: String,
    /// How often the outbox is looked at.
    pub poll: Duration,
    /// The first retry waits this long, then twice as long each time, up to `retry_max_secs`.
    pub retry_base_secs: i64,
    pub retry_max_secs: i64,
    /// How long a claimed row is held (longer than an SMTP exchange may take).
    pub lease_secs: i64,
    /// An SMTP exchange's time limit.
    pub timeout: Duration,
}

impl SenderSettings {
    pub fn new(smtp_url: String, from: String) -> SenderSettings {
        SenderSettings {
            smtp_url,
            from,
            poll: Duration::from_secs(5),
            retry_base_secs: 30,
            retry_max_secs: 3600,
            lease_secs: 300,
            timeout: Duration::from_secs(60),
        }
    }

    /// The delay before the next attempt after `attempts` failed ones (1 or more).
    pub fn retry_in(&self, attempts: i64) -> i64 {
        let n = u32::try_from((attempts - 1).clamp(0, 30)).unwrap_or(30);
        self.retry_base_secs
            .max(1)
            .saturating_mul(1i64 << n)
            .min(self.retry_max_secs.max(1))
    }
}

/// The mails waiting to be sent and the last ones sent (admins): what an operator checks
/// when mail does not arrive.
pub async fn outbox(app: &App, caller: &Caller) -> Result<Vec<OutboxMail>> {
    app.allowed(caller, access::user_admin(&caller.actor))
        .await?;
    Ok(store::outbox(&app.db, 50).await?)
}

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// Builds the SMTP client of the settings (the URL is checked here, at start).
pub fn transport(s: &SenderSettings) -> std::result::Result<Transport, String> {
    let builder = Transport::from_url(&s.smtp_url).map_err(|e| format!("SMTP URL: {e}"))?;
    s.from
        .parse::<lettre::message::Mailbox>()
        .map_err(|e| format!("sender address {:?}: {e}", s.from))?;
    Ok(builder.timeout(Some(s.timeout)).build())
}

/// Delivers the outbox for ever (the task of `poles serve`): every `poll`, the due rows this
/// server could claim are sent one by one.
pub async fn run_sender(app: App, s: SenderSettings, transport: Transport) {
    let owner = format!("sender-{}", poles_store::accounts::random_password());
    loop {
        match send_due(&app, &s, &transport, &owner).await {
            Ok(n) if n > 0 => tracing::info!(sent = n, "mail sent"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the outbox could not be read"),
        }
        tokio::time::sleep(s.poll).await;
    }
}

/// One round: claims up to 20 due rows and tries each; the number sent.
pub async fn send_due(
    app: &App,
    s: &SenderSettings,
    transport: &Transport,
    owner: &str,
) -> Result<usize> {
    let rows = store::claim(&app.db, owner, s.lease_secs, 20).await?;
    let mut sent = 0;
    for row in rows {
        match deliver(s, transport, &row).await {
            Ok(()) => {
                if store::mark_sent(&app.db, row.id, owner).await? {
                    sent += 1;
                }
            }
            Err(e) => {
                let wait = s.retry_in(row.attempts + 1);
                tracing::warn!(mail = row.id, attempts = row.attempts + 1, error = %e, retry_in = wait, "mail not sent; it stays in the outbox");
                store::mark_failed(&app.db, row.id, owner, &e, wait).await?;
            }
        }
    }
    Ok(sent)
}

async fn deliver(
    s: &SenderSettings,
    transport: &Transport,
    row: &Claimed,
) -> std::result::Result<(), String> {
    let from = s
        .from
        .parse::<lettre::message::Mailbox>()
        .map_err(|e| format!("sender address: {e}"))?;
    let to = row
        .to_address
        .parse::<lettre::message::Mailbox>()
        .map_err(|e| format!("recipient address: {e}"))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(row.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(row.body.clone())
        .map_err(|e| format!("message: {e}"))?;
    transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The site's address for links, without a trailing slash.
pub(crate) fn link(app: &App, path: &str) -> String {
    format!("{}{path}", app.config.public_url.trim_end_matches('/'))
}

const SIGNATURE: &str = "\n-- \nPôles\n";

/// The verification mail of a sign-up.
pub(crate) fn verify_mail(app: &App, to: &str, token: &str) -> Mail {
    let url = link(app, &format!("/verify?token={token}"));
    Mail {
        to: to.to_string(),
        kind: "signup.verify",
        subject: "Pôles : confirmez votre adresse / confirm your address".into(),
        body: format!(
            "Bonjour,\n\nPour activer votre compte Pôles, ouvrez ce lien (valable 48 heures, une seule fois) :\n{url}\n\n\
             Si vous n'avez pas créé de compte, ignorez ce message.\n\n---\n\n\
             Hello,\n\nTo activate your Pôles account, open this link (valid for 48 hours, once):\n{url}\n\n\
             If you did not sign up, ignore this message.\n{SIGNATURE}"
        ),
    }
}

/// The mail sent when someone signs up with an address that already has an account.
pub(crate) fn already_registered_mail(app: &App, to: &str) -> Mail {
    let url = link(app, "/reset");
    Mail {
        to: to.to_string(),
        kind: "signup.existing",
        subject: "Pôles : vous avez déjà un compte / you already have an account".into(),
        body: format!(
            "Bonjour,\n\nQuelqu'un (vous, sans doute) a voulu créer un compte Pôles avec cette adresse, qui en a déjà un. \
             Mot de passe oublié ? {url}\n\n---\n\n\
             Hello,\n\nSomeone (probably you) tried to sign up to Pôles with this address, which already has an account. \
             Forgot your password? {url}\n{SIGNATURE}"
        ),
    }
}

/// The password-reset mail.
pub(crate) fn reset_mail(app: &App, to: &str, token: &str) -> Mail {
    let url = link(app, &format!("/reset?token={token}"));
    Mail {
        to: to.to_string(),
        kind: "password.reset",
        subject: "Pôles : nouveau mot de passe / new password".into(),
        body: format!(
            "Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien (valable une heure, une seule fois) :\n{url}\n\n\
             Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.\n\n---\n\n\
             Hello,\n\nTo choose a new password, open this link (valid for one hour, once):\n{url}\n\n\
             If you did not ask, ignore this message: your password does not change.\n{SIGNATURE}"
        ),
    }
}

/// The mail telling a claimant the decision on their request.
pub(crate) fn claim_decided_mail(
    app: &App,
    to: &str,
    organisation: &str,
    approved: bool,
    reason: Option<&str>,
) -> Mail {
    let url = link(app, "/memberships");
    let (fr, en) = if approved {
        (
            format!("Votre demande pour agir au nom de « {organisation} » est acceptée : vous en êtes membre."),
            format!("Your request to act for \"{organisation}\" is approved: you are now a member."),
        )
    } else {
        let r = reason.unwrap_or_default();
        (
            format!(
                "Votre demande pour agir au nom de « {organisation} » est refusée. Motif : {r}"
            ),
            format!("Your request to act for \"{organisation}\" is declined. Reason: {r}"),
        )
    };
    Mail {
        to: to.to_string(),
        kind: "claim.decided",
        subject: "Pôles : votre demande d'organisation / your organisation request".into(),
        body: format!("Bonjour,\n\n{fr}\n{url}\n\n---\n\nHello,\n\n{en}\n{url}\n{SIGNATURE}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn retries_wait_longer_each_time_up_to_the_cap() {
        let s = super::SenderSettings::new("smtp://localhost".into(), "a@b.fr".into());
        let waits: Vec<i64> = (1..=9).map(|a| s.retry_in(a)).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
