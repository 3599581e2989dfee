//! Accounts: users and their roles, password hashing (argon2id, off the async workers),
//! server-side sessions, API tokens, login throttling, password reset, the second factor and
//! personal data. Every change is written with its audit row in one transaction.

use crate::audit::{self, Context, Event};
use crate::error::{Result, StoreError};
use crate::mail::Mail;
use crate::util::{fmt_unix, from_row, now_unix, now_utc, parsed, random_hex, sha256_hex};
use crate::Db;
use poles_core::auth::{Actor, AuthMethod, Email, Grant, NewPassword, Role};
use poles_core::status::UserStatus;
use poles_core::{totp, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

/// Session and throttling settings. Security settings, not programme rules: defaults here,
/// overridable by configuration.
///
/// Failed sign-ins are throttled three ways, all counted in the database (one row per failure,
/// kept for `failure_window_secs`) so that every app server applies the same limits:
/// - one account from one address: at most `failures_per_account_and_address` failures in
///   the window, then that address waits for that account (even with the right password);
/// - one account from anywhere: no lock, but growing delays (1 s, 2 s, 4 s … up to
///   `account_delay_max_secs`) once it has `account_failures_before_delay` failures, which
///   hold back only the addresses that failed on it in the last `clean_after_secs`: an
///   address that has not failed for longer always gets its attempt, so strangers rotating
///   addresses cannot keep a user out;
/// - one address: at most `accounts_per_address` distinct accounts with failures in the
///   window, so that a few people mistyping behind a shared NAT block nobody, while one
///   address cannot try passwords across many accounts.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub session_idle_secs: i64,
    pub session_absolute_secs: i64,
    /// Failures for one account from one address.
    pub failures_per_account_and_address: i64,
    /// Failures of one account (from anywhere) before its attempts are delayed.
    pub account_failures_before_delay: i64,
    /// The longest delay between attempts on one account.
    pub account_delay_max_secs: i64,
    /// An address whose last failure on an account is older than this is never delayed.
    pub clean_after_secs: i64,
    /// Distinct accounts one address may fail on in the window.
    pub accounts_per_address: i64,
    /// Failures older than this are forgotten: nobody stays throttled longer than this.
    pub failure_window_secs: i64,
    pub reset_token_secs: i64,
    /// How long a sign-up's verification link stays valid.
    pub verify_token_secs: i64,
    /// Sign-ups and reset requests one address may make per window, and those one e-mail
    /// address may receive: mail is not a free megaphone.
    pub mail_requests_per_address: i64,
    pub mail_requests_per_recipient: i64,
    pub mail_requests_window_secs: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 3600,
            failures_per_account_and_address: 5,
            account_failures_before_delay: 5,
            account_delay_max_secs: 60,
            clean_after_secs: 60,
            accounts_per_address: 30,
            failure_window_secs: 15 * 60,
            reset_token_secs: 3600,
            verify_token_secs: 48 * 3600,
            mail_requests_per_address: 10,
            mail_requests_per_recipient: 3,
            mail_requests_window_secs: 15 * 60,
        }
    }
}

impl Policy {
    /// The delay an account's attempts wait after its last failure, once it has `failures`
    /// in the window: doubling from 1 s, capped.
    pub fn account_delay(&self, failures: i64) -> i64 {
        let over = failures - self.account_failures_before_delay;
        if over < 0 {
            return 0;
        }
        let max = self.account_delay_max_secs.max(0);
        match u32::try_from(over) {
            Ok(n) if n < 62 => (1i64 << n).min(max),
            _ => max,
        }
    }
}

/// A hash that no password matches, verified against when the e-mail is unknown so that
/// the answer takes as long as for a real account.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1u0ydn3Y4MWx+Hn6hOzY1mHk1Ex0S7Zr4m2jTQHfQ1Q";

