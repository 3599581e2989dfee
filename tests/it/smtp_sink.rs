//! A local SMTP sink for the tests: a tiny tokio TCP server speaking just enough SMTP (EHLO,
//! HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) to receive what the sender delivers, and able to
//! play a mail-server outage: refusing every connection with 421, or closing it at once.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// How the sink behaves toward new connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Receives every mail.
    Accept,
    /// Greets with 421 (service not available) and closes.
    Refuse,
    /// Closes the connection without a word.
    Close,
}

/// A mail the sink received.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), quoted-printable decoded.
    pub text: String,
}

impl Received {
    /// The token of the first link to `path` in the message (`/verify?token=…`).
    pub fn token(&self, path: &str) -> String {
        let key = format!("{path}?token=");
        let at = self
            .text
            .find(&key)
            .unwrap_or_else(|| panic!("no link to {path} in the mail:\n{}", self.text));
        self.text[at + key.len()..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect()
    }
}

struct State {
    mode: Mode,
    received: Vec<Received>,
    /// Connections turned away while refusing or closing.
    turned_away: usize,
}

#[derive(Clone)]
pub struct Sink {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Sink {
    /// Starts a sink on 127.0.0.1:0, on a thread and runtime of its own.
    pub fn start(mode: Mode) -> Sink {
        let state = Arc::new(Mutex::new(State {
            mode,
            received: Vec::new(),
            turned_away: 0,
        }));
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                tx.send(listener.local_addr().expect("addr").port())
                    .expect("send port");
                loop {
                    let Ok((socket, _)) = listener.accept().await else {
                        continue;
                    };
                    let state = shared.clone();
                    tokio::spawn(async move {
                        let _ = session(socket, state).await;
                    });
                }
            });
        });
        let port = rx.recv().expect("sink starts");
        Sink { port, state }
    }

    /// The URL the sender is given (plain SMTP, as to a local relay).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = mode;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn turned_away(&self) -> usize {
        self.state.lock().unwrap().turned_away
    }

    /// Waits (up to 20 s) until a mail to `to` arrived, and returns the last one.
    pub async fn wait_for(&self, to: &str) -> Received {
        for _ in 0..200 {
            if let Some(m) = self
                .received()
                .into_iter()
                .rev()
                .find(|m| m.to.iter().any(|t| t == to))
            {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no mail to {to} arrived");
    }

    /// The mails received for `to`.
    pub fn count_to(&self, to: &str) -> usize {
        self.received()
            .iter()
            .filter(|m| m.to.iter().any(|t| t == to))
            .count()
    }
}

/// The address inside `MAIL FROM:<a@b>` or `RCPT TO:<a@b>`.
fn address(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line.rfind('>').unwrap_or(line.len());
    line.get(start..end).unwrap_or_default().to_string()
}

/// Undoes quoted-printable (soft line breaks and `=XX`), enough to read a mail's text.
fn unquote(s: &str) -> String {
    let s = s.replace("=\r\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn session(socket: tokio::net::TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mode = state.lock().unwrap().mode;
    let (read, mut write) = socket.into_split();
    match mode {
        Mode::Accept => {}
        Mode::Refuse => {
            state.lock().unwrap().turned_away += 1;
            write
                .write_all(b"421 sink.test Service not available\r\n")
                .await?;
            return Ok(());
        }
        Mode::Close => {
            state.lock().unwrap().turned_away += 1;
            return Ok(());
        }
    }
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut lines = BufReader::new(read);
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&line);
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&line));
            b"250 OK\r\n"
        } else if upper.starts_with("DATA") {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut text = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                // Dot-stuffing: a line starting with a dot was sent with two.
                text.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            state.lock().unwrap().received.push(Received {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                text: unquote(&text),
            });
            b"250 OK queued\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 Command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}