pub async fn hash_password(p: &NewPassword) -> Result<String> {
    let p = p.expose().to_string();
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(p.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Data(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| StoreError::Data(e.to_string()))?
}

async fn verify_password(hash: String, candidate: String) -> bool {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        PasswordHash::new(&hash)
            .map(|h| {
                argon2::Argon2::default()
                    .verify_password(candidate.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: Option<String>,
    pub status: UserStatus,
    pub totp_enabled: bool,
    pub created_at: String,
    pub grants: Vec<Grant>,
    pub version: i64,
}

async fn grants_of(db: &Db, user_id: i64) -> Result<Vec<Grant>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT role, scope FROM role_grants WHERE user_id = $1 ORDER BY role, scope",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|(role, scope)| {
            Grant::parse(role, Some(scope))
                .map_err(|e| StoreError::Data(format!("stored role grant: {e}")))
        })
        .collect()
}

struct UserRow {
    id: i64,
    email: String,
    display_name: Option<String>,
    status: String,
    totp_enabled: i64,
    created_at: String,
    version: i64,
}
from_row!(UserRow {
    id,
    email,
    display_name,
    status,
    totp_enabled,
    created_at,
    version
});

const USER_COLS: &str = "id, email, display_name, status, totp_enabled, created_at, version";

async fn user_from_row(db: &Db, r: UserRow) -> Result<User> {
    Ok(User {
        id: r.id,
        email: r.email,
        display_name: r.display_name,
        status: parsed(r.status)?,
        totp_enabled: crate::util::flag(r.totp_enabled),
        created_at: r.created_at,
        grants: grants_of(db, r.id).await?,
        version: r.version,
    })
}

pub async fn user(db: &Db, id: i64) -> Result<Option<User>> {
    let row: Option<UserRow> =
        sqlx::query_as(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    match row {
        Some(r) => Ok(Some(user_from_row(db, r).await?)),
        None => Ok(None),
    }
}

pub async fn list_users(db: &Db) -> Result<Vec<User>> {
    let rows: Vec<UserRow> =
        sqlx::query_as(&format!("SELECT {USER_COLS} FROM users ORDER BY email"))
            .fetch_all(&db.pool)
            .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(user_from_row(db, r).await?);
    }
    Ok(out)
}

/// Creates a user with roles. `by` is the admin doing it, or `None` from the command line
/// (`poles admin create-user`), which is audited as such.
pub async fn create_user(
    db: &Db,
    by: Option<i64>,
    ctx: &Context,
    email: &Email,
    password: &NewPassword,
    grants: &[Grant],
) -> Result<i64> {
    let hash = hash_password(password).await?;
    let mut tx = audit::begin_write(db).await?;
    let exists = sqlx::query("SELECT 1 FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_some() {
        return Err(FieldError::new("email", "is already used by another account").into());
    }
    let now = now_utc();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, password_hash, created_at, password_changed_at) VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(email.as_str())
    .bind(hash)
    .bind(now.clone())
    .fetch_one(&mut *tx)
    .await?;
    for g in grants {
        sqlx::query("INSERT INTO role_grants (user_id, role, scope, granted_at, granted_by) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(g.role.as_str())
            .bind(g.scope.clone())
            .bind(now.clone())
            .bind(by)
            .execute(&mut *tx)
            .await?;
    }
    let mut ctx = ctx.clone();
    if by.is_none() && ctx.actor_id.is_none() {
        ctx.role = Some(Role::Admin);
    }
    audit::append(
        &mut tx,
        &ctx,
        Event {
            action: "user.create",
            object_kind: "user",
            object_ref: id.to_string(),
            changes: serde_json::json!({
                "grants": {"before": null, "after": grants},
                "via": if by.is_some() { "web" } else { "command line" },
            }),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// What a login attempt gave.
#[derive(Debug)]
pub enum Login {
    /// A new session: its secret id (for the cookie) and its CSRF token.
    Session {
        session_id: String,
        csrf: String,
        user_id: i64,
    },
    /// The password was right; the second factor is needed.
    NeedsSecondFactor,
    /// Wrong e-mail, password or code (never says which).
    Refused,
    /// Too many failures: try again after this many seconds.
    Throttled { retry_after: i64 },
    /// The password was right but the address has not been verified yet (self sign-up).
    Unverified,
}

pub(crate) fn parse_ts(ts: &str) -> i64 {
    // Inverse of fmt_unix for our own timestamps; a malformed one counts as "long ago".
    let p = |a: usize, b: usize| ts.get(a..b).and_then(|v| v.parse::<i64>().ok());
    match (p(0, 4), p(5, 7), p(8, 10), p(11, 13), p(14, 16), p(17, 19)) {
        (Some(y), Some(m), Some(d), Some(h), Some(mi), Some(se)) => {
            let y = if m <= 2 { y - 1 } else { y };
            let era = y.div_euclid(400);
            let yoe = y - era * 400;
            let mp = (m + 9) % 12;
            let doy = (153 * mp + 2) / 5 + d - 1;
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
            let days = era * 146_097 + doe - 719_468;
            days * 86_400 + h * 3600 + mi * 60 + se
        }
        _ => 0,
    }
}

/// Checks a password (and a second-factor code when the account has one enabled) and opens
/// a new session. Whether the attempt may be made at all is decided first, from the failures
/// counted so far (see [`Policy`]), never from the credentials: a throttled answer says
/// nothing about the password or the code. An attempt that gets through is checked whole —
/// password, then the second factor for accounts that have one — and only a session clears
/// it; a wrong code counts as a failure like a wrong password.
pub async fn login(
    db: &Db,
    policy: &Policy,
    ctx: &Context,
    email: &str,
    password: &str,
    code: Option<&str>,
    user_agent: Option<&str>,
) -> Result<Login> {
    let email_n = email.trim().to_lowercase();
    // The attempt is counted before the password is checked, inside the write lock, so that
    // parallel guesses cannot all slip under the limit.
    let pending = match reserve_attempt(db, policy, &email_n, ctx).await? {
        Ok(id) => id,
        Err(retry_after) => return Ok(Login::Throttled { retry_after }),
    };
    let now = now_unix();
    let row: Option<(i64, String, String, i64, Option<String>, i64)> = sqlx::query_as(
        "SELECT id, password_hash, status, totp_enabled, totp_secret, email_verified FROM users WHERE email = $1",
    )
    .bind(email_n.clone())
    .fetch_optional(&db.pool)
    .await?;
    let (user_id, ok, totp_secret, verified) = match row {
        Some((id, hash, status, totp_enabled, totp_secret, verified)) => {
            let active = parsed::<UserStatus>(status)? == UserStatus::Active;
            let ok = verify_password(hash, password.to_string()).await && active;
            let secret = if totp_enabled != 0 { totp_secret } else { None };
            (Some(id), ok, secret, verified != 0)
        }
        None => {
            verify_password(DUMMY_HASH.to_string(), password.to_string()).await;
            (None, false, None, false)
        }
    };
    if ok && !verified {
        // The right password on an address not verified yet: no session, and no failure
        // counted (the person holds the password; they must open the link first).
        release_attempt(db, pending).await?;
        return Ok(Login::Unverified);
    }
    let second_ok = match (&totp_secret, code) {
        (None, _) => true,
        (Some(secret), Some(code)) => {
            totp::base32_decode(secret).is_some_and(|k| totp::verify(&k, code, now as u64))
        }
        (Some(_), None) => false,
    };
    if ok && totp_secret.is_some() && code.is_none() {
        release_attempt(db, pending).await?;
        return Ok(Login::NeedsSecondFactor);
    }
    let mut ctx = ctx.clone();
    ctx.actor_id = user_id;
    ctx.actor_email = user_id.map(|_| email_n.clone());
    if !(ok && second_ok) {
        // The reserved attempt stays counted as a failure.
        audit::record(
            db,
            &ctx,
            Event {
                action: "login.failed",
                object_kind: "user",
                object_ref: user_id
                    .map(|u| u.to_string())
                    .unwrap_or_else(|| "unknown".into()),
                changes: serde_json::json!({"second_factor": totp_secret.is_some()}),
                reason: None,
            },
        )
        .await?;
        return Ok(Login::Refused);
    }
    release_attempt(db, pending).await?;
    let user_id = user_id.expect("a matched password has a user");
    let (session_id, csrf) = open_session(db, policy, &ctx, user_id, user_agent).await?;
    Ok(Login::Session {
        session_id,
        csrf,
        user_id,
    })
}

/// Counts an attempt on `account` from the context's address, unless the failures so far
/// hold it back (see [`Policy`]): then the seconds to wait. Returns the id of the row
/// written, to release on success.
async fn reserve_attempt(
    db: &Db,
    policy: &Policy,
    account: &str,
    ctx: &Context,
) -> Result<std::result::Result<i64, i64>> {
    let address = ctx.ip.clone().unwrap_or_default();
    let now = now_unix();
    let since = now - policy.failure_window_secs;
    let mut tx = audit::begin_write(db).await?;
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(since)
        .execute(&mut *tx)
        .await?;
    // This account from this address.
    let (pair, pair_first, pair_last): (i64, Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(at), MAX(at) FROM login_failures \
         WHERE account = $1 AND address = $2 AND at >= $3",
    )
    .bind(account.to_string())
    .bind(address.clone())
    .bind(since)
    .fetch_one(&mut *tx)
    .await?;
    let wait = if pair >= policy.failures_per_account_and_address {
        Some(pair_first.unwrap_or(now) + policy.failure_window_secs - now)
    } else {
        None
    };
    // This account from anywhere: a growing delay, for addresses that failed on it lately.
    let wait = match (wait, pair_last) {
        (None, Some(last)) if last + policy.clean_after_secs > now => {
            let (failures, account_last): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), MAX(at) FROM login_failures WHERE account = $1 AND at >= $2",
            )
            .bind(account.to_string())
            .bind(since)
            .fetch_one(&mut *tx)
            .await?;
            let until = account_last.unwrap_or(now) + policy.account_delay(failures);
            (until > now).then(|| until.min(last + policy.clean_after_secs) - now)
        }
        (wait, _) => wait,
    };
    // This address, across accounts: how many it failed on, unless this one is among them.
    let wait = match wait {
        None if pair == 0 => {
            let lasts: Vec<i64> = sqlx::query_scalar(
                "SELECT MAX(at) FROM login_failures WHERE address = $1 AND at >= $2 \
                 GROUP BY account",
            )
            .bind(address.clone())
            .bind(since)
            .fetch_all(&mut *tx)
            .await?;
            let over =
                i64::try_from(lasts.len()).unwrap_or(i64::MAX) >= policy.accounts_per_address;
            over.then(|| {
                lasts.iter().copied().min().unwrap_or(now) + policy.failure_window_secs - now
            })
        }
        wait => wait,
    };
    if let Some(wait) = wait {
        tx.rollback().await?;
        return Ok(Err(wait.max(1)));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO login_failures (account, address, at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(account.to_string())
    .bind(address)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Forgets a reserved attempt that succeeded.
async fn release_attempt(db: &Db, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Checks a password again before a sensitive action, throttled like a login.
async fn reauthenticate(
    db: &Db,
    policy: &Policy,
    user_id: i64,
    ctx: &Context,
    password: &str,
) -> Result<bool> {
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&db.pool)
        .await?;
    let pending = match reserve_attempt(db, policy, &email, ctx).await? {
        Ok(id) => id,
        Err(retry_after) => {
            return Err(FieldError::new(
                "password",
                format!("too many failures; retry in {retry_after} s"),
            )
            .into())
        }
    };
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&db.pool)
        .await?;
    let ok = verify_password(hash, password.to_string()).await;
    if ok {
        release_attempt(db, pending).await?;
    }
    Ok(ok)
}

/// A new session with fresh random ids (a login always rotates the session).
async fn open_session(
    db: &Db,
    policy: &Policy,
    ctx: &Context,
    user_id: i64,
    user_agent: Option<&str>,
) -> Result<(String, String)> {
    let session_id = random_hex(16);
    let csrf = random_hex(16);
    let now = now_unix();
    let mut tx = audit::begin_write(db).await?;
    sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6, $7)")
        .bind(sha256_hex(&session_id))
        .bind(user_id)
        .bind(csrf.clone())
        .bind(fmt_unix(now))
        .bind(fmt_unix(now + policy.session_absolute_secs))
        .bind(ctx.ip.clone())
        .bind(user_agent.map(|u| u.chars().take(300).collect::<String>()))
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "login",
            object_kind: "user",
            object_ref: user_id.to_string(),
            changes: serde_json::json!({}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((session_id, csrf))
}

async fn actor(db: &Db, user_id: i64, email: String, method: AuthMethod) -> Result<Actor> {
    Ok(Actor {
        user_id,
        email,
        grants: grants_of(db, user_id).await?,
        method,
    })
}

/// A live session: its user and its CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub csrf: String,
    pub id_hash: String,
}

struct SessionRow {
    user_id: i64,
    csrf_token: String,
    last_seen_at: String,
    expires_at: String,
    email: String,
    status: String,
}
from_row!(SessionRow {
    user_id,
    csrf_token,
    last_seen_at,
    expires_at,
    email,
    status
});

/// The session behind a cookie, if it is live: not expired, not idle too long, and its user
/// still active. Touches it at most once a minute.
pub async fn session(db: &Db, policy: &Policy, session_id: &str) -> Result<Option<Session>> {
    if session_id.len() != 32 || !session_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let id_hash = sha256_hex(session_id);
    let Some(r) = sqlx::query_as::<_, SessionRow>(
        "SELECT s.user_id, s.csrf_token, s.last_seen_at, s.expires_at, u.email, u.status \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
    )
    .bind(id_hash.clone())
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(None);
    };
    let now = now_unix();
    let last_seen = parse_ts(&r.last_seen_at);
    if parsed::<UserStatus>(r.status)? != UserStatus::Active
        || parse_ts(&r.expires_at) <= now
        || last_seen + policy.session_idle_secs <= now
    {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&db.pool)
            .await?;
        return Ok(None);
    }
    if now - last_seen >= (policy.session_idle_secs / 2).clamp(1, 60) {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(fmt_unix(now))
            .bind(id_hash.clone())
            .execute(&db.pool)
            .await?;
    }
    Ok(Some(Session {
        actor: actor(db, r.user_id, r.email, AuthMethod::Session).await?,
        csrf: r.csrf_token,
        id_hash,
    }))
}

pub async fn logout(db: &Db, ctx: &Context, id_hash: &str) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash.to_string())
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "logout",
            object_kind: "user",
            object_ref: ctx.actor_id.map(|a| a.to_string()).unwrap_or_default(),
            changes: serde_json::json!({}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionInfo {
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub current: bool,
}

pub async fn sessions_of(
    db: &Db,
    user_id: i64,
    current_hash: Option<&str>,
) -> Result<Vec<SessionInfo>> {
    struct OpenSessionRow {
        created_at: String,
        last_seen_at: String,
        expires_at: String,
        ip: Option<String>,
        user_agent: Option<String>,
        id_hash: String,
    }
    from_row!(OpenSessionRow {
        created_at,
        last_seen_at,
        expires_at,
        ip,
        user_agent,
        id_hash
    });
    let rows: Vec<OpenSessionRow> = sqlx::query_as(
        "SELECT created_at, last_seen_at, expires_at, ip, user_agent, id_hash FROM sessions \
         WHERE user_id = $1 ORDER BY created_at DESC",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SessionInfo {
            current: Some(r.id_hash.as_str()) == current_hash,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
            ip: r.ip,
            user_agent: r.user_agent,
        })
        .collect())
}

/// True when `password` is the user's current password (re-authentication before a
/// sensitive action), throttled like a login.
pub async fn check_password(
    db: &Db,
    policy: &Policy,
    user_id: i64,
    ctx: &Context,
    password: &str,
) -> Result<bool> {
    reauthenticate(db, policy, user_id, ctx, password).await
}

/// Changes one's password after checking the current one; every other session ends.
pub async fn change_password(
    db: &Db,
    policy: &Policy,
    user_id: i64,
    ctx: &Context,
    current: &str,
    new: &NewPassword,
    keep_session: Option<&str>,
) -> Result<()> {
    if !reauthenticate(db, policy, user_id, ctx, current).await? {
        return Err(FieldError::new("current_password", "is not your current password").into());
    }
    let new_hash = hash_password(new).await?;
    let mut tx = audit::begin_write(db).await?;
    sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, version = version + 1 WHERE id = $3")
        .bind(new_hash)
        .bind(now_utc())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep_session.unwrap_or("").to_string())
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "password.change",
            object_kind: "user",
            object_ref: user_id.to_string(),
            changes: serde_json::json!({"password": "changed"}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Starts a password reset: a one-time token, valid for an hour, handed to the caller to
/// deliver (the command line prints it, as the operator's fallback).
pub async fn start_reset(
    db: &Db,
    policy: &Policy,
    ctx: &Context,
    email: &Email,
) -> Result<Option<String>> {
    start_reset_with(db, policy, ctx, email, None::<fn(&str) -> Mail>).await
}

/// Starts a password reset whose link leaves by mail: the token and the mail `compose`
/// writes with it are stored in one transaction (the token is in the mail only). Nothing
/// happens for an unknown or inactive address, and the caller says the same either way.
pub async fn start_reset_by_mail(
    db: &Db,
    policy: &Policy,
    ctx: &Context,
    email: &Email,
    compose: impl FnOnce(&str) -> Mail,
) -> Result<()> {
    start_reset_with(db, policy, ctx, email, Some(compose)).await?;
    Ok(())
}

async fn start_reset_with(
    db: &Db,
    policy: &Policy,
    ctx: &Context,
    email: &Email,
    compose: Option<impl FnOnce(&str) -> Mail>,
) -> Result<Option<String>> {
    let Some(user_id) =
        sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE email = $1 AND status = 'active'")
            .bind(email.as_str())
            .fetch_optional(&db.pool)
            .await?
    else {
        return Ok(None);
    };
    let token = random_hex(24);
    let now = now_unix();
    let by_mail = compose.is_some();
    let mut tx = audit::begin_write(db).await?;
    sqlx::query("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(sha256_hex(&token))
        .bind(user_id)
        .bind(fmt_unix(now))
        .bind(fmt_unix(now + policy.reset_token_secs))
        .execute(&mut *tx)
        .await?;
    if let Some(compose) = compose {
        crate::mail::enqueue(&mut tx, &compose(&token)).await?;
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "password.reset_requested",
            object_kind: "user",
            object_ref: user_id.to_string(),
            changes: serde_json::json!({"by_mail": by_mail}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(token))
}

/// Finishes a reset with its token: the password changes and every session ends.
pub async fn finish_reset(db: &Db, ctx: &Context, token: &str, new: &NewPassword) -> Result<()> {
    let hash = hash_password(new).await?;
    let mut tx = audit::begin_write(db).await?;
    let row: Option<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1",
    )
    .bind(sha256_hex(token))
    .fetch_optional(&mut *tx)
    .await?;
    let Some((user_id, expires_at, used_at)) = row else {
        return Err(FieldError::new("token", "is unknown").into());
    };
    if used_at.is_some() || parse_ts(&expires_at) <= now_unix() {
        return Err(FieldError::new("token", "has expired or was already used").into());
    }
    sqlx::query("UPDATE password_resets SET used_at = $1 WHERE token_hash = $2")
        .bind(now_utc())
        .bind(sha256_hex(token))
        .execute(&mut *tx)
        .await?;
    // The link came by mail: following it proves the address, as a verification link does.
    sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, email_verified = 1, version = version + 1 WHERE id = $3")
        .bind(hash)
        .bind(now_utc())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    // A recovered account starts clean: tokens someone else may hold stop working.
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now_utc())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let mut ctx = ctx.clone();
    ctx.actor_id = Some(user_id);
    audit::append(
        &mut tx,
        &ctx,
        Event {
            action: "password.reset",
            object_kind: "user",
            object_ref: user_id.to_string(),
            changes: serde_json::json!({"password": "changed"}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An API token as its owner sees it (never the secret, which is shown once at creation).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    /// `read` (no writes) or `write` (the owner's roles).
    pub scope: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}
from_row!(TokenInfo {
    id,
    name,
    prefix,
    scope,
    created_at,
    last_used_at,
    revoked_at
});

pub async fn create_token(
    db: &Db,
    user_id: i64,
    ctx: &Context,
    name: &str,
    scope: &str,
) -> Result<(i64, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(FieldError::new("name", "must have 1 to 100 characters").into());
    }
    if scope != "read" && scope != "write" {
        return Err(FieldError::new("scope", "must be read or write").into());
    }
    let secret = format!("pol_{}", random_hex(24));
    let mut tx = audit::begin_write(db).await?;
    let id: i64 = sqlx::query_scalar("INSERT INTO api_tokens (user_id, name, token_hash, prefix, scope, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(user_id)
        .bind(name.to_string())
        .bind(sha256_hex(&secret))
        .bind(secret[..10].to_string())
        .bind(scope.to_string())
        .bind(now_utc())
        .fetch_one(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "token.create",
            object_kind: "api_token",
            object_ref: id.to_string(),
            changes: serde_json::json!({"name": name, "scope": scope}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((id, secret))
}

pub async fn tokens_of(db: &Db, user_id: i64) -> Result<Vec<TokenInfo>> {
    Ok(sqlx::query_as::<_, TokenInfo>(
        "SELECT id, name, prefix, scope, created_at, last_used_at, revoked_at FROM api_tokens \
         WHERE user_id = $1 ORDER BY id DESC",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn revoke_token(db: &Db, user_id: i64, ctx: &Context, id: i64) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(now_utc())
        .bind(id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("token"));
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "token.revoke",
            object_kind: "api_token",
            object_ref: id.to_string(),
            changes: serde_json::json!({}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The actor behind a bearer token, if the token is live and its user active. A `read`
/// token carries no roles: it can read what its owner can, write nothing.
pub async fn token_actor(db: &Db, secret: &str) -> Result<Option<Actor>> {
    if !secret.starts_with("pol_") || secret.len() > 100 {
        return Ok(None);
    }
    let row: Option<(i64, i64, String, Option<String>, String)> = sqlx::query_as(
        "SELECT t.id, t.user_id, t.scope, t.last_used_at, u.email FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.status = 'active'",
    )
    .bind(sha256_hex(secret))
    .fetch_optional(&db.pool)
    .await?;
    let Some((id, user_id, scope, last_used_at, email)) = row else {
        return Ok(None);
    };
    // Touched at most once a minute, and never failing the request: it is a hint.
    let stale = last_used_at.is_none_or(|t| now_unix() - parse_ts(&t) >= 60);
    if stale {
        let _ = sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now_utc())
            .bind(id)
            .execute(&db.pool)
            .await;
    }
    let mut a = actor(db, user_id, email, AuthMethod::Token).await?;
    if scope == "read" {
        a.grants.clear();
    }
    Ok(Some(a))
}

/// How many active users hold the admin role, read inside a write's transaction.
async fn active_admins(tx: &mut impl crate::util::Tx) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(DISTINCT u.id) FROM users u JOIN role_grants g ON g.user_id = u.id \
         WHERE u.status = 'active' AND g.role = 'admin'",
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// Refuses a change that left no active admin where there was one (`before`, counted at the
/// start of the same transaction): the platform would have nobody to manage it. The change
/// runs under the write lock, so two of them racing (two admins disabling each other, or
/// each giving up the role) are serialised and the second sees the first; the refused
/// transaction is rolled back when it is dropped.
async fn keep_an_admin(
    tx: &mut impl crate::util::Tx,
    before: i64,
    field: &str,
    what: &str,
) -> Result<()> {
    if before > 0 && active_admins(tx).await? == 0 {
        return Err(StoreError::Refused {
            code: "last_admin",
            reason: FieldError::new(
                field,
                format!("the last active admin cannot be {what}: make another user admin first"),
            ),
        });
    }
    Ok(())
}

pub async fn grant_role(
    db: &Db,
    admin_id: i64,
    ctx: &Context,
    user_id: i64,
    grant: &Grant,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    if sqlx::query("SELECT 1 FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?
        .is_none()
    {
        return Err(StoreError::NotFound("user"));
    }
    let n = sqlx::query("INSERT INTO role_grants (user_id, role, scope, granted_at, granted_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, role, scope) DO NOTHING")
        .bind(user_id)
        .bind(grant.role.as_str())
        .bind(grant.scope.clone())
        .bind(now_utc())
        .bind(admin_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n > 0 {
        audit::append(
            &mut tx,
            ctx,
            Event {
                action: "role.grant",
                object_kind: "user",
                object_ref: user_id.to_string(),
                changes: serde_json::json!({"grant": {"before": null, "after": grant}}),
                reason: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn revoke_role(db: &Db, ctx: &Context, user_id: i64, grant: &Grant) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let admins = active_admins(&mut tx).await?;
    let n = sqlx::query("DELETE FROM role_grants WHERE user_id = $1 AND role = $2 AND scope = $3")
        .bind(user_id)
        .bind(grant.role.as_str())
        .bind(grant.scope.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("role grant"));
    }
    keep_an_admin(&mut tx, admins, "role", "removed from the admin role").await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "role.revoke",
            object_kind: "user",
            object_ref: user_id.to_string(),
            changes: serde_json::json!({"grant": {"before": grant, "after": null}}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Disables or re-enables an account; disabling ends every session of the user at once.
pub async fn set_disabled(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    disabled: bool,
    reason: Option<String>,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let Some(before) = sqlx::query_scalar::<_, String>("SELECT status FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Err(StoreError::NotFound("user"));
    };
    if before == "erased" {
        return Err(FieldError::new("disabled", "an erased account cannot change").into());
    }
    let admins = active_admins(&mut tx).await?;
    let after = if disabled { "disabled" } else { "active" };
    sqlx::query("UPDATE users SET status = $1, version = version + 1 WHERE id = $2")
        .bind(after)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    keep_an_admin(&mut tx, admins, "disabled", "disabled").await?;
    if disabled {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        // Revoked, not only suspended: re-enabling the account must not revive a token that
        // was out of the owner's hands while it was disabled.
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now_utc())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: if disabled {
                "user.disable"
            } else {
                "user.enable"
            },
            object_kind: "user",
            object_ref: user_id.to_string(),
            changes: audit::diff(&[("status", before.into(), after.into())]),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Starts enrolling a second factor: a new secret, not yet required until confirmed.
pub async fn begin_totp(db: &Db, user_id: i64) -> Result<String> {
    use rand::RngCore;
    let mut key = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let secret = totp::base32_encode(&key);
    let n = sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2 AND totp_enabled = 0")
        .bind(secret.clone())
        .bind(user_id)
        .execute(&db.pool)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(FieldError::new("totp", "a second factor is already enabled").into());
    }
    Ok(secret)
}

/// Confirms the second factor with a first code; from then on it is required at login.
pub async fn enable_totp(db: &Db, user_id: i64, ctx: &Context, code: &str) -> Result<()> {
    let secret: Option<String> = sqlx::query_scalar("SELECT totp_secret FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&db.pool)
        .await?;
    let ok = secret
        .as_deref()
        .and_then(totp::base32_decode)
        .is_some_and(|k| totp::verify(&k, code, now_unix() as u64));
    if !ok {
        return Err(FieldError::new("code", "does not match the authenticator").into());
    }
    let mut tx = audit::begin_write(db).await?;
    sqlx::query("UPDATE users SET totp_enabled = 1, version = version + 1 WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "totp.enable",
            object_kind: "user",
            object_ref: user_id.to_string(),
            changes: serde_json::json!({"totp_enabled": {"before": false, "after": true}}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Everything the platform holds about a user: account, roles, sessions, tokens, and the
/// audit rows they caused.
pub async fn personal_data(db: &Db, user_id: i64) -> Result<serde_json::Value> {
    let u = user(db, user_id)
        .await?
        .ok_or(StoreError::NotFound("user"))?;
    let sessions = sessions_of(db, user_id, None).await?;
    let tokens = tokens_of(db, user_id).await?;
    let rows: Vec<(i64, String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT a.id, a.at, a.action, a.object_kind, a.object_ref, p.ip FROM audit_log a \
         LEFT JOIN audit_personal p ON p.audit_id = a.id WHERE a.actor_id = $1 ORDER BY a.id",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    let events: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|(id, at, action, kind, reference, ip)| {
            serde_json::json!({
                "id": id, "at": at, "action": action,
                "object": format!("{kind} {reference}"),
                "ip": ip,
            })
        })
        .collect();
    Ok(serde_json::json!({
        "account": u, "sessions": sessions, "api_tokens": tokens, "audit_events": events,
        "exported_at": now_utc(),
    }))
}

/// Erases a user's personal data: the account is pseudonymised, sessions and tokens go, and
/// the personal part of their audit rows is cleared. The chain itself (which holds no
/// personal data) stays whole and verifiable.
pub async fn erase(db: &Db, user_id: i64, ctx: &Context) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let admins = active_admins(&mut tx).await?;
    let pseudonym = format!("erased-{}@invalid", user_id);
    let address: Option<String> = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(a) = address {
        crate::mail::forget(&mut tx, &a).await?;
    }
    sqlx::query("UPDATE users SET email = $1, display_name = NULL, password_hash = '!', status = 'erased', totp_secret = NULL, totp_enabled = 0, version = version + 1 WHERE id = $2")
        .bind(pseudonym)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM role_grants WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    keep_an_admin(&mut tx, admins, "account", "erased").await?;
    // The database lets the personal part of audit rows be cleared only while this
    // transaction holds the user's row in audit_erasure (migration 0010), which no other
    // transaction ever sees.
    sqlx::query("INSERT INTO audit_erasure (user_id) VALUES ($1)")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let cleared = sqlx::query("UPDATE audit_personal SET actor_email = NULL, ip = NULL WHERE audit_id IN (SELECT id FROM audit_log WHERE actor_id = $1) AND (actor_email IS NOT NULL OR ip IS NOT NULL)")
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM audit_erasure WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let mut ctx = ctx.clone();
    ctx.actor_email = None;
    ctx.ip = None;
    audit::append(
        &mut tx,
        &ctx,
        Event {
            action: "user.erase",
            object_kind: "user",
            object_ref: user_id.to_string(),
            changes: serde_json::json!({"personal_data": "erased", "audit_rows_cleared": cleared}),
            reason: Some("erasure requested by the user".into()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Self sign-up. A new address gets an account that cannot sign in yet and a verification
/// link by mail; an address that already has an
/// account gets a mail saying so instead (`compose` is given the token for a new account,
/// `None` for an existing one), so that the answer never tells whether an address is
/// registered. Everything in one transaction with its audit row.
pub async fn sign_up(
    db: &Db,
    policy: &Policy,
    ctx: &Context,
    email: &Email,
    display_name: Option<&str>,
    password: &NewPassword,
    compose: impl FnOnce(Option<&str>) -> Mail,
) -> Result<()> {
    let hash = hash_password(password).await?;
    let mut tx = audit::begin_write(db).await?;
    let found: Option<(i64, String)> =
        sqlx::query_as("SELECT id, status FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    let (user_id, action) = match found {
        Some((id, status)) => {
            if parsed::<UserStatus>(status)? == UserStatus::Active {
                crate::mail::enqueue(&mut tx, &compose(None)).await?;
            }
            (id, "user.signup_existing")
        }
        None => {
            let now = now_unix();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (email, display_name, password_hash, created_at, password_changed_at, email_verified) \
                 VALUES ($1, $2, $3, $4, $4, 0) RETURNING id",
            )
            .bind(email.as_str())
            .bind(display_name.map(str::to_string))
            .bind(hash)
            .bind(fmt_unix(now))
            .fetch_one(&mut *tx)
            .await?;
            let token = random_hex(24);
            sqlx::query("INSERT INTO email_verifications (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(sha256_hex(&token))
                .bind(id)
                .bind(fmt_unix(now))
                .bind(fmt_unix(now + policy.verify_token_secs))
                .execute(&mut *tx)
                .await?;
            crate::mail::enqueue(&mut tx, &compose(Some(&token))).await?;
            (id, "user.signup")
        }
    };
    let mut ctx = ctx.clone();
    ctx.actor_id = Some(user_id);
    audit::append(
        &mut tx,
        &ctx,
        Event {
            action,
            object_kind: "user",
            object_ref: user_id.to_string(),
            changes: serde_json::json!({}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Verifies an address with the token of its link (single use, expiring): the account may
/// sign in from then on.
pub async fn verify_email(db: &Db, ctx: &Context, token: &str) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    let row: Option<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT user_id, expires_at, used_at FROM email_verifications WHERE token_hash = $1",
    )
    .bind(sha256_hex(token.trim()))
    .fetch_optional(&mut *tx)
    .await?;
    let Some((user_id, expires_at, used_at)) = row else {
        return Err(FieldError::new("token", "is unknown").into());
    };
    if used_at.is_some() || parse_ts(&expires_at) <= now_unix() {
        return Err(FieldError::new("token", "has expired or was already used").into());
    }
    sqlx::query("UPDATE email_verifications SET used_at = $1 WHERE token_hash = $2")
        .bind(now_utc())
        .bind(sha256_hex(token.trim()))
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET email_verified = 1, version = version + 1 WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let mut ctx = ctx.clone();
    ctx.actor_id = Some(user_id);
    audit::append(
        &mut tx,
        &ctx,
        Event {
            action: "user.verify_email",
            object_kind: "user",
            object_ref: user_id.to_string(),
            changes: serde_json::json!({"email_verified": {"before": false, "after": true}}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user_id)
}

/// A random password for demo accounts: 20 characters from an unambiguous alphabet.
pub fn random_password() -> String {
    use rand::Rng;
    const A: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| A[rng.gen_range(0..A.len())] as char)
        .collect()
}

/// Looks a user up by e-mail (command line).
/// A user as an actor with their roles, for work done in their name without a session (the
/// demo's workflow, written through the use cases).
pub async fn actor_of(db: &Db, user_id: i64) -> Result<Option<Actor>> {
    let email: Option<String> = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&db.pool)
        .await?;
    match email {
        Some(email) => Ok(Some(actor(db, user_id, email, AuthMethod::Token).await?)),
        None => Ok(None),
    }
}

pub async fn user_id_by_email(db: &Db, email: &Email) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(&db.pool)
        .await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn account_delays_double_from_one_second_up_to_the_cap() {
        let p = super::Policy::default();
        let delays: Vec<i64> = (0..14).map(|f| p.account_delay(f)).collect();
        assert_eq!(delays, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(p.account_delay(i64::MAX), 60);
    }

    #[test]
    fn timestamps_parse_back() {
        for t in [0i64, 1_700_000_000, 951_782_400, 4_102_444_800] {
            assert_eq!(super::parse_ts(&crate::util::fmt_unix(t)), t);
        }
    }
}
